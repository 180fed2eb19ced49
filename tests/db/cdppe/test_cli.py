"""The ``cdppe`` command as an operator uses it, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, func, select
from typer.testing import CliRunner, Result

from cdppe.cli import app as cli
from cdppe.cli.app import app
from cdppe.services.amendments import open_amendment
from models import Contract, Deliberation, Exercice, FindingReason, MoneyLine
from models.amendment_request import AmendmentRequest, EnvelopeChange
from models.enums import FundingSource
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


def _record(*args: str) -> Result:
    return runner.invoke(app, ["record", *args, "--answered-by", "Camille", "--no-resume"])


def test_an_operator_signs_with_a_finding_then_answers_the_avenant_steps_with_avenant(
        cli_db: str, session: Session, tmp_path: Path) -> None:
    data = minimal_contract()
    data["fiches"][0]["money"][1]["amount"] = "400.00"
    assert runner.invoke(app, ["contract", "import", str(_write(tmp_path, data))]).exit_code == 0
    assert _record("diagnostic", "71-2024", "--agreed-on", "2024-10-01").exit_code == 0
    assert _record("deliberation", "71-2024", "--convocation-date", "2024-11-08", "--session-date",
                   "2024-11-22", "--number", "205", "--vote", "à l'unanimité").exit_code == 0
    assert _record("deliberation", "71-2024", "--acknowledgement-date", "2024-11-29").exit_code == 0

    refused = _record("signature", "71-2024", "--role", "prefet", "--signatory-name", "Le Préfet",
                      "--signed-on", "2024-12-02")
    assert refused.exit_code == 2
    assert "findings_reason : le contrôle des règles signale objectif n°" in refused.stderr
    assert "--findings-reason" in refused.stderr and "Traceback" not in refused.output
    signed = _record("signature", "71-2024", "--role", "prefet", "--signatory-name", "Le Préfet",
                     "--signed-on", "2024-12-02", "--findings-reason", "Montée en charge en 2025")
    assert signed.exit_code == 0, signed.output
    assert "motif enregistré pour 1 constat(s)" in " ".join(signed.stdout.split())
    assert session.exec(select(FindingReason)).one().reason == "Montée en charge en 2025"
    for role, day in (("ars", "03"), ("departement", "04")):
        assert _record("signature", "71-2024", "--role", role, "--signatory-name", "X Y",
                       "--signed-on", f"2024-12-{day}").exit_code == 0

    contract = session.exec(select(Contract)).one()
    ex = session.exec(select(Exercice)).one()
    open_amendment(session, contract, ex, AmendmentRequest(
        contract="71-2024", year=2024, requested_by="Camille", reason="Crédits supplémentaires",
        envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="0")]), date(2025, 3, 1))
    session.commit()
    nothing = _record("deliberation", "71-2024", "--avenant", "2", "--session-date", "2025-03-20",
                      "--number", "31", "--vote", "à l'unanimité")
    assert nothing.exit_code == 2 and "l'avenant n° 2 n'existe pas pour 71-2024 2024" in nothing.stderr
    recorded = _record("deliberation", "71-2024", "--avenant", "1", "--convocation-date", "2025-03-06",
                       "--session-date", "2025-03-20", "--number", "31", "--vote", "à l'unanimité")
    assert recorded.exit_code == 0, recorded.output
    delib = session.exec(select(Deliberation).where(Deliberation.avenant_number == 1)).one()
    assert (delib.number, delib.session_date) == ("31", date(2025, 3, 20))
