"""The last-resort handler of the ``cdppe`` command: a French message and an error id, never a traceback.

Refusals (``typer.Exit(2)``, usage errors) go through untouched. Anything else that
escapes a command is logged with its traceback in ``<data>/logs/cdppe-errors.log``
under an error id, and the user reads one French line with that id; exit code 1.
A command that writes does so in one transaction, rolled back by the error.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

EXIT_UNEXPECTED = 1
log = logging.getLogger("cdppe.cli")


def error_log_path() -> Path:
    from cdppe.core.settings import get_settings

    return get_settings().data_dir / "logs" / "cdppe-errors.log"


def log_unexpected(exc: BaseException, error_id: str) -> Path | None:
    """Write the traceback to the error log; None if the log cannot be written either."""
    try:
        path = error_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except Exception:  # noqa: BLE001 - the message to the user must still go out
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    try:
        log.error("erreur %s : %s %s", error_id, " ".join(sys.argv[1:]) or "(cli)", type(exc).__name__,
                  exc_info=exc)
    finally:
        log.removeHandler(handler)
        handler.close()
    return path


def report_unexpected(exc: BaseException) -> str:
    """Log ``exc`` and tell the user in French; returns the error id."""
    from rich.console import Console

    error_id = uuid.uuid4().hex[:12]
    path = log_unexpected(exc, error_id)
    where = f" ; détails techniques dans {path}" if path else ""
    Console(stderr=True).print(
        f"[bold red]Erreur inattendue[/] (référence {error_id}) : l'opération n'a pas abouti et "
        f"rien n'a été enregistré{where}. Transmettez cette référence à l'équipe technique.",
        highlight=False, soft_wrap=True)
    return error_id


class SafeGroup(TyperGroup):
    """The root group: every command runs inside the last-resort handler."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # `cdppe … | head`: the reader left, nothing went wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("click", "typer")):
                raise  # usage errors and the like: click prints them itself
            report_unexpected(exc)
            raise typer.Exit(EXIT_UNEXPECTED) from None
