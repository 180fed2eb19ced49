"""Finding 9 of issue 17 on the database side: a name read back is printed without its escapes."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from models import PartyMember
from tests.db.cdppe.reminders.test_year_simulation import import_saone


def test_preview_prints_no_terminal_escape_from_a_name(cli_db: str, session: Session,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    import_saone(session)
    member = session.exec(select(PartyMember).where(PartyMember.is_signatory)).first()
    assert member is not None
    member.name = "Yves \x1b[2J\x1b]0;pwned\x07Seguy [bold]x[/bold]"
    session.add(member)
    session.commit()
    result = CliRunner().invoke(app, ["reminders", "preview", "71-2024", "--as-of", "2024-10-17"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "[bold]x[/bold]" in result.output  # shown as typed, not taken for markup
