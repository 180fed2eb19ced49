"""Storage paths: built from validated identifiers only (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdppe.present.documents import DocumentKind, UnsafeIdentifierError, document_path


@pytest.mark.parametrize("key", ["../etc", "71/2024", "..", "", "a" * 41, "71 2024", "é-2024"])
def test_paths_come_from_validated_identifiers_only(key: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeIdentifierError):
        document_path(tmp_path, key, 2024, 0, DocumentKind.CONTRAT, 1, "html")


def test_path_rejects_unknown_format_and_kind(tmp_path: Path) -> None:
    with pytest.raises(UnsafeIdentifierError):
        document_path(tmp_path, "71-2024", 2024, 0, DocumentKind.CONTRAT, 1, "exe")
    with pytest.raises(ValueError):
        document_path(tmp_path, "71-2024", 2024, 0, "../../x", 1, "html")  # type: ignore[arg-type]
    path = document_path(tmp_path, "2A-2025-2027", 2026, 2, DocumentKind.AVENANT, 3, "docx")
    assert path == tmp_path / "2A-2025-2027" / "2026" / "avenant-2" / "avenant-v3.docx"
