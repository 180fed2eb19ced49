"""The administrative layout of the DOCX (issue 16 item 5): columns fitted to their text, wide
annexes on landscape pages, a header and "page X / Y" footer, one font, French typography.

``layout`` helpers here are also used by the db tier's test on the real examples."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn

from cdppe.present.documents.docx import FONT, fit_widths, html_to_docx
from cdppe.present.documents.french import typeset_html

AMOUNT = re.compile(r"^-?\d{1,3}(?:[\u202f\u00a0 ]\d{3})*(?:,\d{2})?[\u00a0 ]€$")
# an amount's glyphs in Arial / Liberation Sans, regular or bold (1/1000 em): digits, "€" and
# "-" at most 556, a space (narrow or not) at most 278
DIGIT_EM, SPACE_EM = 556, 278
CELL_PADDING = 2 * 108  # twips: the left and right cell margins of Word's table styles


def open_docx(data: bytes) -> Any:
    return Document(io.BytesIO(data))


def grid_widths(table: Any) -> list[int]:
    return [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]


def amount_columns_fit(table: Any) -> list[str]:
    """Every amount cell whose text (one line, 10 pt) is wider than its column: none expected."""
    widths = grid_widths(table)
    too_narrow = []
    for tr in table._tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
            width = sum(widths[col:col + tc.grid_span])
            ems = sum(SPACE_EM if ch in " \u00a0\u202f" else DIGIT_EM for ch in text)
            need = ems * 10 * 20 / 1000 + CELL_PADDING  # at 10 pt, in twips
            if AMOUNT.match(text) and need > width:
                too_narrow.append(f"{text!r} needs {need:.0f} twips, column has {width}")
            col += tc.grid_span
    return too_narrow


def section_orientations(doc: Any) -> list[tuple[str, list[str]]]:
    """Each section's orientation with the first text of every table in it, in body order."""
    out: list[tuple[str, list[str]]] = []
    tables: list[str] = []
    for child in doc.element.body:
        if child.tag == qn("w:tbl"):
            tables.append("".join(t.text or "" for t in child.iter(qn("w:t")))[:40])
        sect = child if child.tag == qn("w:sectPr") else child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")
        if sect is not None:
            size = sect.find(qn("w:pgSz"))
            orient = size.get(qn("w:orient")) or "portrait"
            assert (orient == "landscape") == (int(size.get(qn("w:w"))) > int(size.get(qn("w:h"))))
            out.append((orient, tables))
            tables = []
    return out


def header_and_footer(doc: Any) -> tuple[str, str, list[str]]:
    """The first section's header text, footer text and footer field instructions."""
    section = doc.sections[0]
    footer = section.footer._element
    fields = [t.text.split()[0] for t in footer.iter(qn("w:instrText")) if t.text.strip()]
    fields += [f.get(qn("w:instr")).split()[0] for f in footer.iter(qn("w:fldSimple"))]
    header_text = "".join(p.text for p in section.header.paragraphs)
    return header_text, "".join(p.text for p in section.footer.paragraphs), fields


def style_fonts(doc: Any) -> dict[str, tuple[str | None, bool]]:
    """Each main style's explicit font, and whether a theme font overrides it."""
    out = {}
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4"):
        fonts = doc.styles[name].element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        themed = fonts is not None and any("heme" in key for key in fonts.attrib)  # asciiTheme…
        out[name] = (fonts.get(qn("w:ascii")) if fonts is not None else None, themed)
    return out


def superscript_ordinals(doc: Any) -> list[str]:
    """"1er"-like ordinals written as a digit run followed by a superscript run."""
    found = []
    for para in doc.element.body.iter(qn("w:p")):
        runs = list(para.iter(qn("w:r")))
        for before, run in zip(runs, runs[1:], strict=False):
            vert = run.find(f"{qn('w:rPr')}/{qn('w:vertAlign')}")
            text = "".join(t.text or "" for t in run.iter(qn("w:t")))
            previous = "".join(t.text or "" for t in before.iter(qn("w:t")))
            if vert is not None and vert.get(qn("w:val")) == "superscript" and previous[-1:].isdigit():
                found.append(previous[-1] + text)
    return found


