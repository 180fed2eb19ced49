"""Every step's documents from the database: content, counts, and what each step produces."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, select

from cdppe.present.documents import DocumentError, generate_step_documents
from models import (
    Amendment,
    AmendmentLine,
    AmendmentTransfer,
    FicheAction,
    GeneratedDocument,
    IndicatorValue,
    MoneyLine,
    OdpeReview,
    Payment,
)
from models.enums import AmendmentPart, FundingSource, Payer, Phase
from tests.db.cdppe.documents.conftest import Importer, assert_clean_docx, plain, read_doc
from tests.db.cdppe.documents.factories_documents import reported_contract


def _generate(session: Session, cid: int, eid: int, step: Phase, out: Path,
              avenant: int = 0) -> dict[tuple[str, str], str]:
    """A new version of the step's documents from today's data (the tests change data between calls)."""
    docs = generate_step_documents(session, cid, eid, step, ("html", "docx"), avenant, out, new_version=True)
    session.commit()
    assert_clean_docx(docs)
    return {(d.kind, d.fmt): plain(read_doc(d)) for d in docs}


def test_execution_report_counts_come_from_statuses(session: Session, import_cf: Importer,
                                                    tmp_path: Path) -> None:
    cid, ex = import_cf(reported_contract())
    out = _generate(session, cid, ex[2024], Phase.EXECUTION_REPORT, tmp_path)
    assert set(out) == {("rapport_execution", "html"), ("rapport_execution", "docx")}
    for fmt in ("html", "docx"):
        text = out[("rapport_execution", fmt)]
        # 7 fiches: implemented + in progress + delayed count as "mises en œuvre"
        assert "Nombre d'actions mises en œuvre / nombre d'actions prévues = 3 / 7" in text
        assert "a pris du retard / nombre d'actions prévues = 1 / 7" in text
        assert "Nombre d'actions abandonnées / nombre d'actions prévues = 1 / 7" in text
        assert "recrutement tardif du chargé de mission" in text
        assert "la Cour de cassation met un terme au placement à domicile" in text
        assert "Au titre du BOP 304 : fiche action 2" in text
        assert "Au titre du FIR : fiche action 1" in text
        assert "Au titre de l'ONDAM médico-social : fiche action 99" in text
        assert ("1<sup>er</sup> mars 2024" if fmt == "html" else "1er mars 2024") in text
        for value in ("33 %", "sans objet", "non renseigné"):
            assert value in text
        for bad in ("#DIV/0", "NaN", "Infinity", "None", "#VALEUR", "Undefined"):
            assert bad not in text
    html = out[("rapport_execution", "html")]
    assert len(re.findall(r"<h4>Fiche ", html)) == 7
    assert "Recrutement d&#39;une sage-femme</p><p>Entretiens prénataux précoces" in html
    # financial annex: FIR paid nothing yet, 900 € consumed on fiche 1
    assert "Annexe 1 – Bilan financier" in html and "900 €" in html


def test_payment_notices_one_per_envelope(session: Session, import_cf: Importer,
                                          tmp_path: Path) -> None:
    cid, ex = import_cf(reported_contract())
    session.add(Payment(exercice_id=ex[2024], source=FundingSource.FIR, planned_amount=Decimal("3000.00"),
                        notified_amount=Decimal("2950.50"), received_on=date(2025, 3, 1),
                        recorded_by="test"))
    session.commit()
    out = _generate(session, cid, ex[2024], Phase.CREDIT_PAYMENT, tmp_path)
    assert {k for k, _ in out} == {"avis_versement_bop304", "avis_versement_fir"}
    fir = out[("avis_versement_fir", "docx")]
    assert "Montant notifié" in fir and "2 950,50 €" in fir and "1er mars 2025" in fir
    assert "l'agent comptable de l'ARS" in fir and "le DG de l'ARS" in fir
    assert "49,50 € (en moins)" in fir
    bop = out[("avis_versement_bop304", "html")]
    assert "montant prévisionnel" in bop and "le Payeur départemental" in bop
    assert "programme 304" in bop and "FR76 0000 0000 0000" in bop
    assert "31 décembre 2025" in bop


def test_odpe_record_only_once_the_opinion_exists(session: Session, import_cf: Importer,
                                                  tmp_path: Path) -> None:
    cid, ex = import_cf(reported_contract())
    out = _generate(session, cid, ex[2024], Phase.ODPE_REVIEW, tmp_path)
    assert {k for k, _ in out} == {"saisine_odpe"}
    assert "Saisine de l'observatoire départemental" in out[("saisine_odpe", "docx")]
    session.add(OdpeReview(exercice_id=ex[2024], session_date=date(2025, 10, 7),
                           opinion="Avis favorable.\nL'observatoire salue le travail mené.",
                           favourable=True, recorded_by="test"))
    session.commit()
    out = _generate(session, cid, ex[2024], Phase.ODPE_REVIEW, tmp_path)
    assert {k for k, _ in out} == {"saisine_odpe", "avis_odpe"}
    record = out[("avis_odpe", "docx")]
    assert "7 octobre 2025" in record and "favorable" in record
    assert "L'observatoire salue le travail mené." in record


def test_diagnosis_and_deliberation(session: Session, import_cf: Importer, tmp_path: Path) -> None:
    cid, ex = import_cf(reported_contract())
    out = _generate(session, cid, ex[2024], Phase.DIAGNOSIS, tmp_path)
    fiches = out[("fiches_action", "docx")]
    assert fiches.count("Fiche action n° ") == 7
    for label in ("Constat du diagnostic", "Objectif opérationnel", "Description de l'action",
                  "Identification des acteurs à mobiliser", "Moyens financiers prévisionnels",
                  "Calendrier prévisionnel", "Indicateurs de mise en œuvre", "Points de vigilance"):
        assert label in fiches
    assert "Financement État : 1 000 €" in fiches
    plan = out[("plan_action", "html")]
    assert "Total BOP 304" in plan and "Total 2024" in plan

    out = _generate(session, cid, ex[2024], Phase.DELIBERATION, tmp_path)
    convocation = out[("convocation", "docx")]
    assert "22 novembre 2024" in convocation
    assert "8 novembre 2024" in convocation  # 12 days before, on a working day (Friday)
    delib = out[("projet_deliberation", "docx")]
    assert "Vu le code général des collectivités territoriales" in delib
    assert "Considérant" in delib and "Décide" in delib
    assert "6 500 €, dont 6 000 € alloués au Département" in delib
    assert "d'autoriser le Président du conseil départemental à le signer" in delib
    assert "Les recettes (6 000 €) seront inscrites au budget du Département" in delib  # no imputation given


def test_avenant_with_its_replaced_annexes(session: Session, import_cf: Importer,
                                           tmp_path: Path) -> None:
    cid, ex = import_cf(reported_contract())
    amendment = Amendment(exercice_id=ex[2024], number=1, request_key="k1", reason="le report de crédits",
                          opened_by="test")
    session.add(amendment)
    session.flush()
    assert amendment.id is not None
    for part, amount in ((AmendmentPart.INITIAL, "3000.00"), (AmendmentPart.CARRY_OVER, "1250.40")):
        session.add(AmendmentLine(amendment_id=amendment.id, source=FundingSource.BOP304, part=part,
                                  amount=Decimal(amount), label=part.label))
    session.add(AmendmentTransfer(amendment_id=amendment.id, source=FundingSource.FIR, from_fiche="1",
                                  to_fiche="3", amount=Decimal("200.00"), informed_on=date(2024, 6, 3)))
    session.commit()

    with pytest.raises(DocumentError, match="numéro d'avenant"):
        generate_step_documents(session, cid, ex[2024], Phase.AMENDMENT, out_dir=tmp_path)
    with pytest.raises(DocumentError, match="avenant n° 2 absent"):
        generate_step_documents(session, cid, ex[2024], Phase.AMENDMENT, avenant_number=2,
                                out_dir=tmp_path)
    # Article 1 carries 1 250,40 € over, the plan d'action has no line for it: refused, both figures named.
    with pytest.raises(DocumentError, match=r"BOP 304 : l'article 1 de l'avenant n° 1 porte 4\s250,40\s€, "
                                            r"le plan d'action annexé \(annexe 1\) totalise 3\s000\s€"):
        generate_step_documents(session, cid, ex[2024], Phase.AMENDMENT, avenant_number=1, out_dir=tmp_path)
    assert not session.exec(select(GeneratedDocument).where(GeneratedDocument.kind == "avenant")).all()
    assert not list(tmp_path.rglob("avenant-v*"))
    fiche = session.exec(select(FicheAction).where(FicheAction.contract_id == cid,
                                                   FicheAction.number == "2")).one()
    session.add(MoneyLine(fiche_id=fiche.id, exercice_id=ex[2024], payer=Payer.ETAT,
                          source=FundingSource.BOP304, amount=Decimal("1250.40"), label="report",
                          amendment_id=amendment.id))
    session.commit()
    out = _generate(session, cid, ex[2024], Phase.AMENDMENT, tmp_path, avenant=1)
    text = out[("avenant", "docx")]
    assert "Avenant n° 1 au contrat" in text
    assert "4 250,40 €" in text  # BOP 304: initial + carry-over
    assert "7 750,40 €" in text  # new State total: 4 250,40 + 3 000 + 500
    assert "Report de crédits de l'exercice précédent" in text
    assert "3 juin 2024" in text and "200 €" in text
    assert "remplace l'annexe 1 du contrat" in text and "remplace l'annexe 2 du contrat" in text
    assert "Les autres articles du contrat demeurent inchangés" in text
    docs = generate_step_documents(session, cid, ex[2024], Phase.DELIBERATION, avenant_number=1,
                                   out_dir=tmp_path)
    assert all("/avenant-1/" in d.path for d in docs)
    delib = plain(read_doc(next(d for d in docs if d.kind == "projet_deliberation" and d.fmt == "html")))
    assert "d'approuver l'avenant n° 1" in delib and "7 750,40 €" in delib
    signature = generate_step_documents(session, cid, ex[2024], Phase.SIGNATURE, ("html",),
                                        avenant_number=1, out_dir=tmp_path)
    assert [d.kind for d in signature] == ["avenant", "controle_regles"]


def test_unknown_contract_or_exercice_is_a_french_error(session: Session, import_cf: Importer,
                                                        tmp_path: Path) -> None:
    cid, ex = import_cf(reported_contract())
    with pytest.raises(DocumentError, match="contrat n° 999999 introuvable"):
        generate_step_documents(session, 999999, ex[2024], Phase.SIGNATURE, out_dir=tmp_path)
    with pytest.raises(DocumentError, match="exercice n° 999999 absent"):
        generate_step_documents(session, cid, 999999, Phase.SIGNATURE, out_dir=tmp_path)


def test_the_report_never_counts_a_missing_consumption_as_zero(session: Session, import_cf: Importer,
                                                                tmp_path: Path) -> None:
    """FIR 3 000 € paid, fiche 1 reports 900 €, fiches 3 and 5 report nothing: no reliquat is written
    (0 € for them would have shown 2 100 € to carry over); once they report 0 € and 600 €, 1 500 €."""
    data = reported_contract()
    cid, ex = import_cf(data)
    session.add(Payment(exercice_id=ex[2024], source=FundingSource.FIR, planned_amount=Decimal("3000.00"),
                        notified_amount=Decimal("3000.00"), received_on=date(2025, 1, 10), recorded_by="t"))
    session.commit()
    html = _generate(session, cid, ex[2024], Phase.EXECUTION_REPORT, tmp_path)[("rapport_execution", "html")]
    assert "inconnu : consommation non renseignée (2 fiches : 3, 5)" in html
    assert "2 100 €" not in html

    data["fiches"][2]["execution"][0]["consumed_etat"] = "0.00"
    data["fiches"][4]["execution"] = [{"exercice": 2024, "status": "in_progress", "consumed_etat": "600.00"}]
    import_cf(data)
    html = _generate(session, cid, ex[2024], Phase.EXECUTION_REPORT, tmp_path)[("rapport_execution", "html")]
    row = re.search(r"<tr><td>FIR</td>(.*?)</tr>", html)
    assert row is not None and "inconnu" not in row.group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(1)) == [
        "3 000 €", "3 000 €", "1 500 €", "1 500 €"]


def test_the_tableau_de_bord_keeps_nr_nd_and_text_and_shows_the_gap(session: Session, import_cf: Importer,
                                                                     tmp_path: Path) -> None:
    data = reported_contract()
    data["indicators"][1]["values"][0] = {"year": 2024, "target": "800", "achieved": "NR"}
    data["indicators"][2]["values"][0] = {"year": 2024, "target": "150", "achieved": "Données CAF attendues"}
    cid, ex = import_cf(data)
    assert import_cf(data)[0] == cid  # the same file again changes nothing (no conflict on NR / text)
    stored = {(v.achieved, v.achieved_note) for v in session.exec(select(IndicatorValue))}
    assert (None, "NR") in stored and (None, "Données CAF attendues") in stored
    html = _generate(session, cid, ex[2024], Phase.EXECUTION_REPORT, tmp_path)[("rapport_execution", "html")]
    # EPP: 6.6 % of a 20 % target: ratio 33 %, gap (6.6 − 20) / 20 = −67 %
    assert re.search(r"<td class=\"num\">33 %</td>\s*<td class=\"num\">-67 %</td>", html)
    assert re.search(r"<td class=\"num\">NR</td>\s*<td class=\"num\">non renseigné</td>\s*"
                     r"<td class=\"num\">non renseigné</td>", html)
    assert "Données CAF attendues" in html and "Écart à la cible" in html
