"""Page objects for the Prefect 3.9.1 UI (the default UI, not "V2"), driven as a coordinator does.

Every function waits for what it needs (Playwright's auto-waiting locators); none sleeps a fixed time.
The DOM facts behind each selector are in ``tests/e2e/NOTES.md``.

Forms are Prefect's schema forms: the "Resume Flow Run" modal of a paused run and a deployment's
"Custom run" page. A field is found by its title as displayed (``schema-form-property__label``;
Prefect appends `` (Optional)`` to the title of a field that is not required). Their ``<label for>``
points at no control, so ``get_by_label`` finds nothing there.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

OPTIONAL_SUFFIX = " (Optional)"
DEFAULT_TIMEOUT_MS = 30_000
HEADER_BADGE = ".page-heading-flow-run__meta .state-badge"


class JsonValue:
    """Wrap a value to type it as JSON in the field's "Use JSON input" editor instead of its widget."""

    def __init__(self, value: Any) -> None:
        self.value = value


class NoneValue:
    """For an optional (``anyOf [..., null]``) field: select its ``None`` branch."""


NONE = NoneValue()


@dataclass(frozen=True)
class RunRow:
    name: str
    state: str
    href: str


@dataclass(frozen=True)
class ArtifactLink:
    title: str  # the card's title: the artifact key (``cdppe-71-2024-2024-avancement``)
    kind: str  # the card's subheader as in the DOM (CSS shows it upper-case): markdown, table, progress
    description: str
    href: str  # ``/artifacts/artifact/<id>``


def _exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


# ---------------------------------------------------------------------------------------------- pages
def open_runs_list(page: Page, base_url: str) -> None:
    page.goto(f"{base_url.rstrip('/')}/runs")
    page.locator(".flow-run-list .flow-run-list-item").first.wait_for(timeout=DEFAULT_TIMEOUT_MS)


def runs_list_rows(page: Page) -> list[RunRow]:
    """Rows of the flow-run list as displayed: run name (the breadcrumb's run link) and state badge."""
    rows = page.locator(".flow-run-list .flow-run-list-item")
    rows.first.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    out = []
    for row in rows.all():
        link = row.locator("a.flow-run-bread-crumbs__flow-run-link")
        out.append(RunRow(name=link.inner_text().strip(),
                          state=row.locator(".state-badge").first.inner_text().strip(),
                          href=link.get_attribute("href") or ""))
    return out


def open_run(page: Page, base_url: str, run_id: str) -> None:
    page.goto(f"{base_url.rstrip('/')}/runs/flow-run/{run_id}")
    page.locator(".page-heading-flow-run__meta .state-badge").wait_for(timeout=DEFAULT_TIMEOUT_MS)


def run_state_name(page: Page) -> str:
    """The state badge of the run page's header (e.g. ``En attente de délibération``)."""
    return page.locator(HEADER_BADGE).inner_text().strip()


def wait_run_state(page: Page, expected: str, timeout_s: float = 120) -> None:
    """The run page's badge shows ``expected`` (the page polls the API itself; we reload if it lags)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            expect(page.locator(HEADER_BADGE)).to_have_text(expected, timeout=10_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def open_tab(page: Page, name: str) -> None:
    """The run page's tabs are ``<li class="p-tab">`` in a ``role=tablist`` (no ``role=tab``)."""
    tab = page.get_by_role("tablist").locator("li.p-tab").filter(has_text=_exactly(name))
    tab.click()
    expect(tab).to_have_class(re.compile(r"\bp-tab__active\b"))


def run_detail(page: Page, label: str) -> str:
    """A value of the run's Details tab (``p-key-value``), e.g. "State Message", expanded if truncated."""
    open_tab(page, "Details")
    item = page.locator("#details-content .p-key-value").filter(
        has=page.locator(".p-key-value__label", has_text=_exactly(label)))
    value = item.locator(".p-key-value__value")
    more = value.locator(".p-text-truncate--action-text", has_text="See More")
    if more.count():
        more.click()
        expect(more).to_have_count(0)
    return value.inner_text().strip()


# ---------------------------------------------------------------------------------------------- forms
def resume_dialog(page: Page) -> Locator:
    return page.get_by_role("dialog").filter(has_text="Resume Flow Run")


def open_resume_form(page: Page) -> Locator:
    """Click the run page's "Resume" button; returns the modal once its schema form is rendered."""
    page.get_by_role("button", name="Resume", exact=True).click()
    dialog = resume_dialog(page)
    dialog.locator(".schema-form-property").first.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    return dialog


