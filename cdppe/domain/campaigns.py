"""The yearly national campaign calendar (data per year in ``cdppe/domain/campaigns/<year>.yaml``,
overridden by the instruction an operator publishes with ``cdppe campaign import``).

Each year a ministerial instruction sets national dates on top of the
contracts' own rules. Where a campaign date and a contract rule both apply,
the earlier one governs (see ``cdppe.domain.deadlines``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from models.contract_file import LawReference
from models.enums import CarryOverRule, PolicyMode, PolicyRule


class CampaignDate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    day: date = Field(alias="date")
    label: str
    inferred: bool = False


class Campaign(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    year: int
    instruction: str
    instruction_date: date | None = None
    draft: CampaignDate | None = None
    signed_contract: CampaignDate | None = None
    execution_report: CampaignDate | None = None
    carry_over_rule: CarryOverRule = Field(
        default=CarryOverRule.NET_PER_ENVELOPE, description="How the year's avenants count the carry-over")
    budget_controller_threshold: Decimal | None = Field(
        default=None, ge=0, description="From this State total (BOP 304 + FIR + ONDAM), the budget "
                                        "controller signs too")
    laws: tuple[LawReference, ...] = Field(
        default=(), description="The laws of finances (LFI, LFSS) of the year, cited by the contracts")
    policy: dict[PolicyRule, PolicyMode] = Field(
        default_factory=dict, description="What each policy rule's finding does; unset: it is reported")

    def mode(self, rule: PolicyRule) -> PolicyMode:
        return self.policy.get(rule, PolicyMode.REPORT)

    def source_text(self, item: CampaignDate) -> str:
        """How a reminder names the campaign rule (says when the date is inferred)."""
        text = f"campagne nationale {self.year}, {self.instruction}"
        if item.inferred:
            text += ", date reprise des campagnes précédentes, à confirmer"
        return text


def published_dir() -> Path:
    """Where ``cdppe campaign import`` publishes a year's instruction (it overrides the packaged one)."""
    from cdppe.core.settings import get_settings

    return get_settings().data_dir / "campaigns"


def _packaged(year: int) -> Traversable:
    return resources.files("cdppe.domain") / "campaigns" / f"{year}.yaml"


def available_campaign_years() -> list[int]:
    folder = resources.files("cdppe.domain") / "campaigns"
    years = {int(p.name.removesuffix(".yaml")) for p in folder.iterdir() if p.name.endswith(".yaml")}
    published = published_dir()
    if published.is_dir():
        years |= {int(p.stem) for p in published.glob("*.yaml") if p.stem.isdigit()}
    return sorted(years)


def parse_campaign(text: str, year: int | None = None) -> Campaign:
    """A campaign file's content, validated (pydantic errors name the field)."""
    campaign = Campaign.model_validate(yaml.safe_load(text))
    if year is not None and campaign.year != year:
        raise ValueError(f"campaigns/{year}.yaml declares year {campaign.year}")
    return campaign


def load_campaign(year: int) -> Campaign | None:
    """The campaign of exercice ``year``: the published instruction, else the packaged calendar,
    else None. Read again whenever the published file changes (several processes read it)."""
    published = published_dir() / f"{year}.yaml"
    try:
        stamp = published.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _load(year, str(published) if stamp is not None else None, stamp)


@lru_cache(maxsize=64)
def _load(year: int, published: str | None, stamp: int | None) -> Campaign | None:
    if published is not None:
        return parse_campaign(Path(published).read_text("utf-8"), year)
    packaged = _packaged(year)
    if not packaged.is_file():
        return None
    return parse_campaign(packaged.read_text("utf-8"), year)


def policy_mode(year: int, rule: PolicyRule) -> PolicyMode:
    """What a finding of ``rule`` does in exercice ``year``: reported unless its campaign refuses it."""
    campaign = load_campaign(year)
    return campaign.mode(rule) if campaign else PolicyMode.REPORT


def carry_over_rule(year: int) -> CarryOverRule:
    """The rule the avenants of exercice ``year`` count their carry-over by (net per envelope unless said)."""
    campaign = load_campaign(year)
    return campaign.carry_over_rule if campaign else CarryOverRule.NET_PER_ENVELOPE


def budget_controller_signs(year: int, state_total: Decimal) -> bool:
    """Whether the campaign of ``year`` sets a threshold that ``state_total`` reaches."""
    campaign = load_campaign(year)
    threshold = campaign.budget_controller_threshold if campaign else None
    return threshold is not None and state_total >= threshold
