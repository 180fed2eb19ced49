"""The execution report's data as a spreadsheet the Département fills: per fiche its status, dates,
consumption per source, assessment, outlook and the action it puts forward per envelope; per
indicator its achieved value (a number, NR, ND or a short text).

``report_template`` writes the XLSX of one contract and exercice, pre-filled with what is known;
``read_report_sheet`` checks every cell first and names each bad one (``Fiches!I7``);
``apply_report_sheet`` writes all of it in the caller's transaction, or nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from sqlmodel import Session

from cdppe.core.money import MoneyError, to_money
from cdppe.domain.fiche_numbers import FicheMap
from cdppe.store.audit import record_event
from cdppe.store.contracts import ContractNotFoundError, find_contract, find_exercice
from cdppe.store.imports import executions_by_exercice
from cdppe.store.plan import (
    contract_fiches,
    contract_indicators,
    exercice_money_lines,
    fiche_executions,
    indicator_value_rows,
)
from models import Contract, Exercice, FicheAction, FicheExecution, IndicatorValue
from models.contract_file import parse_achieved, split_achieved
from models.enums import FicheStatus, FundingSource, Payer

SETTINGS_SHEET, FICHES_SHEET, INDICATORS_SHEET = "Paramètres", "Fiches", "Indicateurs"
FICHE_COLUMNS = ("Numéro", "Intitulé", "Enveloppe(s)", "Crédits État prévus", "Statut", "Date de début",
                 "Durée", "Motif (en retard ou abandonnée)", "Consommé État", "Consommé Département",
                 "Bilan", "Perspectives", "Action phare pour")
INDICATOR_COLUMNS = ("Code", "Indicateur", "Fiche", "Année", "Cible", "Réalisé (nombre, NR, ND ou texte)")
STATUSES = {s.label: s for s in FicheStatus}
# How real tables of actions write them (the Creuse 2024 table: engagée, réalisée, en retard...).
STATUS_WORDS = STATUSES | {"en retard": FicheStatus.DELAYED, "engagée": FicheStatus.IN_PROGRESS,
                           "non engagée": FicheStatus.PLANNED, "terminée": FicheStatus.IMPLEMENTED}
SOURCES = {s.label: s for s in FundingSource} | {s.value: s for s in FundingSource}
MAX_ROWS = 2000
OPTION_OF_COLUMN = {"E": "--status", "F": "--start-date", "H": "--reason", "I": "--consumed-etat",
                    "J": "--consumed-departement", "M": "--highlighted-for"}


class ReportSheetError(ValueError):
    """The spreadsheet is refused; one French line per bad cell, nothing written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class FicheReport:
    number: str
    status: FicheStatus
    start_date: date | None
    duration: str | None
    reason: str | None
    consumed_etat: Decimal | None
    consumed_departement: Decimal | None
    assessment: str | None
    outlook: str | None
    highlighted_for: FundingSource | None


@dataclass
class ReportSheet:
    contract_key: str
    year: int
    fiches: list[FicheReport] = field(default_factory=list)
    achieved: dict[str, Decimal | str | None] = field(default_factory=dict)  # indicator code -> value


# ---------------------------------------------------------------- the template


