"""A real aiosmtpd server on loopback for the e-mail tests: it records, refuses, stops."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from cdppe.ops.mail_sink import EmlWriter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RecordingSink(EmlWriter):
    """The project's .eml sink, plus an in-memory record and addresses refused with 550."""

    def __init__(self, mail_dir: Path) -> None:
        super().__init__(mail_dir)
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()
        self._records = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 Adresse inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        with self._records:
            self.received.append((list(envelope.rcpt_tos), bytes(data)))
        return await super().handle_DATA(server, session, envelope)

    def messages(self) -> list[EmailMessage]:
        """Every message received, parsed in strict mode (raises on any defect)."""
        parser = BytesParser(policy=policy.strict)
        return [parser.parsebytes(data) for _, data in self.received]  # type: ignore[misc]


class SmtpServer:
    def __init__(self, mail_dir: Path) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        self.sink = RecordingSink(mail_dir)
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.sink, hostname=self.host, port=self.port,
                                          ready_timeout=10.0)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        self.sink.received.clear()
        self.sink.refuse.clear()
        self.start()


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path_factory.mktemp("mail"))
    server.start()
    yield server
    server.stop()
