"""PDF through LibreOffice (``soffice --headless``) when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from cdppe.domain.document_errors import DocumentError, PdfUnavailableError

PDF_TIMEOUT_SECONDS = 180
MISSING_MESSAGE = (
    "le format PDF nécessite LibreOffice (commande « soffice » ou « libreoffice »), "
    "qui n'est pas installé sur cette machine : installez LibreOffice, ou demandez "
    "les formats html et docx (le DOCX s'ouvre dans Word et LibreOffice et s'exporte en PDF)."
)


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_pdf() -> str:
    path = soffice_path()
    if path is None:
        raise PdfUnavailableError(MISSING_MESSAGE)
    return path


def docx_to_pdf(docx: bytes) -> bytes:
    """Convert in a private temporary directory (its own LibreOffice profile too)."""
    soffice = require_pdf()
    with tempfile.TemporaryDirectory(prefix="cdppe-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "document.docx"
        source.write_bytes(docx)
        profile = (folder / "profile").as_uri()
        try:
            subprocess.run(
                [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                 "--outdir", str(folder), str(source)],
                check=True, capture_output=True, timeout=PDF_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as exc:
            raise DocumentError(f"LibreOffice n'a pas produit le PDF en {PDF_TIMEOUT_SECONDS} s") from exc
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.decode("utf-8", "replace").strip()[:300]
            raise DocumentError(f"LibreOffice n'a pas pu produire le PDF : {detail}") from exc
        target = folder / "document.pdf"
        if not target.exists():
            raise DocumentError("LibreOffice n'a pas produit de fichier PDF")
        return target.read_bytes()


def docx_to_pdf_many(docs: list[bytes], names: list[str] | None = None) -> list[bytes]:
    """One PDF per DOCX, in order (names say which document failed)."""
    del names
    return [docx_to_pdf(docx) for docx in docs]
