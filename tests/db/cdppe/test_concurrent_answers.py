"""Finding 7 of issue 17: two answers to the same step at once, on SQLite and PostgreSQL.

The loser gets the same French refusal as a second answer given afterwards, and no update
is lost: the database keeps the winner's answer and the audit trail has one entry.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from cdppe.cli.recording import record_fields
from cdppe.services import answers as answer_handlers
from cdppe.services.lifecycle import AnswerRefusedError
from models import AuditEvent, Deliberation, Signature
from models.enums import Phase
from tests.db.cdppe.test_lifecycle import WHO, setup
from tests.db.cdppe.test_lifecycle import deliberate as deliberated

ACK = {"answered_by": WHO}


def _race(monkeypatch: pytest.MonkeyPatch, answers: list[dict[str, Any]], phase: Phase) -> list[str]:
    """Record ``answers`` in threads that are all inside their transaction at the same time."""
    original = answer_handlers.not_future

    def slow(day: date, as_of: date, label: str) -> None:
        time.sleep(0.4)  # the winner holds its transaction open while the others arrive
        original(day, as_of, label)

    monkeypatch.setattr(answer_handlers, "not_future", slow)
    barrier = threading.Barrier(len(answers))
    outcomes: list[str] = []

    def answer(fields: dict[str, Any]) -> None:
        barrier.wait()
        try:
            summary = record_fields("71-2024", 2024, phase, dict(fields))[0]
            outcomes.append(f"Enregistré : {summary}")
        except AnswerRefusedError as exc:
            outcomes.append(f"Refusé : {exc}")
        except Exception as exc:  # noqa: BLE001 - asserted below: no other outcome
            outcomes.append(f"ERREUR {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=answer, args=(a,)) for a in answers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _sequential_refusal(phase: Phase, fields: dict[str, Any]) -> str:
    with pytest.raises(AnswerRefusedError) as info:
        record_fields("71-2024", 2024, phase, dict(fields))
    return f"Refusé : {info.value}"


def test_two_acknowledgements_at_once_one_recorded_no_lost_update(
        cli_db: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, ex = setup(session)
    deliberated(session, contract, ex)  # records an acknowledgement: undo it to race on it
    delib = session.exec(select(Deliberation)).one()
    delib.acknowledgement_date = None
    session.add(delib)
    session.commit()
    first = {**ACK, "acknowledgement_date": "2024-11-29"}
    second = {**ACK, "acknowledgement_date": "2024-11-30"}

    outcomes = _race(monkeypatch, [first, second], Phase.DELIBERATION)

    recorded = [o for o in outcomes if o.startswith("Enregistré")]
    refused = [o for o in outcomes if o.startswith("Refusé")]
    assert len(recorded) == 1 and len(refused) == 1, outcomes
    assert refused[0] == _sequential_refusal(Phase.DELIBERATION, first)
    session.expire_all()
    kept = session.exec(select(Deliberation)).one().acknowledgement_date
    assert kept is not None
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "answer.acknowledgement")
                          .order_by(col(AuditEvent.id))).all()  # PostgreSQL reuses freed space: no order else
    assert len(events) == 2  # the setup's and the winner's: the loser left no trace
    assert events[-1].detail["answer"]["acknowledgement_date"] == kept.isoformat()


def test_two_signatures_of_the_same_role_at_once(
        cli_db: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    contract, ex = setup(session)
    deliberated(session, contract, ex)
    session.commit()
    fields = {"role": "prefet", "signatory_name": "Yves Seguy", "signed_on": "2024-12-02", **ACK}

    outcomes = _race(monkeypatch, [fields, fields], Phase.SIGNATURE)

    assert sorted(o.split(" :")[0] for o in outcomes) == ["Enregistré", "Refusé"], outcomes
    refused = next(o for o in outcomes if o.startswith("Refusé"))
    assert refused == _sequential_refusal(Phase.SIGNATURE, fields)
    session.expire_all()
    assert len(session.exec(select(Signature)).all()) == 1
