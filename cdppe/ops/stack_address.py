"""Where the running stack is: written by ``cdppe up`` in the data folder, read by every command.

A coordinator runs ``make up`` in one terminal and ``cdppe record …`` in another, with no
variable set: the second finds the first's Prefect API, UI and SMTP sink here. A variable
the user did set (``PREFECT_API_URL``, ``CDPPE_UI_URL``, ``CDPPE_SMTP_HOST``…) always wins.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "stack.json"


@dataclass(frozen=True)
class StackAddress:
    api_url: str
    ui_url: str
    smtp_host: str | None = None
    smtp_port: int | None = None
    documents_url: str | None = None

    def as_environment(self) -> dict[str, str]:
        env = {"PREFECT_API_URL": self.api_url, "CDPPE_UI_URL": self.ui_url}
        if self.documents_url:
            env["CDPPE_DOCUMENTS_URL"] = self.documents_url
        if self.smtp_host and self.smtp_port:
            env.update({"CDPPE_SMTP_HOST": self.smtp_host, "CDPPE_SMTP_PORT": str(self.smtp_port)})
        return env


def address_file(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def write_address(data_dir: Path, address: StackAddress) -> Path:
    """Atomically: a command reading it at the same moment sees the old file or the new one."""
    path = address_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(address), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_address(data_dir: Path) -> StackAddress | None:
    try:
        raw = json.loads(address_file(data_dir).read_text(encoding="utf-8"))
        return StackAddress(api_url=str(raw["api_url"]), ui_url=str(raw["ui_url"]),
                            smtp_host=raw.get("smtp_host"), smtp_port=raw.get("smtp_port"),
                            documents_url=raw.get("documents_url"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_address(data_dir: Path, address: StackAddress) -> None:
    """Only our own file: a second stack started meanwhile keeps its address."""
    if read_address(data_dir) == address:
        address_file(data_dir).unlink(missing_ok=True)


def apply_address(environ: MutableMapping[str, str], data_dir: Path) -> StackAddress | None:
    """Fill what the user did not set from the running stack's address; never start a throwaway Prefect.

    The SMTP host and port come from the stack only when no SMTP server is configured
    (``CDPPE_SMTP_HOST`` unset), so that the stack's sink is used, not a real server's port.
    """
    environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "false")
    address = read_address(data_dir)
    if address is None:
        return None
    smtp_configured = "CDPPE_SMTP_HOST" in environ
    for name, value in address.as_environment().items():
        if name.startswith("CDPPE_SMTP_") and smtp_configured:
            continue
        environ.setdefault(name, value)
    return address


def data_dir_from(environ: MutableMapping[str, str] = os.environ) -> Path:
    """The data folder as the settings will read it, without building them yet: the cached
    settings must see the stack's address once it is applied."""
    from cdppe.core.settings import Settings

    default = Settings.model_fields["data_dir"].default
    return Path(environ.get("CDPPE_DATA_DIR", default))
