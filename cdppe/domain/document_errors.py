"""Errors of document generation; every message is French, for the people who read it."""

from __future__ import annotations


class DocumentError(Exception):
    """A document cannot be produced; ``str(exc)`` says why, in French."""


class SignedDocumentError(DocumentError):
    """Refused: the target is a signed document, which is never overwritten."""


class PdfUnavailableError(DocumentError):
    """PDF requested where LibreOffice is not installed."""


class UnsafeIdentifierError(DocumentError):
    """An identifier that cannot be part of a file path."""
