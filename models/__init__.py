"""The tables, by name: ``from models import Contract``.

The table modules load on the first use of one of their names (PEP 562), so ``models.enums``
or ``models.answers`` alone never pull SQLModel and every table: the ``cdppe`` command starts
without them. ``load_all()`` registers every table on ``SQLModel.metadata`` (the database
engine and the migrations call it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.contract import (
        Contract,
        ContractPublic,
        Departement,
        Exercice,
        FicheAction,
        FicheExecution,
        Indicator,
        IndicatorValue,
        MoneyLine,
        Objective,
        PartyMember,
    )
    from models.notifications import CalendarDelivery, CalendarFeed, ContactPreference, ReminderItem
    from models.records import AuditEvent, GeneratedDocument, OutboxEmail
    from models.workflow import (
        Amendment,
        AmendmentLine,
        AmendmentTransfer,
        Deadline,
        DeadlineSync,
        Deliberation,
        ExecutionReport,
        FindingReason,
        OdpePresentation,
        OdpeReview,
        Payment,
        PhaseState,
        Signature,
    )

_MODULE_OF: dict[str, str] = {
    "Amendment": "models.workflow",
    "AmendmentLine": "models.workflow",
    "AmendmentTransfer": "models.workflow",
    "AuditEvent": "models.records",
    "CalendarDelivery": "models.notifications",
    "CalendarFeed": "models.notifications",
    "ContactPreference": "models.notifications",
    "Contract": "models.contract",
    "ContractPublic": "models.contract",
    "Deadline": "models.workflow",
    "DeadlineSync": "models.workflow",
    "Deliberation": "models.workflow",
    "Departement": "models.contract",
    "ExecutionReport": "models.workflow",
    "Exercice": "models.contract",
    "FicheAction": "models.contract",
    "FindingReason": "models.workflow",
    "FicheExecution": "models.contract",
    "GeneratedDocument": "models.records",
    "Indicator": "models.contract",
    "IndicatorValue": "models.contract",
    "MoneyLine": "models.contract",
    "Objective": "models.contract",
    "OdpePresentation": "models.workflow",
    "OdpeReview": "models.workflow",
    "OutboxEmail": "models.records",
    "PartyMember": "models.contract",
    "Payment": "models.workflow",
    "PhaseState": "models.workflow",
    "ReminderItem": "models.notifications",
    "Signature": "models.workflow",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def load_all() -> None:
    """Import every table module, so that ``SQLModel.metadata`` holds every table."""
    for module in sorted(set(_MODULE_OF.values())):
        importlib.import_module(module)


__all__ = [
    "Amendment",
    "AmendmentLine",
    "AmendmentTransfer",
    "AuditEvent",
    "CalendarDelivery",
    "CalendarFeed",
    "ContactPreference",
    "Contract",
    "ContractPublic",
    "Deadline",
    "DeadlineSync",
    "Deliberation",
    "Departement",
    "ExecutionReport",
    "Exercice",
    "FicheAction",
    "FindingReason",
    "FicheExecution",
    "GeneratedDocument",
    "Indicator",
    "IndicatorValue",
    "MoneyLine",
    "Objective",
    "OdpePresentation",
    "OdpeReview",
    "OutboxEmail",
    "PartyMember",
    "Payment",
    "PhaseState",
    "ReminderItem",
    "Signature",
]
