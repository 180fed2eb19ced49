"""The document server as a browser meets it: documents over http, the one upload door for scans."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from cdppe.core.settings import get_settings
from cdppe.ops.document_server import build_app
from cdppe.present.links import document_link
from models import GeneratedDocument
from tests.db.cdppe.test_cli import SAONE
from tests.db.cdppe.test_cli import runner as cli_runner

PDF = b"%PDF-1.4\n% page signee\n%%EOF\n"


@pytest.fixture
def client(cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("CDPPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CDPPE_DOCUMENTS_AUTH_STRING", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    get_settings.cache_clear()
    return TestClient(build_app())


def stored_document(engine: Engine, path: Path) -> GeneratedDocument:
    from sqlmodel import select

    from cdppe.cli.app import app
    from models import Contract

    assert cli_runner.invoke(app, ["contract", "import", str(SAONE)]).exit_code == 0
    with Session(engine) as session:
        contract = session.exec(select(Contract)).one()
        assert contract.id is not None
        doc = GeneratedDocument(contract_id=contract.id, step="signature", kind="contrat", fmt="pdf",
                                path=str(path),
                                sha256="0" * 64, template_version="t")
        session.add(doc)
        session.commit()
        session.refresh(doc)
        return doc


def test_a_document_opens_over_http_and_nothing_outside_the_archive(client: TestClient,
                                                                    engine: Engine) -> None:
    folder = get_settings().documents_dir / "71-2024" / "2024"
    folder.mkdir(parents=True)
    (folder / "contrat-v1.pdf").write_bytes(PDF)
    doc = stored_document(engine, folder / "contrat-v1.pdf")
    link = document_link("http://127.0.0.1:4201", doc.id, doc.path)
    assert link == f"http://127.0.0.1:4201/documents/{doc.id}/contrat-v1.pdf"
    opened = client.get(f"/documents/{doc.id}/contrat-v1.pdf")
    assert opened.status_code == 200 and opened.content == PDF
    assert opened.headers["content-type"] == "application/pdf"
    assert client.get(f"/documents/{doc.id}/autre.pdf").status_code == 404
    assert client.get("/documents/999/contrat-v1.pdf").status_code == 404
    outside = stored_document(engine, Path("/etc/passwd"))  # a row pointing outside: never served
    refused = client.get(f"/documents/{outside.id}/passwd")
    assert refused.status_code == 404 and "root:" not in refused.text
