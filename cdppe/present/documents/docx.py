"""DOCX from the rendered HTML, with python-docx: one template per kind feeds both formats.

The HTML of a document is already escaped and final; this module reads its
``<body>`` (headings, paragraphs, lists, tables, bold/italic, page breaks)
and writes the same structure with Word's built-in styles, so the file opens
in Word and LibreOffice and stays editable before a vote. No text is ever
evaluated as a template here: ``{{ 7*7 }}`` in the data stays those characters.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

_SPACES = re.compile(r"[ \t\r\n\f]+")  # not \u00a0 / \u202f: French non-breaking spaces stay
_VOID = {"br", "meta", "hr", "img", "link", "input"}
_INLINE_STYLE = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic", "u": "underline"}
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


class _Writer:
    def __init__(self, title: str) -> None:
        self.doc: Any = Document()
        self._setup(title)

    def _setup(self, title: str) -> None:
        section = self.doc.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2))
        normal = self.doc.styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(10)
        rpr = normal.element.get_or_add_rPr()
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "fr-FR")
        rpr.append(lang)
        props = self.doc.core_properties
        props.title = title
        props.author = "CDPPE"
        props.language = "fr-FR"
        # style ids resolved once: python-docx looks names up by scanning every style
        self.style_ids = {name: self.doc.styles[name].style_id for name in (
            "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "List Bullet",
            "List Number", "Table Grid")}

    def add_paragraph(self, container: Any, style: str | None = None) -> Any:
        para = container.add_paragraph()
        if style:
            para._p.style = self.style_ids[style]
        return para

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
        if tag in _HEADINGS:
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
            container.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
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

    # -- tables
    def table(self, container: Any, node: Node) -> None:
        rows: list[tuple[Node, bool]] = []
        for child in node.children:
            if not isinstance(child, Node):
                continue
            if child.tag == "tr":
                rows.append((child, False))
            elif child.tag in ("thead", "tbody", "tfoot"):
                rows.extend((tr, child.tag == "thead") for tr in child.children
                            if isinstance(tr, Node) and tr.tag == "tr")
        if not rows:
            return
        width = max(sum(int(c.attrs.get("colspan", "1") or 1) for c in tr.children
                        if isinstance(c, Node) and c.tag in ("td", "th")) for tr, _ in rows)
        table = container.add_table(rows=0, cols=width)
        plain = bool(node.classes & {"signatures", "plain"})
        if not plain:
            table._tbl.tblPr.style = self.style_ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for tr, is_header in rows:
            row = table.add_row()
            if is_header:
                tr_pr = row._tr.get_or_add_trPr()
                header = OxmlElement("w:tblHeader")
                header.set(qn("w:val"), "true")
                tr_pr.append(header)
            cells = row.cells
            col = 0
            for cell_node in tr.children:
                if not isinstance(cell_node, Node) or cell_node.tag not in ("td", "th"):
                    continue
                span = int(cell_node.attrs.get("colspan", "1") or 1)
                cell = cells[col]
                if span > 1:
                    cell = cell.merge(cells[min(col + span, width) - 1])
                self._cell(cell, cell_node, bold=cell_node.tag == "th" or
                           "total" in tr.classes)
                col += span

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


# Characters XML 1.0 cannot hold (data imported before they were refused at the door).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def html_to_docx(html: str, title: str = "") -> bytes:
    """The DOCX bytes of an HTML document produced by the templates."""
    html, title = _XML_INVALID.sub("\ufffd", html), _XML_INVALID.sub("\ufffd", title)
    tree = parse_html(html)
    body = _find(tree, "body") or tree
    writer = _Writer(title)
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
