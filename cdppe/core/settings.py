"""All configuration in one place, read from the environment (prefix ``CDPPE_``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of the whole system; secrets never appear in ``repr`` or logs."""

    # No .env file is read unless CDPPE_ENV_FILE names one (see ``get_settings``): the
    # password never has to sit in a file of the working directory.
    model_config = SettingsConfigDict(env_prefix="CDPPE_", env_file=None, extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to a SQLite file in the data directory.",
    )
    timezone: str = "Europe/Paris"
    today: date | None = Field(
        default=None, description="Freeze 'today' (rehearsals, simulations); None = the real date."
    )

    # E-mail
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_implicit_tls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_secret_block: str | None = Field(
        default=None, description="Name of a Prefect Secret block holding the SMTP password."
    )
    smtp_timeout_seconds: float = 10.0
    smtp_validate_certs: bool = True
    mail_from: str = "CDPPE <cdppe-noreply@localhost>"
    sink_host: str = "127.0.0.1"
    sink_port: int = 8025

    # Reminder policy: days before each deadline, then escalation every N days.
    reminder_offsets_days: list[int] = [60, 30, 14, 7, 1, 0]
    reminder_offsets_by_kind: dict[str, list[int]] = Field(
        default_factory=lambda: {"termination": [60, 30, 7], "credits_usable": [60, 30, 7],
                                 "amendment_window": [60, 30]},
        description="Offsets per base kind of deadline (signature, payment, ...), "
        "overriding reminder_offsets_days.",
    )
    escalation_every_days: int = 7

    # Outbox sender: one SMTP connection per batch, exponential backoff on
    # temporary failures (base * 2^(attempts-1), capped), a lease while sending.
    outbox_batch_size: int = 200
    smtp_retry_base_seconds: float = 60.0
    smtp_retry_max_seconds: float = 3600.0
    outbox_lease_seconds: float = 300.0

    # The missed-sweep automation fires when no sweep completed for this long.
    sweep_incident_after_hours: float = Field(default=26.0, gt=0)

    # How often the runner `make up` starts asks the Prefect server for runs to start (a resumed
    # step, the next phase's run): half of it, on average, between Submit and the run starting.
    runner_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    # At most this many flow runs at once in that runner.
    serve_limit: int = Field(default=8, gt=0, le=64)

    # Uploaded files (signed scans): PDF only, at most this size.
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)

    # The document server (``cdppe documents serve``), for links in e-mails and artifacts.
    documents_url: str = "http://127.0.0.1:4201"

    # Prefect UI, for links in e-mails and artifacts.
    ui_url: str = "http://127.0.0.1:4200"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cdppe.sqlite').resolve()}"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"


    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """``repr`` and ``str`` never show a password, even one inside the database URL."""
        for name, value in super().__repr_args__():
            if name == "database_url" and value:
                yield name, mask_url(str(value))
            elif name == "smtp_username" and value:
                yield name, "***"
            else:
                yield name, value


def mask_url(url: str) -> str:
    """``postgresql://user:secret@db/cdppe`` → ``postgresql://user:***@db/cdppe``."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is hidden entirely
        return "***"


@lru_cache
def get_settings() -> Settings:
    env_file = os.environ.get("CDPPE_ENV_FILE")
    return Settings(_env_file=env_file) if env_file else Settings()
