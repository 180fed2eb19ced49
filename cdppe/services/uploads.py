"""Files that come in from outside (a signed scan): one door, for the CLI and a future upload endpoint.

``ingest_stream`` takes the bytes of an upload (an HTTP request body, or a file the
operator names on the command line, opened by ``open_operator_file``), checks that
they are a PDF by content (``%PDF-``) within ``CDPPE_UPLOAD_MAX_BYTES``, and stores
them once under ``<documents>/uploads/<sha256>.pdf``. Forms and answers then refer to
an ingested file by its sha256 only (``find_ingested``): no form or command copies a
path it is given on the server's side.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cdppe.core.settings import get_settings

PDF_MAGIC = b"%PDF-"
FORBIDDEN_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 16


class UploadRefusedError(ValueError):
    """A file refused at the door; the message is French and names the field. Nothing was stored."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field} : {reason}")


@dataclass(frozen=True)
class IngestedFile:
    sha256: str
    size: int
    path: Path
    fmt: str = "pdf"


def uploads_dir(documents_dir: Path | None = None) -> Path:
    return (documents_dir or get_settings().documents_dir) / "uploads"


def mib_text(size: int) -> str:
    return f"{size / (1 << 20):.0f} Mio".replace(".", ",")


def open_operator_file(path: Path, field: str) -> BinaryIO:
    """Open a regular file the operator names; refuse devices, /proc, /sys, /dev, and links to them."""
    text = str(path)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UploadRefusedError(field, f"fichier introuvable : {text}") from None
    for root in FORBIDDEN_ROOTS:
        if real == root or root in real.parents:
            raise UploadRefusedError(field, f"{text} n'est pas un fichier déposable (système : {root})")
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UploadRefusedError(field, f"lecture impossible de {text} ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UploadRefusedError(field, f"{text} n'est pas un fichier ordinaire")
    return os.fdopen(fd, "rb")


def ingest_stream(stream: BinaryIO, field: str, *, max_bytes: int | None = None,
                  documents_dir: Path | None = None) -> IngestedFile:
    """Check and store an uploaded PDF; the same content is stored once (named by its sha256).

    ``documents_dir``: the documents folder of the process that will read it (default: this one's).
    """
    limit = max_bytes if max_bytes is not None else get_settings().upload_max_bytes
    target_dir = uploads_dir(documents_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".upload-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            head = b""
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadRefusedError(field, f"fichier trop volumineux (plus de {mib_text(limit)})")
                if len(head) < len(PDF_MAGIC):
                    head = (head + chunk)[: len(PDF_MAGIC)]
                    if not PDF_MAGIC.startswith(head):
                        raise UploadRefusedError(field, "ce n'est pas un PDF (contenu non reconnu)")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRefusedError(field, "fichier vide")
        if head != PDF_MAGIC:
            raise UploadRefusedError(field, "ce n'est pas un PDF (contenu non reconnu)")
        sha = digest.hexdigest()
        target = target_dir / f"{sha}.pdf"
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return IngestedFile(sha, size, target)


def ingest_operator_file(path: Path, field: str, *, max_bytes: int | None = None,
                         documents_dir: Path | None = None) -> IngestedFile:
    """``cdppe record ... --scan FILE``: the file the operator gives, through the same door."""
    with open_operator_file(path, field) as stream:
        return ingest_stream(stream, field, max_bytes=max_bytes, documents_dir=documents_dir)


def find_ingested(sha256: str, field: str) -> IngestedFile:
    """An already ingested file by its sha256 (what forms carry); checked again on read."""
    if not SHA256_RE.match(sha256):
        raise UploadRefusedError(field, "empreinte SHA-256 attendue (64 caractères hexadécimaux)")
    path = uploads_dir() / f"{sha256}.pdf"
    try:
        data = path.read_bytes()
    except OSError:
        raise UploadRefusedError(field, f"aucun fichier déposé avec l'empreinte {sha256} "
                                        "(déposez-le d'abord : cdppe record ... --scan FICHIER)") from None
    if hashlib.sha256(data).hexdigest() != sha256 or not data.startswith(PDF_MAGIC):
        raise UploadRefusedError(field, f"le fichier déposé {sha256} a été altéré")
    return IngestedFile(sha256, len(data), path)
