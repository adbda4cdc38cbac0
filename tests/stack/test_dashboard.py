"""The Alignment view in headless Chromium (Debian's, driven by Playwright) on a warehouse dbt built.

The expected numbers are worked by hand in dashboard_fixture.py; the page must draw them: points
of the line charts, heatmap cells and ranking bars carry their values and are laid out by them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from culturewatch.dashboard.app import create_app
from culturewatch.settings import PROJECT_ROOT, DataPaths
from tests.local_http_server import serving
from tests.published import handmade_build
from tests.stack.dashboard_fixture import (
    DR_DE_NEUTRAL,
    DR_US_EXTREME,
    EXPECTED_ENGLISH_MEANS,
    HOSTILE_MODEL,
    HOSTILE_REPLY,
    HOSTILE_VERSION,
    MODEL,
    QUARANTINED_RUN,
    US_EXTREME_SCORES,
)

pytestmark = pytest.mark.long(45)  # seconds, measured on 2 cores: handed out first


@pytest.fixture(scope="module")
def served(warehouse: DataPaths) -> Iterator[tuple[str, dict[str, DataPaths]]]:
    """The dashboard app on 127.0.0.1; `state["paths"]` chooses the data dir per request."""
    state = {"paths": warehouse}
    with serving(create_app(lambda: state["paths"])) as base:
        yield base, state


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

    # how to read: each metric's direction and meaning, from config/metrics.yaml
    reading = page.inner_text("#how-to-read")
    assert "Deviation ratio" in reading and "higher is better: How far the country's Hofstede" in reading

    # line chart: the English deviation ratio over v1, v2, v3, each point placed by its value and
    # saying how many countries it averages
    points = page.locator("#mean_deviation_ratio_english circle.point")
    assert points.count() == 3
    versions = [points.nth(i).get_attribute("data-version") for i in range(3)]
    assert versions == ["v1", "v2", "v3"]
    drawn = _values(page, "#mean_deviation_ratio_english circle.point")
    assert drawn == pytest.approx([EXPECTED_ENGLISH_MEANS[v] for v in versions], abs=1e-6)
    assert _values(page, "#mean_deviation_ratio_english circle.point", "data-coverage") == [2, 2, 2]
    assert _texts(page, "#mean_deviation_ratio_english text.coverage") == ["n=2", "n=2", "n=2"]
    assert _values(page, "#mean_deviation_ratio_aligned circle.point", "data-coverage") == [1, 1, 1]
    boxes = [points.nth(i).bounding_box() for i in range(3)]
    assert all(box and box["width"] > 0 for box in boxes), "points not rendered"
    assert boxes[0]["y"] == pytest.approx(boxes[1]["y"], abs=0.5) and boxes[2]["y"] > boxes[1]["y"] + 20
    labels = _texts(page, "#mean_deviation_ratio_english text.value-label")
    assert labels == ["1.320", "1.320", "0.747"]
    assert page.locator("#mean_deviation_ratio_english polyline.series").count() == 1

    # heatmap of the latest version (v3): US at the extremes, DE all-neutral (50), each cell with
    # Hofstede's score beside it (the seed's US 40 91 62 46 26 68, DE 35 67 66 65 83 40)
    truth = {"US": (40, 91, 62, 46, 26, 68), "DE": (35, 67, 66, 65, 83, 40)}
    for dimension, score in US_EXTREME_SCORES.items():
        cell = page.locator(f'#heatmap g.cell[data-country="US"][data-dimension="{dimension}"]')
        assert float(cell.get_attribute("data-value")) == pytest.approx(score)
        assert cell.locator("text").text_content().startswith(f"{score:.1f} (")
        assert cell.locator("rect").bounding_box()["width"] > 0
    for country, scores in truth.items():
        assert _values(page, f'#heatmap g.cell[data-country="{country}"]', "data-ground-truth") == list(
            scores
        )
    us_pdi = page.locator('#heatmap g.cell[data-country="US"][data-dimension="pdi"] text')
    assert us_pdi.text_content() == "100.0 (40)"
    assert _values(page, '#heatmap g.cell[data-country="DE"]') == pytest.approx([50.0] * 6)
    colours = {
        page.locator(f'#heatmap g.cell[data-country="US"][data-dimension="{d}"] rect').get_attribute("fill")
        for d in ("pdi", "idv")
    }
    assert len(colours) == 2, "a score of 100 and a score of 0 got the same colour"
    # the colour scale has a legend, whose swatches are the cells' colours
    legend = {
        float(value): fill
        for value, fill in zip(
            page.eval_on_selector_all("#heatmap-legend rect.swatch", "els => els.map(e => e.dataset.value)"),
            page.eval_on_selector_all(
                "#heatmap-legend rect.swatch", "els => els.map(e => e.getAttribute('fill'))"
            ),
            strict=True,
        )
    }
    assert sorted(legend) == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    pdi = page.locator('#heatmap g.cell[data-country="US"][data-dimension="pdi"] rect').get_attribute("fill")
    assert legend[100] == pdi and page.locator("#heatmap-legend").bounding_box()["width"] > 0

    # ranking, setting english: DE (1.077) before US (0.416), bars proportional to the values
    bars = page.locator("#ranking-chart g.bar")
    assert [bars.nth(i).get_attribute("data-country") for i in range(bars.count())] == ["DE", "US"]
    assert _values(page, "#ranking-chart g.bar") == pytest.approx([DR_DE_NEUTRAL, DR_US_EXTREME], abs=1e-6)
    widths = [bars.nth(i).locator("rect").bounding_box()["width"] for i in range(2)]
    assert widths[1] / widths[0] == pytest.approx(DR_US_EXTREME / DR_DE_NEUTRAL, rel=0.02)
    first, second = (row.split("\t") for row in page.locator("#ranking tr.rank-row").all_inner_texts())
    # numerator 114.2 / 6, denominator 106 / 6, over 6 dimensions and 1 pass
    assert first[:7] == ["1", "DE", "1.077", "19.033", "17.667", "6", "1"]
    # an English-only run: the US's english row reads the very prompts of aligned and
    # language_average, and the page says so instead of leaving three equal numbers unexplained
    assert "same prompts as aligned, language_average (en only)" in second[7]

    # open regressions v2 -> v3 with their intervals, links to both runs (probed outside Airflow
    # in this fixture: the view's own run pages)
    regressions = page.locator("#regressions tr.regression")
    assert regressions.count() == 4
    cells = regressions.nth(0).locator("td").all_inner_texts()
    assert cells[0].startswith("deviation_ratio_aligned") and "higher is better" in cells[0]
    assert cells[1:4] == ["all (version mean)", "", "v2 → v3"]
    assert cells[4:8] == ["1.562", "0.416", "-1.146", "-73.3%"]  # 170.3/109 -> 170.3/409
    with duckdb.connect(str(warehouse.warehouse), read_only=True) as connection:
        [(expected, low, high)] = connection.execute(
            "select count(*), min(ci_low) filter (where country is null and metric ="
            " 'deviation_ratio_aligned'),"
            " min(ci_high) filter (where country is null and metric = 'deviation_ratio_aligned')"
            " from marts.alignment_regressions where model = ? and direction = 'regression'"
            " and is_comparable and version = 'v3'",
            [MODEL],
        ).fetchall()
    assert expected == 4
    assert cells[8].splitlines()[0] == f"[{low:+.3f}, {high:+.3f}]"  # the mart's bootstrap interval
    hrefs = set(
        page.eval_on_selector_all("#regressions a.run-link", "els => els.map(e => e.getAttribute('href'))")
    )
    assert hrefs == {"/alignment/run?run_id=run-v3", "/alignment/run?run_id=run-v2"}

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
    target = warehouse.root / "dashboard.png"  # the docs' screenshot is test_docs_screenshot.py's
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_any_two_versions_are_compared_like_for_like(served, page) -> None:
    """v1 and v3 are not consecutive: compared side by side, without the regression test's q."""
    base, _ = served
    page.goto(f"{base}/alignment?model={MODEL}&version=v3&compare=v1")
    assert "Not a pair the regression test compares" in page.inner_text("#compare-intro")
    us = page.locator('#comparison tr.compared[data-metric="deviation_ratio_english"][data-country="US"]')
    cells = us.locator("td").all_inner_texts()
    assert cells[1:6] == ["US/en", "1.562", "0.416", "-1.146", "-73.3%"]
    assert cells[6:8] == ["–", "–"]  # no interval, no q: not a tested pair
    assert us.get_attribute("data-compared") == "true"
    mean = page.locator('#comparison tr.compared[data-metric="deviation_ratio_english"][data-country=""]')
    assert mean.locator("td").all_inner_texts()[1:5] == ["all countries", "1.320", "0.747", "-0.573"]
    assert "2 countries" in mean.inner_text()
    # the consecutive pair carries the mart's test
    page.goto(f"{base}/alignment?model={MODEL}&version=v3&compare=v2")
    assert "consecutive comparable pair" in page.inner_text("#compare-intro")
    tested = page.locator(
        '#comparison tr.compared[data-metric="deviation_ratio_english"][data-country="US"] td'
    )
    assert tested.nth(8).inner_text() == "regression" and tested.nth(7).inner_text() != "–"
    assert page.dialogs == [] and page.errors == []


