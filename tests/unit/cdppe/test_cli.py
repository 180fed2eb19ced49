"""The ``cdppe`` command on files alone: validation without any database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdppe.cli import app as cli
from cdppe.cli.app import app
from tests.conftest import EXAMPLES

runner = CliRunner()
SAONE = EXAMPLES / "saone-et-loire-2024.yaml"
CREUSE = EXAMPLES / "creuse-2025-2027.yaml"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are checked as a person reads them on a wide terminal (no wrapped cells)."""
    monkeypatch.setattr(cli.console, "width", 250)


def test_examples_are_valid() -> None:
    for file in (SAONE, CREUSE):
        result = runner.invoke(app, ["contract", "validate", str(file)])
        assert result.exit_code == 0, result.output


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "casse.yaml"
    path.write_text("departement:\n  code: 71\n  name: [oops\n", encoding="utf-8")
    result = runner.invoke(app, ["contract", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr and "YAML invalide" in result.stderr
