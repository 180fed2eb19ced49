"""Termination (dénonciation): any party may end the contract by registered letter no later than
31 December of a year (article 6). The exercice keeps its report due: the Département still owes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from cdppe.core.dates import format_date_fr
from cdppe.domain.calendar_rules import termination_deadline
from cdppe.services.reminders.sync import sync_deadlines
from cdppe.store.audit import record_event
from cdppe.store.contracts import find_contract, find_exercice
from cdppe.store.workflow import lock_exercice
from models.enums import SignatoryRole


class TerminationRefusedError(ValueError):
    """Refused; the message is French and names the field."""


@dataclass(frozen=True)
class Termination:
    contract_key: str
    year: int
    party: SignatoryRole
    letter_date: date
    report_due_date: date | None


def terminate(session: Session, contract_ref: str, year: int, party: SignatoryRole, letter_date: date,
              actor: str, as_of: date) -> Termination:
    """Record the letter of ``party`` dated ``letter_date`` ending the contract after exercice ``year``."""
    contract = find_contract(session, contract_ref)
    exercice = find_exercice(session, contract, year)
    assert exercice.id is not None
    lock_exercice(session, exercice.id)
    if party is SignatoryRole.BUDGET_CONTROLLER:
        raise TerminationRefusedError("--party : seuls le Préfet, l'ARS ou le Département peuvent dénoncer "
                                      "le contrat")
    if exercice.terminated_on is not None:
        raise TerminationRefusedError(f"le contrat {contract.key} est déjà dénoncé pour {year} (lettre du "
                                      f"{format_date_fr(exercice.terminated_on)})")
    if letter_date > termination_deadline(year):
        raise TerminationRefusedError(
            f"--on : lettre du {format_date_fr(letter_date)}, après le 31 décembre {year} : la dénonciation "
            f"vaut pour l'exercice suivant (article 6)")
    if letter_date > as_of:
        raise TerminationRefusedError(f"--on : date dans le futur ({format_date_fr(letter_date)})")
    if exercice.effective_date is not None and letter_date < exercice.effective_date:
        raise TerminationRefusedError(f"--on : lettre du {format_date_fr(letter_date)}, avant la prise "
                                      f"d'effet du contrat le {format_date_fr(exercice.effective_date)}")
    exercice.terminated_on = letter_date
    session.add(exercice)
    record_event(session, "contract.terminated", {"year": year, "party": party.value,
                                                  "letter_date": letter_date.isoformat()},
                 contract_id=contract.id, exercice_id=exercice.id, actor=actor)
    sync_deadlines(session, exercice.id, as_of)
    return Termination(contract.key, year, party, letter_date, exercice.report_due_date)
