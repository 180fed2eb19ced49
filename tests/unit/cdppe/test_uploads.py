"""Finding 2 of issue 17: a signed scan comes in through one door, never as a server path."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.core.settings import get_settings
from cdppe.services.uploads import UploadRefusedError, find_ingested, ingest_operator_file, uploads_dir
from models.answers import SignatureAnswer

PDF = b"%PDF-1.4\n% page signee\n%%EOF\n"


def stored_uploads() -> list[Path]:
    return sorted(uploads_dir().glob("*")) if uploads_dir().exists() else []


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "scan.pdf"
    path.write_bytes(PDF)
    return path


def test_a_pdf_is_stored_once_under_its_sha256(pdf: Path) -> None:
    first = ingest_operator_file(pdf, "--scan")
    again = ingest_operator_file(pdf, "--scan")
    assert first.sha256 == again.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.path.read_bytes() == PDF and first.size == len(PDF)
    assert find_ingested(first.sha256, "scan_sha256").path == first.path
    assert not list(uploads_dir().glob(".upload-*"))  # no temporary file left


@pytest.mark.parametrize("source", ["/proc/self/environ", "/etc/passwd", "/dev/zero", "/sys/kernel/mm",
                                    "/nonexistent/scan.pdf"])
def test_server_files_are_refused_and_nothing_stored(source: str) -> None:
    before = stored_uploads()
    with pytest.raises(UploadRefusedError) as info:
        ingest_operator_file(Path(source), "--scan")
    assert str(info.value).startswith("--scan : ")
    assert stored_uploads() == before


def test_links_to_system_files_fifos_and_non_pdf_are_refused(tmp_path: Path) -> None:
    before = stored_uploads()
    link = tmp_path / "scan.pdf"
    link.symlink_to("/proc/self/environ")
    fifo = tmp_path / "fifo.pdf"
    os.mkfifo(fifo)
    text = tmp_path / "faux.pdf"
    text.write_bytes(b"PK\x03\x04 not a pdf at all")
    reasons = {}
    for path in (link, fifo, text, tmp_path):
        with pytest.raises(UploadRefusedError) as info:
            ingest_operator_file(path, "--scan")
        reasons[path.name] = info.value.reason
    assert "système" in reasons["scan.pdf"]
    assert "pas un fichier ordinaire" in reasons["fifo.pdf"]
    assert "pas un PDF" in reasons["faux.pdf"]
    assert "pas un fichier ordinaire" in reasons[tmp_path.name]
    assert stored_uploads() == before


def test_an_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDPPE_UPLOAD_MAX_BYTES", "1024")
    get_settings.cache_clear()
    try:
        big = tmp_path / "gros.pdf"
        big.write_bytes(PDF + b"0" * 2000)
        before = stored_uploads()
        with pytest.raises(UploadRefusedError) as info:
            ingest_operator_file(big, "--scan")
        assert "trop volumineux" in info.value.reason
        assert stored_uploads() == before
        assert not list(uploads_dir().glob(".upload-*"))
    finally:
        get_settings.cache_clear()


def test_the_form_takes_a_sha256_never_a_path() -> None:
    with pytest.raises(ValidationError):
        SignatureAnswer.model_validate({"role": "prefet", "signatory_name": "Yves Seguy",
                                        "signed_on": "2024-12-02", "answered_by": "Camille",
                                        "scan_path": "/proc/self/environ"})
    with pytest.raises(ValidationError):
        SignatureAnswer.model_validate({"role": "prefet", "signatory_name": "Yves Seguy",
                                        "signed_on": "2024-12-02", "answered_by": "Camille",
                                        "scan_sha256": "/proc/self/environ"})


def test_deposit_prints_the_sha256_the_ui_form_takes(pdf: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["documents", "deposit", str(pdf)])
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256(PDF).hexdigest()
    assert sha in result.output
    assert find_ingested(sha, "scan_sha256").path.read_bytes() == PDF
    SignatureAnswer.model_validate({"role": "prefet", "signatory_name": "Yves Seguy",
                                    "signed_on": "2024-12-02", "answered_by": "Camille",
                                    "scan_sha256": sha})
    refused = runner.invoke(app, ["documents", "deposit", "/proc/self/environ"])
    assert refused.exit_code == 2 and "rien n'a été déposé" in refused.output


def test_a_scan_can_be_deposited_for_another_process_documents_folder(pdf: Path, tmp_path: Path) -> None:
    other = tmp_path / "autre" / "documents"
    ingested = ingest_operator_file(pdf, "--scan", documents_dir=other)
    assert ingested.path == other / "uploads" / f"{ingested.sha256}.pdf"
    assert ingested.path.read_bytes() == PDF
