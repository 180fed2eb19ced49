"""The entry point the flows call: the documents of one lifecycle step, rendered and stored."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session

from cdppe.core.money import ZERO
from cdppe.core.settings import get_settings
from cdppe.domain.document_errors import DocumentError
from cdppe.domain.document_kinds import FORMATS, STEP_KINDS, DocumentKind
from cdppe.present.documents.consistency import check_annexes
from cdppe.present.documents.context import DocumentContext, DocumentDataError, build_context
from cdppe.present.documents.docx import html_to_docx
from cdppe.present.documents.pdf import docx_to_pdf_many, require_pdf
from cdppe.present.documents.render import render_document, template_version
from cdppe.store.documents import issued_step_documents, next_version, store_document
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


Page = tuple[DocumentKind, str, tuple[str, ...]]  # a kind, its HTML, the formats to make of it


def render_step(ctx: DocumentContext, step: Phase,
                formats: tuple[str, ...]) -> list[tuple[DocumentKind, str, bytes]]:
    """Render every document of a step in every format: ``(kind, fmt, bytes)`` (no I/O)."""
    pages = [(kind, render_document(kind, ctx), formats) for kind in step_kinds(step, ctx)]
    return convert_pages(pages, ctx.title)


def convert_pages(pages: Sequence[Page], title: str) -> list[tuple[DocumentKind, str, bytes]]:
    """Each page's HTML in the formats asked for it: ``(kind, fmt, bytes)``, in order.

    The PDFs are converted together at the end, in one LibreOffice batch.
    """
    out: list[tuple[DocumentKind, str, bytes]] = []
    for kind, html, formats in pages:
        docx: bytes | None = None
        for fmt in formats:
            if fmt == "html":
                out.append((kind, fmt, html.encode("utf-8")))
                continue
            if docx is None:
                docx = html_to_docx(html, f"{kind.label} — {title}")
            out.append((kind, fmt, docx))  # a PDF's DOCX, converted below
    pending = [i for i, (_, fmt, _) in enumerate(out) if fmt == "pdf"]
    if pending:
        pdfs = docx_to_pdf_many([out[i][2] for i in pending], [out[i][0].label for i in pending])
        for i, pdf in zip(pending, pdfs, strict=True):
            out[i] = (out[i][0], "pdf", pdf)
    return out


def plan_pages(session: Session, ctx: DocumentContext, step: Phase, formats: tuple[str, ...],
               new_version: bool) -> tuple[list[GeneratedDocument], list[Page], dict[DocumentKind, int]]:
    """What a step's call keeps and what it renders: ``(kept records, pages, version of each page)``.

    A document already issued for the step is frozen: later data never changes it. Its
    formats not produced yet are derived from its own stored HTML, under its own version;
    a new version (every kind, from today's data) only when ``new_version`` is asked.
    """
    issued = {} if new_version else issued_step_documents(
        session, exercice_id=ctx.exercice.id, step=step, avenant=ctx.avenant_number)
    kept: list[GeneratedDocument] = []
    pages: list[Page] = []
    versions: dict[DocumentKind, int] = {}
    for kind in step_kinds(step, ctx):
        current = issued.get(kind.value)
        if current is None:  # issued now, with its HTML: the record every later format derives from
            check_annexes(kind, ctx)
            with_html = formats if "html" in formats else (*formats, "html")
            pages.append((kind, render_document(kind, ctx), with_html))
            versions[kind] = next_version(session, ctx.contract_id, ctx.exercice.id, ctx.avenant_number, kind)
            continue
        version, by_format = current
        kept += [by_format[fmt] for fmt in formats if fmt in by_format]
        missing = tuple(fmt for fmt in formats if fmt not in by_format)
        if missing:
            pages.append((kind, frozen_html(kind, version, by_format), missing))
            versions[kind] = version
    return kept, pages, versions


def frozen_html(kind: DocumentKind, version: int, by_format: dict[str, GeneratedDocument]) -> str:
    """The HTML an issued document was made from (its other formats derive from it)."""
    html = by_format.get("html")
    problem = "pas de version HTML"
    if html is not None:
        try:
            return Path(html.path).read_text(encoding="utf-8")
        except OSError as exc:
            problem = str(exc)
    raise DocumentError(f"{kind.label}, version {version} : format manquant impossible à dériver "
                        f"du document émis ({problem}) ; demandez une nouvelle version")


def generate_step_documents(
    session: Session,
    contract_id: int,
    exercice_id: int,
    step: Phase,
    formats: tuple[str, ...] = ("html", "docx"),
    avenant_number: int = 0,
    out_dir: Path | None = None,
    new_version: bool = False,
) -> list[GeneratedDocument]:
    """Generate, write and record the documents of one lifecycle step.

    Steps → documents: diagnosis: fiches action + plan d'action; deliberation:
    convocation + draft délibération; signature: the contract with its annexes
    (the avenant when ``avenant_number`` > 0); credit_payment: one payment
    notice per envelope; odpe_review: referral + record of the opinion (once an
    ``OdpeReview`` exists); execution_report: the rapport d'exécution;
    amendment: the avenant with its replaced annexes.

    A document once issued for the step is kept as it is (frozen, never
    changed by later data); only ``new_version=True`` issues version N+1 of
    every document, and the earlier versions stay. Rows are flushed, not committed: the caller owns the
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
    records, pages, versions = plan_pages(session, ctx, step, fmts, new_version)
    for kind, fmt, data in convert_pages(pages, ctx.title):
        record = store_document(
            session, root=root, contract_id=contract_id, contract_key=ctx.contract_key,
            exercice_id=exercice_id, year=ctx.exercice.year, avenant_number=avenant_number,
            step=step, kind=kind, fmt=fmt, version=versions[kind], data=data,
            template_version=tversion)
        if fmt in fmts:  # the HTML kept beside other formats is the record, not an answer
            records.append(record)
    return records
