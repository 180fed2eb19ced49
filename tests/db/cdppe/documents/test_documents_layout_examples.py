"""The administrative layout on the real Saône-et-Loire 2024 documents: the plan d'action on
landscape pages with its columns fitted to the amounts, header, footer, font and typography."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from sqlmodel import Session

from cdppe.present.documents import generate_step_documents
from cdppe.present.documents.docx import FONT
from models.enums import Phase
from tests.db.cdppe.documents.conftest import Importer, example
from tests.unit.cdppe.documents.test_documents_layout import (
    all_text,
    amount_columns_fit,
    bad_spaces,
    grid_widths,
    header_and_footer,
    section_orientations,
    style_fonts,
    superscript_ordinals,
)


def _plan_tables(doc: Any) -> list[Any]:
    return [t for t in doc.tables if [c.text for c in t.rows[0].cells][-4:] ==
            ["Département", "État", "Autres", "Total"]]


def _docx(session: Session, import_cf: Importer, tmp_path: Path) -> dict[str, Any]:
    cid, ex = import_cf(example("saone-et-loire-2024.yaml"))
    docs = []
    for step in (Phase.DIAGNOSIS, Phase.SIGNATURE):
        docs += generate_step_documents(session, cid, ex[2024], step, ("docx",), out_dir=tmp_path)
    session.commit()
    return {d.kind: Document(d.path) for d in docs}


def test_saone_et_loire_layout(session: Session, import_cf: Importer, tmp_path: Path) -> None:
    docs = _docx(session, import_cf, tmp_path)
    plan, contract = docs["plan_action"], docs["contrat"]
    # the plan d'action: a landscape document; in the contract, landscape between portrait pages
    assert {orient for orient, _ in section_orientations(plan)} == {"landscape"}
    orients = [orient for orient, _ in section_orientations(contract)]
    assert orients[0] == "portrait" and orients[-1] == "portrait" and "landscape" in orients
    for doc in (plan, contract):
        tables = _plan_tables(doc)
        assert tables
        for table in tables:
            assert any(o == "landscape" and table.rows[0].cells[0].text[:20] in first[0]
                       for o, first in section_orientations(doc) if first)
            widths = grid_widths(table)
            assert len(set(widths)) > 3, widths
            assert amount_columns_fit(table) == []
    for kind, doc in docs.items():
        header, footer, fields = header_and_footer(doc)
        assert "Département de Saône-et-Loire" in header, kind
        assert fields == ["PAGE", "NUMPAGES"], kind
        assert set(style_fonts(doc).values()) == {(FONT, False)}, kind
        assert bad_spaces(all_text(doc)) == [], kind
    assert "Plan d'action" in header_and_footer(plan)[0]
    assert "Contrat départemental" in header_and_footer(contract)[0]
    assert "1er" in superscript_ordinals(contract)  # du 1er janvier 2024
