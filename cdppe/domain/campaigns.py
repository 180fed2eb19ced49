"""The yearly national campaign calendar (data per year in ``cdppe/campaigns/<year>.yaml``).

Each year a ministerial instruction sets national dates on top of the
contracts' own rules. Where a campaign date and a contract rule both apply,
the earlier one governs (see ``cdppe.domain.deadlines``).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field

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


def available_campaign_years() -> list[int]:
    folder = resources.files("cdppe.domain") / "campaigns"
    return sorted(int(p.name.removesuffix(".yaml")) for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


@lru_cache(maxsize=32)
def load_campaign(year: int) -> Campaign | None:
    """The campaign of exercice ``year``, or None when no calendar is known for it."""
    path = resources.files("cdppe.domain") / "campaigns" / f"{year}.yaml"
    if not path.is_file():
        return None
    campaign = Campaign.model_validate(yaml.safe_load(path.read_text("utf-8")))
    if campaign.year != year:
        raise ValueError(f"campaigns/{year}.yaml declares year {campaign.year}")
    return campaign


def policy_mode(year: int, rule: PolicyRule) -> PolicyMode:
    """What a finding of ``rule`` does in exercice ``year``: reported unless its campaign refuses it."""
    campaign = load_campaign(year)
    return campaign.mode(rule) if campaign else PolicyMode.REPORT


def carry_over_rule(year: int) -> CarryOverRule:
    """The rule the avenants of exercice ``year`` count their carry-over by (net per envelope unless said)."""
    campaign = load_campaign(year)
    return campaign.carry_over_rule if campaign else CarryOverRule.NET_PER_ENVELOPE
