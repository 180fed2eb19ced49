"""Exports of the national dashboard: XLSX (typed cells) and CSV.

XLSX (openpyxl): two sheets, « Exercices » and « Objectifs obligatoires »;
money cells are numbers with a euro number format, dates are date cells,
counts are integers; an empty value is an empty cell, never a dash.

CSV: one table (``exercices`` or ``objectifs``), UTF-8 with a BOM, ``;``
separated, decimal comma and ISO dates, which French spreadsheet software
opens as numbers and dates.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cdppe.present.dashboard import EXERCICE_COLUMNS, OBJECTIVE_COLUMNS, ExerciceRow, ObjectiveRow

EURO_FORMAT = '#,##0.00\\ "€"'
DATE_FORMAT = "dd/mm/yyyy"
NUMBER_FORMAT = "#,##0.##"
PERCENT_FORMAT = '0.0\\ "%"'
TABLES = ("exercices", "objectifs")


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_csv(rows: list[Any], columns: list[tuple[str, str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _, _ in columns])
    for row in rows:
        writer.writerow([_csv_cell(getattr(row, attr), kind) for _, attr, kind in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet(workbook: Any, title: str, rows: list[Any], columns: list[tuple[str, str, str]],
           first: bool) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append([header for header, _, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = {"money": EURO_FORMAT, "date": DATE_FORMAT, "number": NUMBER_FORMAT,
               "percent": PERCENT_FORMAT}
    for r, row in enumerate(rows, start=2):
        for c, (_, attr, kind) in enumerate(columns, start=1):
            value = getattr(row, attr)
            cell = sheet.cell(row=r, column=c, value=value)
            if kind in formats and value is not None:
                cell.number_format = formats[kind]
    for c, (header, attr, _) in enumerate(columns, start=1):
        longest = max([len(header)] + [len(str(getattr(row, attr) or "")) for row in rows[:200]])
        sheet.column_dimensions[get_column_letter(c)].width = min(max(12, longest + 2), 60)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions


def export_xlsx(exercices: list[ExerciceRow], objectives: list[ObjectiveRow]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    _sheet(workbook, "Exercices", exercices, EXERCICE_COLUMNS, first=True)
    _sheet(workbook, "Objectifs obligatoires", objectives, OBJECTIVE_COLUMNS, first=False)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_export(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
