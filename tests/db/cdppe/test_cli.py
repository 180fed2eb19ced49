"""The ``cdppe`` command as an operator uses it, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from cdppe.cli import app as cli
from cdppe.cli.app import app
from models import Contract, MoneyLine
from tests.conftest import EXAMPLES
from tests.factories import minimal_contract

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are checked as a person reads them on a wide terminal (no wrapped cells)."""
    monkeypatch.setattr(cli.console, "width", 250)
SAONE = EXAMPLES / "saone-et-loire-2024.yaml"
CREUSE = EXAMPLES / "creuse-2025-2027.yaml"


def test_show_saone_et_loire_figures(cli_db: str) -> None:
    assert runner.invoke(app, ["contract", "import", str(SAONE)]).exit_code == 0
    result = runner.invoke(app, ["contract", "show", "71-2024", "--json"])
    assert result.exit_code == 0, result.output
    ex = json.loads(result.stdout)["exercices"][0]
    assert ex["state_total"] == "1692424.00"
    assert ex["bop304"] == "843728.00"
    assert ex["fir"] == "370395.00"
    assert ex["ondam"] == "478301.00"
    assert ex["departement_share"] == "1214123.00"
    human = runner.invoke(app, ["contract", "show", "71-2024"])
    assert "1\u202f692\u202f424\u00a0€" in human.stdout


def test_reimport_is_idempotent(cli_db: str, session: Session) -> None:
    for _ in range(2):
        result = runner.invoke(app, ["contract", "import", str(CREUSE)])
        assert result.exit_code == 0, result.output
    assert "inchangé" in result.stdout
    assert session.exec(select(func.count()).select_from(Contract)).one() == 1


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "contrat.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_invalid_file_refused_and_nothing_written(cli_db: str, session: Session, tmp_path: Path) -> None:
    data = minimal_contract()
    data["exercices"][0]["envelope"]["fir"] = "1.00"  # FIR lines do not add up
    data["exercices"][0]["milestones"] = {  # deliberation after signature
        "council_session_date": "2024-12-20", "signatures": {"ars": "2024-12-01"}}
    path = _write(tmp_path, data)
    for command in ("validate", "import"):
        result = runner.invoke(app, ["contract", command, str(path)])
        assert result.exit_code == 2
        out = result.stderr
        assert "exercices[0] (2024).envelope.fir" in out
        assert "milestones.signatures.ars" in out
    assert session.exec(select(func.count()).select_from(Contract)).one() == 0
    assert session.exec(select(func.count()).select_from(MoneyLine)).one() == 0


def test_deadlines_lists_rules(cli_db: str) -> None:
    runner.invoke(app, ["contract", "import", str(SAONE)])
    result = runner.invoke(app, ["deadlines", "71-2024", "--as-of", "2024-10-01"])
    assert result.exit_code == 0, result.output
    assert "L3121-19" in result.stdout
    assert "Signature du contrat" in result.stdout


def test_validate_accepts_a_cofinancing_shortfall_and_shows_it_as_a_finding(tmp_path: Path) -> None:
    data = minimal_contract()
    data["fiches"][0]["money"][1]["amount"] = "400.00"
    result = runner.invoke(app, ["contract", "validate", str(_write(tmp_path, data))])
    assert result.exit_code == 0, result.output
    objective = data["fiches"][0]["objectives"][0]
    assert "contrat 71-2024 valide" in result.stdout
    assert "1 constat(s) des règles de cofinancement et de maintien de l'effort" in result.stdout
    assert f"objectif n° {objective} (2024) : le Département apporte moins que l'État" in result.stdout
    assert "trouvé : 400\u00a0€" in result.stdout