BAD_SPACES = re.compile(r" [:;»!?]|« |\bn° ")


def bad_spaces(text: str) -> list[str]:
    return [text[max(0, m.start() - 25):m.end() + 10] for m in BAD_SPACES.finditer(text)]


def all_text(doc: Any) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t")))
                     for p in doc.element.body.iter(qn("w:p")))


# -- a document shaped like the contract: portrait text, a landscape plan, portrait again ---------

ROWS = [("1 (obligatoire) — Entretiens prénataux précoces (EPP)", "1",
         "Maintenir le taux d'entretiens prénataux précoces (EPP) réalisés en PMI", "FIR",
         "124 666 €", "62 334 €", "0 €", "187 000 €"),
        ("29 — Répondre aux besoins territoriaux : projets innovants", "29-4",
         "Dispositif d'accueil atypique pour des mineurs de 13 à 18 ans", "BOP 304",
         "1 761 104 €", "1 692 424 €", "0 €", "3 453 528 €")]
HEAD = ("Objectif", "Fiche", "Intitulé de l'action", "Source", "Département", "État", "Autres",
        "Total")


def _plan_table() -> str:
    head = "".join(f"<th{' class=num' if i > 3 else ''}>{h}</th>" for i, h in enumerate(HEAD))
    rows = "".join("<tr>" + "".join(f"<td{' class=num' if i > 3 else ''}>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in ROWS)
    total = ('<tr class="total"><td colspan="4">Total 2024</td><td class="num">1 885 770 €</td>'
             '<td class="num">1 754 758 €</td><td class="num">0 €</td><td class="num">3 640 528 €</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}{total}</tbody></table>"


def contract_like_html() -> str:
    return typeset_html(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="cdppe-header" content="Département de Saône-et-Loire — Contrat — exercice 2024">'
        "<title>Contrat</title></head><body>"
        '<header class="doc-header">Département de Saône-et-Loire — Contrat — exercice 2024</header>'
        "<h1>Contrat</h1><p>Il est convenu ce qui suit : les termes « le préfet » ; la délibération "
        "n° 12 du 1er mars 2025.</p>"
        "<table><tbody><tr><th>Référent (personne ou institution)</th><td>Direction de l'enfance et "
        "des familles, qui conduit l'action avec les partenaires associatifs du territoire.</td>"
        "</tr></tbody></table>"
        '<div class="page-break"></div><div class="landscape"><h2>Annexe 1 – Plan d\'action</h2>'
        f"{_plan_table()}</div>"
        '<div class="page-break"></div><h2>Annexe 2 – Tableau de bord</h2><p>Fin.</p>'
        "</body></html>")


@pytest.fixture(scope="module")
def contract_doc() -> Any:
    return open_docx(html_to_docx(contract_like_html(), "Contrat"))


def test_the_plan_is_on_landscape_pages_between_portrait_ones(contract_doc: Any) -> None:
    sections = section_orientations(contract_doc)
    assert [orient for orient, _ in sections] == ["portrait", "landscape", "portrait"]
    assert sections[1][1][0].startswith("Objectif")
    # the page breaks around the landscape part are the sections' own: no empty page
    body = contract_doc.element.body
    assert not body.xpath("./w:p[w:r/w:br[@w:type='page']]")


def test_columns_fit_their_text(contract_doc: Any) -> None:
    fields, plan = contract_doc.tables
    label, value = grid_widths(fields)
    assert label < value / 1.5  # the label no longer takes half the page
    widths = grid_widths(plan)
    assert len(set(widths)) > 2
    assert abs(sum(widths) - 14570) <= 1  # the text width of a landscape A4 page, 25.7 cm
    assert amount_columns_fit(plan) == []
    assert plan._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    for tr in plan._tbl.tr_lst:  # every cell carries its width: Word and LibreOffice agree
        assert all(tc.tcPr.find(qn("w:tcW")).get(qn("w:type")) == "dxa" for tc in tr.tc_lst)


def test_header_footer_font_and_typography(contract_doc: Any) -> None:
    header, footer, fields = header_and_footer(contract_doc)
    assert "Département de Saône-et-Loire" in header and "Contrat" in header
    assert footer.startswith("page ") and " / " in footer
    assert fields == ["PAGE", "NUMPAGES"]
    fonts = style_fonts(contract_doc)
    assert set(fonts.values()) == {(FONT, False)}
    assert superscript_ordinals(contract_doc) == ["1er"]
    text = all_text(contract_doc)
    assert "Département de Saône-et-Loire — Contrat" not in text  # the screen header is not repeated
    assert bad_spaces(text) == [] and bad_spaces(header) == []
    assert "n°\u00a012" in text and "«\u00a0le préfet\u00a0»" in text


def test_a_document_that_is_all_landscape_starts_landscape() -> None:
    doc = open_docx(html_to_docx(f'<html><body><div class="landscape"><h1>Plan</h1>{_plan_table()}'
                                 "</div></body></html>"))
    assert [orient for orient, _ in section_orientations(doc)] == ["landscape"]
    assert doc.sections[0].header.paragraphs[0].text == ""  # no meta, no header text


def test_two_landscape_parts_in_a_row_share_their_pages() -> None:
    part = f'<div class="landscape">{_plan_table()}</div>'
    doc = open_docx(html_to_docx(f"<html><body><p>Avant</p>{part}{part}<p>Après</p></body></html>"))
    assert [orient for orient, _ in section_orientations(doc)] == ["portrait", "landscape", "portrait"]


def test_an_ordinary_page_break_stays() -> None:
    doc = open_docx(html_to_docx('<html><body><p>Un</p><div class="page-break"></div><p>Deux</p>'
                                 "</body></html>"))
    assert len(doc.element.body.xpath("./w:p[w:r/w:br[@w:type='page']]")) == 1


@pytest.mark.parametrize(("least", "most", "available", "expected"), [
    ([100, 100], [300, 300], 1000, [500, 500]),   # all fit: shared in proportion to the text
    ([100, 100], [100, 900], 1000, [100, 900]),
    ([200, 600], [1000, 600], 1000, [400, 600]),  # the fixed column keeps its need
    ([800, 800], [900, 900], 1000, [500, 500]),   # nothing fits: in proportion to the needs
])
def test_fit_widths(least: list[float], most: list[float], available: int, expected: list[int]) -> None:
    widths = fit_widths(least, most, available)
    assert sum(widths) == available
    assert all(abs(w - e) <= 1 for w, e in zip(widths, expected, strict=True))


@pytest.mark.parametrize(("least", "rigid", "available", "expected"), [
    ([600, 300], [False, True], 700, [400, 300]),  # too narrow: the amounts keep their width
    ([600, 300, 300], [False, True, True], 700, [350, 175, 175]),  # text below half: all shrink
    ([600, 300], [True, True], 700, [467, 233]),
])
def test_fit_widths_keeps_amounts_whole_first(least: list[float], rigid: list[bool], available: int,
                                              expected: list[int]) -> None:
    widths = fit_widths(least, least, available, rigid)
    assert sum(widths) == available
    assert all(abs(w - e) <= 1 for w, e in zip(widths, expected, strict=True)), widths


def test_a_portrait_plan_keeps_its_amounts_whole() -> None:
    """The avenant's plan annex is still portrait: the text columns give way, not the amounts."""
    html = contract_like_html().replace('<div class="landscape">', "<div>")
    plan = open_docx(html_to_docx(html)).tables[1]
    assert abs(sum(grid_widths(plan)) - 9638) <= 1  # 17 cm
    assert amount_columns_fit(plan) == []
