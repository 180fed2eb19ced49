"""A phase run's name: given at creation, kept on every execution without a database read."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import flows.common as common
from models.enums import Phase


def _runtime(monkeypatch: pytest.MonkeyPatch, name: str, **params: object) -> list[tuple[str, int]]:
    monkeypatch.setattr(common, "runtime_flow_run", SimpleNamespace(name=name, parameters=params))
    looked_up: list[tuple[str, int]] = []

    def resolve(contract: str, year: int) -> SimpleNamespace:
        looked_up.append((contract, year))
        return SimpleNamespace(label="Creuse 2025")

    monkeypatch.setattr(common, "resolve_exercice", resolve)
    return looked_up


def test_a_named_run_keeps_its_name_without_reading_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up = _runtime(monkeypatch, "Creuse 2025 · signature (avenant n° 1)", contract="23-2025-2027",
                         year=2025, avenant=1)
    assert common.phase_run_name(Phase.SIGNATURE)() == "Creuse 2025 · signature (avenant n° 1)"
    assert looked_up == []


@pytest.mark.parametrize("generated", ["vigorous-lemur", "Creuse 2025 · signature",
                                       " · signature (avenant n° 1)"])
def test_a_run_without_its_name_is_named_from_the_database(monkeypatch: pytest.MonkeyPatch,
                                                           generated: str) -> None:
    looked_up = _runtime(monkeypatch, generated, contract="23-2025-2027", year=2025, avenant=1)
    assert common.phase_run_name(Phase.SIGNATURE)() == "Creuse 2025 · signature (avenant n° 1)"
    assert looked_up == [("23-2025-2027", 2025)]