def form_root(page: Page) -> Locator:
    """The open resume modal if any, else the page (a deployment's custom-run form)."""
    dialog = resume_dialog(page)
    return dialog if dialog.count() else page.locator("body")


def form_description_text(page: Page) -> str:
    """The Markdown description above the resume form (where a refused answer's reason appears)."""
    article = resume_dialog(page).locator(".p-modal__body > article.markdown-renderer").first
    # the article is mounted before its Markdown is rendered into it: wait for some text (seen empty in CI)
    expect(article).to_contain_text(re.compile(r"\S"), timeout=DEFAULT_TIMEOUT_MS)
    return article.inner_text()


def field_titles(page: Page) -> list[str]:
    """The titles of the open form's fields, as displayed (with Prefect's `` (Optional)``)."""
    root = form_root(page)
    root.locator(".schema-form-property__label").first.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    return [t.strip() for t in root.locator(".schema-form-property__label").all_inner_texts()]


def displayed_title(page: Page, *candidates: str) -> str:
    """The first of ``candidates`` that the open form displays (a title Prefect may have replaced)."""
    shown = {t.removesuffix(OPTIONAL_SUFFIX) for t in field_titles(page)}
    for title in candidates:
        if title in shown:
            return title
    raise LookupError(f"none of {candidates} among the form's fields {sorted(shown)}")


def field(root: Locator, title: str) -> Locator:
    """The ``.schema-form-property`` whose own label is ``title`` (or ``title (Optional)``)."""
    label = root.locator(".schema-form-property__label").filter(
        has_text=re.compile(rf"^\s*{re.escape(title)}(?:{re.escape(OPTIONAL_SUFFIX)})?\s*$"))
    prop = label.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '),"
                         " ' schema-form-property ')][1]")
    expect(prop).to_have_count(1, timeout=DEFAULT_TIMEOUT_MS)
    return prop


def fill_form(page: Page, values: Mapping[str, Any]) -> None:
    """Fill the open form: ``{"Field title": value}``, each value typed with the field's widget.

    str → textarea/text input (or an enum select when the field is one: the option's visible text);
    int/float → number input; bool → toggle switch; ``date`` → date picker; ``datetime`` → date and
    time picker (its timezone select is left as is unless the datetime is aware); ``NONE`` → the
    ``None`` branch of an optional field; ``JsonValue(v)`` → "Use JSON input" then ``json.dumps(v)``.
    """
    root = form_root(page)
    for title, value in values.items():
        fill_field(page, field(root, title), value)


def fill_field(page: Page, prop: Locator, value: Any) -> None:
    if isinstance(value, JsonValue):
        _fill_json(page, prop, value.value)
        return
    branches = prop.locator(":scope > .p-label__body > .p-button-group button")
    if branches.count():  # anyOf (Optional[...]): pick the branch first
        if isinstance(value, NoneValue):
            _click_branch(branches, "None")
            return
        _click_branch(branches, None)
    elif isinstance(value, NoneValue):
        raise ValueError("this field has no None branch")
    fields = prop.locator(":scope > .p-label__body > .schema-form-property__fields")
    if isinstance(value, bool):
        _set_toggle(fields, value)
    elif isinstance(value, datetime):
        _pick_date(page, fields, value.date(), value.strftime("%H:%M"))
        if value.tzinfo is not None:
            _select_option(page, fields.locator(".schema-form-property-date-time__timezone-select"),
                           str(value.tzinfo))
    elif isinstance(value, date):
        _pick_date(page, fields, value, None)
    elif isinstance(value, int | float):
        box = fields.locator("input[type=number]").first
        box.fill(str(value))
        expect(box).to_have_value(str(value))
    elif isinstance(value, str):
        select = fields.locator(".p-select").first
        if fields.locator(".p-select").count() and not fields.locator("textarea, input[type=text]").count():
            _select_option(page, select, value)
        else:
            box = fields.locator("textarea, input[type=text]").first
            box.fill(value)
            expect(box).to_have_value(value)
    else:
        raise TypeError(f"no widget for {value!r}; wrap it in JsonValue")


def _click_branch(branches: Locator, name: str | None) -> None:
    """``None`` or the first non-None branch of an anyOf button group."""
    for button in branches.all():
        text = button.inner_text().strip()
        if (name is None and text != "None") or text == name:
            if button.get_attribute("aria-selected") != "true":
                button.click()
            expect(button).to_have_attribute("aria-selected", "true")
            return
    raise LookupError(f"no branch {name or 'other than None'}")


def _set_toggle(fields: Locator, value: bool) -> None:
    switch = fields.get_by_role("switch").first
    if (switch.get_attribute("aria-checked") == "true") != value:
        switch.click()
    expect(switch).to_have_attribute("aria-checked", "true" if value else "false")


