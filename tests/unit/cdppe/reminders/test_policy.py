"""The pure reminder rules: campaign vs contract, slots, working days, escalation, recipients."""

from __future__ import annotations

from datetime import date

from cdppe.domain.calendar_rules import is_working_day
from cdppe.domain.campaigns import available_campaign_years, load_campaign
from cdppe.domain.deadlines import ExerciceSnapshot, compute_deadlines
from cdppe.domain.reminder_policy import (
    DeadlineInfo,
    Member,
    Recipient,
    ReminderPolicy,
    current_escalation,
    current_reminder,
    plan_reminders,
    recipients_for,
    reminder_slots,
)
from models.enums import SignatoryRole

POLICY = ReminderPolicy((60, 30, 14, 7, 1, 0), {"termination": (30, 7)}, 7)
MEMBERS = (
    Member("prefet", "Préfet", "prefet@example.org", True),
    Member("prefet", "Bureau DDETS", "ddets@example.org", False),
    Member("ars", "DG ARS", "dg@ars.example.org", True),
    Member("departement", "Président", "president@cd.example.org", True),
    Member("departement", "Cheffe PMI", "pmi@cd.example.org", False),
    Member("departement", "Chef ASE", "ase@cd.example.org", False),
)


def info(kind: str, due: date, role: str = "departement") -> DeadlineInfo:
    return DeadlineInfo(f"71-2024:2024:{kind}", kind, kind, due, due, "règle", "contrat", role,
                        "71-2024", "71", 2024, 1, 1)


def test_campaign_files_load_for_2024_to_2026() -> None:
    assert available_campaign_years() == [2024, 2025, 2026]
    c2024 = load_campaign(2024)
    assert c2024 is not None and c2024.instruction_date == date(2024, 8, 14)
    assert c2024.draft is not None and c2024.draft.day == date(2024, 10, 31)
    assert c2024.signed_contract is not None and c2024.signed_contract.day == date(2024, 12, 15)
    assert c2024.execution_report is not None and c2024.execution_report.inferred
    assert load_campaign(2019) is None


def test_earlier_of_campaign_and_contract_governs_and_says_so() -> None:
    late = ExerciceSnapshot("71-2024", "71", 2024, planned_signature=date(2024, 12, 20))
    sig = next(d for d in compute_deadlines(late) if d.kind == "signature:prefet")
    assert sig.source == "campagne" and sig.when.legal == date(2024, 12, 15)
    assert sig.due_date == date(2024, 12, 16)  # Sunday 15: next working day
    assert "Règle appliquée : date de la campagne nationale" in sig.rule_text
    assert "20 décembre 2024" in sig.rule_text  # the contract rule it overrides is named
    early = ExerciceSnapshot("71-2024", "71", 2024, planned_signature=date(2024, 12, 5))
    sig = next(d for d in compute_deadlines(early) if d.kind == "signature:prefet")
    assert sig.source == "contrat" and sig.due_date == date(2024, 12, 5)
    assert "Règle appliquée : règle du contrat" in sig.rule_text
    alone = {d.kind for d in compute_deadlines(early, None)}
    assert "campaign_draft" not in alone


def test_report_campaign_date_and_odpe_before_it() -> None:
    signed = {r: date(2024, 12, 10) for r in (SignatoryRole.PREFET, SignatoryRole.ARS,
                                               SignatoryRole.DEPARTEMENT)}
    snap = ExerciceSnapshot("71-2024", "71", 2024, deliberation_session=date(2024, 11, 22),
                            signed=signed)
    by_kind = {d.kind: d for d in compute_deadlines(snap)}
    assert by_kind["report"].due_date == date(2025, 9, 30)
    assert by_kind["report"].source == "campagne"
    assert by_kind["odpe"].due_date == date(2025, 8, 29)  # 31 Aug is a Sunday: earlier
    assert "signature:prefet" not in by_kind and "campaign_draft" not in by_kind
    # Without the campaign: one year after the last signature.
    assert {d.kind: d for d in compute_deadlines(snap, None)}["report"].due_date == date(2025, 12, 10)


def test_slots_fall_on_the_previous_working_day() -> None:
    slots = reminder_slots(info("signature:prefet", date(2024, 12, 16), "prefet"), POLICY)
    assert [d for d, _ in slots] == [date(2024, 10, 17), date(2024, 11, 15), date(2024, 12, 2),
                                     date(2024, 12, 9), date(2024, 12, 13), date(2024, 12, 16)]
    assert all(is_working_day(d, "71") for d, _ in slots)
    # 11 November (holiday) and 10 November (Sunday) both move back.
    slots = reminder_slots(info("convocation", date(2024, 11, 12)), POLICY)
    assert (date(2024, 11, 8), 1) in slots


def test_only_the_current_slot_is_due_and_escalation_every_seven_days() -> None:
    dl = info("deliberation", date(2024, 11, 21))
    assert current_reminder(dl, POLICY, date(2024, 9, 1)) is None
    assert current_reminder(dl, POLICY, date(2024, 10, 25)) == (date(2024, 10, 22), 30)
    assert current_reminder(dl, POLICY, date(2024, 11, 21)) == (date(2024, 11, 21), 0)
    assert current_reminder(dl, POLICY, date(2024, 11, 22)) is None
    assert current_escalation(dl, POLICY, date(2024, 11, 27)) is None
    assert current_escalation(dl, POLICY, date(2024, 11, 28)) == (date(2024, 11, 28), 1)
    assert current_escalation(dl, POLICY, date(2024, 12, 4)) == (date(2024, 11, 28), 1)
    assert current_escalation(dl, POLICY, date(2024, 12, 5)) == (date(2024, 12, 5), 2)
    assert current_escalation(info("termination", date(2024, 12, 31)), POLICY,
                              date(2025, 1, 31)) is None


def test_recipients() -> None:
    def emails(dl: DeadlineInfo) -> list[str]:
        return [r.email for r in recipients_for(dl, MEMBERS)]

    assert emails(info("report", date(2025, 9, 30))) == ["pmi@cd.example.org", "ase@cd.example.org"]
    assert emails(info("signature:prefet", date(2024, 12, 16), "prefet")) == [
        "prefet@example.org", "ddets@example.org"]
    assert emails(info("signature:departement", date(2024, 12, 16), "departement")) == [
        "president@cd.example.org", "pmi@cd.example.org", "ase@cd.example.org"]
    assert emails(info("payment:FIR", date(2025, 2, 10), "ars")) == ["dg@ars.example.org"]
    assert emails(info("payment:BOP304", date(2025, 2, 10), "prefet")) == ["ddets@example.org"]
    assert set(emails(info("termination", date(2024, 12, 31), "all"))) == {
        "ddets@example.org", "dg@ars.example.org", "pmi@cd.example.org", "ase@cd.example.org"}


def test_plan_keys_are_unique_per_deadline_slot_recipient() -> None:
    coordinator = Recipient("Coordination", "coord@example.org", "coordinator")
    deadlines = [info("signature:prefet", date(2024, 12, 16), "prefet"),
                 info("deliberation", date(2024, 11, 21))]
    plan = plan_reminders(deadlines, lambda d: recipients_for(d, MEMBERS), lambda d: coordinator,
                          POLICY, date(2024, 12, 2))
    keys = [p.key for p in plan]
    assert len(keys) == len(set(keys)) == 3  # two préfecture recipients + one escalation
    assert {p.kind for p in plan} == {"reminder", "escalation"}
    assert all(p.key.startswith("71-2024:2024:") for p in plan)