def report_template(session: Session, contract: Contract, exercice: Exercice) -> bytes:
    """The XLSX a Département fills for the report of ``exercice``, pre-filled with what is known."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    settings = book.active
    settings.title = SETTINGS_SHEET
    settings.append(["Contrat", contract.key])
    settings.append(["Exercice", exercice.year])
    settings.append(["Mode d'emploi", "Remplissez les feuilles « Fiches » et « Indicateurs » puis : "
                     f"cdppe report import FICHIER. Statuts : {', '.join(STATUSES)}. Montants en euros "
                     "(ex. 12500,50). Laissez vide ce qui n'est pas connu : une consommation vide reste "
                     "inconnue, jamais 0 €."])
    sheet = book.create_sheet(FICHES_SHEET)
    sheet.append(list(FICHE_COLUMNS))
    for row in _fiche_rows(session, contract, exercice):
        sheet.append(row)
    status_list = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True)
    sheet.add_data_validation(status_list)
    status_list.add(f"E2:E{sheet.max_row + 50}")
    indicators = book.create_sheet(INDICATORS_SHEET)
    indicators.append(list(INDICATOR_COLUMNS))
    for ind in contract_indicators(session, contract_id=contract.id):
        value = next((v for v in indicator_value_rows(session, indicator_id=ind.id)
                      if v.year == exercice.year), None)
        achieved = None if value is None else (value.achieved if value.achieved is not None
                                               else value.achieved_note)
        indicators.append([ind.code, ind.label, ind.fiche_number, exercice.year,
                           None if value is None or value.target is None else float(value.target),
                           None if achieved is None else str(achieved)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fiche_rows(session: Session, contract: Contract, exercice: Exercice) -> list[list[Any]]:
    planned: dict[int | None, Decimal] = {}
    sources: dict[int | None, set[str]] = {}
    for line in exercice_money_lines(session, exercice_id=exercice.id):
        if line.payer is Payer.ETAT and line.source is not None:
            planned[line.fiche_id] = planned.get(line.fiche_id, Decimal("0")) + line.amount
            sources.setdefault(line.fiche_id, set()).add(line.source.label)
    executions = fiche_executions(session, exercice_id=exercice.id)
    rows = []
    for fiche in contract_fiches(session, contract_id=contract.id):
        exe = executions.get(fiche.id)
        rows.append([
            fiche.number, fiche.title, ", ".join(sorted(sources.get(fiche.id, ()))) or "—",
            float(planned.get(fiche.id, Decimal("0"))),
            exe.status.label if exe else None, exe.start_date if exe else None, exe.duration if exe else None,
            exe.reason if exe else None,
            _number(exe.consumed_etat if exe else None), _number(exe.consumed_departement if exe else None),
            exe.assessment if exe else None, exe.outlook if exe else None,
            exe.highlighted_for.label if exe and exe.highlighted_for else None])
    return rows


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------- reading it back


def read_report_sheet(stream: BinaryIO, source: str) -> ReportSheet:
    """Every cell checked; raise ``ReportSheetError`` naming each bad one."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one French refusal
        raise ReportSheetError([f"{source} : classeur XLSX illisible ({type(exc).__name__})"]) from None
    problems: list[str] = []
    missing = [name for name in (SETTINGS_SHEET, FICHES_SHEET, INDICATORS_SHEET)
               if name not in book.sheetnames]
    if missing:
        raise ReportSheetError([f"{source} : feuille « {name} » absente (feuilles trouvées : "
                                f"{', '.join(book.sheetnames)}) ; partez du modèle « cdppe report template »"
                                for name in missing])
    settings = {str(r[0]): r[1] for r in book[SETTINGS_SHEET].iter_rows(max_row=10, values_only=True) if r}
    key, year = settings.get("Contrat"), settings.get("Exercice")
    if not key or not isinstance(year, int | float):
        raise ReportSheetError([f"{SETTINGS_SHEET}!B1:B2 : contrat et exercice attendus "
                                f"(trouvé : {key!r}, {year!r})"])
    sheet = ReportSheet(str(key), int(year))
    _read_fiches(book[FICHES_SHEET], sheet, problems)
    _read_indicators(book[INDICATORS_SHEET], sheet, problems)
    if problems:
        raise ReportSheetError(problems)
    return sheet


def _header(ws: Any, expected: tuple[str, ...], problems: list[str]) -> bool:
    first = next(ws.iter_rows(max_row=1, values_only=True), ())
    got = tuple(str(c).strip() if c is not None else "" for c in first[:len(expected)])
    if got != expected:
        problems.append(f"{ws.title}!A1 : en-têtes attendus « {' | '.join(expected)} » "
                        f"(trouvé : « {' | '.join(got)} »)")
        return False
    return True


