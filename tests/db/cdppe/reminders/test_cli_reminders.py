"""``cdppe reminders preview|send`` and ``cdppe outbox`` as an operator uses them."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.core.settings import get_settings
from tests.db.cdppe.reminders.test_year_simulation import import_saone
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401

runner = CliRunner()


def test_preview_send_outbox(cli_db: str, engine: Engine, smtp_server: SmtpServer,  # noqa: F811
                             monkeypatch: pytest.MonkeyPatch) -> None:
    smtp_server.reset()
    monkeypatch.setenv("CDPPE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("CDPPE_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    with Session(engine) as session:
        import_saone(session)

    preview = runner.invoke(app, ["reminders", "preview", "71-2024", "--as-of", "2024-10-17"])
    assert preview.exit_code == 0, preview.output
    assert "Signature du contrat par le Préfet" in preview.stdout
    assert "prefet@saone-et-loire.example.gouv.fr" in preview.stdout
    assert "J-60" in preview.stdout and "à envoyer" in preview.stdout
    assert smtp_server.sink.received == []  # preview writes and sends nothing

    sent = runner.invoke(app, ["reminders", "send", "--as-of", "2024-10-17"])
    assert sent.exit_code == 0, sent.output
    assert "envoyé(s)" in sent.stdout
    assert len(smtp_server.sink.received) > 0

    again = runner.invoke(app, ["reminders", "preview", "71-2024", "--as-of", "2024-10-17"])
    assert "déjà envoyée" in again.stdout and "à envoyer" not in again.stdout

    # A person's choice, as an operator records it: named refusals, then held reminders.
    refused = runner.invoke(app, ["reminders", "contact", "prefet@saone-et-loire.example.gouv.fr",
                                  "--mode", "pause"])
    assert refused.exit_code == 2 and "--mode : 'pause' inconnu" in refused.output
    past = runner.invoke(app, ["reminders", "contact", "prefet@saone-et-loire.example.gouv.fr",
                               "--mode", "suspendu", "--until", "2020-01-01"])
    assert past.exit_code == 2 and "--until : le 2020-01-01 est déjà passé" in past.output
    paused = runner.invoke(app, ["reminders", "contact", "Prefet@Saone-et-Loire.example.gouv.fr",
                                 "--mode", "suspendu", "--by", "Camille Martin"])
    assert paused.exit_code == 0, paused.output
    assert "prefet@saone-et-loire.example.gouv.fr : relances suspendues." in paused.stdout
    later = runner.invoke(app, ["reminders", "preview", "71-2024", "--as-of", "2024-11-18"])
    rows = [line for line in later.stdout.splitlines() if "prefet@saone-et-loire" in line]
    assert rows and all("retenue (choix de la personne)" in line for line in rows)
    feeds = runner.invoke(app, ["reminders", "feeds"])
    assert feeds.exit_code == 0
    assert "Échéances CDPPE — Département 71 : http://" in feeds.stdout and "/calendrier/" in feeds.stdout

    listing = runner.invoke(app, ["outbox", "--status", "sent"])
    assert listing.exit_code == 0, listing.output
    assert f"envoyé : {len(smtp_server.sink.received)}" in listing.stdout
    assert runner.invoke(app, ["outbox", "--status", "bogus"]).exit_code == 2
    assert runner.invoke(app, ["reminders", "preview", "99-2024"]).exit_code == 2
    get_settings.cache_clear()
