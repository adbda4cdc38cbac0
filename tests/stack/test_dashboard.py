"""The Alignment view in headless Chromium (Debian's, driven by Playwright) on a warehouse dbt built.

The expected numbers are worked by hand in dashboard_fixture.py; the page must draw them: points
of the line charts, heatmap cells and ranking bars carry their values and are laid out by them.
Set CULTUREWATCH_SCREENSHOT_DIR to keep the screenshot (`make docs-screenshot` writes docs/).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from culturewatch.dashboard.app import create_app
from culturewatch.settings import PROJECT_ROOT, DataPaths
from tests.stack.dashboard_fixture import (
    DR_DE_NEUTRAL,
    DR_US_EXTREME,
    EXPECTED_ENGLISH_MEANS,
    HOSTILE_MODEL,
    HOSTILE_VERSION,
    MODEL,
    QUARANTINED_RUN,
    US_EXTREME_SCORES,
    build_dashboard_warehouse,
)
from tests.stack.native import free_port

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
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    return build_dashboard_warehouse(tmp_path_factory.mktemp("dashboard-data"))


@pytest.fixture(scope="module")
def served(warehouse: DataPaths) -> Iterator[tuple[str, dict[str, DataPaths]]]:
    """The dashboard app on 127.0.0.1; `state["paths"]` chooses the data dir per request."""
    state = {"paths": warehouse}
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(lambda: state["paths"]), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "dashboard app did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", state
    server.should_exit = True
    thread.join(timeout=10)


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


def _texts(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def _values(page, selector: str, attribute: str = "data-value") -> list[float]:
    return [
        float(value)
        for value in page.eval_on_selector_all(
            selector, f"els => els.map(e => e.getAttribute('{attribute}'))"
        )
    ]


def test_headline_charts_heatmap_ranking_and_status(served, page, warehouse: DataPaths) -> None:
    base, _ = served
    response = page.goto(f"{base}/alignment?model={MODEL}&setting=english")
    assert response.status == 200
    assert page.inner_text("#model-name") == MODEL

    # line chart: the English deviation ratio over v1, v2, v3, each point placed by its value
    points = page.locator("#mean_deviation_ratio_english circle.point")
    assert points.count() == 3
    versions = [points.nth(i).get_attribute("data-version") for i in range(3)]
    assert versions == ["v1", "v2", "v3"]
    drawn = _values(page, "#mean_deviation_ratio_english circle.point")
    assert drawn == pytest.approx([EXPECTED_ENGLISH_MEANS[v] for v in versions], abs=1e-6)
    boxes = [points.nth(i).bounding_box() for i in range(3)]
    assert all(box and box["width"] > 0 for box in boxes), "points not rendered"
    assert boxes[0]["y"] == pytest.approx(boxes[1]["y"], abs=0.5) and boxes[2]["y"] > boxes[1]["y"] + 20
    labels = _texts(page, "#mean_deviation_ratio_english text.value-label")
    assert labels == ["1.320", "1.320", "0.747"]
    assert page.locator("#mean_deviation_ratio_english polyline.series").count() == 1

    # heatmap of the latest version (v3): US at the extremes, DE all-neutral (50)
    for dimension, score in US_EXTREME_SCORES.items():
        cell = page.locator(f'#heatmap g.cell[data-country="US"][data-dimension="{dimension}"]')
        assert float(cell.get_attribute("data-value")) == pytest.approx(score)
        assert cell.text_content().endswith(f"{score:.0f}")
        assert cell.locator("rect").bounding_box()["width"] > 0
    assert _values(page, '#heatmap g.cell[data-country="DE"]') == pytest.approx([50.0] * 6)
    colours = {
        page.locator(f'#heatmap g.cell[data-country="US"][data-dimension="{d}"] rect').get_attribute("fill")
        for d in ("pdi", "idv")
    }
    assert len(colours) == 2, "a score of 100 and a score of 0 got the same colour"

    # ranking, setting english: DE (1.077) before US (0.416), bars proportional to the values
    bars = page.locator("#ranking-chart g.bar")
    assert [bars.nth(i).get_attribute("data-country") for i in range(bars.count())] == ["DE", "US"]
    assert _values(page, "#ranking-chart g.bar") == pytest.approx([DR_DE_NEUTRAL, DR_US_EXTREME], abs=1e-6)
    widths = [bars.nth(i).locator("rect").bounding_box()["width"] for i in range(2)]
    assert widths[1] / widths[0] == pytest.approx(DR_US_EXTREME / DR_DE_NEUTRAL, rel=0.02)
    assert page.locator("#ranking tr.rank-row").all_inner_texts()[0].split("\t")[:3] == ["1", "DE", "1.077"]

    # open regressions v2 -> v3, with links to both runs in the Airflow UI
    regressions = page.locator("#regressions tr.regression")
    assert regressions.count() == 4
    first = regressions.nth(0).inner_text().split("\t")
    assert first[:4] == ["deviation_ratio_aligned", "all (version mean)", "", "v2 → v3"]
    assert first[4:7] == ["1.562", "0.416", "-1.146"]  # 170.3/109 -> 170.3/409
    hrefs = set(
        page.eval_on_selector_all("#regressions a.run-link", "els => els.map(e => e.getAttribute('href'))")
    )
    assert hrefs == {
        "/dags/culturewatch_probe/runs/probe__run-v3",
        "/dags/culturewatch_probe/runs/probe__run-v2",
    }
    # closed at once: a connection left to the garbage collector would keep DuckDB's instance (and
    # with it this process's view of the file) open into the lock test below
    with duckdb.connect(str(warehouse.warehouse), read_only=True) as connection:
        [(expected,)] = connection.execute(
            "select count(*) from marts.alignment_regressions where model = ? and direction = 'regression' "
            "and is_comparable and version = 'v3'",
            [MODEL],
        ).fetchall()
    assert expected == 4

    # data-quality status of every run; the quarantined run's reason shown as text, not markup
    statuses = dict(
        zip(
            page.eval_on_selector_all("#runs tr.run", "els => els.map(e => e.id)"),
            page.eval_on_selector_all("#runs tr.run", "els => els.map(e => e.dataset.status)"),
            strict=True,
        )
    )
    assert statuses == {
        f"run-{QUARANTINED_RUN}": "quarantined",
        "run-run-v3": "complete",
        "run-run-v2": "complete",
        "run-run-v1": "complete",
    }
    assert "parse rate <b>below</b> 0.9" in page.inner_text(f"#run-{QUARANTINED_RUN}")
    assert page.locator("#runs b").count() == 0

    assert page.dialogs == [] and page.errors == []
    keep = os.environ.get("CULTUREWATCH_SCREENSHOT_DIR")
    target = Path(keep) / "dashboard.png" if keep else warehouse.root / "dashboard.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_model_and_config_values_are_escaped(served, page) -> None:
    base, _ = served
    page.goto(f"{base}/alignment?{httpx.QueryParams({'model': HOSTILE_MODEL})}")
    assert page.inner_text("#model-name") == HOSTILE_MODEL
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    drawn = page.eval_on_selector_all(
        "#mean_deviation_ratio_english circle.point", "els => els.map(e => e.getAttribute('data-version'))"
    )
    assert drawn == [HOSTILE_VERSION]
    assert page.locator("select[name=version] option").first.text_content() == HOSTILE_VERSION
    options = page.eval_on_selector_all("select[name=model] option", "els => els.map(e => e.value)")
    assert HOSTILE_MODEL in options
    assert page.dialogs == [] and page.errors == []


def test_missing_regressions_mart_is_said(served, page, warehouse: DataPaths, tmp_path: Path) -> None:
    base, state = served
    copy = tmp_path / "data"
    copy.mkdir()
    shutil.copy(warehouse.warehouse, copy / "warehouse.duckdb")
    with duckdb.connect(str(copy / "warehouse.duckdb")) as connection:
        connection.execute("drop table marts.alignment_regressions")
    state["paths"] = DataPaths(copy)
    try:
        page.goto(f"{base}/alignment?model={MODEL}")
        assert "alignment_regressions mart is not in this warehouse" in page.inner_text("#regressions-absent")
        assert "alignment_regressions" in page.inner_text("#missing-marts")
        assert page.locator("#mean_deviation_ratio_english circle.point").count() == 3  # the rest still shows
    finally:
        state["paths"] = warehouse


def test_busy_warehouse_answers_503(served, warehouse: DataPaths) -> None:
    """While another process (dbt) holds the write lock, the view says so instead of failing."""
    base, _ = served
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "time.sleep(60)",
            str(warehouse.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        reply = httpx.get(f"{base}/alignment", timeout=30)
        assert reply.status_code == 503 and "being rebuilt" in reply.text
    finally:
        holder.kill()
        holder.wait()
    assert httpx.get(f"{base}/alignment", timeout=30).status_code == 200


def test_security_headers_forbid_scripts(served) -> None:
    base, _ = served
    reply = httpx.get(f"{base}/alignment", timeout=30)
    policy = reply.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy


def test_plugin_mounts_the_view_behind_airflow_auth() -> None:
    """The plugin file registers the app and the nav entry; without a session it answers 401."""
    spec = importlib.util.spec_from_file_location(
        "culturewatch_dashboard", PROJECT_ROOT / "plugins" / "culturewatch_dashboard.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plugin = module.CulturewatchDashboardPlugin
    [app] = plugin.fastapi_apps
    [view] = plugin.external_views
    assert app["url_prefix"] == "/culturewatch" and view["href"] == "/culturewatch/alignment"
    assert view["name"] == "Alignment" and view["destination"] == "nav"
    reply = TestClient(app["app"]).get("/alignment")
    assert reply.status_code == 401
