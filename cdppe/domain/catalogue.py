"""The national objective catalogue, versioned by contract generation (data, not code)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field


class CatalogueObjective(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str
    title: str
    mandatory: bool = False
    engagement: str | None = None


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    generation: str
    label: str
    source: str = Field(description="Where the list comes from")
    min_optional: int = 0
    objectives: list[CatalogueObjective]

    @property
    def mandatory_numbers(self) -> list[str]:
        return [o.number for o in self.objectives if o.mandatory]

    def get(self, number: str) -> CatalogueObjective | None:
        return next((o for o in self.objectives if o.number == number), None)


class UnknownGenerationError(LookupError):
    pass


def available_generations() -> list[str]:
    folder = resources.files("cdppe.domain") / "catalogue"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


@lru_cache
def load_catalogue(generation: str) -> Catalogue:
    if generation not in available_generations():
        raise UnknownGenerationError(
            f"génération {generation!r} inconnue (connues : {', '.join(available_generations())})"
        )
    text = (resources.files("cdppe.domain") / "catalogue" / f"{generation}.yaml").read_text("utf-8")
    return Catalogue.model_validate(yaml.safe_load(text))


def generation_span(generation: str) -> tuple[int, int] | None:
    """(first, last) year of a multi-year generation (``2025-2027``); None for a one-year one."""
    first, _, last = generation.partition("-")
    return (int(first), int(last)) if first.isdigit() and last.isdigit() else None


def later_year_of_generation(generation: str, year: int) -> bool:
    """Year 2 or 3 of a multi-year generation (``2025-2027``): the contract signed for its first year
    covers it, and its money comes by a financial avenant (DOMAIN: 2020-2022 and 2025-2027)."""
    span = generation_span(generation)
    return span is not None and span[0] < year <= span[1]
