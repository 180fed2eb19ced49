"""The consolidated contract (every signed avenant applied), as a generated document.

Not a step's document: it is produced on demand (``cdppe contract consolidate``,
the ``contrat-consolide`` deployment) and after each applied avenant. It is
stored like the others (new version each time, never replaced), under the
contract's latest exercice, folder ``contrat``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from cdppe.consolidation import RULES_TEXT, ContractConsolidation, consolidate
from cdppe.dates import today_paris
from cdppe.documents.docx import html_to_docx
from cdppe.documents.errors import DocumentError
from cdppe.documents.generate import parse_formats
from cdppe.documents.kinds import DocumentKind
from cdppe.documents.pdf import docx_to_pdf, require_pdf
from cdppe.documents.render import render_template, template_version
from cdppe.documents.store import next_version, store_document
from cdppe.settings import get_settings
from models import Contract, Exercice, GeneratedDocument
from models.enums import Phase

KIND = DocumentKind.CONTRAT_CONSOLIDE


def render_consolidated(consolidation: ContractConsolidation, today: date | None = None) -> str:
    """The HTML of the consolidated contract (pure: no database, no file)."""
    return render_template(KIND.template, {
        "c": consolidation, "kind": KIND.value, "doc_title": KIND.label, "rules": RULES_TEXT,
        "today": today or today_paris(), "template_version": template_version()})


def generate_consolidated_document(session: Session, contract_id: int,
                                   formats: tuple[str, ...] = ("html", "docx"),
                                   out_dir: Path | None = None) -> list[GeneratedDocument]:
    """Render, write and record the consolidated contract; the caller commits."""
    fmts = parse_formats(formats)
    if "pdf" in fmts:
        require_pdf()
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise DocumentError(f"contrat n° {contract_id} introuvable")
    latest = session.exec(select(Exercice).where(Exercice.contract_id == contract_id)
                          .order_by(col(Exercice.year).desc())).first()
    if latest is None or latest.id is None:
        raise DocumentError(f"contrat {contract.key} sans exercice")
    consolidation = consolidate(session, contract)
    html = render_consolidated(consolidation)
    root = out_dir if out_dir is not None else get_settings().documents_dir
    version = next_version(session, contract_id, latest.id, 0, KIND)
    docx: bytes | None = None
    records = []
    for fmt in fmts:
        if fmt == "html":
            data = html.encode("utf-8")
        else:
            docx = docx or html_to_docx(html, f"{KIND.label} — {contract.title}")
            data = docx if fmt == "docx" else docx_to_pdf(docx)
        records.append(store_document(
            session, root=root, contract_id=contract_id, contract_key=contract.key,
            exercice_id=latest.id, year=latest.year, avenant_number=0, step=Phase.AMENDMENT,
            kind=KIND, fmt=fmt, version=version, data=data, template_version=template_version()))
    return records
