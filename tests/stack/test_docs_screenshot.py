"""The README's screenshot of the Alignment view (docs/dashboard.png), taken from clean data.

The browser test's warehouse (test_dashboard.py) carries markup and script injections on purpose;
this one is the same three versions of `fixture-model` without them (`hostile=False`). The page
must show no markup as text and no path of the machine it ran on. `make docs-screenshot` sets
CULTUREWATCH_SCREENSHOT_DIR=docs to keep the image; otherwise it goes to the test's temporary dir.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from culturewatch.dashboard.app import create_app
from culturewatch.settings import DataPaths
from tests.local_http_server import serving
from tests.stack.dashboard_fixture import CLEAN_QUARANTINE_REASON, MODEL, QUARANTINED_RUN

pytestmark = pytest.mark.long(28)  # seconds, measured on 2 cores: handed out first


@pytest.fixture(scope="module")
def base_url(clean_warehouse: DataPaths) -> Iterator[str]:
    with serving(create_app(lambda: clean_warehouse)) as base:
        yield base


def test_docs_screenshot_shows_no_markup_and_no_local_path(
    base_url: str, page, clean_warehouse: DataPaths
) -> None:
    response = page.goto(f"{base_url}/alignment?model={MODEL}&setting=english")
    assert response.status == 200
    text = page.inner_text("body")
    assert re.search(r"</?[a-z]+[ >/]", text) is None, "markup shown as text"
    for path in {str(clean_warehouse.root), str(clean_warehouse.root.resolve()), "/tmp/", str(Path.home())}:
        assert path not in text, f"the page shows a local path: {path}"
    assert CLEAN_QUARANTINE_REASON in page.inner_text(f"#run-{QUARANTINED_RUN}")
    keep = os.environ.get("CULTUREWATCH_SCREENSHOT_DIR")
    target = Path(keep) / "dashboard.png" if keep else clean_warehouse.root / "dashboard.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    assert page.dialogs == [] and page.errors == []
