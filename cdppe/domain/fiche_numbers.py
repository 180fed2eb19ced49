"""Fiche numbers as the Départements write them: ``1``, ``13-1``, ``13 a``, ``6 et 7``, ``29-4``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ITEM = r"\d{1,3}(?:-\d{1,3}|\s?[a-zA-Z])?"
_NUMBER_RE = re.compile(rf"^{_ITEM}(?:\s*(?:et|,|/)\s*{_ITEM})*$")
_ITEM_RE = re.compile(r"(\d{1,3})(?:-(\d{1,3})|\s?([a-zA-Z]))?")


class FicheNumberError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class FicheNumber:
    """A parsed fiche number; ordering is natural (2 < 6 et 7 < 13 < 13-1 < 13 a < 29-4)."""

    parts: tuple[tuple[int, int, str], ...]
    raw: str

    @property
    def sort_key(self) -> str:
        """A text key that sorts naturally in SQL too."""
        return "|".join(f"{a:04d}.{b:04d}.{c}" for a, b, c in self.parts)

    @property
    def main_numbers(self) -> list[int]:
        return [a for a, _, _ in self.parts]


def parse_fiche_number(text: str) -> FicheNumber:
    raw = " ".join(str(text).split())
    if not _NUMBER_RE.match(raw):
        raise FicheNumberError(
            f"numéro de fiche {text!r} non reconnu (formes attendues : 1, 13-1, 13 a, 6 et 7)"
        )
    parts = tuple(
        (int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower())
        for m in _ITEM_RE.finditer(raw)
    )
    return FicheNumber(parts=parts, raw=raw)


def natural_sorted(numbers: list[str]) -> list[str]:
    return sorted(numbers, key=lambda n: parse_fiche_number(n))
