"""Findings 6 and 9 of issue 17 on the document side: old data with control characters still
gives a DOCX, and what a killed writer left is removed by the next one."""

from __future__ import annotations

import os
import time
from pathlib import Path

from cdppe.present.documents.docx import docx_text, html_to_docx
from cdppe.store.documents import STALE_TEMPORARY_SECONDS, remove_stale_temporaries


def test_a_docx_is_written_even_from_control_characters() -> None:
    data = html_to_docx("<html><body><h1>Fiche\x07 1</h1><p>Réf\x00érent \ufffe X</p></body></html>",
                        title="Titre\x1b")
    text = docx_text(data)
    assert "Fiche\ufffd 1" in text and "Réf\ufffdérent" in text


def test_stale_temporaries_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "fiches_action-v1.html"
    old = tmp_path / ".fiches_action-v1.html.z_abc123"
    fresh = tmp_path / ".fiches_action-v1.html.k_def456"  # another writer, still at work
    other = tmp_path / ".contrat-v1.html.z_abc123"
    for path in (old, fresh, other):
        path.write_bytes(b"partial")
    past = time.time() - STALE_TEMPORARY_SECONDS - 60
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    assert remove_stale_temporaries(target) == 1
    assert not old.exists() and fresh.exists() and other.exists()
