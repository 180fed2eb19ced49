"""The layers the tree shows hold: no import points up, no function is too long, queries stay in the store."""

from __future__ import annotations

from tests.architecture import (
    MAX_FUNCTION_LINES,
    function_lengths,
    imports,
    layer_of,
    queries_outside_store,
    upward_imports,
)


def test_every_import_points_down_the_layers() -> None:
    assert [f"{i.module}:{i.line} -> {i.imported}" for i in upward_imports()] == []


def test_models_import_only_core_types_from_cdppe() -> None:
    reached = {layer_of(i.imported) for i in imports() if layer_of(i.module) == "models"}
    assert reached <= {"models", "cdppe.core"}


def test_the_layer_of_a_module_is_its_longest_prefix() -> None:
    assert layer_of("cdppe.simulation.runner") == "cdppe.simulation"
    assert layer_of("cdppe.store.db") == "cdppe.store"
    assert layer_of("cdppe") is None
    assert layer_of("models.enums") == "models"


def test_queries_are_built_only_in_the_store() -> None:
    assert queries_outside_store() == []


def test_no_function_is_longer_than_the_limit() -> None:
    assert [f"{where} ({length} lines)" for length, where in function_lengths()
            if length > MAX_FUNCTION_LINES] == []


def test_the_checks_see_the_tree() -> None:
    """The checks above read the real tree (an empty scan would pass them all)."""
    assert len(function_lengths()) > 500
    assert any(i.imported.startswith("cdppe.store") for i in imports())
