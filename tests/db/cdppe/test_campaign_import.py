"""Publishing the year's instruction with ``cdppe campaign import``: the stored report due date,
the deadlines and ``contract show`` follow it at once; a bad file changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.core.settings import get_settings
from cdppe.domain.campaigns import budget_controller_signs, load_campaign
from models import Exercice
from models.enums import SignatoryRole
from tests.factories import minimal_contract

runner = CliRunner()

CAMPAIGN_2024 = {
    "year": 2024, "instruction": "instruction ministérielle du 14 août 2024",
    "instruction_date": "2024-08-14",
    "draft": {"date": "2024-10-31", "label": "Transmission du projet de contrat"},
    "signed_contract": {"date": "2024-12-15", "label": "Transmission du contrat signé"},
    "execution_report": {"date": "2025-06-30", "label": "Transmission du rapport d'exécution"},
    "carry_over_rule": "somme_par_fiche",
}


@pytest.fixture
def signed(cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 2024 contract signed on 4 December 2024, in its own data folder."""
    monkeypatch.setenv("CDPPE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    data = minimal_contract()
    data["exercices"][0]["milestones"] = {
        "council_session_date": "2024-11-22", "acknowledgement_date": "2024-11-29",
        "signatures": {"prefet": "2024-12-02", "ars": "2024-12-03", "departement": "2024-12-04"}}
    source = tmp_path / "contrat.yaml"
    source.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert runner.invoke(app, ["contract", "import", str(source)]).exit_code == 0
    yield tmp_path
    get_settings.cache_clear()


def write(path: Path, content: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def test_a_published_instruction_moves_the_stored_report_date_and_every_view(
        signed: Path, session: Session) -> None:
    ex = session.exec(select(Exercice)).one()
    assert ex.report_due_date == date(2025, 9, 30)  # the packaged, inferred 2024 calendar
    result = runner.invoke(app, ["campaign", "import", str(write(signed / "c.yaml", CAMPAIGN_2024)),
                                 "--by", "Bureau DGCS"])
    assert result.exit_code == 0, result.output
    assert "Campagne 2024 publiée : instruction ministérielle du 14 août 2024." in result.stdout
    assert ("71-2024 2024 : rapport dû le 30 juin 2025 (auparavant : 30 septembre 2025)"
            in " ".join(result.stdout.split()))
    session.expire_all()
    assert session.exec(select(Exercice)).one().report_due_date == date(2025, 6, 30)
    shown = json.loads(runner.invoke(app, ["contract", "show", "71-2024", "--json"]).stdout)
    assert shown["exercices"][0]["report_due_date"] == "2025-06-30"
    campaign = load_campaign(2024)
    assert campaign is not None and campaign.carry_over_rule.value == "somme_par_fiche"

    # a campaign date later than the contract rule does not govern: a year after the signature does
    later = dict(CAMPAIGN_2024, execution_report={"date": "2026-03-31", "label": "Rapport"})
    assert runner.invoke(app, ["campaign", "import", str(write(signed / "c.yaml", later))]).exit_code == 0
    session.expire_all()
    assert session.exec(select(Exercice)).one().report_due_date == date(2025, 12, 4)


def test_a_bad_instruction_is_refused_by_field_and_changes_nothing(signed: Path, session: Session) -> None:
    published = runner.invoke(app, ["campaign", "import", str(write(signed / "c.yaml", CAMPAIGN_2024))])
    assert published.exit_code == 0
    before = (signed / "data" / "campaigns" / "2024.yaml").read_bytes()
    for bad, expected in (
            (dict(CAMPAIGN_2024, execution_report={"date": "trente juin", "label": "Rapport"}),
             "execution_report.date : "),
            (dict(CAMPAIGN_2024, carry_over_rule="au_doigt_mouille"), "carry_over_rule : "),
            (dict(CAMPAIGN_2024, signed_contract={"date": "2024-10-01", "label": "Contrat signé"}),
             "draft.date : le projet ne peut être attendu après le contrat signé")):
        result = runner.invoke(app, ["campaign", "import", str(write(signed / "bad.yaml", bad))])
        assert result.exit_code == 2 and expected in result.stderr, result.output
        assert "rien n'a été publié" in result.stderr and "Traceback" not in result.output
    assert (signed / "data" / "campaigns" / "2024.yaml").read_bytes() == before
    session.expire_all()
    assert session.exec(select(Exercice)).one().report_due_date == date(2025, 6, 30)


def test_the_budget_controller_signs_above_the_campaign_threshold(
        cli_db: str, tmp_path: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDPPE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        with_threshold = dict(CAMPAIGN_2024, budget_controller_threshold="6500.00")
        assert runner.invoke(app, ["campaign", "import", str(write(tmp_path / "c.yaml", with_threshold))]
                             ).exit_code == 0
        source = write(tmp_path / "contrat.yaml", minimal_contract())  # State total 6 500 €: reached
        assert runner.invoke(app, ["contract", "import", str(source)]).exit_code == 0
        ex = session.exec(select(Exercice)).one()
        assert ex.state_total == Decimal("6500.00")
        assert SignatoryRole.BUDGET_CONTROLLER in ex.expected_signatories
        assert not budget_controller_signs(2024, Decimal("6499.99"))
        assert not budget_controller_signs(2019, Decimal("10000000.00"))  # no campaign: no threshold
    finally:
        get_settings.cache_clear()
