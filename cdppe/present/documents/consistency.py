"""Before a document is written: the totals its annexes print against the figures its articles state.

A mismatch stops the generation (``DocumentError``) with both figures, so no
document that contradicts itself is ever issued.
"""

from __future__ import annotations

from decimal import Decimal

from cdppe.domain.annexes import AnnexMismatch, compare_envelopes
from cdppe.domain.document_errors import DocumentError
from cdppe.domain.document_kinds import DocumentKind
from cdppe.domain.plan import STATE_SOURCES, Plan
from cdppe.present.documents.context import DocumentContext, ExerciceView
from models.enums import FundingSource


def _envelopes(e: ExerciceView) -> dict[FundingSource, Decimal]:
    return {source: e.amount(source.value) for source in STATE_SOURCES}


def _plan_state(plan: Plan) -> dict[FundingSource, Decimal]:
    return {source: amounts.etat for source, amounts in plan.by_source.items()}


def _contract(ctx: DocumentContext, article: str) -> list[AnnexMismatch]:
    plans = {p.year: p for p in ctx.plans}
    out = []
    for e in ctx.exercices:
        plan = plans.get(e.year)
        if plan is not None:
            out += compare_envelopes(f"{article} pour {e.year}", _envelopes(e),
                                     f"le plan d'action annexé ({e.year})", _plan_state(plan))
    return out


def annex_mismatches(kind: DocumentKind, ctx: DocumentContext) -> list[AnnexMismatch]:
    """What a document of ``kind`` would state in an article and contradict in an annex."""
    if kind is DocumentKind.CONTRAT:
        return _contract(ctx, "l'article 2.2.1")
    if kind is DocumentKind.PLAN_ACTION:
        return compare_envelopes(f"l'enveloppe de l'exercice {ctx.exercice.year} (article 2.2.1 du contrat)",
                                 _envelopes(ctx.exercice), "le plan d'action", _plan_state(ctx.plan))
    if kind is DocumentKind.AVENANT and ctx.amendment is not None:
        stated = {e.source: e.after for e in ctx.amendment.envelopes}
        return compare_envelopes(f"l'article 1 de l'avenant n° {ctx.amendment.number}", stated,
                                 "le plan d'action annexé (annexe 1)", _plan_state(ctx.plan))
    return []


def check_annexes(kind: DocumentKind, ctx: DocumentContext) -> None:
    """Refuse to write a document whose annexes disagree with its articles, naming both figures."""
    mismatches = annex_mismatches(kind, ctx)
    if mismatches:
        details = " ; ".join(m.message for m in mismatches)
        raise DocumentError(f"{kind.label} ({ctx.contract_key}, exercice {ctx.exercice.year}) non émis : "
                            f"ses annexes ne concordent pas avec ses articles — {details}. Corrigez le plan "
                            "de financement (lignes des fiches) ou les montants de l'article, puis relancez.")
