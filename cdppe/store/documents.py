"""The one place that writes document files and records them in ``GeneratedDocument``.

Rules:
- paths are built from validated identifiers only: contract key, year,
  avenant number, kind, version and format, under the documents directory;
- generating again makes version N+1 (one version number per kind, shared by
  its formats), so no existing file is ever replaced;
- a file that is recorded (above all a signed one) is never overwritten: an
  unrecorded leftover (a crash between writing and committing) may be.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from cdppe.core.dates import utcnow
from cdppe.domain.document_errors import DocumentError, SignedDocumentError, UnsafeIdentifierError
from cdppe.domain.document_kinds import FORMATS, DocumentKind
from cdppe.store.audit import record_document_generated
from models import GeneratedDocument
from models.enums import Phase

_KEY_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,39}$")


STALE_TEMPORARY_SECONDS = 3600


def remove_stale_temporaries(path: Path, now: float | None = None) -> int:
    """Remove what a killed writer of ``path`` left (``.<name>.<random>``, older than an hour)."""
    limit = (time.time() if now is None else now) - STALE_TEMPORARY_SECONDS
    removed = 0
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*"):
        try:
            if leftover.is_file() and leftover.stat().st_mtime < limit:
                leftover.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def safe_key(value: str) -> str:
    if not _KEY_RE.match(value) or ".." in value:
        raise UnsafeIdentifierError(f"identifiant {value!r} impropre à un nom de fichier")
    return value


def document_path(root: Path, contract_key: str, year: int, avenant_number: int,
                  kind: DocumentKind, version: int, fmt: str) -> Path:
    """``<root>/<contract key>/<year>/contrat|avenant-N/<kind>-vN.<fmt>``."""
    if fmt not in FORMATS:
        raise UnsafeIdentifierError(f"format {fmt!r} inconnu (formats : {', '.join(FORMATS)})")
    kind = DocumentKind(kind)
    for number, label in ((year, "année"), (avenant_number, "numéro d'avenant"),
                          (version, "version")):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise UnsafeIdentifierError(f"{label} {number!r} invalide")
    folder = "contrat" if avenant_number == 0 else f"avenant-{avenant_number}"
    path = root / safe_key(contract_key) / str(year) / folder / f"{kind.value}-v{version}.{fmt}"
    resolved_root = root.resolve()
    if not path.resolve().is_relative_to(resolved_root):
        raise UnsafeIdentifierError(f"chemin {path} hors du dossier des documents")
    return path


def next_version(session: Session, contract_id: int, exercice_id: int | None,
                 avenant_number: int, kind: DocumentKind) -> int:
    current = session.exec(select(func.max(GeneratedDocument.version)).where(
        GeneratedDocument.contract_id == contract_id,
        GeneratedDocument.exercice_id == exercice_id,
        GeneratedDocument.avenant_number == avenant_number,
        GeneratedDocument.kind == kind.value)).one()
    return int(current or 0) + 1


def write_file(session: Session, path: Path, data: bytes) -> None:
    """Write atomically; refuse to replace a recorded or read-only file."""
    recorded = session.exec(select(GeneratedDocument).where(
        GeneratedDocument.path == str(path))).first()
    if recorded is not None:
        if recorded.signed:
            raise SignedDocumentError(
                f"{path.name} est un document signé (version {recorded.version}) : "
                "il n'est jamais remplacé")
        raise DocumentError(f"{path.name} est déjà enregistré : il n'est pas remplacé")
    if path.exists() and not os.access(path, os.W_OK):
        raise SignedDocumentError(f"{path.name} est protégé en écriture : il n'est pas remplacé")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_document(session: Session, *, root: Path, contract_id: int, contract_key: str,
                   exercice_id: int, year: int, avenant_number: int, step: Phase,
                   kind: DocumentKind, fmt: str, version: int, data: bytes,
                   template_version: str) -> GeneratedDocument:
    path = document_path(root, contract_key, year, avenant_number, kind, version, fmt)
    write_file(session, path, data)
    record = GeneratedDocument(
        contract_id=contract_id, exercice_id=exercice_id, avenant_number=avenant_number,
        step=step.value, kind=kind.value, fmt=fmt, version=version, path=str(path),
        sha256=hashlib.sha256(data).hexdigest(), template_version=template_version,
        signed=False, generated_at=utcnow())
    session.add(record)
    session.flush()
    record_document_generated(session, record, kind.label)
    return record


def mark_signed(session: Session, document_id: int) -> GeneratedDocument:
    """Mark a document as signed: its row and file are frozen from then on (file made read-only)."""
    record = session.get(GeneratedDocument, document_id)
    if record is None:
        raise DocumentError(f"document n° {document_id} introuvable")
    path = Path(record.path)
    if path.exists():
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    record.signed = True
    session.add(record)
    session.flush()
    return record


def list_documents(session: Session, contract_id: int) -> list[GeneratedDocument]:
    return list(session.exec(select(GeneratedDocument).where(
        GeneratedDocument.contract_id == contract_id).order_by(
        col(GeneratedDocument.exercice_id), col(GeneratedDocument.avenant_number),
        col(GeneratedDocument.kind), col(GeneratedDocument.version), col(GeneratedDocument.fmt))))


def step_documents(session: Session, *, exercice_id: int | None, step: Phase, avenant: int = 0,
                   ) -> Sequence[GeneratedDocument]:
    """The documents of one step (every version and format), oldest first."""
    return session.exec(select(GeneratedDocument).where(
        GeneratedDocument.exercice_id == exercice_id, GeneratedDocument.step == step.value,
        GeneratedDocument.avenant_number == avenant).order_by(col(GeneratedDocument.id))).all()


def issued_step_documents(session: Session, *, exercice_id: int | None, step: Phase, avenant: int = 0,
                          ) -> dict[str, tuple[int, dict[str, GeneratedDocument]]]:
    """Each kind's latest issued version for one step: ``{kind: (version, {format: record})}``."""
    latest: dict[str, tuple[int, dict[str, GeneratedDocument]]] = {}
    for doc in step_documents(session, exercice_id=exercice_id, step=step, avenant=avenant):
        version, by_format = latest.get(doc.kind, (0, {}))
        if doc.version > version:
            latest[doc.kind] = (doc.version, {doc.fmt: doc})
        elif doc.version == version:
            by_format[doc.fmt] = doc
    return latest