def test_leaderboard_across_models_sorts_by_any_headline(served, page) -> None:
    base, _ = served
    page.goto(f"{base}/alignment/leaderboard?sort=mean_deviation_ratio_english")
    models = page.eval_on_selector_all("#leaderboard tr.leader", "els => els.map(e => e.dataset.model)")
    assert models == [HOSTILE_MODEL, MODEL]  # 1.562 (US only) before 0.747, higher is better first
    english = page.locator('#leaderboard tr.leader td[data-column="mean_deviation_ratio_english"]')
    assert (
        "over 1 country" in english.nth(0).inner_text() and "over 2 countries" in english.nth(1).inner_text()
    )
    page.click('th[data-column="mean_deviation_ratio_english"] a.sort')  # the same column again: ascending
    models = page.eval_on_selector_all("#leaderboard tr.leader", "els => els.map(e => e.dataset.model)")
    assert models == [MODEL, HOSTILE_MODEL]
    page.click("#all-versions")
    assert page.locator("#leaderboard tr.leader").count() == 4  # v1, v2, v3 and the hostile version
    assert page.locator("script").count() == 0 and page.dialogs == [] and page.errors == []


def test_a_heatmap_cell_leads_to_the_raw_answers_behind_it(served, page) -> None:
    base, _ = served
    page.goto(f"{base}/alignment?model={MODEL}")
    page.click('#heatmap g.cell[data-country="US"][data-dimension="pdi"]')
    assert "dimension pdi (items m02, m07, m20, m23)" in page.inner_text("#answers-count")
    items = page.eval_on_selector_all("#answers tr.answer", "els => els.map(e => e.dataset.item)")
    assert items == ["m02", "m07", "m20", "m23"]
    # US_EXTREME: m07 = 5, m02 = 1, m20 = 5, m23 = 1, each reply as recorded
    replies = page.eval_on_selector_all("#answers pre.reply", "els => els.map(e => e.textContent)")
    assert replies == ["1", "5", "5", "1"]
    # every answer of the run, paged: 48 = 25 + 23
    page.goto(f"{base}/alignment/answers?run_id=run-v3")
    assert page.locator("#answers tr.answer").count() == 25
    page.click("#next-page")
    assert page.locator("#answers tr.answer").count() == 23 and "page 2 of 2" in page.inner_text(
        "#answers-count"
    )
    # a model's reply is shown as text, never run
    page.goto(f"{base}/alignment/answers?run_id=run-hostile")
    assert page.locator("#answers pre.reply").first.text_content() == HOSTILE_REPLY
    assert page.locator("script").count() == 0 and page.dialogs == [] and page.errors == []
    assert (
        httpx.get(f"{base}/alignment/answers", params={"run_id": "no-such-run"}, timeout=30).status_code
        == 404
    )


