"""Fixtures shared by the stack tests: the real test model (assembled from PyPI parts, from the
end-to-end tests), headless Debian Chromium driven by Playwright, and the dashboard's warehouses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from culturewatch.settings import DataPaths
from tests.e2e.conftest import test_model_path  # noqa: F401  (a fixture)
from tests.stack.dashboard_fixture import build_dashboard_warehouse

CHROMIUM = Path(os.environ.get("CULTUREWATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: `make stack-deps` installs Debian's chromium (the test needs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # any alert() would mean injected script ran
    page.errors = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """The dashboard's three hand-worked versions, markup and script injected (dashboard_fixture.py)."""
    return build_dashboard_warehouse(tmp_path_factory.mktemp("dashboard-data"))


@pytest.fixture(scope="module")
def clean_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """The same versions without the injections, as the README's screenshot shows them."""
    return build_dashboard_warehouse(tmp_path_factory.mktemp("screenshot-data"), hostile=False)
