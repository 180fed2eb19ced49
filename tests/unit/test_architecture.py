"""The layers the tree shows hold: no import points up, no function is too long, queries stay in the store."""

from __future__ import annotations

from tests.architecture import layer_of, upward_imports


def test_every_import_points_down_the_layers() -> None:
    assert [f"{i.module}:{i.line} -> {i.imported}" for i in upward_imports()] == []


def test_models_import_only_core_types_from_cdppe() -> None:
    from tests.architecture import imports

    reached = {layer_of(i.imported) for i in imports() if layer_of(i.module) == "models"}
    assert reached <= {"models", "cdppe.core"}


def test_the_layer_of_a_module_is_its_longest_prefix() -> None:
    assert layer_of("cdppe.simulation.runner") == "cdppe.simulation"
    assert layer_of("cdppe.store.db") == "cdppe.store"
    assert layer_of("cdppe") is None
    assert layer_of("models.enums") == "models"
