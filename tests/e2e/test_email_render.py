"""The digests as a mail client shows them: the HTML of real queued messages rendered by Chromium at a
phone's width (375 px) and a desktop's (1000 px), with no horizontal scrolling and nothing cut off;
each rendering is kept as a PNG (``CDPPE_UI_SHOTS``, default: pytest's temporary folder)."""

from __future__ import annotations

import os
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cdppe.core.dates import PARIS
from cdppe.core.settings import Settings
from cdppe.services.importer import import_contract
from cdppe.services.reminders.outbox import queue_due_reminders
from cdppe.services.reminders.sync import sync_all_deadlines
from cdppe.store.db import session_scope
from models import OutboxEmail
from tests.factories import example_file

DAY = date(2024, 12, 23)  # the Saône-et-Loire signatures are a week late: reminders and escalations


def queued_digests(engine: Engine, tmp_path: Path) -> list[OutboxEmail]:
    settings = Settings(data_dir=tmp_path, mail_from="CDPPE <cdppe@cdppe.example.gouv.fr>",
                        ui_url="http://127.0.0.1:4200", documents_url="http://127.0.0.1:4201")
    with Session(engine) as session:
        for name in ("saone-et-loire-2024.yaml", "creuse-2025-2027.yaml"):
            import_contract(session, example_file(name), "test")
            session.commit()
    with session_scope(engine) as session:
        sync_all_deadlines(session, DAY)
    queue_due_reminders(engine, DAY, settings=settings, now=datetime.combine(DAY, time(8), PARIS))
    with Session(engine) as session:
        return list(session.exec(select(OutboxEmail).where(OutboxEmail.kind == "digest")).all())


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const cut = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > width + 1 || r.left < -1);
  }).map(e => e.tagName + ': ' + e.textContent.slice(0, 60));
  return {scroll: document.documentElement.scrollWidth, width, cut};
}"""


@pytest.mark.parametrize("width", [375, 1000])
def test_digests_render_without_horizontal_scrolling(browser: Any, engine: Engine, tmp_path: Path,
                                                     width: int) -> None:
    digests = queued_digests(engine, tmp_path)
    coordinator = next(r for r in digests if r.recipient == "coordination-cdppe@example.gouv.fr")
    contact = max((r for r in digests if r.unsubscribe_url), key=lambda r: len(r.body_html))
    shots = Path(os.environ.get("CDPPE_UI_SHOTS") or tmp_path / "email-shots")
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    try:
        page = context.new_page()
        for name, row in (("coordination", coordinator), ("contact", contact)):
            page.set_content(row.body_html)
            layout = page.evaluate(OVERFLOW)
            assert layout["scroll"] <= width, (name, layout)
            assert layout["cut"] == [], (name, layout["cut"])
            text = page.inner_text("body")
            assert "Bonjour" in text and "Vous recevez ce message" in text
            assert text.count("Échéance :") == row.body_text.count("  Échéance :") >= 1
            if row.unsubscribe_url:
                assert page.get_attribute("a:text('Suspendre ou réduire vos relances')",
                                          "href") == row.unsubscribe_url
            font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('p')).fontSize)")
            assert font >= 14  # readable on a phone without zooming
            page.screenshot(path=str(shots / f"courriel-{name}-{width}px.png"), full_page=True)
    finally:
        context.close()
