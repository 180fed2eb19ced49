"""``cdppe contract show`` reads Core tables of its own: they must name the SQLModel tables' columns
with the same types, and reading through them must not build the SQLModel classes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import Enum, Table
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import models
from cdppe.store.contract_view import CONTRACT, EXERCICE, FICHE_ACTION, MONEY_LINE

models.load_all()


def _as_read(column_type: TypeEngine[object]) -> TypeEngine[object]:
    """SQLModel's ``AutoString`` is a ``String`` whose length it picks per database."""
    return column_type.impl_instance if isinstance(column_type, AutoString) else column_type


@pytest.mark.parametrize("light", [CONTRACT, EXERCICE, FICHE_ACTION, MONEY_LINE], ids=lambda t: t.name)
def test_each_column_is_the_table_models_column(light: Table) -> None:
    stored = SQLModel.metadata.tables[light.name]
    for column in light.columns:
        assert column.name in stored.columns, f"{light.name}.{column.name}"
        model_type = _as_read(stored.columns[column.name].type)
        assert isinstance(model_type, type(column.type)), f"{light.name}.{column.name}"
        assert model_type.python_type is column.type.python_type, f"{light.name}.{column.name}"
        if isinstance(column.type, Enum):
            assert isinstance(model_type, Enum)
            assert model_type.enums == column.type.enums, f"{light.name}.{column.name}"


def test_contract_show_builds_no_table_class() -> None:
    """What makes ``cdppe contract show`` start fast (issue 18): no SQLModel, no ORM."""
    code = ("import sys\nimport cdppe.cli.app, cdppe.store.contract_view\n"
            "print(sorted(m for m in ('sqlmodel', 'sqlalchemy.orm', 'models.contract') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