def _read_fiches(ws: Any, sheet: ReportSheet, problems: list[str]) -> None:
    if not _header(ws, FICHE_COLUMNS, problems):
        return
    seen: FicheMap[int] = FicheMap()
    for index, row in enumerate(ws.iter_rows(min_row=2, max_row=MAX_ROWS + 1, values_only=True), start=2):
        cells = list(row) + [None] * (len(FICHE_COLUMNS) - len(row))
        if all(c in (None, "") for c in cells):
            continue
        number = str(cells[0]).strip() if cells[0] is not None else ""
        if not number:
            problems.append(f"{ws.title}!A{index} : numéro de fiche manquant")
            continue
        if number in seen:
            problems.append(f"{ws.title}!A{index} : fiche {number} déjà renseignée ligne {seen[number]}")
            continue
        seen[number] = index
        report = _fiche_report(_cell_of(ws.title, index), number, cells, problems)
        if report is not None:
            sheet.fiches.append(report)


def _cell_of(title: str, row: int) -> Callable[[str], str]:
    def where(column: str) -> str:
        return f"{title}!{column}{row}"
    return where


def _fiche_report(where: Callable[[str], str], number: str, cells: list[Any],
                  problems: list[str]) -> FicheReport | None:
    """One fiche's row; ``where(column letter)`` names a bad cell (``Fiches!E7``, ``--status``)."""
    before = len(problems)
    status_text = _text(cells[4])
    status = STATUS_WORDS.get((status_text or "").lower()) if status_text else FicheStatus.PLANNED
    if status is None:
        problems.append(f"{where('E')} : statut « {status_text} » inconnu "
                        f"(attendu : {', '.join(STATUS_WORDS)})")
    reason = _text(cells[7])
    if status in (FicheStatus.DELAYED, FicheStatus.ABANDONED) and not reason:
        problems.append(f"{where('H')} : motif obligatoire pour une action {status.label}")
    highlight_text = _text(cells[12])
    highlight = SOURCES.get(highlight_text) if highlight_text else None
    if highlight_text and highlight is None:
        problems.append(f"{where('M')} : enveloppe « {highlight_text} » inconnue (BOP 304, FIR ou ONDAM)")
    report = FicheReport(
        number, status or FicheStatus.PLANNED, _date(cells[5], where("F"), problems),
        _text(cells[6]), reason, _amount(cells[8], where("I"), problems),
        _amount(cells[9], where("J"), problems), _text(cells[10]), _text(cells[11]), highlight)
    return report if len(problems) == before else None


