"""Findings 5, 6 and 8 of issue 17: bad input is refused with its field, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.core.money import MoneyError, to_money
from cdppe.domain.rules import RuleViolationError
from cdppe.services.contract_io import load_yaml, parse_contract, parse_yaml
from tests.factories import minimal_contract

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return mutate


def _dup_indicator(data: dict[str, Any]) -> None:
    ind = {"code": "I1", "label": "Entretiens", "values": [{"year": 2024, "target": "10"}]}
    data["indicators"] = [ind, dict(ind)]


def _dup_indicator_year(data: dict[str, Any]) -> None:
    data["indicators"] = [{"code": "I1", "label": "Entretiens",
                           "values": [{"year": 2024, "target": "10"}, {"year": 2024, "target": "12"}]}]


CASES: list[tuple[str, Mutation, str]] = [
    ("29 digits", _set("exercices/0/envelope/bop304", "99999999999999999999999999999"), "bop304"),
    ("1e30", _set("fiches/0/money/0/amount", "1e30"), "fiches[0].money[0].amount"),
    ("above bigint cents", _set("fiches/0/money/0/amount", 2**63), "fiches[0].money[0].amount"),
    ("float", _set("fiches/0/money/0/amount", 1000.0), "fiches[0].money[0].amount"),
    (".inf", _set("exercices/0/envelope/fir", ".inf"), "exercices[0].envelope.fir"),
    ("impossible date", _set("exercices/0/planned_signature", "2024-02-30"), "planned_signature"),
    ("duplicate indicator code", _dup_indicator, "indicators[1].code"),
    ("duplicate indicator year", _dup_indicator_year, "values[1].year"),
    ("duplicate execution year", _set("fiches/0/execution", [{"exercice": 2024, "status": "implemented"},
                                                            {"exercice": 2024, "status": "implemented"}]),
     "execution[1].exercice"),
    ("execution year outside", _set("fiches/0/execution", [{"exercice": 2031, "status": "implemented"}]),
     "execution[0].exercice"),
    ("huge year", _set("exercices/0/reference_year", 10**12), "exercices[0].reference_year"),
    ("NUL", _set("fiches/0/title", "Action\x00"), "fiches[0].title"),
    ("bell", _set("fiches/0/referent", "Mme\x07 X"), "fiches[0].referent"),
    ("U+FFFE", _set("departement/name", "Saône\ufffe"), "departement.name"),
    ("name > 80", _set("departement/name", "S" * 81), "departement.name"),
    ("code > 40", lambda d: d.__setitem__("indicators", [{"code": "C" * 41, "label": "x"}]),
     "indicators[0].code"),
    ("indicator value too long", lambda d: d.__setitem__(
        "indicators", [{"code": "I", "label": "x", "values": [{"year": 2024, "target": "1" * 50}]}]),
     "values[0].target"),
]


@pytest.mark.parametrize(("mutate", "field"), [(m, f) for _, m, f in CASES], ids=[c[0] for c in CASES])
def test_bad_contract_refused_with_its_field(mutate: Mutation, field: str) -> None:
    data = minimal_contract()
    mutate(data)
    with pytest.raises(RuleViolationError) as info:
        parse_contract(data)
    assert field in str(info.value), str(info.value)


def test_yaml_limits_refuse_bombs_depth_and_size(tmp_path: Path) -> None:
    bomb = "a: &a [" + ",".join(["x"] * 10) + "]\n"
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [" + ",".join([f"*{prev}"] * 10) + "]\n"
    for text, problem in ((bomb, "alias"), ("a: " + "[" * 1000 + "]" * 1000, "imbrication")):
        with pytest.raises(yaml.YAMLError, match=problem):
            parse_yaml(text)
    big = tmp_path / "gros.yaml"
    big.write_text("# " + "x" * (3 * 1024 * 1024), encoding="utf-8")
    with pytest.raises(RuleViolationError, match="trop volumineux"):
        load_yaml(big)
    assert parse_yaml("d: 2024-02-30\nf: .inf\ns: 190:20:30.15\n") == {
        "d": "2024-02-30", "f": ".inf", "s": "190:20:30.15"}


def test_amounts_are_bounded() -> None:
    for bad in ("99999999999999999999999999999", "1e30", 10**40, "NaN", 0.1):
        with pytest.raises(MoneyError):
            to_money(bad)
    assert str(to_money("999999999999999.99")) == "999999999999999.99"


def test_last_resort_handler_prints_an_error_id_and_logs_the_traceback(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cdppe.core.settings import get_settings
    from cdppe.store import contract_view

    monkeypatch.setenv("CDPPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CDPPE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    get_settings.cache_clear()

    def broken(*args: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(contract_view, "read_contract_summary", broken)
    try:
        result = CliRunner().invoke(app, ["contract", "show", "71-2024"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "Erreur inattendue (référence " in result.output and "Traceback" not in result.output
    error_id = result.output.split("référence ")[1].split(")")[0]
    logged = (tmp_path / "logs" / "cdppe-errors.log").read_text(encoding="utf-8")
    assert error_id in logged and "Traceback" in logged and "ZeroDivisionError: boom" in logged


def test_a_bad_legal_section_is_refused_in_french_field_by_field() -> None:
    data = minimal_contract()
    law = {"number": "LFI", "date": "2023-12-29", "title": "x"}
    data["legal"] = {"bodies": {"contrat": "assemblee"}, "credits": {"chapitre": "01 2"},
                     "civilites": {"ars": "Mr"}, "laws": [law]}
    with pytest.raises(RuleViolationError) as info:
        parse_contract(data)
    text = str(info.value)
    assert "legal.bodies.contrat : valeur inconnue (attendu : 'conseil_departemental' ou " \
           "'commission_permanente')" in text
    assert "legal.credits.chapitre : lettres et chiffres sans espace attendus (ex. 012, 74718)" in text
    assert "legal.civilites.ars : valeur inconnue (attendu : 'Monsieur' ou 'Madame')" in text
    assert "legal.laws[0].number : numéro de loi attendu (ex. 2023-1322)" in text
