"""The report's data door: the XLSX a Département fills, read back through ``cdppe report import``
as an operator types it; every bad cell named and nothing written; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.present.documents import generate_step_documents
from models import Contract, Exercice, FicheAction, FicheExecution, IndicatorValue, Payment
from models.enums import FicheStatus, FundingSource, Phase
from tests.db.cdppe.documents.conftest import plain, read_doc
from tests.factories import minimal_contract

runner = CliRunner()


def imported(tmp_path: Path) -> Path:
    """minimal_contract (fiches 1-6 at 1 000 € State each, FIR on 1, 3, 5) with two indicators;
    the operator writes the report's workbook with ``cdppe report template``."""
    data = minimal_contract()
    data["indicators"] = [{"code": "EPP", "label": "Entretiens prénataux", "fiche": "1",
                           "values": [{"year": 2024, "target": "20"}]},
                          {"code": "BSEM", "label": "Bilans en école maternelle", "fiche": "3",
                           "values": [{"year": 2024, "target": "800"}]}]
    source = tmp_path / "contrat.yaml"
    source.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert runner.invoke(app, ["contract", "import", str(source)]).exit_code == 0
    book = tmp_path / "rapport.xlsx"
    result = runner.invoke(app, ["report", "template", "71-2024", "2024", "--out", str(book)])
    assert result.exit_code == 0, result.output
    return book


