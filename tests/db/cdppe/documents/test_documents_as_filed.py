"""The Saône-et-Loire 2024 documents as the Département files them, read back from DOCX and PDF.

The facts are recorded as the seed gives them (délibération n° 205 of 22 November 2024, voted
« à l'unanimité », convocation of 8 November, transmission on 29 November) or plausibly (payment,
report adoption). Every document kind is generated in DOCX and PDF, then read with python-docx and
``pdftotext``: the vote as recorded, the instruction's date, the Département's imputation, the
fiches annexed, the page X / Y footer, fitted plan d'action columns, the events' dates (never the
day of generation), and annex totals equal to the article's figures.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import Session

from cdppe.core.dates import format_date_fr, today_paris
from cdppe.present.documents import docx_text, generate_step_documents
from models import Deliberation, ExecutionReport, GeneratedDocument, OdpePresentation, Payment
from models.enums import FundingSource, Phase
from tests.db.cdppe.documents.conftest import Importer, example, plain
from tests.unit.cdppe.documents.test_documents_layout import grid_widths, header_and_footer

SEAL_FICHES = ("1", "2", "3", "4", "5", "13", "6 et 7", "8", "17", "9", "19", "20 et 23",
               "29-1", "29-2", "29-3", "29-4")


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                         timeout=60)
    return " ".join(plain(out.stdout.decode("utf-8")).split())


def flat(text: str) -> str:
    return " ".join(plain(text).split())


@pytest.fixture
def filed(session: Session, import_cf: Importer, tmp_path: Path) -> dict[tuple[str, str], GeneratedDocument]:
    cid, ex = import_cf(example("saone-et-loire-2024.yaml"))
    eid = ex[2024]
    session.add(Deliberation(exercice_id=eid, convocation_date=date(2024, 11, 8),
                             session_date=date(2024, 11, 22), number="205", vote="à l'unanimité",
                             acknowledgement_date=date(2024, 11, 29), recorded_by="test"))
    session.add(Payment(exercice_id=eid, source=FundingSource.BOP304, planned_amount=Decimal("843728.00"),
                        notified_amount=Decimal("843728.00"), received_on=date(2025, 1, 20),
                        recorded_by="test"))
    session.add(OdpePresentation(exercice_id=eid, session_date=date(2025, 3, 14), recorded_by="test"))
    session.add(ExecutionReport(exercice_id=eid, adopted_on=date(2025, 11, 19),
                                transmitted_on=date(2025, 11, 24), recorded_by="test"))
    session.commit()
    docs = []
    for step in (Phase.DIAGNOSIS, Phase.DELIBERATION, Phase.SIGNATURE, Phase.CREDIT_PAYMENT,
                 Phase.ODPE_REVIEW, Phase.EXECUTION_REPORT):
        docs += generate_step_documents(session, cid, eid, step, ("docx", "pdf"), out_dir=tmp_path)
    session.commit()
    return {(d.kind, d.fmt): d for d in docs}


def texts(filed: dict[tuple[str, str], GeneratedDocument], kind: str) -> tuple[str, str]:
    """(DOCX text, PDF text) of one kind, spaces normalised."""
    return flat(docx_text(Path(filed[(kind, "docx")].path))), pdf_text(Path(filed[(kind, "pdf")].path))


def test_every_kind_has_its_footer_and_no_date_of_generation(filed: dict[tuple[str, str], GeneratedDocument],
                                                             ) -> None:
    generated_on = format_date_fr(today_paris())
    kinds = {kind for kind, _ in filed}
    assert kinds == {"fiches_action", "plan_action", "convocation", "projet_deliberation", "deliberation",
                     "contrat", "controle_regles", "avis_versement_bop304", "avis_versement_fir",
                     "saisine_odpe", "rapport_execution"}
    for kind in kinds - {"controle_regles"}:  # the rule check is dated by the day it is made
        docx, pdf = texts(filed, kind)
        assert generated_on not in docx and generated_on not in pdf, kind
        _, footer, fields = header_and_footer(Document(filed[(kind, "docx")].path))
        assert {"PAGE", "NUMPAGES"} <= set(fields), (kind, fields)
        assert "page 1 / " in pdf or "page 1 /" in pdf, kind


def test_deliberation_projet_and_adopted(filed: dict[tuple[str, str], GeneratedDocument]) -> None:
    for text in (*texts(filed, "projet_deliberation"), *texts(filed, "deliberation")):
        assert "Considérant l'instruction ministérielle du 14 août 2024" in text
        assert ("l'opération « Frais de personnel - Plan Protection Enfance », chapitre 012") in text
        assert "l'opération « Participation de l'Etat », article 74718" in text
        assert "Après avoir recueilli l'avis de la Commission Solidarités, santé, citoyenneté, services " \
               "publics et celui de la Commission finances" in text
        assert "Vu la délibération du 21 décembre 2023" in text
        assert "Vu le rapport de M. le Président," in text
    for text in texts(filed, "projet_deliberation"):  # a projet never carries what follows the vote
        assert "Décide :" in text and "unanimité" not in text
        assert "Transmission en préfecture" not in text and "Délibération n° 205" not in text
    for text in texts(filed, "deliberation"):
        assert "Délibération n° 205" in text and "Décide à l'unanimité :" in text
        assert "Transmission en préfecture le 29 novembre 2024" in text


def test_contract_annexes_agree_with_its_articles(filed: dict[tuple[str, str], GeneratedDocument]) -> None:
    for text in texts(filed, "contrat"):
        assert "Vu la loi n° 2023-1322 du 29 décembre 2023 de finances pour 2024" in text
        assert "représenté par Monsieur Yves Seguy" in text
        assert "six objectifs obligatoires" in text and "ces quinze objectifs" in text
        assert "prend effet à compter de sa signature, pour l'année 2024" in text
        article = text[text.index("2.2.1"):text.index("2.2.2")]
        annex = text[text.index("Annexe 1 – Plan d'action"):text.index("Annexe 2 – Tableau de bord")]
        assert "1 692 424 €" in article
        for source, amount in (("BOP 304", "843 728 €"), ("FIR", "370 395 €"), ("ONDAM", "478 301 €")):
            assert amount in article
            row = annex[annex.index(f"Total {source}"):][:120]
            assert amount in row, (source, row)
        fiches = text[text.index("Annexe 3 – Fiches action"):]
        for number in SEAL_FICHES:
            assert f"Fiche action n° {number} —" in fiches, number
    contract = Document(filed[("contrat", "docx")].path)
    plan = next(t for t in contract.tables if t.rows[0].cells[0].text == "Objectif de la Stratégie nationale")
    assert len(set(grid_widths(plan))) > 3


def test_events_date_the_notices_and_the_report(filed: dict[tuple[str, str], GeneratedDocument]) -> None:
    for text in texts(filed, "avis_versement_bop304"):
        assert "Le 20 janvier 2025" in text[-300:]  # signed off on the day of the payment
    for text in texts(filed, "saisine_odpe"):
        assert "Le 14 mars 2025" in text
    for text in texts(filed, "convocation"):
        assert "Le 8 novembre 2024" in text
    for text in texts(filed, "rapport_execution"):
        assert "Date d'adoption 19 novembre 2025" in text
        # the PDF's narrow label column may wrap « contractualisation » under its value
        assert re.search(r"Année de première (contractualisation )?2020", text), text[:600]
        partners = text[text.index("Partenaires"):text.index("Période couverte")]
        for party in ("Préfecture de Saône-et-Loire", "Agence régionale de santé", "Département de Saône"):
            assert party in partners, partners
        assert "Engagement 1" in text


def test_a_commission_permanente_deliberates_in_its_own_name(session: Session, import_cf: Importer,
                                                             tmp_path: Path) -> None:
    """The Creuse votes its contract in commission permanente and gives no imputation nor civilité."""
    cid, ex = import_cf(example("creuse-2025-2027.yaml"))
    docs = generate_step_documents(session, cid, ex[2025], Phase.DELIBERATION, ("docx",), out_dir=tmp_path)
    session.commit()
    text = {d.kind: flat(docx_text(Path(d.path))) for d in docs}
    assert "Mesdames et Messieurs les membres de la commission permanente" in text["convocation"]
    assert "L. 3121-19" not in text["convocation"]  # the assembly's twelve days
    projet = text["projet_deliberation"]
    assert "Réunion de la commission permanente du 2 octobre 2025" in projet
    assert "La commission permanente Vu le code général des collectivités territoriales, notamment ses " \
           "articles L. 3211-1 et L. 3211-2," in projet
    assert "Le conseil départemental" not in projet
    assert "Vu le rapport du Président du conseil départemental," in projet
    assert "Considérant l'instruction ministérielle relative" in projet  # its date is not known for 2025
    assert "chapitre" not in projet and "Les recettes (236 818 €) seront inscrites au budget du Département" \
        in projet
