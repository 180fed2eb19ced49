"""``cdppe documents`` and the Prefect task, against the test databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.present.documents import DocumentError
from cdppe.present.documents.pdf import soffice_path
from models import GeneratedDocument, PhaseState
from models.enums import Phase, PhaseStatus
from tests.db.cdppe.documents.conftest import Importer, assert_clean_docx
from tests.db.cdppe.documents.factories_documents import reported_contract

runner = CliRunner()


def test_cli_generates_lists_and_signs(cli_db: str, import_cf: Importer, session: Session,
                                       tmp_path: Path) -> None:
    import_cf(reported_contract())
    out = tmp_path / "out"
    result = runner.invoke(app, ["documents", "generate", "71-2024", "--step", "signature",
                                 "--format", "html,docx", "--out", str(out), "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert "4 document(s) produit(s)" in result.stdout
    files = sorted(p.name for p in (out / "71-2024" / "2024" / "contrat").iterdir())
    assert files == ["contrat-v1.docx", "contrat-v1.html",
                     "controle_regles-v1.docx", "controle_regles-v1.html"]

    result = runner.invoke(app, ["documents", "generate", "71-2024", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # the signature step's four files were issued by the first call: kept, said so, not rewritten
    said = " ".join(result.stdout.split())
    assert "16 document(s) produit(s), 4 déjà émis et conservé(s) tel(s) quel(s) (--nouvelle-version" in said
    assert "Contrat départemental de prévention et de protection de l'enfance, version 1, déjà émise " \
           "(html)" in said
    assert sorted(p.name for p in (out / "71-2024" / "2024" / "contrat").glob("contrat-v*")) == [
        "contrat-v1.docx", "contrat-v1.html"]
    kinds = {d.kind for d in session.exec(select(GeneratedDocument)).all()}
    assert kinds == {"fiches_action", "plan_action", "convocation", "projet_deliberation", "contrat",
                     "controle_regles", "avis_versement_bop304", "avis_versement_fir", "saisine_odpe",
                     "rapport_execution"}
    assert_clean_docx(list(session.exec(select(GeneratedDocument)).all()))

    listing = runner.invoke(app, ["documents", "list", "71-2024"])
    assert listing.exit_code == 0 and "contrat" in listing.stdout
    first = session.exec(select(GeneratedDocument).where(GeneratedDocument.fmt == "docx")).first()
    assert first is not None
    signed = runner.invoke(app, ["documents", "sign", str(first.id)])
    assert signed.exit_code == 0 and "marqué comme signé" in signed.stdout
    session.expire_all()
    row = session.get(GeneratedDocument, first.id)
    assert row is not None and row.signed


def test_cli_refusals_are_french(cli_db: str, import_cf: Importer, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import_cf(reported_contract())
    bad_step = runner.invoke(app, ["documents", "generate", "71-2024", "--step", "vote"])
    assert bad_step.exit_code == 2 and "étape 'vote' inconnue" in bad_step.output
    bad_contract = runner.invoke(app, ["documents", "generate", "99-2099"])
    assert bad_contract.exit_code == 2 and "introuvable" in bad_contract.output
    bad_year = runner.invoke(app, ["documents", "generate", "71-2024", "--year", "2031"])
    assert bad_year.exit_code == 2 and "exercice 2031 absent" in bad_year.output
    # The refusal without LibreOffice, even on a machine that has it (the conversion: below).
    monkeypatch.setattr("cdppe.present.documents.pdf.soffice_path", lambda: None)
    pdf = runner.invoke(app, ["documents", "generate", "71-2024", "--format", "pdf",
                              "--out", str(tmp_path)])
    assert pdf.exit_code == 2 and "nécessite LibreOffice" in pdf.output
    assert not any(tmp_path.iterdir())


@pytest.mark.slow  # where LibreOffice is installed: every document of the contract converted to PDF
def test_cli_pdf_where_libreoffice_is_installed(cli_db: str, import_cf: Importer, tmp_path: Path) -> None:
    import_cf(reported_contract())
    pdf = runner.invoke(app, ["documents", "generate", "71-2024", "--format", "pdf",
                              "--out", str(tmp_path)])
    if soffice_path() is None:
        assert pdf.exit_code == 2 and "nécessite LibreOffice" in pdf.output
        assert not any(tmp_path.iterdir())
    else:
        assert pdf.exit_code == 0, pdf.output


def test_complete_phase_writes_documents_and_mark_together_or_nothing(
        cli_db: str, import_cf: Importer, session: Session) -> None:
    from tasks.cycle import close_phase, resolve_exercice

    cid, ex = import_cf(reported_contract())
    ref = resolve_exercice("71-2024", 2024)
    with pytest.raises(DocumentError, match="avenant n° 2 absent"):
        close_phase.fn(ref, Phase.DELIBERATION, None, 2)
    assert session.exec(select(GeneratedDocument)).all() == []
    assert session.exec(select(PhaseState).where(PhaseState.exercice_id == ex[2024],
                                                 PhaseState.avenant_number == 2)).all() == []

    close_phase.fn(ref, Phase.DELIBERATION, None, 0)
    docs = session.exec(select(GeneratedDocument)).all()
    assert sorted({d.kind for d in docs}) == ["convocation", "projet_deliberation"]
    state = session.exec(select(PhaseState).where(PhaseState.exercice_id == ex[2024],
                                                  PhaseState.phase == Phase.DELIBERATION)).one()
    assert state.status is PhaseStatus.COMPLETED and cid == ref.contract_id
