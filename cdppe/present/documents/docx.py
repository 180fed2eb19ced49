"""DOCX from the rendered HTML, with python-docx: one template per kind feeds both formats.

The HTML of a document is already escaped and final; this module reads its
``<body>`` (headings, paragraphs, lists, tables, bold/italic, page breaks)
and writes the same structure with Word's built-in styles, so the file opens
in Word and LibreOffice and stays editable before a vote. No text is ever
evaluated as a template here: ``{{ 7*7 }}`` in the data stays those characters.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor, Twips

from cdppe.present.documents.french import french_spaces

_SPACES = re.compile(r"[ \t\r\n\f]+")  # not \u00a0 / \u202f: French non-breaking spaces stay
_VOID = {"br", "meta", "hr", "img", "link", "input"}
_INLINE_STYLE = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic", "u": "underline",
                 "sup": "superscript", "sub": "subscript"}
_HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3, "h5": 4}
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "table", "ul", "ol", "div", "tr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _find(node: Node, tag: str) -> Node | None:
    for child in node.children:
        if isinstance(child, Node):
            if child.tag == tag:
                return child
            found = _find(child, tag)
            if found is not None:
                return found
    return None


Run = tuple[str, frozenset[str]]
_BREAK = "\x00br"  # a <br>, distinct from any text (NUL never occurs in parsed HTML text)


def _inline_runs(node: Node | str, styles: frozenset[str] = frozenset()) -> list[Run]:
    if isinstance(node, str):
        return [(node, styles)]
    if node.tag == "br":
        return [(_BREAK, styles)]
    style = _INLINE_STYLE.get(node.tag)
    inner = styles | {style} if style else styles
    runs: list[Run] = []
    for child in node.children:
        runs.extend(_inline_runs(child, inner))
    return runs


def _normalise(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for text, styles in runs:
        if text == _BREAK:
            out.append((text, styles))
            continue
        text = _SPACES.sub(" ", text)
        if out and (out[-1][0] == _BREAK or out[-1][0].endswith(" ")) and text.startswith(" "):
            text = text[1:]
        if not out and text.startswith(" "):
            text = text[1:]
        if text:
            out.append((text, styles))
    while out and (out[-1][0].endswith(" ") or out[-1][0] == _BREAK):
        text, styles = out.pop()
        if text != _BREAK and text.rstrip(" "):
            out.append((text.rstrip(" "), styles))
            break
    return out


# -- the page: one font, header and footer, landscape sections -----------------------------------

FONT = "Arial"  # LibreOffice shows it with Liberation Sans, metric-compatible: same line breaks
_INK = RGBColor(0x16, 0x16, 0x16)
_GREY = RGBColor(0x44, 0x44, 0x44)
# the sizes of the HTML's print stylesheet (h1 16pt, h2 13pt, h3 11.5pt)
_HEADING_SIZES = {"Title": 16.0, "Heading 1": 13.0, "Heading 2": 11.5, "Heading 3": 10.5,
                  "Heading 4": 10.0}
_A4_SHORT, _A4_LONG = Cm(21.0), Cm(29.7)


def _one_font(doc: Any) -> None:
    """Every style in ``FONT``: headings, title, defaults and body alike (a theme font would make
    Word and LibreOffice draw the headings in Calibri or Cambria)."""
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    for fonts in doc.styles.element.iter(qn("w:rFonts")):
        for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{theme}"), None)
        for script in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{script}"), FONT)
    for name, size in _HEADING_SIZES.items():
        font = doc.styles[name].font
        font.size, font.bold, font.italic = Pt(size), True, False
        font.color.rgb = _INK
    title = doc.styles["Title"]
    title.font.all_caps = True
    border = title.element.pPr.find(qn("w:pBdr")) if title.element.pPr is not None else None
    if border is not None:
        border.getparent().remove(border)


def _field(para: Any, instruction: str, shown: str) -> None:
    """A field Word and LibreOffice compute when they lay the page out (PAGE, NUMPAGES)."""
    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        para.add_run()._r.append(element)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} \\* MERGEFORMAT "
    para.add_run()._r.append(instr)
    char("separate")
    para.add_run(shown)
    char("end")


def _header_footer(section: Any, header: str) -> None:
    """The Département and title on every page, "page X / Y" below (later sections inherit them)."""
    section.header_distance = section.footer_distance = Cm(1)
    top = section.header.paragraphs[0]
    top.alignment = WD_ALIGN_PARAGRAPH.CENTER
    top.add_run(header)
    bottom = section.footer.paragraphs[0]
    bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
    bottom.add_run("page ")
    _field(bottom, "PAGE", "1")
    bottom.add_run(" / ")
    _field(bottom, "NUMPAGES", "1")
    for para in (top, bottom):
        for run in para.runs:
            run.font.size, run.font.color.rgb = Pt(8.5), _GREY


def _orient(section: Any, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    short, long = _A4_SHORT, _A4_LONG
    section.page_width, section.page_height = (long, short) if landscape else (short, long)


def _is_page_break(element: Any) -> bool:
    return bool(element.tag == qn("w:p") and element.xpath("./w:r/w:br[@w:type='page']")
                and not element.xpath("string(.)"))


# -- column widths fitted to the text -------------------------------------------------------------
# Advance widths of Arial (and Liberation Sans) in 1/1000 em: a-z and A-Z, regular then bold.
_LOWER = ((556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333,
           500, 278, 556, 500, 722, 500, 500, 500),
          (556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389,
           556, 333, 611, 556, 778, 556, 556, 500))
_UPPER = ((667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722,
           667, 611, 722, 667, 944, 667, 667, 611),
          (722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722,
           667, 611, 722, 667, 944, 667, 667, 611))
_OTHER = {" ": 278, "\u00a0": 278, "\u202f": 200, ".": 278, ",": 278, ":": 278, ";": 278,
          "!": 278, "/": 278, "'": 191, "\u2019": 222, "(": 333, ")": 333, "-": 333, "%": 889,
          "\u00ab": 556, "\u00bb": 556, "\u2014": 1000, "\u2013": 556, "\u2026": 1000, "\u00b0": 400,
          "\u0153": 944, "\u0152": 1000, "&": 667, "+": 584, "=": 584, "\u2212": 584}
_CELL_PADDING = 2 * 108 + 30  # twips: the cell margins of Word's table styles, and some air
_SLACK = 1.06  # our metrics against the renderer's: rather a little wide than a broken word
_NARROWEST = 400  # twips: a column with no text of its own (every cell of it spanned)
_LEAST_SHRINK = 0.5  # text columns give way to amounts down to this share of their widest word


@functools.lru_cache(maxsize=4096)
def _char_width(ch: str, bold: bool) -> int:
    base = unicodedata.normalize("NFD", ch)[:1] or " "  # é → e
    if "a" <= base <= "z":
        return _LOWER[bold][ord(base) - 97]
    if "A" <= base <= "Z":
        return _UPPER[bold][ord(base) - 65]
    if base.isdigit():
        return 556
    return _OTHER.get(base, 611 if bold else 556)


def measure(paragraphs: Any) -> tuple[float, float]:
    """(widest word, longest line) of some paragraphs, in twips. A line breaks only at an ordinary
    space or after a hyphen: an amount or a date joined by non-breaking spaces is one word."""
    widest = longest = 0.0
    for para in paragraphs:
        word = line = 0.0
        for run in para.runs:
            font = run.font
            size = font.size.pt if font.size is not None else 10.0
            scale = size * 20 / 1000 * (0.65 if font.superscript else 1.0)
            bold = bool(run.bold)  # read once a run: python-docx looks it up in the XML each time
            for ch in run.text:
                width = _char_width(ch, bold) * scale
                line += width
                if ch in " \t":
                    widest, word = max(widest, word), 0.0
                    continue
                word += width
                if ch == "-":
                    widest, word = max(widest, word), 0.0
        widest, longest = max(widest, word), max(longest, line)
    return widest, longest


def fit_widths(least: list[float], most: list[float], available: int,
               rigid: list[bool] | None = None) -> list[int]:
    """Column widths in twips summing to ``available``: every column at least its widest word when
    they all fit, the rest shared in proportion to what each one's longest line still needs
    (CSS's automatic table layout). When even the widest words do not fit, the ``rigid`` columns
    (amounts) keep theirs and the others shrink, down to half their widest word; beyond that all
    shrink alike."""
    most = [max(lo, hi) for lo, hi in zip(least, most, strict=True)]
    rigid = rigid or [False] * len(least)
    total_least, total_most = sum(least), sum(most)
    kept = sum(lo for lo, r in zip(least, rigid, strict=True) if r)
    if total_most <= available:
        widths = [hi * available / total_most for hi in most]
    elif total_least < available:
        share = (available - total_least) / (total_most - total_least)
        widths = [lo + (hi - lo) * share for lo, hi in zip(least, most, strict=True)]
    elif kept < total_least and (available - kept) / (total_least - kept) >= _LEAST_SHRINK:
        scale = (available - kept) / (total_least - kept)
        widths = [lo if r else lo * scale for lo, r in zip(least, rigid, strict=True)]
    else:
        widths = [lo * available / total_least for lo in least]
    out = [int(w) for w in widths]
    out[out.index(max(out))] += available - sum(out)
    return out


Placed = tuple[int, int, Any, bool]  # first grid column, span, python-docx cell, is an amount


def column_extents(cells: list[Placed], columns: int, available: int) -> tuple[
        list[float], list[float], list[bool]]:
    """Each grid column's least and most width (twips) from the text of its cells, and whether
    it holds amounts only; a spanning cell widens the columns it covers when their sum is too
    narrow for it."""
    least, most = [float(_NARROWEST)] * columns, [float(_NARROWEST)] * columns
    rigid = [True] * columns
    spanning: list[tuple[int, int, float, float]] = []
    for col, span, cell, numeric in cells:
        widest, longest = measure(cell.paragraphs)
        lo = widest * _SLACK + _CELL_PADDING
        hi = min(longest * _SLACK + _CELL_PADDING, available)
        if span == 1:
            least[col], most[col] = max(least[col], lo), max(most[col], hi)
            rigid[col] = rigid[col] and numeric
        else:
            spanning.append((col, span, lo, hi))
    for col, span, lo, hi in spanning:
        for extent, need in ((least, lo), (most, hi)):
            missing = need - sum(extent[col:col + span])
            for i in range(col, col + span) if missing > 0 else ():
                extent[i] += missing / span
    return least, most, rigid


def set_widths(table: Any, widths: list[int]) -> None:
    """Fixed layout with the grid, the table and every cell at the computed widths: Word and
    LibreOffice then draw the same columns (without them, each guesses its own)."""
    table.autofit = False  # w:tblLayout w:type="fixed"
    tbl = table._tbl
    tbl_w = tbl.tblPr.find(qn("w:tblW"))
    if tbl_w is not None:
        tbl_w.set(qn("w:w"), str(sum(widths)))
        tbl_w.set(qn("w:type"), "dxa")
    for grid_col, width in zip(tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid_col.w = Twips(width)
    for tr in tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            tc.width = Twips(sum(widths[col:col + tc.grid_span]))
            col += tc.grid_span


class _Writer:
    def __init__(self, title: str, header: str = "") -> None:
        self.doc: Any = Document()
        self._portrait_pending = False  # a landscape element ended: portrait before what follows
        self._setup(title, header)

    def _setup(self, title: str, header: str) -> None:
        section = self.doc.sections[0]
        _orient(section, landscape=False)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2))
        _one_font(self.doc)
        rpr = self.doc.styles["Normal"].element.get_or_add_rPr()
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "fr-FR")
        rpr.append(lang)
        if header:
            _header_footer(section, header)
        props = self.doc.core_properties
        props.title = title
        props.author = "CDPPE"
        props.language = "fr-FR"
        # style ids resolved once: python-docx looks names up by scanning every style
        self.style_ids = {name: self.doc.styles[name].style_id for name in (
            "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "List Bullet",
            "List Number", "Table Grid")}

    def add_paragraph(self, container: Any, style: str | None = None) -> Any:
        self._content(container)
        para = container.add_paragraph()
        if style:
            para._p.style = self.style_ids[style]
        return para

    # -- sections
    def _content(self, container: Any) -> None:
        """Before anything is written in the body: back to portrait pages after a landscape part."""
        if self._portrait_pending and container is self.doc:
            self._portrait_pending = False
            self._new_section(landscape=False)

    def _last_block(self) -> Any:
        blocks = [e for e in self.doc.element.body if e.tag in (qn("w:p"), qn("w:tbl"))]
        return blocks[-1] if blocks else None

    def _new_section(self, landscape: bool) -> None:
        """Landscape or portrait pages from here on: a new section on a new page (the first section
        itself when nothing is written yet). A page break just before is dropped: the section
        already starts a page."""
        last = self._last_block()
        if last is None:
            _orient(self.doc.sections[0], landscape)
            return
        if _is_page_break(last):
            last.getparent().remove(last)
        _orient(self.doc.add_section(WD_SECTION.NEW_PAGE), landscape)

    def landscape(self, node: Node) -> None:
        if self._portrait_pending:
            self._portrait_pending = False  # two landscape parts in a row: same pages
        else:
            self._new_section(landscape=True)
        self.blocks(self.doc, node)
        self._portrait_pending = True

    def page_break(self, container: Any) -> None:
        if container is self.doc and self._portrait_pending:
            self._content(container)  # the new section starts the page
            return
        last = self._last_block() if container is self.doc else None
        if last is not None and last.xpath("./w:pPr/w:sectPr"):
            return  # a section has just started a page
        container.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def available_width(self, container: Any) -> int | None:
        """The width (twips) a table may take: the current section's text width in the body."""
        if container is not self.doc:
            return None  # a table in a cell keeps python-docx's even columns
        section = self.doc.sections[-1]
        return int(Emu(section.page_width - section.left_margin - section.right_margin).twips)

    # -- blocks
    def blocks(self, container: Any, node: Node) -> None:
        pending: list[Node | str] = []
        for child in node.children:
            if isinstance(child, Node) and (child.tag in _BLOCKS or child.tag in {
                    "thead", "tbody", "section", "header", "footer", "article", "main"}):
                self._flush_inline(container, pending)
                pending = []
                self.block(container, child)
            else:
                pending.append(child)
        self._flush_inline(container, pending)

    def _flush_inline(self, container: Any, nodes: list[Node | str]) -> None:
        runs: list[Run] = []
        for n in nodes:
            runs.extend(_inline_runs(n))
        runs = _normalise(runs)
        if runs:
            self.paragraph(container, runs)

    def block(self, container: Any, node: Node) -> None:
        tag = node.tag
        if "doc-header" in node.classes:
            return  # the HTML's on-screen header: the DOCX has a real one on every page
        if "landscape" in node.classes and container is self.doc:
            self.landscape(node)
        elif tag in _HEADINGS:
            para = self.add_paragraph(container, "Title" if tag == "h1" else
                                      f"Heading {_HEADINGS[tag]}")
            self._runs(para, _normalise(_inline_runs(node)))
            if tag == "h1":
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif tag in ("p", "li"):
            style = None
            if tag == "li":
                style = "List Number" if node.attrs.get("data-list") == "ol" else "List Bullet"
            self.paragraph(container, _normalise(_inline_runs(node)), style, node.classes)
        elif tag in ("ul", "ol"):
            for child in node.children:
                if isinstance(child, Node) and child.tag == "li":
                    child.attrs["data-list"] = tag
                    self.block(container, child)
        elif tag == "table":
            self.table(container, node)
        elif tag == "div" and "page-break" in node.classes:
            self.page_break(container)
        else:
            self.blocks(container, node)

    def paragraph(self, container: Any, runs: list[Run], style: str | None = None,
                  classes: set[str] | None = None) -> Any:
        para = self.add_paragraph(container, style)
        self._runs(para, runs)
        classes = classes or set()
        if "center" in classes:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif "right" in classes:
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if "small" in classes:
            for run in para.runs:
                run.font.size = Pt(8.5)
        return para

    @staticmethod
    def _runs(para: Any, runs: list[Run]) -> None:
        for text, styles in runs:
            if text == _BREAK:
                para.add_run().add_break()
                continue
            run = para.add_run(text)
            if "bold" in styles:
                run.bold = True
            if "italic" in styles:
                run.italic = True
            if "underline" in styles:
                run.underline = True
            if "superscript" in styles:
                run.font.superscript = True
            elif "subscript" in styles:
                run.font.subscript = True

    # -- tables
    def table(self, container: Any, node: Node) -> None:
        rows = _table_rows(node)
        if not rows:
            return
        width = max(sum(_span(c) for c in _cells(tr)) for tr, _ in rows)
        self._content(container)
        available = self.available_width(container)
        table = container.add_table(rows=0, cols=width)
        if not node.classes & {"signatures", "plain"}:
            table._tbl.tblPr.style = self.style_ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        placed: list[Placed] = []
        for tr, is_header in rows:
            placed.extend(self._row(table, tr, is_header, width))
        if available is None:
            return
        if "signatures" in node.classes:  # one column per signatory, all alike
            widths = [available // width] * width
        else:
            least, most, rigid = column_extents(placed, width, available)
            widths = fit_widths(least, most, available, rigid)
        set_widths(table, widths)

    def _row(self, table: Any, tr: Node, is_header: bool, width: int) -> list[Placed]:
        row = table.add_row()
        if is_header:
            tr_pr = row._tr.get_or_add_trPr()
            header = OxmlElement("w:tblHeader")
            header.set(qn("w:val"), "true")
            tr_pr.append(header)
        cells = row.cells
        col = 0
        placed: list[Placed] = []
        for cell_node in _cells(tr):
            span = min(_span(cell_node), width - col)
            cell = cells[col]
            if span > 1:
                cell = cell.merge(cells[col + span - 1])
            self._cell(cell, cell_node, bold=cell_node.tag == "th" or "total" in tr.classes)
            placed.append((col, span, cell, "num" in cell_node.classes))
            col += span
        return placed

    def _cell(self, cell: Any, node: Node, bold: bool) -> None:
        first = cell.paragraphs[0]
        before = len(cell.paragraphs)
        self.blocks(cell, node)
        paras = cell.paragraphs
        if len(paras) > before:
            # move the first written paragraph into the empty one python-docx created
            first._p.getparent().remove(first._p)
        right = "num" in node.classes
        for para in cell.paragraphs:
            if right:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if bold:
                for run in para.runs:
                    run.bold = True


def _span(cell: Node) -> int:
    try:
        return max(1, int(cell.attrs.get("colspan", "1") or 1))
    except ValueError:
        return 1


def _cells(tr: Node) -> list[Node]:
    return [c for c in tr.children if isinstance(c, Node) and c.tag in ("td", "th")]


def _table_rows(node: Node) -> list[tuple[Node, bool]]:
    """Every ``<tr>`` of a table, in order, each with whether it is a header row."""
    rows: list[tuple[Node, bool]] = []
    for child in node.children:
        if not isinstance(child, Node):
            continue
        if child.tag == "tr":
            rows.append((child, False))
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend((tr, child.tag == "thead") for tr in child.children
                        if isinstance(tr, Node) and tr.tag == "tr")
    return rows


def _iter(node: Node, tag: str) -> Iterator[Node]:
    for child in node.children:
        if isinstance(child, Node):
            if child.tag == tag:
                yield child
            yield from _iter(child, tag)


def page_header(tree: Node) -> str:
    """The text of ``<meta name="cdppe-header">``, in French typography ("" when absent)."""
    for meta in _iter(tree, "meta"):
        if meta.attrs.get("name") == "cdppe-header":
            return french_spaces(_SPACES.sub(" ", meta.attrs.get("content", "")).strip())
    return ""


# Characters XML 1.0 cannot hold (data imported before they were refused at the door).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def html_to_docx(html: str, title: str = "") -> bytes:
    """The DOCX bytes of an HTML document produced by the templates."""
    html, title = _XML_INVALID.sub("\ufffd", html), _XML_INVALID.sub("\ufffd", title)
    tree = parse_html(html)
    body = _find(tree, "body") or tree
    writer = _Writer(title, page_header(tree))
    writer.blocks(writer.doc, body)
    out = io.BytesIO()
    writer.doc.save(out)
    return reproducible_zip(out.getvalue())


def reproducible_zip(data: bytes) -> bytes:
    """The same package with a fixed date on every member: same content, same bytes (python-docx
    stamps each member with the wall clock)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            target.writestr(fixed, source.read(info))
    return out.getvalue()


def docx_text(source: Path | bytes) -> str:
    """Every paragraph of a DOCX, tables included, one per line (for checks and tests)."""
    doc: Any = Document(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    lines: list[str] = []

    def walk(container: Any) -> None:
        for block in container.iter_inner_content():
            if hasattr(block, "rows"):
                seen: dict[int, Any] = {}  # holds the elements, so their ids stay unique
                for row in block.rows:
                    for cell in row.cells:
                        if id(cell._tc) in seen:
                            continue
                        seen[id(cell._tc)] = cell._tc
                        walk(cell)
            else:
                lines.append(block.text)

    walk(doc)
    return "\n".join(lines)
