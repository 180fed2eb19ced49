"""The consolidated contract (every signed avenant applied), as a generated document.

Not a step's document: it is produced on demand (``cdppe contract consolidate``,
the ``contrat-consolide`` deployment) and after each applied avenant. It is
stored like the others (new version each time, never replaced), under the
contract's latest exercice, folder ``contrat``.
"""

from __future__ import annotations

from datetime import date

from cdppe.core.dates import format_date_fr, today_paris
from cdppe.core.money import format_eur
from cdppe.domain.consolidation import RULES_TEXT, ContractConsolidation
from cdppe.domain.document_kinds import DocumentKind
from cdppe.present.documents.render import render_template, template_version

KIND = DocumentKind.CONTRAT_CONSOLIDE


def render_consolidated(consolidation: ContractConsolidation, today: date | None = None) -> str:
    """The HTML of the consolidated contract (pure: no database, no file)."""
    return render_template(KIND.template, {
        "c": consolidation, "kind": KIND.value, "doc_title": KIND.label, "rules": RULES_TEXT,
        "today": today or today_paris(), "template_version": template_version()})


def consolidated_markdown(c: ContractConsolidation) -> str:
    """The Prefect artifact: current figures, then the history of every figure that changed."""
    lines = [f"# Contrat consolidé — {_md(c.title)} ({c.years_label})", "",
             f"_{RULES_TEXT}_", ""]
    for e in c.exercices:
        lines += [f"## Exercice {e.year}", ""]
        if e.opened_from:
            lines.append(f"Exercice ouvert à partir de l'exercice {e.opened_from}.")
            lines.append("")
        lines += ["| Enveloppe | Initial | Actuel | Historique |", "|---|---:|---:|---|"]
        for fig in e.envelopes.values():
            lines.append(f"| {fig.label} | {format_eur(fig.initial)} | {format_eur(fig.current)} | "
                         f"{_md(fig.history_text()) if fig.changes else 'inchangé'} |")
        lines.append(f"| **Total État** | | **{format_eur(e.state_total)}** | |")
        lines.append(f"| dont part du Département | | {format_eur(e.departement_share)} | |")
        lines += ["", "### Avenants", ""]
        if not e.avenants:
            lines.append("_Aucun avenant._")
        for a in e.avenants:
            when = f", en vigueur le {format_date_fr(a.effective_date)}" if a.effective_date else ""
            lines.append(f"- Avenant n° {a.number} ({a.status_label}{when}) : {_md(a.reason or '—')}")
        fiche_changes = [fig for f in e.fiches for fig in f.figures if fig.changes]
        lines += ["", "### Fiches modifiées par avenant", ""]
        if not fiche_changes:
            lines.append("_Aucune._")
        for fig in fiche_changes:
            lines.append(f"- {_md(fig.label)} : {_md(fig.history_text())}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out
