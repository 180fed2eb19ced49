"""Data is text: HTML or template syntax in a contract field comes out as plain text everywhere."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session

from cdppe.present.documents import generate_step_documents
from models import OdpeReview
from models.enums import Phase
from tests.db.cdppe.documents.conftest import Importer, read_doc
from tests.db.cdppe.documents.factories_documents import HOSTILE, hostile_contract

ESCAPED = ("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; {{ 7*7 }} {% if true %}oui{% endif %} "
           "&amp; &lt;b&gt;gras&lt;/b&gt;")


def test_hostile_fields_are_plain_text_in_every_format(session: Session, import_cf: Importer,
                                                       tmp_path: Path) -> None:
    cid, ex = import_cf(hostile_contract())
    session.add(OdpeReview(exercice_id=ex[2024], session_date=date(2025, 10, 7),
                           opinion=f"Avis {HOSTILE}", recorded_by="test"))
    session.commit()
    docs = []
    for step in Phase:
        if step is not Phase.AMENDMENT:
            docs += generate_step_documents(session, cid, ex[2024], step, ("html", "docx"),
                                            out_dir=tmp_path)
    assert {d.kind for d in docs} == {
        "fiches_action", "plan_action", "convocation", "projet_deliberation", "contrat",
        "controle_regles", "avis_versement_bop304", "avis_versement_fir", "saisine_odpe", "avis_odpe",
        "rapport_execution"}
    for doc in docs:
        text = read_doc(doc)
        if doc.fmt == "html":
            assert "<script" not in text, doc.path
            assert "<b>gras" not in text, doc.path
            assert ESCAPED in text, doc.path
        else:
            assert HOSTILE in text, doc.path  # the characters themselves, as typed
            assert "alert('x') 49" not in text
            assert "&lt;" not in text and "&amp;" not in text, doc.path
