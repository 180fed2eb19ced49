"""What ``cdppe contract show`` prints, read with SQLAlchemy Core (no ORM, no SQLModel class).

The command must start fast (issue 18): building the SQLModel table classes takes longer than
the whole read, so this module declares the columns it reads on Core tables of its own
``MetaData``; ``tests/unit/cdppe/test_contract_view.py`` checks each of them against the
SQLModel table of the same name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Date, Integer, MetaData, Row, String, Table, select
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.engine import Connection, Engine

from cdppe.core.money import ZERO, money_str
from cdppe.domain.fiche_numbers import parse_fiche_number
from cdppe.store.engine import get_engine
from models.enums import FundingSource, Payer
from models.envelope import Envelope
from models.types import MoneyType

ENVELOPE_COLUMNS = ("bop304", "fir", "ondam", "bop304_third_parties", "fir_third_parties")

_META = MetaData()
CONTRACT = Table(
    "contract", _META,
    Column("id", Integer, primary_key=True), Column("key", String), Column("title", String),
    Column("departement_code", String), Column("generation", String),
    Column("coordinator_email", String),
)
EXERCICE = Table(
    "exercice", _META,
    Column("id", Integer, primary_key=True), Column("contract_id", Integer), Column("year", Integer),
    *(Column(name, MoneyType) for name in ENVELOPE_COLUMNS),
    Column("effective_date", Date), Column("report_due_date", Date),
)
FICHE_ACTION = Table(
    "fiche_action", _META,
    Column("id", Integer, primary_key=True), Column("contract_id", Integer),
    Column("number", String), Column("title", String), Column("objective_numbers", JSON),
)
MONEY_LINE = Table(
    "money_line", _META,
    Column("id", Integer, primary_key=True), Column("fiche_id", Integer),
    Column("exercice_id", Integer), Column("payer", SqlEnum(Payer)),
    Column("source", SqlEnum(FundingSource)), Column("amount", MoneyType),
)


class ContractNotFoundError(LookupError):
    pass


def contract_not_found(ref: str, known: Sequence[str]) -> ContractNotFoundError:
    """The error of an unknown contract reference, naming the known keys."""
    return ContractNotFoundError(
        f"contrat {ref!r} introuvable (contrats connus : {', '.join(known) or 'aucun'})")


def contract_row(conn: Connection, *, ref: str) -> Row[Any]:
    """By numeric id or by key (``71-2024``), as ``cdppe.store.contracts.find_contract``."""
    row = None
    if ref.isdigit():
        row = conn.execute(select(CONTRACT).where(CONTRACT.c.id == int(ref))).first()
    if row is None:
        row = conn.execute(select(CONTRACT).where(CONTRACT.c.key == ref)).first()
    if row is None:
        raise contract_not_found(ref, conn.execute(select(CONTRACT.c.key)).scalars().all())
    return row


def _money_per_fiche(lines: Iterable[Row[Any]]) -> dict[tuple[int, int], dict[str, Decimal]]:
    """Each (fiche, exercice)'s planned money by payer, the State's by source (``etat_FIR``)."""
    per_fiche: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(lambda: ZERO))
    for line in lines:
        bucket = per_fiche[(line.fiche_id, line.exercice_id)]
        if line.payer is Payer.ETAT:
            bucket[f"etat_{line.source.value if line.source else 'NONE'}"] += line.amount
        else:
            bucket[line.payer.value] += line.amount
    return per_fiche


def _exercice_summary(ex: Row[Any]) -> dict[str, Any]:
    envelope = Envelope(*(getattr(ex, name) for name in ENVELOPE_COLUMNS))
    return {
        "year": ex.year,
        "state_total": money_str(envelope.state_total),
        "bop304": money_str(ex.bop304),
        "fir": money_str(ex.fir),
        "ondam": money_str(ex.ondam),
        "departement_share": money_str(envelope.departement_share),
        "effective_date": ex.effective_date.isoformat() if ex.effective_date else None,
        "report_due_date": ex.report_due_date.isoformat() if ex.report_due_date else None,
    }


def contract_summary(conn: Connection, *, ref: str) -> dict[str, Any]:
    """Everything ``cdppe contract show`` prints; money as strings like ``"1692424.00"``."""
    contract = contract_row(conn, ref=ref)
    fiches = conn.execute(select(FICHE_ACTION).where(FICHE_ACTION.c.contract_id == contract.id)).all()
    fiches = sorted(fiches, key=lambda f: parse_fiche_number(f.number))
    exercices = conn.execute(select(EXERCICE).where(EXERCICE.c.contract_id == contract.id)
                             .order_by(EXERCICE.c.year)).all()
    per_fiche = _money_per_fiche(conn.execute(
        select(MONEY_LINE).where(MONEY_LINE.c.fiche_id.in_([f.id for f in fiches]))))
    return {
        "id": contract.id,
        "key": contract.key,
        "title": contract.title,
        "departement": contract.departement_code,
        "generation": contract.generation,
        "coordinator": contract.coordinator_email,
        "exercices": [_exercice_summary(ex) for ex in exercices],
        "fiches": [
            {
                "number": f.number,
                "title": f.title,
                "objectives": f.objective_numbers,
                "money": {
                    str(ex.year): {k: money_str(v) for k, v in sorted(per_fiche[(f.id, ex.id)].items())}
                    for ex in exercices
                    if (f.id, ex.id) in per_fiche
                },
            }
            for f in fiches
        ],
    }


def read_contract_summary(ref: str, engine: Engine | None = None) -> dict[str, Any]:
    """``contract_summary`` in a connection of its own (``ContractNotFoundError`` if unknown)."""
    with (engine or get_engine()).connect() as conn:
        return contract_summary(conn, ref=ref)
