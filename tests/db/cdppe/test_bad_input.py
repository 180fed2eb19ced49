"""Findings 5, 6 and 8 of issue 17 through the CLI and the database: refused, nothing written."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from models import Contract, Payment
from tests.db.cdppe.test_lifecycle import deliberate, setup, sign_all
from tests.factories import minimal_contract
from tests.unit.cdppe.test_bad_input import CASES


def test_cli_import_of_bad_files_exits_2_and_writes_nothing(cli_db: str, session: Session,
                                                           tmp_path: Path) -> None:
    runner = CliRunner()
    for name, mutate, field in CASES:
        if name == "float":  # a YAML 1000.0 is read as the exact decimal 1000.0, by design
            continue
        data = minimal_contract()
        mutate(data)
        path = tmp_path / "contrat.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = runner.invoke(app, ["contract", "import", str(path)])
        assert result.exit_code == 2, (name, result.output)
        assert "Traceback" not in result.output and field in result.output, (name, result.output)
    assert session.exec(select(func.count()).select_from(Contract)).one() == 0


def test_huge_notified_amount_is_refused_in_french(cli_db: str, session: Session) -> None:
    contract, ex = setup(session)
    deliberate(session, contract, ex)
    sign_all(session, contract, ex)
    session.commit()
    result = CliRunner().invoke(app, ["record", "versement", "71-2024", "--source", "FIR",
                                      "--notified-amount", "99999999999999999999999999999",
                                      "--received-on", "2025-01-15", "--answered-by", "Camille"])
    assert result.exit_code == 2, result.output
    assert "hors limites" in result.output and "Traceback" not in result.output
    assert session.exec(select(func.count()).select_from(Payment)).one() == 0