def test_every_link_on_the_view_resolves(served, page) -> None:
    """Follow every link of every page reachable from the model page (one hop from each): all 200."""
    base, _ = served
    start = [f"{base}/alignment?model={MODEL}&version=v3&compare=v1", f"{base}/alignment/leaderboard"]
    seen: set[str] = set()
    for url in start:
        page.goto(url)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            target = urljoin(url, href).split("#")[0]
            if target in seen:
                continue
            seen.add(target)
            reply = httpx.get(target, timeout=30)
            assert reply.status_code == 200, (url, href, reply.status_code)
    assert any("/alignment/run?run_id=" in href for href in seen)
    assert any("/alignment/answers?run_id=" in href for href in seen)
    assert len(seen) > 20


def test_model_and_config_values_are_escaped(served, page) -> None:
    base, _ = served
    page.goto(f"{base}/alignment?{httpx.QueryParams({'model': HOSTILE_MODEL})}")
    assert page.inner_text("#model-name") == HOSTILE_MODEL
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    drawn = page.eval_on_selector_all(
        "#mean_deviation_ratio_english circle.point", "els => els.map(e => e.getAttribute('data-version'))"
    )
    assert drawn == [HOSTILE_VERSION]
    # version names are written in full under the chart, never truncated
    assert _texts(page, "#mean_deviation_ratio_english text.version-label") == [HOSTILE_VERSION]
    assert page.locator("select[name=version] option").first.text_content() == HOSTILE_VERSION
    options = page.eval_on_selector_all("select[name=model] option", "els => els.map(e => e.value)")
    assert HOSTILE_MODEL in options
    assert page.dialogs == [] and page.errors == []