def _read_indicators(ws: Any, sheet: ReportSheet, problems: list[str]) -> None:
    if not _header(ws, INDICATOR_COLUMNS, problems):
        return
    for index, row in enumerate(ws.iter_rows(min_row=2, max_row=MAX_ROWS + 1, values_only=True), start=2):
        cells = list(row) + [None] * (len(INDICATOR_COLUMNS) - len(row))
        if all(c in (None, "") for c in cells):
            continue
        code = _text(cells[0])
        if not code:
            problems.append(f"{ws.title}!A{index} : code d'indicateur manquant")
            continue
        if code in sheet.achieved:
            problems.append(f"{ws.title}!A{index} : indicateur {code} déjà renseigné")
            continue
        try:
            sheet.achieved[code] = parse_achieved(cells[5])
        except ValueError as exc:
            problems.append(f"{ws.title}!F{index} : {exc}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:4000] or None


def _amount(value: Any, where: str, problems: list[str]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = to_money(value if isinstance(value, str) else str(value))
    except MoneyError as exc:
        problems.append(f"{where} : {exc}")
        return None
    if amount < 0:
        problems.append(f"{where} : un montant consommé ne peut être négatif ({value})")
    return amount


def _date(value: Any, where: str, problems: list[str]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    problems.append(f"{where} : date « {text} » illisible (attendu : JJ/MM/AAAA)")
    return None


# ---------------------------------------------------------------- writing it


def apply_report_sheet(session: Session, sheet: ReportSheet,
                       actor: str) -> tuple[Contract, Exercice, int, int]:
    """Write the checked sheet (one transaction, the caller's); unknown fiches or indicators and two
    actions put forward for one envelope refuse the whole of it. (fiches, indicators) written."""
    try:
        contract = find_contract(session, sheet.contract_key)
        exercice = find_exercice(session, contract, sheet.year)
    except ContractNotFoundError as exc:
        raise ReportSheetError([f"{SETTINGS_SHEET}!B1:B2 : {exc}"]) from None
    fiches = FicheMap((f.number, f) for f in contract_fiches(session, contract_id=contract.id))
    indicators = {i.code: i for i in contract_indicators(session, contract_id=contract.id)}
    problems = [f"{FICHES_SHEET} : fiche {r.number} inconnue du contrat {contract.key}"
                for r in sheet.fiches if r.number not in fiches]
    problems += [f"{INDICATORS_SHEET} : indicateur {code} inconnu du contrat {contract.key}"
                 for code in sheet.achieved if code not in indicators]
    put_forward: dict[FundingSource, list[str]] = {}
    for r in sheet.fiches:
        if r.highlighted_for is not None:
            put_forward.setdefault(r.highlighted_for, []).append(r.number)
    problems += [f"{FICHES_SHEET} : une seule action phare par enveloppe ({source.label} : fiches "
                 f"{', '.join(numbers)})" for source, numbers in put_forward.items() if len(numbers) > 1]
    if problems:
        raise ReportSheetError(problems)
    for r in sheet.fiches:
        _write_execution(session, fiches[r.number], exercice, r)
    for code, value in sheet.achieved.items():
        _write_achieved(session, indicators[code].id, exercice.year, value)
    record_event(session, "report.data_imported",
                 {"fiches": len(sheet.fiches), "indicators": len(sheet.achieved)},
                 contract_id=contract.id, exercice_id=exercice.id, actor=actor)
    session.flush()
    return contract, exercice, len(sheet.fiches), len(sheet.achieved)


def record_fiche_report(session: Session, contract_ref: str, year: int, fields: dict[str, str | None],
                        actor: str, field_names: Mapping[str, str] = OPTION_OF_COLUMN) -> FicheReport:
    """One fiche's report entered by hand (``cdppe report fiche``, the ``rapport-fiche`` form): the
    same checks as a sheet's row, a bad field named as that door names it (``field_names``)."""
    problems: list[str] = []
    number = (fields.get("fiche") or "").strip()
    cells: list[Any] = [number, None, None, None, fields.get("status"), fields.get("start_date"),
                        fields.get("duration"), fields.get("reason"), fields.get("consumed_etat"),
                        fields.get("consumed_departement"), fields.get("assessment"), fields.get("outlook"),
                        fields.get("highlighted_for")]
    if not number:
        raise ReportSheetError([f"{field_names.get('A', '--fiche')} : numéro de fiche manquant"])
    report = _fiche_report(lambda column: field_names.get(column, column), number, cells, problems)
    if report is None:
        raise ReportSheetError(problems)
    apply_report_sheet(session, ReportSheet(contract_ref, year, [report]), actor)
    return report


def _write_execution(session: Session, fiche: FicheAction, exercice: Exercice, r: FicheReport) -> None:
    assert fiche.id is not None and exercice.id is not None
    exe = executions_by_exercice(session, fiche_id=fiche.id).get(exercice.id) or FicheExecution(
        fiche_id=fiche.id, exercice_id=exercice.id)
    exe.status, exe.start_date, exe.duration, exe.reason = r.status, r.start_date, r.duration, r.reason
    exe.consumed_etat, exe.consumed_departement = r.consumed_etat, r.consumed_departement
    exe.assessment, exe.outlook, exe.highlighted_for = r.assessment, r.outlook, r.highlighted_for
    session.add(exe)


def _write_achieved(session: Session, indicator_id: int | None, year: int,
                    value: Decimal | str | None) -> None:
    assert indicator_id is not None
    row = next((v for v in indicator_value_rows(session, indicator_id=indicator_id) if v.year == year),
               None) or IndicatorValue(indicator_id=indicator_id, year=year)
    row.achieved, row.achieved_note = split_achieved(value)
    session.add(row)
