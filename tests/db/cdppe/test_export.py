"""``cdppe export``: XLSX with typed cells (money as numbers), CSV for French spreadsheets."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.present.dashboard import EXERCICE_COLUMNS, exercice_rows
from cdppe.services.importer import import_contract
from models import Exercice, Payment
from models.enums import FundingSource
from tests.factories import example_file

runner = CliRunner()


def load(engine: Engine) -> None:
    with Session(engine) as session:
        import_contract(session, example_file("saone-et-loire-2024.yaml"), "test")
        session.commit()
        ex = session.exec(select(Exercice)).one()
        session.add(Payment(exercice_id=ex.id or 0, source=FundingSource.FIR, planned_amount=ex.fir,
                            notified_amount=Decimal("370395.55"), received_on=date(2025, 2, 10),
                            recorded_by="t"))
        session.commit()


def test_xlsx_opens_and_money_cells_are_numbers(cli_db: str, engine: Engine, tmp_path: Path) -> None:
    load(engine)
    out = tmp_path / "national.xlsx"
    result = runner.invoke(app, ["export", "--format", "xlsx", "--out", str(out), "--as-of", "2025-03-03"])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Exercices", "Objectifs obligatoires"]
    sheet = workbook["Exercices"]
    headers = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(headers, sheet[2], strict=True)}
    assert sheet.max_row == 2  # one exercice, one row
    for header in ("BOP 304 prévu", "FIR prévu", "FIR versé", "ONDAM prévu", "Total État"):
        cell = row[header]
        assert cell.data_type == "n" and isinstance(cell.value, int | float), header
        assert "€" in cell.number_format, header
    assert row["BOP 304 prévu"].value == 843728
    assert abs(row["FIR versé"].value - 370395.55) < 1e-9
    assert row["BOP 304 versé"].value is None  # not paid: empty, not text
    assert row["Exercice"].value == 2024 and row["Étapes en retard"].data_type == "n"
    assert isinstance(row["Plus ancien retard"].value, datetime)
    objectives = workbook["Objectifs obligatoires"]
    assert objectives.max_row > 1 and objectives["A1"].value == "Génération"


def test_csv_has_the_same_rows(cli_db: str, engine: Engine, tmp_path: Path) -> None:
    load(engine)
    out = tmp_path / "national.csv"
    result = runner.invoke(app, ["export", "--format", "csv", "--out", str(out), "--as-of", "2025-03-03"])
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    with Session(engine) as session:
        typed = exercice_rows(session, date(2025, 3, 3))
    assert len(rows) == len(typed) == 1
    assert list(rows[0]) == [h for h, _, _ in EXERCICE_COLUMNS]
    assert rows[0]["FIR versé"] == "370395,55" and rows[0]["BOP 304 versé"] == ""
    objectifs = runner.invoke(app, ["export", "--format", "csv", "--table", "objectifs",
                                    "--out", str(tmp_path / "o.csv")])
    assert objectifs.exit_code == 0, objectifs.output
    assert runner.invoke(app, ["export", "--format", "ods"]).exit_code == 2