def _pick_date(page: Page, fields: Locator, day: date, hhmm: str | None) -> None:
    """Prefect's date picker: open it, type into its native ``<input type=date>`` (ISO), Apply.

    Clicking day cells works too but needs month/year navigation; the native input under
    "Selected Date" takes the ISO value directly and "Apply" commits it to the form.
    """
    fields.locator(".p-date-button__control").first.click()
    picker = page.locator(".p-pop-over-content").filter(has=page.locator(".p-date-picker")).last
    picker.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    picker.locator("input[type=date]").fill(day.isoformat())
    if hhmm is not None:
        picker.locator("input[type=time]").fill(hhmm)
    picker.get_by_role("button", name="Apply", exact=True).click()
    expect(picker).to_have_count(0)
    shown = fields.locator(".p-date-button__value").first
    expect(shown).not_to_have_text(re.compile(r"^Select date"))
    expect(shown).to_contain_text(str(day.year))


def _select_option(page: Page, select: Locator, text: str) -> None:
    """A ``p-select``: its control is aria-hidden and ignores synthetic clicks; ArrowDown opens it."""
    control = select.locator(".p-select-button__control").first
    control.focus()
    control.press("ArrowDown")
    listbox = page.get_by_role("listbox").last
    listbox.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    search = listbox.locator("input[type=search]")
    if search.count():  # long (virtual-scrolled) lists: filter so the option is rendered
        search.fill(text)
    listbox.get_by_role("option", name=text, exact=True).first.click()
    expect(select.locator(".p-select-button__value").first).to_have_text(text)


def _fill_json(page: Page, prop: Locator, value: Any) -> None:
    prop.locator(".schema-form-property-menu button").first.click()
    page.get_by_text("Use JSON input", exact=True).click()
    editor = prop.locator("textarea.p-code-input__textarea").first
    editor.fill(json.dumps(value))
    expect(editor).to_have_value(json.dumps(value))


def submit_form(page: Page) -> None:
    """Submit the resume modal and wait for it to close (a validation error keeps it open: raise)."""
    dialog = resume_dialog(page)
    for attempt in (1, 2):
        dialog.get_by_role("button", name="Submit", exact=True).click()
        try:
            expect(dialog).to_have_count(0, timeout=DEFAULT_TIMEOUT_MS if attempt == 2 else 15_000)
            return
        except AssertionError as exc:
            # The local Prefect server on SQLite sometimes answers 503 (`database is locked`)
            # to a resume under load; the UI then keeps the form open, as a person would see it,
            # and the person submits again.
            if attempt == 2:
                errors = dialog.locator(".p-message--error, .p-label__message, .schema-form-property__errors")
                raise AssertionError(f"the form was not accepted: {errors.all_inner_texts()}") from exc


# ---------------------------------------------------------------------------------------------- artifacts
def artifact_links(page: Page) -> list[ArtifactLink]:
    """Open the run's Artifacts tab and read each artifact card (its own and its task runs')."""
    open_tab(page, "Artifacts")
    panel = page.locator(".flow-run-artifacts")
    panel.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    cards = panel.locator("a[href*='/artifacts/artifact/']").filter(has=page.locator(".artifact-card"))
    cards.first.wait_for(timeout=DEFAULT_TIMEOUT_MS)
    _render_all(page, cards)
    return [ArtifactLink(title=card.locator(".artifact-card__title").inner_text().strip(),
                         kind=(card.locator(".artifact-card__subheader").text_content() or "").strip(),
                         description=card.locator(".artifact-card__description").inner_text().strip()
                         if card.locator(".artifact-card__description").count() else "",
                         href=card.get_attribute("href") or "")
            for card in cards.all()]


def _render_all(page: Page, items: Locator, settle_s: float = 1.0, timeout_s: float = 30) -> None:
    """The card grid is a virtual scroller rendering chunk by chunk: scroll until no new item appears."""
    deadline = time.monotonic() + timeout_s
    count, stable_since = items.count(), time.monotonic()
    while time.monotonic() - stable_since < settle_s and time.monotonic() < deadline:
        items.last.scroll_into_view_if_needed()
        page.mouse.wheel(0, 2000)
        page.wait_for_timeout(100)  # short polling of the rendered count
        now = items.count()
        if now != count:
            count, stable_since = now, time.monotonic()
    items.first.scroll_into_view_if_needed()


# ---------------------------------------------------------------------------------------------- evidence
def screenshot(page: Page, folder: str | Path, name: str) -> Path:
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
