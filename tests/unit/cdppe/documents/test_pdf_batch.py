"""PDF in batches and through one warm LibreOffice (needs LibreOffice, python3-uno, pdftotext).

``make test`` installs them. Every test sends temporary files to its own folder: the private
LibreOffice profiles are there, so a process still naming that folder is one we left behind.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest
from docx import Document

from cdppe.present.documents import DocumentError, PdfUnavailableError
from cdppe.present.documents import pdf as pdf_module
from cdppe.present.documents.pdf import docx_to_pdf, docx_to_pdf_many, pdf_converter

MODES: dict[str, Callable[[], AbstractContextManager[None]]] = {
    "batch": nullcontext, "warm": pdf_converter}


def make_docx(text: str) -> bytes:
    document = Document()
    document.add_heading(f"Titre {text}", level=1)
    document.add_paragraph(f"Texte distinctif : {text}.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def broken_docx() -> bytes:
    """A zip that looks like a DOCX and is not one: only LibreOffice can tell."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<w:document")
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8")


def left_behind(folder: Path) -> list[str]:
    """Processes still naming ``folder`` in their command line (a profile, a document)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(folder).encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert left_behind(folder) == []
    assert list(folder.iterdir()) == []  # every private directory removed


@pytest.mark.parametrize("mode", MODES)
def test_one_pdf_per_document_in_order(mode: str, tmp: Path) -> None:
    texts = ["Guéret-alpha", "Aubusson-bravo", "Bourganeuf-charlie"]
    with MODES[mode]():
        pdfs = docx_to_pdf_many([make_docx(t) for t in texts], ["A", "B", "C"])
    assert len(pdfs) == 3
    for text, data in zip(texts, pdfs, strict=True):
        assert data.startswith(b"%PDF")
        content = pdf_text(data)
        assert text in content
        assert [other for other in texts if other != text and other in content] == []


def test_warm_pdf_is_the_cold_one(tmp: Path) -> None:
    """Same text, same pages: only the creation date and the document id differ."""
    docx = make_docx("Creuse-2025")
    cold = docx_to_pdf(docx)
    with pdf_converter():
        warm = docx_to_pdf(docx)
    assert pdf_text(warm) == pdf_text(cold)
    assert abs(len(warm) - len(cold)) < 64


@pytest.mark.parametrize("mode", MODES)
def test_a_bad_docx_is_named_and_nothing_is_returned(mode: str, tmp: Path) -> None:
    with MODES[mode](), pytest.raises(DocumentError, match="« Convocation » n'est pas un fichier DOCX"):
        docx_to_pdf_many([make_docx("un"), b"pas un docx", make_docx("deux")],
                         ["Fiches action", "Convocation", "Contrat"])
    with MODES[mode](), pytest.raises(DocumentError) as caught:
        docx_to_pdf_many([make_docx("un"), broken_docx()], ["Fiches action", "Rapport d'exécution"])
    message = str(caught.value)
    assert message.startswith("LibreOffice n'a pas pu produire le PDF de « Rapport d'exécution » :")
    assert "Traceback" not in message


def test_the_warm_libreoffice_survives_a_bad_document_and_then_stops(tmp: Path) -> None:
    with pdf_converter():
        warm = pdf_module._ACTIVE.get()
        assert warm is not None
        assert "un" in pdf_text(docx_to_pdf(make_docx("un")))
        running = warm.processes
        assert len(running) >= 2  # LibreOffice (oosplash, soffice.bin) and the UNO helper
        with pytest.raises(DocumentError, match="« Cassé »"):
            docx_to_pdf(broken_docx(), "Cassé")
        with pdf_converter():  # nested: the same LibreOffice
            assert "deux" in pdf_text(docx_to_pdf(make_docx("deux")))
        assert warm.processes == running
    assert [pid for pid in running if Path(f"/proc/{pid}").exists()] == []  # gone and reaped


def test_an_eager_libreoffice_started_for_nothing_stops(tmp: Path) -> None:
    with pdf_converter(eager=True):
        warm = pdf_module._ACTIVE.get()
        assert warm is not None
        running = warm.processes
        assert running  # launched at once, still connecting
    assert [pid for pid in running if Path(f"/proc/{pid}").exists()] == []
    with pdf_converter(eager=True):
        assert "trois" in pdf_text(docx_to_pdf(make_docx("trois")))


@pytest.mark.parametrize("mode", MODES)
def test_without_libreoffice(mode: str, tmp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with MODES[mode](), pytest.raises(PdfUnavailableError, match="nécessite LibreOffice"):
        docx_to_pdf_many([make_docx("un")])


def fake_soffice(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\n{script}\n")  # its arguments name the profile under ``tmp``
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.parametrize("mode", MODES)
def test_a_libreoffice_that_fails_to_start(mode: str, tmp: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fake_soffice("echo 'profil illisible' >&2; exit 3", tmp_path, monkeypatch)
    expected = ("n'a pas pu produire le PDF de « Contrat » : profil illisible" if mode == "batch"
                else r"n'a pas démarré : il s'est arrêté au démarrage \(code 3\) profil illisible")
    with MODES[mode](), pytest.raises(DocumentError, match=expected):
        docx_to_pdf(make_docx("un"), "Contrat")


@pytest.mark.parametrize("mode", MODES)
def test_a_hung_libreoffice_is_stopped(mode: str, tmp: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake_soffice("sleep 120", tmp_path, monkeypatch)
    monkeypatch.setattr(pdf_module, "PDF_TIMEOUT_SECONDS", 1)
    expected = "n'a pas produit le PDF de « Contrat » en 1 s" if mode == "batch" else "n'a pas démarré"
    with MODES[mode](), pytest.raises(DocumentError, match=expected):
        docx_to_pdf(make_docx("un"), "Contrat")
