"""Termination by one party (article 6) through ``cdppe contract terminate``: recorded with who and
when, the report still owed, refused after 31 December; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.services.reminders.sync import sync_deadlines
from models import AuditEvent, Deadline, Exercice
from models.enums import DeadlineStatus, SignatoryRole
from tests.db.cdppe.test_lifecycle import deliberate
from tests.db.cdppe.test_policy_findings import short_contract, sign

runner = CliRunner()


def signed_contract(session: Session) -> Exercice:
    contract, ex, _ = short_contract(session, departement_amount="1000.00")
    deliberate(session, contract, ex)
    for day, role in enumerate((SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT)):
        sign(session, contract, ex, role, 2 + day)
    assert ex.id is not None
    sync_deadlines(session, ex.id, date(2024, 12, 10))
    session.commit()
    return ex


def kinds(session: Session) -> set[str]:
    """The deadlines still open (a deadline no longer owed is closed, not deleted)."""
    session.expire_all()
    return {d.kind for d in session.exec(select(Deadline).where(Deadline.status == DeadlineStatus.OPEN))}


def terminate(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["contract", "terminate", "71-2024", *args])
    return result.exit_code, " ".join((result.stdout + result.stderr).split())


def test_a_party_terminates_and_the_report_is_still_owed(cli_db: str, session: Session) -> None:
    ex = signed_contract(session)
    assert {"termination", "report"} <= kinds(session)
    code, out = terminate("2024", "--party", "ars", "--on", "2024-12-20", "--by", "Juriste ARS")
    assert code == 0, out
    assert ("Contrat 71-2024 dénoncé par le Directeur général de l'ARS (lettre du 20 décembre 2024), "
            "fin après l'exercice 2024 ; le rapport d'exécution reste dû le 30 septembre 2025.") in out
    session.expire_all()
    assert session.get(Exercice, ex.id).terminated_on == date(2024, 12, 20)  # type: ignore[union-attr]
    remaining = kinds(session)
    assert "termination" not in remaining and "report" in remaining
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "contract.terminated")).one()
    assert (event.actor, event.detail["party"]) == ("Juriste ARS", "ars")

    code, out = terminate("2024", "--party", "prefet", "--on", "2024-12-21")
    assert code == 2 and "déjà dénoncé pour 2024 (lettre du 20 décembre 2024)" in out


def test_a_late_or_malformed_termination_is_refused_and_nothing_changes(cli_db: str,
                                                                         session: Session) -> None:
    ex = signed_contract(session)
    for args, expected in (
            (("--party", "ars", "--on", "2025-01-02"),
             "--on : lettre du 2 janvier 2025, après le 31 décembre 2024"),
            (("--party", "budget_controller", "--on", "2024-12-20"), "--party : seuls le Préfet"),
            (("--party", "maire", "--on", "2024-12-20"), "--party : 'maire' inconnu"),
            (("--party", "ars", "--on", "20/12/2024"), "--on : date '20/12/2024' illisible"),
            (("--party", "ars", "--on", "2024-11-01"),
             "avant la prise d'effet du contrat le 4 décembre 2024")):
        code, out = terminate("2024", *args)
        assert code == 2 and expected in out and "Traceback" not in out, (args, out)
    session.expire_all()
    assert session.get(Exercice, ex.id).terminated_on is None  # type: ignore[union-attr]
