"""The document server's upload door and its auth string, as a browser meets them (no database)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cdppe.core.settings import get_settings
from cdppe.ops.document_server import build_app

PDF = b"%PDF-1.4\n% page signee\n%%EOF\n"


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings read again from the environment the test sets, and forgotten after it."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def client(fresh_settings: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("CDPPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CDPPE_DOCUMENTS_AUTH_STRING", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    get_settings.cache_clear()
    return TestClient(build_app())


def test_upload_takes_a_pdf_and_gives_its_reference(client: TestClient) -> None:
    form = client.get("/televersement")
    assert form.status_code == 200 and "Déposer un scan signé" in form.text and 'lang="fr"' in form.text
    stored = client.put("/televersement", content=PDF, headers={"Content-Type": "application/pdf"})
    assert stored.status_code == 201, stored.text
    sha = stored.json()["sha256"]
    assert len(sha) == 64
    from cdppe.services.uploads import find_ingested

    assert find_ingested(sha, "scan_sha256").path.read_bytes() == PDF


def test_upload_refuses_what_is_not_a_pdf_or_too_big(client: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    text = client.put("/televersement", content=b"root:x:0:0:root:/root:/bin/bash\n")
    assert text.status_code == 400 and text.json()["erreur"].startswith("Scan signé : ce n'est pas un PDF")
    monkeypatch.setenv("CDPPE_UPLOAD_MAX_BYTES", "100")
    get_settings.cache_clear()
    big = client.put("/televersement", content=PDF + b"0" * 200)
    assert big.status_code == 413 and "trop volumineux" in big.json()["erreur"]
    assert not list((get_settings().documents_dir / "uploads").glob("*.pdf"))  # nothing kept


def test_with_an_auth_string_every_request_needs_it(fresh_settings: None, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDPPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CDPPE_DOCUMENTS_AUTH_STRING", "coordination:secret")
    get_settings.cache_clear()
    client = TestClient(build_app())
    assert client.get("/televersement").status_code == 401
    wrong = base64.b64encode(b"coordination:faux").decode()
    assert client.get("/televersement", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    good = base64.b64encode(b"coordination:secret").decode()
    assert client.get("/televersement", headers={"Authorization": f"Basic {good}"}).status_code == 200