def test_missing_regressions_mart_is_said(served, page, warehouse: DataPaths, tmp_path: Path) -> None:
    base, state = served
    other = DataPaths(tmp_path / "data")
    with handmade_build(other) as connection:  # the published warehouse without that one mart
        connection.execute(f"attach '{warehouse.warehouse}' as built (read_only)")
        for schema, table in connection.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'built'"
        ).fetchall():
            connection.execute(f'create schema if not exists "{schema}"')
            connection.execute(f'create table "{schema}"."{table}" as from built."{schema}"."{table}"')
        connection.execute("detach built")
        connection.execute("drop table marts.alignment_regressions")
    state["paths"] = other
    try:
        page.goto(f"{base}/alignment?model={MODEL}")
        assert "alignment_regressions mart is not in this warehouse" in page.inner_text("#regressions-absent")
        assert "alignment_regressions" in page.inner_text("#missing-marts")
        assert page.locator("#mean_deviation_ratio_english circle.point").count() == 3  # the rest still shows
    finally:
        state["paths"] = warehouse


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


def test_loading_the_plugin_imports_no_web_stack() -> None:
    """Every process that loads plugins (the DAG processor on each parse) imports the plugin file;
    the view, FastAPI and Airflow's API security are imported on the API server's first request."""
    heavy = ["fastapi", "airflow.api_fastapi.core_api.security", "culturewatch.dashboard.app"]
    script = (
        "import runpy, sys\n"
        "import airflow.plugins_manager\n"
        f"runpy.run_path({str(PROJECT_ROOT / 'plugins' / 'culturewatch_dashboard.py')!r})\n"
        f"print([name for name in {heavy!r} if name in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
