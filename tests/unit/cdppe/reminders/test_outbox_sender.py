"""The sender's retry rules, and the local .eml sink on loopback (no database)."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from cdppe.core.settings import Settings
from cdppe.ops.mail_sink import start_sink
from cdppe.services.reminders.sender import backoff, classify
from tests.smtp_server import free_port


def test_backoff_and_classification() -> None:
    settings = Settings(smtp_retry_base_seconds=60, smtp_retry_max_seconds=3600)
    assert [backoff(n, settings).total_seconds() for n in (1, 2, 3, 7, 20)] == [
        60, 120, 240, 3600, 3600]
    import aiosmtplib

    assert classify(aiosmtplib.SMTPResponseException(451, "plus tard")) == (False, "451 plus tard")
    assert classify(aiosmtplib.SMTPResponseException(554, "refusé"))[0] is True
    assert classify(aiosmtplib.SMTPAuthenticationError(535, "non"))[0] is False
    assert classify(ConnectionRefusedError())[0] is False
    assert classify(TimeoutError())[0] is False


async def test_mail_sink_writes_eml_files(tmp_path: Path) -> None:
    import aiosmtplib

    port = free_port()
    controller = start_sink(tmp_path / "mail", "127.0.0.1", port)
    try:
        await aiosmtplib.send(b"Subject: essai\r\n\r\nBonjour\r\n", sender="a@example.org",
                              recipients=["b@example.org"], hostname="127.0.0.1", port=port)
    finally:
        controller.stop()
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    msg = BytesParser(policy=policy.strict).parsebytes(files[0].read_bytes())
    assert msg["Subject"] == "essai" and msg["X-Sink-Envelope-To"] == "b@example.org"
