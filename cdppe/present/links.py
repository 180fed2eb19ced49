"""Links a user follows from an artifact or an e-mail."""

from __future__ import annotations

from pathlib import Path


def document_link(documents_url: str, doc_id: int | None, path: str) -> str:
    """The ``http`` link of a stored document (artifacts, e-mails)."""
    return f"{documents_url.rstrip('/')}/documents/{doc_id}/{Path(path).name}"
