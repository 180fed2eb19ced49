"""Publishing the year's ministerial instruction: ``cdppe campaign import FILE``.

The file is the packaged campaign format (``cdppe/domain/campaigns/2024.yaml``): instruction and
its date, the national dates, the carry-over rule and the policy settings. Once published it
governs that year everywhere: each exercice of the year that is in force gets its stored report due
date recomputed (the earlier of the contract rule and the campaign date) and its deadlines re-synced
in the same transaction, so ``contract show``, the dashboard, the forms and the reminders agree.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlmodel import Session

from cdppe.domain.campaigns import Campaign, parse_campaign, published_dir
from cdppe.domain.deadlines import governing_report_due
from cdppe.services.reminders.sync import sync_deadlines
from cdppe.store.audit import record_event
from cdppe.store.contracts import every_exercice


class CampaignRefusedError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class PublishedCampaign:
    campaign: Campaign
    moved: list[tuple[str, int, date | None, date]] = field(default_factory=list)  # key, year, was, now


def read_campaign(text: str, source: str) -> Campaign:
    """The file's campaign, or every problem with its field, in French."""
    try:
        return parse_campaign(text)
    except yaml.YAMLError as exc:
        raise CampaignRefusedError([f"{source} : YAML invalide ({getattr(exc, 'problem', exc)})"]) from None
    except ValidationError as exc:
        raise CampaignRefusedError([f"{source} : {'.'.join(str(p) for p in e['loc'])} : {e['msg']}"
                                    for e in exc.errors(include_url=False)]) from None


@contextmanager
def published_file(campaign: Campaign, text: str) -> Iterator[None]:
    """The file where ``load_campaign`` reads it, for the time of the block; put back as it was if
    the block fails (open it *outside* the transaction's block, so a failed commit restores it)."""
    _check_dates(campaign)
    folder = published_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{campaign.year}.yaml"
    previous = target.read_bytes() if target.is_file() else None
    _write_atomically(target, text.encode("utf-8"))
    try:
        yield
    except BaseException:
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            _write_atomically(target, previous)
        raise


def _write_atomically(target: Path, data: bytes) -> None:
    handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(tmp, target)  # a reader sees the old or the new file, never half of one


def publish_campaign(session: Session, campaign: Campaign, actor: str, as_of: date) -> PublishedCampaign:
    """Bring the year's exercices in line with the published campaign (inside ``published_file``)."""
    result = PublishedCampaign(campaign)
    for exercice, contract in every_exercice(session):
        if exercice.year != campaign.year or exercice.effective_date is None or exercice.id is None:
            continue
        due = governing_report_due(exercice.year, exercice.effective_date)
        if due != exercice.report_due_date:
            result.moved.append((contract.key, exercice.year, exercice.report_due_date, due))
            exercice.report_due_date = due
            session.add(exercice)
        sync_deadlines(session, exercice.id, as_of)
    record_event(session, "campaign.published", {"year": campaign.year, "instruction": campaign.instruction,
                                                 "moved": len(result.moved)}, actor=actor)
    return result


def _check_dates(campaign: Campaign) -> None:
    problems = []
    if campaign.draft and campaign.signed_contract and campaign.draft.day > campaign.signed_contract.day:
        problems.append("draft.date : le projet ne peut être attendu après le contrat signé "
                        f"({campaign.draft.day.isoformat()} > {campaign.signed_contract.day.isoformat()})")
    if campaign.execution_report and campaign.execution_report.day.year <= campaign.year - 1:
        problems.append(f"execution_report.date : rapport attendu avant l'exercice {campaign.year} "
                        f"({campaign.execution_report.day.isoformat()})")
    if problems:
        raise CampaignRefusedError(problems)
