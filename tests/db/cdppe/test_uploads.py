"""Finding 2 of issue 17 through the CLI: a scan refused records nothing, a PDF is archived."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from models import GeneratedDocument, Signature
from tests.db.cdppe.test_lifecycle import deliberate, setup
from tests.unit.cdppe.test_uploads import PDF

SIGN = ["record", "signature", "71-2024", "--role", "prefet", "--signatory-name", "Yves Seguy",
        "--signed-on", "2024-12-02", "--answered-by", "Camille"]


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "scan.pdf"
    path.write_bytes(PDF)
    return path


def test_cli_scan_of_proc_environ_is_refused_and_nothing_recorded(cli_db: str, session: Session) -> None:
    contract, ex = setup(session)
    deliberate(session, contract, ex)
    session.commit()
    runner = CliRunner()
    for bad in ("/proc/self/environ", "/etc/passwd"):
        result = runner.invoke(app, [*SIGN, "--scan", bad])
        assert result.exit_code == 2, result.output
        assert "--scan" in result.output and "rien n'a été enregistré" in result.output
        assert "Traceback" not in result.output
    refused = runner.invoke(app, [*SIGN, "--scan-path", "/proc/self/environ"])
    assert refused.exit_code == 2 and "scan_path" in refused.output
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Signature)).one() == 0
    assert session.exec(select(func.count()).select_from(GeneratedDocument)).one() == 0


def test_cli_scan_of_a_pdf_is_archived_with_its_sha256(cli_db: str, session: Session, pdf: Path) -> None:
    contract, ex = setup(session)
    deliberate(session, contract, ex)
    session.commit()
    result = CliRunner().invoke(app, [*SIGN, "--scan", str(pdf)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    doc = session.exec(select(GeneratedDocument).where(
        GeneratedDocument.kind == "signed_scan_prefet")).one()
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest() and doc.signed
    assert Path(doc.path).read_bytes() == PDF
    signature = session.exec(select(Signature)).one()
    assert signature.document_id == doc.id
