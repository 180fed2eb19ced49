"""Finding 9 of issue 17: secrets never in repr, no .env read unless asked, no escapes printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdppe.core.settings import Settings, get_settings


def test_repr_and_str_mask_every_password() -> None:
    settings = Settings(database_url="postgresql://cdppe:topsecret@db.example/cdppe",
                        smtp_password="smtp-secret", smtp_username="relay-user")
    for text in (repr(settings), str(settings)):
        assert "topsecret" not in text and "smtp-secret" not in text and "relay-user" not in text
        assert "postgresql://cdppe:***@db.example/cdppe" in text
    assert settings.database_url == "postgresql://cdppe:topsecret@db.example/cdppe"  # still usable


def test_no_dotenv_is_read_unless_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("CDPPE_SMTP_PASSWORD=from-the-file\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDPPE_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("CDPPE_ENV_FILE", raising=False)
    get_settings.cache_clear()
    try:
        assert get_settings().smtp_password is None
        monkeypatch.setenv("CDPPE_ENV_FILE", str(tmp_path / ".env"))
        get_settings.cache_clear()
        password = get_settings().smtp_password
        assert password is not None and password.get_secret_value() == "from-the-file"
    finally:
        get_settings.cache_clear()
