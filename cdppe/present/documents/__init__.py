"""The documents of every step of the cycle, generated in French from templates.

Public API:
- ``generate_step_documents(session, contract_id, exercice_id, step, formats, avenant_number,
  out_dir)``: render, write and record the documents of one step (what the flows call);
- ``build_context`` + ``render_document``: the pure rendering layer (HTML);
- ``html_to_docx``: the same document as DOCX;
- ``mark_signed``: freeze a generated document once it is signed.
"""

from cdppe.domain.document_errors import (
    DocumentError,
    PdfUnavailableError,
    SignedDocumentError,
    UnsafeIdentifierError,
)
from cdppe.domain.document_kinds import STEP_KINDS, DocumentKind
from cdppe.domain.plan import attainment
from cdppe.present.documents.context import DocumentContext, DocumentDataError, build_context
from cdppe.present.documents.docx import docx_text, html_to_docx
from cdppe.present.documents.generate import (
    generate_step_documents,
    parse_formats,
    render_step,
    step_kinds,
)
from cdppe.present.documents.render import render_document, template_version
from cdppe.store.documents import document_path, list_documents, mark_signed

__all__ = [
    "STEP_KINDS",
    "DocumentContext",
    "DocumentDataError",
    "DocumentError",
    "DocumentKind",
    "PdfUnavailableError",
    "SignedDocumentError",
    "UnsafeIdentifierError",
    "attainment",
    "build_context",
    "document_path",
    "docx_text",
    "generate_step_documents",
    "html_to_docx",
    "list_documents",
    "mark_signed",
    "parse_formats",
    "render_document",
    "render_step",
    "step_kinds",
    "template_version",
]
