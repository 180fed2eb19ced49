"""The e2e tier: the Prefect UI in a browser on a `cdppe up` stack, and the several-machine setup on
PostgreSQL (its own server and schema). The same one-database fixtures as tests/flows, for a test
that needs them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright import sync_api as playwright_api

from tests.fixtures import (  # noqa: F401
    cli_db,
    engine,
    migrated_engine,
    one_sqlite_database,
    prefect_api,
    session,
)

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never ``playwright install``)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (make test installs Debian's chromium)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield launched
        launched.close()
