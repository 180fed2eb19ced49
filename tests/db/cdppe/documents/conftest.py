"""Helpers for the document tests: import a contract, read what was produced."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from sqlmodel import Session, select

from cdppe.present.documents import docx_text
from cdppe.services.contract_io import parse_contract
from cdppe.services.importer import import_contract
from models import Exercice, GeneratedDocument
from models.contract_file import ContractFile
from tests.factories import example_file

SPACES = re.compile(r"[\u00a0\u202f]")


def plain(text: str) -> str:
    """French non-breaking spaces as ordinary spaces, to compare with "1 692 424 €"."""
    return SPACES.sub(" ", text)


def read_doc(doc: GeneratedDocument) -> str:
    """The text of a produced file: HTML as is, DOCX through python-docx (which must open it)."""
    return _read(doc.path, doc.fmt, doc.sha256)


@lru_cache(maxsize=256)
def _read(name: str, fmt: str, sha256: str) -> str:
    """Read once per file: a recorded file is never rewritten (its path and sha256 name its bytes),
    and the tests read most DOCX twice (``assert_clean_docx``, then their assertions)."""
    path = Path(name)
    if fmt == "docx":
        Document(str(path))  # opens, or raises
        return docx_text(path)
    return path.read_text(encoding="utf-8")


def assert_clean_docx(docs: list[GeneratedDocument]) -> None:
    """Every DOCX opens with python-docx and has no leftover template tag."""
    for doc in docs:
        if doc.fmt != "docx":
            continue
        text = read_doc(doc)
        assert text.strip(), doc.path
        for tag in ("{{", "{%", "}}", "%}"):
            assert tag not in text, f"{doc.path}: reste de gabarit {tag!r}"


Importer = Callable[[ContractFile | dict[str, Any]], tuple[int, dict[int, int]]]


@pytest.fixture
def import_cf(session: Session) -> Importer:
    """Import a contract (file model or raw dict); return its id and {year: exercice id}."""

    def run(cf: ContractFile | dict[str, Any]) -> tuple[int, dict[int, int]]:
        model = cf if isinstance(cf, ContractFile) else parse_contract(cf)
        result = import_contract(session, model, "test")
        session.commit()
        exercices = session.exec(select(Exercice).where(Exercice.contract_id == result.contract_id))
        return result.contract_id, {e.year: e.id for e in exercices if e.id is not None}

    return run


def example(name: str) -> ContractFile:
    from tests.conftest import EXAMPLES

    path = EXAMPLES / name
    if not path.exists():
        pytest.fail(f"exemple {path} absent")
    return example_file(name)
