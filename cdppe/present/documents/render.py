"""Pure rendering: a context in, French HTML out. No database, no files written.

The templates live in ``templates/documents/`` at the root of the project.
Autoescaping is on for every template, and data never becomes template
source: a field containing ``<script>`` or ``{{ 7*7 }}`` is printed as text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from cdppe.core import paths
from cdppe.core.dates import format_date_fr, format_datetime_fr
from cdppe.core.money import format_eur
from cdppe.domain.document_kinds import DocumentKind
from cdppe.present.documents.context import DocumentContext, template_context
from cdppe.present.documents.french import departement_of, french_spaces, typeset_html

TEMPLATES_DIR = paths.TEMPLATES_DIR / "documents"
PLACEHOLDER = "…"


def fr_money(value: Decimal | None, cents: bool | None = None) -> str:
    """``1 692 424 €``; an absent amount is a dash, never an error."""
    return "—" if value is None else format_eur(value, cents=cents)


def fr_date(value: date | datetime | None, placeholder: str = PLACEHOLDER) -> str:
    """``22 novembre 2024``, ``1er mars 2025``; an unknown date is a placeholder to fill in."""
    if value is None:
        return placeholder
    if isinstance(value, datetime):
        return format_datetime_fr(value)
    return format_date_fr(value)


def fr_number(value: Decimal | int | None, unit: str | None = None) -> str:
    """Indicator values: ``1 234,5``, ``12,5 %``; an empty value is a dash."""
    if value is None:
        return "—"
    text = format_decimal(value, format="#,##0.##", locale="fr_FR")
    if unit in ("%", "pourcentage"):
        return f"{text}\u00a0%"
    return text


def paragraphs(value: str | None, placeholder: str = "") -> Markup:
    """Multi-line text as escaped ``<p>`` elements (one per non-empty line)."""
    if not value or not value.strip():
        return Markup("<p>{}</p>").format(placeholder) if placeholder else Markup("")
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(line) for line in lines)


_CSS_UNSAFE = re.compile(r'[\\"\'<>&\n\r\f]')


def css_string(value: str) -> Markup:
    """A quoted CSS string (``content: "…"`` of a page header) from any text: quotes, backslashes,
    line ends and ``<`` are escaped, so it never ends the string nor the ``<style>`` element. Entities
    are decoded first: a CSS string is not HTML."""
    text = french_spaces(Markup(value).unescape() if isinstance(value, Markup) else value)
    return Markup('"{}"'.format(_CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text)))


def ordinal(n: int) -> str:
    """``1er``, ``2e``: the French abbreviated ordinal."""
    return "1er" if n == 1 else f"{n}e"


@lru_cache(maxsize=4)
def environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        keep_trailing_newline=True,
    )
    env.filters.update(eur=fr_money, date_fr=fr_date, num=fr_number, paragraphs=paragraphs,
                       ordinal=ordinal, css_string=css_string)
    env.globals.update(escape=escape, departement_of=departement_of)
    return env


@lru_cache(maxsize=4)
def template_version(templates_dir: Path = TEMPLATES_DIR) -> str:
    """A digest of every template file: it changes whenever any template changes."""
    digest = hashlib.sha256()
    for path in sorted(templates_dir.rglob("*.j2")):
        digest.update(path.relative_to(templates_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """A document template's HTML, in French typography (non-breaking spaces, ``1<sup>er</sup>``)
    on its text: the DOCX and the PDF made from it have them too."""
    return typeset_html(environment().get_template(name).render(**context))


def render_document(kind: DocumentKind, ctx: DocumentContext) -> str:
    """The HTML of one document kind."""
    return render_template(kind.template, template_context(ctx, kind, template_version()))
