"""Fiche numbers as the Départements write them: ``1``, ``13-1``, ``13 a``, ``6 et 7``, ``29-4``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# A letter suffix is one letter: the "e" of "6 et 7" is not fiche "6 e".
_ITEM = r"\d{1,3}(?:-\d{1,3}|\s?[a-z](?![a-z]))?"
_NUMBER_RE = re.compile(rf"^{_ITEM}(?:\s*(?:et|,|/)\s*{_ITEM})*$", re.IGNORECASE)
_ITEM_RE = re.compile(r"(\d{1,3})(?:-(\d{1,3})|\s?([a-z])(?![a-z]))?", re.IGNORECASE)


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


def fiche_key(number: str) -> str:
    """The normal form two writings of one fiche share: ``13a``, ``13 a`` and ``13 A`` are one fiche.

    A number that does not parse keys as its spaced-out lower-case text, so it still compares
    (the rules report it as unparseable)."""
    try:
        return parse_fiche_number(number).sort_key
    except FicheNumberError:
        return " ".join(str(number).split()).lower()


class FicheMap(dict[str, T]):
    """Fiches (or anything per fiche) looked up by number in its normal form.

    The keys are :func:`fiche_key` of the numbers; every lookup normalises the number it is given,
    so a caller never compares raw numbers."""

    def __init__(self, items: Iterable[tuple[str, T]] = ()) -> None:
        super().__init__((fiche_key(number), value) for number, value in items)

    def __getitem__(self, number: str) -> T:
        return super().__getitem__(fiche_key(number))

    def __setitem__(self, number: str, value: T) -> None:
        super().__setitem__(fiche_key(number), value)

    def __contains__(self, number: object) -> bool:
        return isinstance(number, str) and super().__contains__(fiche_key(number))

    def get(self, number: str, default: T | None = None) -> T | None:  # type: ignore[override]
        return super().get(fiche_key(number), default)

    def pop(self, number: str, default: T | None = None) -> T | None:  # type: ignore[override]
        return super().pop(fiche_key(number), default)
