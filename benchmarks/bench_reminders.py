"""Benchmark of the reminders: planning for 101 Départements x 3 exercices, and sending.

Run:  .venv/bin/python benchmarks/bench_reminders.py [--emails 1000] [--days 365]

1. Reminders computed per second: synthetic snapshots of 101 Départements x 3
   exercices (2024-2026) in varied states; for every day of a year, compute
   their deadlines (contract rules + campaign) and plan the reminders due that
   day (pure functions, no database).
2. E-mails sent per second to the local sink: N outbox rows in a temporary
   SQLite database, drained with aiosmtplib over one connection to the
   aiosmtpd sink on loopback, which writes one .eml file per message.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdppe.domain.deadlines import ExerciceSnapshot, compute_deadlines  # noqa: E402
from cdppe.domain.reminder_policy import (  # noqa: E402
    DeadlineInfo,
    Member,
    Recipient,
    ReminderPolicy,
    plan_reminders,
    recipients_for,
)
from models.enums import FundingSource, SignatoryRole  # noqa: E402

CODES = ([f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
         + ["971", "972", "973", "974", "976"])
YEARS = (2024, 2025, 2026)
ROLES = (SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT)


def synthetic_snapshots(seed: int = 7) -> list[ExerciceSnapshot]:
    """One snapshot per Département and exercice, in a random stage of the cycle."""
    rng = random.Random(seed)
    out = []
    for code in CODES:
        for year in YEARS:
            council = date(year, 11, 1) + timedelta(days=rng.randint(0, 40))
            planned = council + timedelta(days=rng.randint(7, 30))
            stage = rng.randint(0, 4)
            kw: dict[str, object] = {"planned_council_session": council,
                                     "planned_signature": planned}
            if stage >= 1:
                kw["deliberation_session"] = council
            if stage >= 2:
                signers = ROLES if stage >= 3 else ROLES[: rng.randint(1, 2)]
                kw["signed"] = {r: planned + timedelta(days=rng.randint(-5, 10)) for r in signers}
            if stage >= 4:
                kw["payments_received"] = {FundingSource.BOP304: planned + timedelta(days=45)}
            out.append(ExerciceSnapshot(f"{code}-{year}", code, year, **kw))  # type: ignore[arg-type]
    assert len(CODES) == 101
    return out


MEMBERS = (
    Member("prefet", "Préfet", "prefet@example.gouv.fr", True),
    Member("prefet", "DDETS", "ddets@example.gouv.fr", False),
    Member("ars", "DG ARS", "dg@ars.example.fr", True),
    Member("ars", "DD ARS", "dd@ars.example.fr", False),
    Member("departement", "Président", "president@cd.example.fr", True),
    Member("departement", "DEF", "def@cd.example.fr", False),
    Member("departement", "PMI", "pmi@cd.example.fr", False),
)
COORD = Recipient("Coordination", "coordination@example.gouv.fr", "coordinator")


def bench_planning(days: int) -> None:
    snaps = synthetic_snapshots()
    policy = ReminderPolicy()
    start = date(2024, 9, 1)
    evaluations = planned = deadlines = 0
    t0 = time.perf_counter()
    for offset in range(days):
        as_of = start + timedelta(days=offset)
        for snap in snaps:
            infos = [DeadlineInfo.from_spec(s, snap.contract_key, snap.departement_code,
                                            snap.year) for s in compute_deadlines(snap)]
            deadlines += len(infos)
            planned += len(plan_reminders(infos, lambda d: recipients_for(d, MEMBERS),
                                          lambda d: COORD, policy, as_of))
            evaluations += 1
    elapsed = time.perf_counter() - t0
    print(f"Planning: {len(snaps)} exercices (101 Départements x 3) x {days} days "
          f"= {evaluations} snapshot evaluations in {elapsed:.2f} s")
    print(f"  {evaluations / elapsed:,.0f} snapshots/s, {deadlines / elapsed:,.0f} deadlines "
          f"computed/s, {planned:,} reminders due over the year; "
          f"i.e. one daily sweep of all 303 exercices in {elapsed / days * 1000:.0f} ms")
    print(f"  reminders computed per second: {planned / elapsed:,.0f} "
          f"(due e-mails planned / wall time)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_sending(n: int) -> None:
    from sqlmodel import Session, select

    from cdppe.core.settings import Settings
    from cdppe.domain.reminder_policy import PlannedReminder
    from cdppe.ops.mail_sink import start_sink
    from cdppe.present.reminder_emails import (
        CalendarEvent,
        DigestLine,
        ReceiverRole,
        new_message_id,
        render_digest,
    )
    from cdppe.services.contract_io import read_contract_file
    from cdppe.services.importer import import_contract
    from cdppe.services.reminders.sender import drain_outbox
    from cdppe.store.db import engine_for, upgrade
    from models import Contract, OutboxEmail

    tmp = Path(tempfile.mkdtemp(prefix="cdppe-bench-"))
    engine = engine_for(f"sqlite:///{tmp / 'bench.sqlite'}")
    upgrade(engine)
    example = Path(__file__).resolve().parent.parent / "examples" / "saone-et-loire-2024.yaml"
    with Session(engine) as session:
        import_contract(session, read_contract_file(example), "bench")
        session.commit()
        contract = session.exec(select(Contract)).one()
        port = free_port()
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, data_dir=tmp,
                            mail_from="CDPPE <cdppe@example.gouv.fr>")
        snap = ExerciceSnapshot("71-2024", "71", 2024, planned_signature=date(2024, 12, 15))
        spec = next(s for s in compute_deadlines(snap) if s.kind == "signature:prefet")
        info = DeadlineInfo.from_spec(spec, "71-2024", "71", 2024, contract.id)
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        for i in range(n):
            planned = PlannedReminder(info, "reminder", "J-7", 7, date(2024, 12, 9),
                                      Recipient("DDETS", f"agent{i}@example.gouv.fr", "prefet"))
            link = "http://127.0.0.1:4200/runs"
            r = render_digest(recipient_name=planned.recipient.name,
                              lines=[DigestLine(planned, contract.title, link, "le Préfet")],
                              roles=[ReceiverRole("71-2024", contract.title, "contact pour la préfecture",
                                                  COORD)],
                              as_of=date(2024, 12, 9), pause_url=None, feed_url=None,
                              publish=[CalendarEvent(info, 0, link)], cancel=[],
                              mail_from=settings.mail_from, dtstamp=now)
            session.add(OutboxEmail(key=f"bench-{i}", contract_id=contract.id,
                                    recipient=planned.recipient.email, subject=r.subject,
                                    body_text=r.text, body_html=r.html, ics=r.ics,
                                    message_id=new_message_id(settings.mail_from)))
        session.commit()
        render_s = time.perf_counter() - t0
    controller = start_sink(tmp / "mail", "127.0.0.1", port)
    try:
        t0 = time.perf_counter()
        result = asyncio.run(drain_outbox(engine, settings=settings))
        elapsed = time.perf_counter() - t0
    finally:
        controller.stop()
    files = len(list((tmp / "mail").glob("*.eml")))
    print(f"Sending: {n} e-mails rendered and queued in {render_s:.2f} s "
          f"({n / render_s:,.0f}/s)")
    print(f"  drained in {elapsed:.2f} s over one SMTP connection to the local sink: "
          f"{result.sent / elapsed:,.0f} e-mails sent/s ({result.sent} sent, "
          f"{result.deferred} deferred, {result.failed} failed; {files} .eml files written)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--emails", type=int, default=1000)
    args = parser.parse_args()
    bench_planning(args.days)
    bench_sending(args.emails)


if __name__ == "__main__":
    main()
