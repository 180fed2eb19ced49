"""The entry point the flows call: the documents of one lifecycle step, rendered and stored."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from cdppe.core.money import ZERO
from cdppe.core.settings import get_settings
from cdppe.domain.document_errors import DocumentError
from cdppe.domain.document_kinds import FORMATS, STEP_KINDS, DocumentKind
from cdppe.present.documents.context import DocumentContext, DocumentDataError, build_context
from cdppe.present.documents.docx import html_to_docx
from cdppe.present.documents.pdf import docx_to_pdf_many, require_pdf
from cdppe.present.documents.render import render_document, template_version
from cdppe.store.documents import next_version, store_document
from models import GeneratedDocument
from models.enums import Phase


def parse_formats(formats: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"html,docx"`` or ``("html", "docx")`` → validated, deduplicated, in the given order."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[str] = []
    for item in items:
        fmt = item.strip().lower()
        if not fmt:
            continue
        if fmt not in FORMATS:
            raise DocumentError(f"format {item!r} inconnu (formats possibles : {', '.join(FORMATS)})")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise DocumentError("aucun format demandé (formats possibles : html, docx, pdf)")
    return tuple(out)


def step_kinds(step: Phase, ctx: DocumentContext) -> list[DocumentKind]:
    """The kinds one step produces for this context.

    - credit payment: one notice per envelope paid to the Département (BOP 304,
      FIR) with a non-zero amount; ONDAM goes to the ESMS, so it has none;
    - deliberation: the deliberation as adopted only once its number and vote are recorded;
    - ODPE review: the record of the opinion only once the opinion is recorded;
    - signature of an avenant (``avenant_number`` > 0): the avenant itself and its rule check.
    """
    if step is Phase.SIGNATURE and ctx.avenant_number:
        return [DocumentKind.AVENANT, DocumentKind.CONTROLE_REGLES]
    if step is Phase.CREDIT_PAYMENT and ctx.avenant_number:
        return []  # the payment of an avenant's new money: recorded, no notice of its own yet
    kinds = []
    for kind in STEP_KINDS[step]:
        envelope = kind.envelope
        if envelope is not None and ctx.exercice.amount(envelope.value) == ZERO \
                and envelope.value not in ctx.payments:
            continue
        if kind is DocumentKind.AVIS_ODPE and ctx.odpe is None:
            continue
        if kind is DocumentKind.DELIBERATION and not ctx.session.adopted:
            continue
        kinds.append(kind)
    return kinds


def render_step(ctx: DocumentContext, step: Phase,
                formats: tuple[str, ...]) -> list[tuple[DocumentKind, str, bytes]]:
    """Render every document of a step in every format: ``(kind, fmt, bytes)``.

    The PDFs are converted together at the end, in one LibreOffice batch.
    """
    out: list[tuple[DocumentKind, str, bytes]] = []
    for kind in step_kinds(step, ctx):
        html = render_document(kind, ctx)
        docx: bytes | None = None
        for fmt in formats:
            if fmt == "html":
                out.append((kind, fmt, html.encode("utf-8")))
                continue
            if docx is None:
                docx = html_to_docx(html, f"{kind.label} — {ctx.title}")
            out.append((kind, fmt, docx))  # a PDF's DOCX, converted below
    pending = [i for i, (_, fmt, _) in enumerate(out) if fmt == "pdf"]
    if pending:
        pdfs = docx_to_pdf_many([out[i][2] for i in pending], [out[i][0].label for i in pending])
        for i, pdf in zip(pending, pdfs, strict=True):
            out[i] = (out[i][0], "pdf", pdf)
    return out


def generate_step_documents(
    session: Session,
    contract_id: int,
    exercice_id: int,
    step: Phase,
    formats: tuple[str, ...] = ("html", "docx"),
    avenant_number: int = 0,
    out_dir: Path | None = None,
) -> list[GeneratedDocument]:
    """Generate, write and record the documents of one lifecycle step.

    Steps → documents: diagnosis: fiches action + plan d'action; deliberation:
    convocation + draft délibération; signature: the contract with its annexes
    (the avenant when ``avenant_number`` > 0); credit_payment: one payment
    notice per envelope; odpe_review: referral + record of the opinion (once an
    ``OdpeReview`` exists); execution_report: the rapport d'exécution;
    amendment: the avenant with its replaced annexes.

    Each call makes a new version of every document (files are never
    replaced). Rows are flushed, not committed: the caller owns the
    transaction. Raises ``DocumentError`` (French message) on bad input,
    ``PdfUnavailableError`` before writing anything if PDF is asked for
    without LibreOffice.
    """
    step = Phase(step)
    fmts = parse_formats(formats)
    if "pdf" in fmts:
        require_pdf()
    if avenant_number < 0:
        raise DocumentError(f"numéro d'avenant {avenant_number} invalide")
    if step is Phase.AMENDMENT and avenant_number < 1:
        raise DocumentError("l'étape avenant demande un numéro d'avenant (1 ou plus)")
    try:
        ctx = build_context(session, contract_id, exercice_id, avenant_number)
    except DocumentDataError as exc:
        raise DocumentError(str(exc)) from exc
    root = out_dir if out_dir is not None else get_settings().documents_dir
    tversion = template_version()
    rendered = render_step(ctx, step, fmts)
    versions: dict[DocumentKind, int] = {}
    records = []
    for kind, fmt, data in rendered:
        if kind not in versions:
            versions[kind] = next_version(session, contract_id, exercice_id, avenant_number, kind)
        records.append(store_document(
            session, root=root, contract_id=contract_id, contract_key=ctx.contract_key,
            exercice_id=exercice_id, year=ctx.exercice.year, avenant_number=avenant_number,
            step=step, kind=kind, fmt=fmt, version=versions[kind], data=data,
            template_version=tversion))
    return records
