"""Storage: one record per file, version N+1 on each generation, signed files never replaced."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from cdppe.present.documents import (
    DocumentError,
    PdfUnavailableError,
    SignedDocumentError,
    generate_step_documents,
    mark_signed,
    template_version,
)
from cdppe.present.documents.pdf import soffice_path
from cdppe.store.documents import write_file
from models import GeneratedDocument
from models.enums import Phase
from tests.db.cdppe.documents.conftest import Importer, assert_clean_docx, read_doc
from tests.factories import minimal_contract


def test_a_new_version_only_on_request(session: Session, import_cf: Importer,
                                        tmp_path: Path) -> None:
    """Generating a step again keeps what was issued; ``new_version`` issues v2 beside v1."""
    cid, exercices = import_cf(minimal_contract())
    first = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, out_dir=tmp_path)
    session.commit()
    first_bytes = {(d.kind, d.fmt): Path(d.path).read_bytes() for d in first}
    kept = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, out_dir=tmp_path)
    session.commit()
    assert [d.id for d in kept] == [d.id for d in first]
    assert len(session.exec(select(GeneratedDocument)).all()) == 4
    second = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, out_dir=tmp_path,
                                     new_version=True)
    session.commit()

    for docs, version in ((first, 1), (second, 2)):
        assert [(d.kind, d.fmt, d.version) for d in docs] == [
            ("contrat", "html", version), ("contrat", "docx", version),
            ("controle_regles", "html", version), ("controle_regles", "docx", version)]
    for doc in (*first, *second):
        path = Path(doc.path)
        assert path.is_relative_to(tmp_path)
        assert path.name == f"{doc.kind}-v{doc.version}.{doc.fmt}"
        assert path.parent == tmp_path / "71-2024" / "2024" / "contrat"
        assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert doc.template_version == template_version()
        assert doc.step == "signature" and doc.contract_id == cid
        assert doc.generated_at.tzinfo is not None
    assert {(d.kind, d.fmt): Path(d.path).read_bytes() for d in first} == first_bytes  # v1 untouched
    rows = session.exec(select(GeneratedDocument)).all()
    assert len(rows) == 8
    assert_clean_docx([*first, *second])


def test_signed_document_is_never_overwritten(session: Session, import_cf: Importer,
                                              tmp_path: Path) -> None:
    cid, exercices = import_cf(minimal_contract())
    docs = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("docx",),
                                   out_dir=tmp_path)
    session.commit()
    signed = docs[0]
    assert signed.id is not None
    original = Path(signed.path).read_bytes()
    mark_signed(session, signed.id)
    session.commit()

    again = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("docx",),
                                    out_dir=tmp_path, new_version=True)
    session.commit()
    assert again[0].version == 2 and again[0].path != signed.path
    assert Path(signed.path).read_bytes() == original
    session.expire_all()
    row = session.get(GeneratedDocument, signed.id)
    assert row is not None and row.signed and row.sha256 == hashlib.sha256(original).hexdigest()

    with pytest.raises(SignedDocumentError, match="document signé"):
        write_file(session, Path(signed.path), b"autre contenu")
    assert Path(signed.path).read_bytes() == original


def test_recorded_unsigned_file_is_not_replaced_either(session: Session, import_cf: Importer,
                                                       tmp_path: Path) -> None:
    cid, exercices = import_cf(minimal_contract())
    doc = generate_step_documents(session, cid, exercices[2024], Phase.DIAGNOSIS, ("html",),
                                  out_dir=tmp_path)[0]
    with pytest.raises(DocumentError, match="déjà enregistré"):
        write_file(session, Path(doc.path), b"x")


def test_unknown_format_is_refused_before_anything_is_written(session: Session, import_cf: Importer,
                                                              tmp_path: Path) -> None:
    cid, exercices = import_cf(minimal_contract())
    with pytest.raises(DocumentError, match="format 'odt' inconnu"):
        generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("html", "odt"),
                                out_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_pdf_needs_libreoffice(session: Session, import_cf: Importer, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    cid, exercices = import_cf(minimal_contract())
    monkeypatch.setattr("cdppe.present.documents.pdf.soffice_path", lambda: None)  # even where installed
    with pytest.raises(PdfUnavailableError, match="nécessite LibreOffice"):
        generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("pdf",),
                                out_dir=tmp_path)
    assert not any(tmp_path.iterdir())
    assert session.exec(select(GeneratedDocument)).first() is None


@pytest.mark.slow  # where LibreOffice is installed: the contract converted to PDF
def test_pdf_where_libreoffice_is_installed(session: Session, import_cf: Importer, tmp_path: Path) -> None:
    cid, exercices = import_cf(minimal_contract())
    if soffice_path() is None:
        with pytest.raises(PdfUnavailableError, match="nécessite LibreOffice"):
            generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("pdf",),
                                    out_dir=tmp_path)
        assert not any(tmp_path.iterdir())
        assert session.exec(select(GeneratedDocument)).first() is None
    else:
        docs = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("pdf",),
                                       out_dir=tmp_path)
        assert Path(docs[0].path).read_bytes().startswith(b"%PDF")


def test_default_directory_is_the_settings_documents_dir(session: Session, import_cf: Importer) -> None:
    from cdppe.core.settings import get_settings

    cid, exercices = import_cf(minimal_contract())
    doc = generate_step_documents(session, cid, exercices[2024], Phase.DIAGNOSIS, ("html",))[0]
    assert Path(doc.path).is_relative_to(get_settings().documents_dir)


def test_an_issued_document_is_frozen_and_its_period_is_its_exercices(session: Session, import_cf: Importer,
                                                                      tmp_path: Path) -> None:
    """The 2024 projet de délibération, issued in HTML, then 2025 opened: asking for its DOCX derives
    it from the issued HTML (same version, « Contrat 2024 »); a new version made on request after the
    opening still says « Contrat 2024 », the contract's period as of 2024, never « 2024-2025 »."""
    from cdppe.services.exercices import open_exercice
    from models import Contract

    cid, exercices = import_cf(minimal_contract())
    html = generate_step_documents(session, cid, exercices[2024], Phase.DELIBERATION, ("html",),
                                   out_dir=tmp_path)
    session.commit()
    projet = next(d for d in html if d.kind == "projet_deliberation")
    issued = Path(projet.path).read_bytes()
    contract = session.get(Contract, cid)
    assert contract is not None
    open_exercice(session, contract, 2025, "Opératrice", date(2025, 1, 5))
    session.commit()
    assert contract.last_year == 2025

    both = generate_step_documents(session, cid, exercices[2024], Phase.DELIBERATION, ("html", "docx"),
                                   out_dir=tmp_path)
    session.commit()
    kept = {(d.kind, d.fmt): d for d in both}
    assert kept[("projet_deliberation", "html")].id == projet.id
    assert Path(projet.path).read_bytes() == issued
    docx = kept[("projet_deliberation", "docx")]
    assert docx.version == projet.version == 1
    text = read_doc(docx)
    assert "Contrat 2024" in text and "2024-2025" not in text

    fresh = generate_step_documents(session, cid, exercices[2024], Phase.DELIBERATION, ("html",),
                                    out_dir=tmp_path, new_version=True)
    session.commit()
    again = next(d for d in fresh if d.kind == "projet_deliberation")
    assert again.version == 2 and Path(projet.path).read_bytes() == issued
    assert "2024-2025" not in read_doc(again) and "Contrat 2024" in read_doc(again)


def test_a_document_issued_in_one_format_keeps_its_html_for_the_others(session: Session, import_cf: Importer,
                                                                       tmp_path: Path) -> None:
    cid, exercices = import_cf(minimal_contract())
    docx = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("docx",),
                                   out_dir=tmp_path)
    session.commit()
    assert [(d.kind, d.fmt) for d in docx] == [("contrat", "docx"), ("controle_regles", "docx")]
    stored = session.exec(select(GeneratedDocument)).all()
    assert sorted((d.kind, d.fmt, d.version) for d in stored) == [
        ("contrat", "docx", 1), ("contrat", "html", 1), ("controle_regles", "docx", 1),
        ("controle_regles", "html", 1)]
    both = generate_step_documents(session, cid, exercices[2024], Phase.SIGNATURE, ("html", "docx"),
                                   out_dir=tmp_path)
    assert {d.id for d in both} == {d.id for d in stored}