def fill(book: Path, fiches: dict[str, dict[str, Any]], achieved: dict[str, Any]) -> None:
    """Type into the workbook as a Département does: by column header, on each fiche's row."""
    wb = load_workbook(book)
    sheet = wb["Fiches"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = fiches.get(str(row[0].value))
        for header, value in (values or {}).items():
            row[headers.index(header)].value = value
    for row in wb["Indicateurs"].iter_rows(min_row=2):
        if row[0].value in achieved:
            row[5].value = achieved[row[0].value]
    wb.save(book)


def test_a_filled_workbook_goes_into_the_report(cli_db: str, session: Session, tmp_path: Path) -> None:
    book = imported(tmp_path)
    template = load_workbook(book)
    assert [c.value for c in template["Fiches"]["A"]][1:] == ["1", "2", "3", "4", "5", "6", "99"]
    fill(book, {
        "1": {"Statut": "réalisée", "Date de début": "01/03/2024", "Consommé État": 900,
              "Consommé Département": "950,50", "Bilan": "Objectif atteint."},
        "2": {"Statut": "en retard", "Motif (en retard ou abandonnée)": "recrutement tardif",
              "Consommé État": 0},
        "3": {"Statut": "en cours", "Consommé État": 400, "Action phare pour": "FIR"},
    }, {"EPP": "6,6", "BSEM": "NR"})
    result = runner.invoke(app, ["report", "import", str(book), "--by", "Cheffe PMI"])
    assert result.exit_code == 0, result.output
    assert "Rapport 71-2024 2024 : 7 fiche(s) et 2 indicateur(s) enregistrés." in result.stdout

    rows = {f.number: e for e, f in session.exec(select(FicheExecution, FicheAction).where(
        FicheExecution.fiche_id == FicheAction.id))}
    assert (rows["1"].status, rows["1"].consumed_etat, rows["1"].consumed_departement) == (
        FicheStatus.IMPLEMENTED, Decimal("900.00"), Decimal("950.50"))
    assert rows["2"].status is FicheStatus.DELAYED and rows["2"].reason == "recrutement tardif"
    assert rows["3"].highlighted_for is FundingSource.FIR
    assert rows["5"].consumed_etat is None  # left blank: unknown, not 0 €
    values = {(v.achieved, v.achieved_note) for v in session.exec(select(IndicatorValue))}
    assert values == {(Decimal("6.6"), None), (None, "NR")}

    contract, ex = session.exec(select(Contract)).one(), session.exec(select(Exercice)).one()
    session.add(Payment(exercice_id=ex.id or 0, source=FundingSource.FIR, planned_amount=ex.fir,
                        notified_amount=ex.fir, received_on=date(2025, 1, 10), recorded_by="t"))
    session.commit()
    assert contract.id is not None and ex.id is not None
    [doc] = generate_step_documents(session, contract.id, ex.id, Phase.EXECUTION_REPORT, ("html",),
                                    out_dir=tmp_path / "docs")
    text = plain(read_doc(doc))
    assert "Nombre d'actions mises en œuvre / nombre d'actions prévues = 3 / 7" in text
    assert "Au titre du FIR : fiche action 3" in text  # the Département's choice, not fiche 1 (more money)
    assert "inconnu : consommation non renseignée (1 fiche : 5)" in text


def test_a_bad_workbook_names_each_cell_and_writes_nothing(cli_db: str, session: Session,
                                                           tmp_path: Path) -> None:
    book = imported(tmp_path)
    fill(book, {"1": {"Consommé État": "mille euros", "Statut": "finie"},
                "2": {"Statut": "abandonnée"}}, {"EPP": True})
    wb = load_workbook(book)
    sheet = wb["Fiches"]
    sheet.append(["1", "doublon"])
    sheet.append(["404", "fiche inconnue", None, None, "réalisée"])
    wb.save(book)
    result = runner.invoke(app, ["report", "import", str(book)])
    assert result.exit_code == 2
    err = result.stderr
    assert "rien n'a été enregistré" in err and "Traceback" not in result.output
    for expected in ("Fiches!I2 : ", "Fiches!E2 : statut « finie » inconnu",
                     "Fiches!H3 : motif obligatoire pour une action abandonnée",
                     "Fiches!A9 : fiche 1 déjà renseignée ligne 2",
                     "Indicateurs!F2 : valeur attendue : un nombre, NR, ND ou un texte court"):
        assert expected in err, (expected, err)
    assert session.exec(select(func.count()).select_from(FicheExecution)).one() == 0

    # the cells fixed, the unknown fiche alone still refuses the whole workbook
    fill(book, {"1": {"Consommé État": 900, "Statut": "réalisée"},
                "2": {"Motif (en retard ou abandonnée)": "partenaire indisponible"}}, {"EPP": 7})
    wb = load_workbook(book)
    wb["Fiches"].delete_rows(9)
    wb.save(book)
    result = runner.invoke(app, ["report", "import", str(book)])
    assert result.exit_code == 2 and "Fiches : fiche 404 inconnue du contrat 71-2024" in result.stderr
    assert session.exec(select(func.count()).select_from(FicheExecution)).one() == 0
    assert session.exec(select(IndicatorValue).where(IndicatorValue.achieved.is_not(None))).first() is None  # type: ignore[union-attr]


def test_a_workbook_without_its_sheets_is_refused_by_name(cli_db: str, tmp_path: Path) -> None:
    book = imported(tmp_path)
    wb = load_workbook(book)
    wb["Fiches"].title = "Feuil1"
    wb.save(book)
    result = runner.invoke(app, ["report", "import", str(book)])
    assert result.exit_code == 2
    assert "feuille « Fiches » absente (feuilles trouvées : Paramètres, Feuil1, Indicateurs)" in result.stderr
    not_a_book = tmp_path / "rapport.xlsx"
    not_a_book.write_text("ceci n'est pas un classeur", encoding="utf-8")
    result = runner.invoke(app, ["report", "import", str(not_a_book)])
    assert result.exit_code == 2 and "classeur XLSX illisible" in result.stderr
    result = runner.invoke(app, ["report", "import", "/proc/self/environ"])
    assert result.exit_code == 2 and "n'est pas un fichier déposable" in result.stderr


def test_one_fiche_at_a_time_with_cdppe_report_fiche(cli_db: str, session: Session, tmp_path: Path) -> None:
    imported(tmp_path)
    result = runner.invoke(app, ["report", "fiche", "71-2024", "2024", "--fiche", "3",
                                 "--status", "en retard", "--reason", "recrutement différé",
                                 "--consumed-etat", "250,50",
                                 "--highlighted-for", "FIR", "--by", "Cheffe PMI"])
    assert result.exit_code == 0, result.output
    assert "Fiche 3 (71-2024 2024) : retardée enregistrée." in result.stdout
    exe, fiche = session.exec(select(FicheExecution, FicheAction).where(
        FicheExecution.fiche_id == FicheAction.id)).one()
    assert (fiche.number, exe.status, exe.consumed_etat, exe.highlighted_for) == (
        "3", FicheStatus.DELAYED, Decimal("250.50"), FundingSource.FIR)

    bad = runner.invoke(app, ["report", "fiche", "71-2024", "2024", "--fiche", "3", "--status", "abandonnée",
                              "--consumed-etat", "beaucoup"])
    assert bad.exit_code == 2
    assert "--status : " not in bad.stderr
    assert "--reason : motif obligatoire pour une action abandonnée" in bad.stderr
    assert "--consumed-etat : " in bad.stderr
    unknown = runner.invoke(app, ["report", "fiche", "71-2024", "2024", "--fiche", "404",
                                  "--status", "réalisée"])
    assert unknown.exit_code == 2 and "fiche 404 inconnue du contrat 71-2024" in unknown.stderr
    session.expire_all()
    assert session.exec(select(FicheExecution)).one().status is FicheStatus.DELAYED  # nothing changed
