"""A local SMTP sink (aiosmtpd on loopback) that writes every message as an ``.eml`` file.

Used when no SMTP server is configured (``make up``), so a newcomer sees the
e-mails in ``settings.mail_dir``. Start it in a background thread with
``start_sink()`` (returns the running controller; call ``.stop()``), or in the
foreground with ``cdppe mail-sink``.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from cdppe.core.dates import utcnow


class EmlWriter:
    """aiosmtpd handler: one ``.eml`` file per message, written atomically."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = Path(mail_dir)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.count = 0

    def write(self, data: bytes, rcpt_tos: list[str]) -> Path:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = self.mail_dir / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        tmp = path.with_suffix(".eml.tmp")
        envelope = ("X-Sink-Envelope-To: " + ", ".join(rcpt_tos) + "\r\n").encode("ascii", "replace")
        tmp.write_bytes(envelope + data)
        os.replace(tmp, path)
        with self._lock:
            self.count += 1
        return path

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.write(data, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start_sink(mail_dir: Path, host: str = "127.0.0.1", port: int = 8025,
               handler: Any | None = None) -> Controller:
    """Start the sink in a background thread; returns the controller (``.stop()`` it)."""
    controller = Controller(handler or EmlWriter(mail_dir), hostname=host, port=port,
                            ready_timeout=10.0)
    controller.start()
    return controller


def serve_forever(mail_dir: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
    """Run the sink until interrupted (the ``cdppe mail-sink`` command)."""
    controller = start_sink(mail_dir, host, port)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
