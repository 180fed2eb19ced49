"""The real examples: Saône-et-Loire 2024 (deliberation, contract) and Creuse 2025-2027 (report)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session

from cdppe.present.documents import generate_step_documents
from models import GeneratedDocument
from models.enums import FicheStatus, Phase
from tests.db.cdppe.documents.conftest import Importer, assert_clean_docx, example, plain, read_doc

SEL_FIGURES = ("1 692 424 €", "843 728 €", "370 395 €", "478 301 €", "1 214 123 €")
CONTRACT_STRUCTURE = (
    "Préambule",
    "Article 1 – Objet du contrat",
    "Article 2 – Engagements réciproques du Département et de l'État",
    "2.1. Les engagements concourant à la mise en œuvre de la stratégie",
    "2.2.1. Financement par l'État",
    "2.2.2. Financement par le Département",
    "Article 3 – Suivi et évaluation du contrat",
    "au plus tard un an après la signature du contrat",
    "Article 4 – Modalités de versement des crédits",
    "Au titre de la loi de finances (programme 304)",
    "l'ordonnateur de la dépense est",
    "le comptable assignataire de la dépense est",
    "Au titre du FIR",
    "Article 5 – Durée du contrat et renouvellement",
    "Article 6 – Dénonciation du contrat",
    "Article 7 – Litiges",
    "Annexe 1 – Plan d'action",
    "Annexe 2 – Tableau de bord",
)


def _texts(docs: list[GeneratedDocument]) -> dict[tuple[str, str], str]:
    return {(d.kind, d.fmt): plain(read_doc(d)) for d in docs}


def test_saone_et_loire_deliberation_and_contract(session: Session, import_cf: Importer,
                                                  tmp_path: Path) -> None:
    cf = example("saone-et-loire-2024.yaml")
    cid, ex = import_cf(cf)
    docs = []
    for step in (Phase.DELIBERATION, Phase.SIGNATURE):
        docs += generate_step_documents(session, cid, ex[2024], step, ("html", "docx"),
                                        out_dir=tmp_path)
    session.commit()
    assert_clean_docx(docs)
    texts = _texts(docs)
    for fmt in ("html", "docx"):
        delib = texts[("projet_deliberation", fmt)]
        contract = texts[("contrat", fmt)]
        for figure in SEL_FIGURES:
            assert figure in delib, (fmt, figure)
            assert figure in contract, (fmt, figure)
        assert "22 novembre 2024" in delib and "22 novembre 2024" in contract
        assert "Vu le code général des collectivités territoriales" in delib
        assert "Considérant" in delib and "Décide" in delib
        assert "d'autoriser M. le Président à le signer" in delib
        assert "Les crédits sont inscrits au budget 2024" in delib
        assert "Les recettes (1 214 123 €) seront imputées" in delib
        positions = [contract.find(part) for part in CONTRACT_STRUCTURE]
        assert all(p >= 0 for p in positions), [s for s, p in zip(CONTRACT_STRUCTURE, positions,
                                                                   strict=True) if p < 0]
        assert positions == sorted(positions), "articles dans le désordre"
        for party in (cf.parties.prefet, cf.parties.ars, cf.parties.departement):
            assert plain(party.signatory.name) in contract
        first = "1<sup>er</sup>" if fmt == "html" else "1er"  # a superscript run in the DOCX
        assert f"du {first} janvier 2024 au 31 décembre 2025" in contract
        assert "Au titre de l'année 2024, ce soutien s'élève à un montant prévisionnel de 1 692 424 €" \
            in contract
    # French typography: the amounts carry non-breaking spaces in the files themselves
    raw = Path(next(d.path for d in docs if d.kind == "contrat" and d.fmt == "html")).read_text("utf-8")
    assert "1\u202f692\u202f424\u00a0€" in raw


def test_creuse_execution_report(session: Session, import_cf: Importer, tmp_path: Path) -> None:
    cf = example("creuse-2025-2027.yaml")
    cid, ex = import_cf(cf)
    reported_years = sorted({e.exercice for f in cf.fiches for e in f.execution}) or [cf.exercices[0].year]
    for year in reported_years:
        docs = generate_step_documents(session, cid, ex[year], Phase.EXECUTION_REPORT,
                                       ("html", "docx"), out_dir=tmp_path)
        session.commit()
        assert_clean_docx(docs)
        texts = _texts(docs)
        statuses = []
        for fiche in cf.fiches:
            done = [e.status for e in fiche.execution if e.exercice == year]
            statuses.append(done[0] if done else FicheStatus.PLANNED)
        planned = len(cf.fiches)
        implemented = sum(s in (FicheStatus.IMPLEMENTED, FicheStatus.IN_PROGRESS, FicheStatus.DELAYED)
                          for s in statuses)
        delayed = statuses.count(FicheStatus.DELAYED)
        abandoned = statuses.count(FicheStatus.ABANDONED)
        for fmt in ("html", "docx"):
            text = texts[("rapport_execution", fmt)]
            assert (f"Nombre d'actions mises en œuvre / nombre d'actions prévues = "
                    f"{implemented} / {planned}") in text
            assert f"a pris du retard / nombre d'actions prévues = {delayed} / {planned}" in text
            assert f"Nombre d'actions abandonnées / nombre d'actions prévues = {abandoned} / {planned}" \
                in text
            dashboard = text[text.index("Annexe 2 – Tableau de bord"):]
            for bad in ("#DIV/0", "NaN", "Infinity", "None", "#VALEUR", "#N/A", "inf %"):
                assert bad not in dashboard, (fmt, bad)
        html = texts[("rapport_execution", "html")]
        sections = re.findall(r"<h4>Fiche ([^<]+?) — ", html)
        assert len(sections) == planned
        assert sorted(sections) == sorted(plain(f.number) for f in cf.fiches)


def test_creuse_every_step_produces_clean_docx(session: Session, import_cf: Importer,
                                               tmp_path: Path) -> None:
    cf = example("creuse-2025-2027.yaml")
    cid, ex = import_cf(cf)
    for year, eid in ex.items():
        for step in Phase:
            if step is Phase.AMENDMENT:
                continue
            docs = generate_step_documents(session, cid, eid, step, ("html", "docx"),
                                           out_dir=tmp_path)
            assert docs or step is Phase.CREDIT_PAYMENT, (year, step)
            assert_clean_docx(docs)
    contract = generate_step_documents(session, cid, ex[min(ex)], Phase.SIGNATURE, ("docx",),
                                       out_dir=tmp_path)[0]
    text = plain(read_doc(contract))
    assert "Département de la Creuse" in text
    assert "pour les années 2025 à 2027" in text
    for year in ex:
        assert f"Au titre de l'année {year}, ce soutien s'élève" in text
