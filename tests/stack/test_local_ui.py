"""The operators' local path, as an operator follows it in Chromium: `culturewatch ui` starts Airflow
with the project's settings, the DAG list has no import error and every DAG is unpaused, a probe is
triggered from the trigger form, the transform follows on its Asset, and the Alignment view shows
the runs. Every run link — in the view, in an alert, in the report — opens a page that exists,
whoever started the run: the trigger form, `culturewatch demo`'s `airflow dags test`, or the CLI.

Slow: Airflow starts (about 1 min), the real test model answers three times and the transform
builds the marts. The runs ask only the four items of one VSM dimension (IDV, which they score):
the links are the same for any grid, and the full questionnaire is the other end-to-end tests'.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote, urljoin

import httpx
import pytest

from culturewatch.alerts.channels import AlertsConfig
from culturewatch.alerts.events import RegressionEvent
from culturewatch.alerts.outbox import make_alert
from culturewatch.cli import main
from culturewatch.local_ui import ADMIN_USER, LocalUI
from culturewatch.marts import RegressionRow
from culturewatch.orchestration.airflow_runs import PROBE_DAG, TRANSFORM_DAG, init_airflow, run_dag_test
from culturewatch.service_processes import free_port, wait_for
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse
from tests.e2e.conftest import TEST_MODEL, write_config

pytestmark = [pytest.mark.slow, pytest.mark.long(215)]

MODEL_PORT = 8141
VERSIONS = {"demo": "v-demo", "cli": "v-cli", "ui": "v-ui"}
IDV_ITEMS = ["m01", "m04", "m06", "m09"]  # VSM 2013: IDV = 35(m04 - m01) + 35(m09 - m06)


@pytest.fixture
def model_server(test_model_path: Path, tmp_path: Path):
    server = LocalModelServer(
        TEST_MODEL, test_model_path, port=MODEL_PORT, log_path=tmp_path / "model-server.log"
    )
    with server:
        yield server


def _dag_run(ui: LocalUI, dag_id: str, run_id: str) -> dict[str, object] | None:
    with ui.client() as client:
        reply = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
    return reply.json() if reply.status_code == 200 else None


def _runs(ui: LocalUI, dag_id: str) -> list[dict[str, object]]:
    with ui.client() as client:
        reply = client.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"order_by": "-run_after", "limit": 50})
        reply.raise_for_status()
    return list(reply.json()["dag_runs"])


def _log_in(page, ui: LocalUI) -> None:
    page.goto(ui.url)
    page.fill("input[name=username]", ADMIN_USER)
    page.fill("input[name=password]", ui.password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{ui.url}/")


# How the Airflow UI says a run or page is missing: the API's "... was not found", its "Not Found"
# pages, or a bare 404 status; a 404 inside a number ("53.111404", a run id's microseconds, or a
# duration's "27.404") is not one.
NOT_FOUND = re.compile(r"was not found|Not Found|(?<![\w.:+-])404(?![\w.:])")


def _shows_the_run(page, url: str, run_id: str) -> None:
    """The Airflow UI answers 200 for any route (a single-page app): what counts is that it shows
    the DAG run, not its "was not found"."""
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_selector(f"text={run_id}")
    page.wait_for_timeout(1500)  # the run's details load after the frame
    body = page.inner_text("body")
    assert not NOT_FOUND.search(body), (url, body[:500])


def test_operator_local_path_every_link_resolves(
    tmp_path: Path, model_server: LocalModelServer, page, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = DataPaths(tmp_path / "data")
    monkeypatch.setenv("CULTUREWATCH_DATA_DIR", str(paths.root))
    config = write_config(tmp_path / "fleet.yaml", ["US"], port=MODEL_PORT, items=IDV_ITEMS)
    monkeypatch.setenv("CULTUREWATCH_CONFIG", str(config))

    # a run as `culturewatch demo` makes it (airflow dags test, in the same Airflow home) and one
    # from the CLI, outside Airflow
    init_airflow(paths)  # as the demo does before its dags test
    run_dag_test(paths, PROBE_DAG, {"config": str(config), "model": TEST_MODEL, "version": VERSIONS["demo"]})
    # the CLI as an operator runs it, in a process of its own (Playwright's sync API holds this
    # thread's event loop, so the probe's asyncio.run cannot run in it)
    cli = [sys.executable, "-m", "culturewatch.cli", "probe", "--config", str(config)]
    probed = subprocess.run(
        [*cli, "--model", TEST_MODEL, "--version", VERSIONS["cli"]], capture_output=True, text=True
    )
    assert probed.returncode == 0, probed.stderr[-2000:]

    ui = LocalUI(paths, port=free_port(), config=config).start()
    try:
        # --- the DAG list: every project DAG parsed, none paused, no import error
        with ui.client() as client:
            assert client.get("/api/v2/importErrors").json()["total_entries"] == 0
        dags = ui.project_dags()
        assert {dag["dag_id"] for dag in dags} >= {PROBE_DAG, TRANSFORM_DAG, "culturewatch_alerts"}
        assert not any(dag["is_paused"] for dag in dags)
        _log_in(page, ui)
        page.goto(f"{ui.url}/dags")
        page.wait_for_selector(f"text={TRANSFORM_DAG}")
        assert "Import Errors" not in page.inner_text("body")

        # --- trigger a probe from the form, as an operator does
        before = {run["dag_run_id"] for run in _runs(ui, PROBE_DAG)}
        page.goto(f"{ui.url}/dags/{PROBE_DAG}")
        page.get_by_role("button", name="Trigger").click()
        dialog = page.get_by_role("dialog")
        dialog.locator("#element_model").fill(TEST_MODEL)
        dialog.locator("#element_version").fill(VERSIONS["ui"])
        dialog.get_by_role("button", name="Trigger").click()
        wait_for("the triggered probe run", lambda: len(_runs(ui, PROBE_DAG)) > len(before), 60, 2)
        new_runs = [run for run in _runs(ui, PROBE_DAG) if run["dag_run_id"] not in before]
        [triggered] = new_runs  # the form's run, nothing else (the watch is manual here)
        ui_run = str(triggered["dag_run_id"])
        # nothing on screen while the runs work: the DAG page refreshes a running run every few
        # seconds (its renderer used 51 CPU-s over the whole test, measured 2026-12-07)
        page.goto("about:blank")

        def finished(dag_id: str, run_id: str) -> bool:
            ui.check_alive()
            state = (_dag_run(ui, dag_id, run_id) or {}).get("state")
            assert state != "failed", f"{dag_id} {run_id} failed"
            return state == "success"

        wait_for("the probe run", lambda: finished(PROBE_DAG, ui_run), 900, 2)
        started = time.time()

        def transformed() -> bool:
            ui.check_alive()
            runs = _runs(ui, TRANSFORM_DAG)
            assert not [run["dag_run_id"] for run in runs if run["state"] == "failed"], "a transform failed"
            runs = [run for run in runs if run["state"] == "success"]
            return any(run["run_after"] and run["end_date"] for run in runs) and _published_has(paths, 3)

        # polled every 2 s: the time between the transform's end and its discovery is this
        # worker's alone (the other worker's model server runs on one thread)
        wait_for("the asset-triggered transform", transformed, 900, 2)
        print(f"transform after {time.time() - started:.0f} s")

        # --- the runs in the marts, each with the DAG run that probed it (none for the CLI's)
        with connect_warehouse(paths) as con:
            runs = dict(
                con.execute(
                    "select model_version, run_id from marts.runs where model = ?", [TEST_MODEL]
                ).fetchall()
            )
            dag_runs = dict(con.execute("select run_id, airflow_dag_run_id from marts.runs").fetchall())
        assert dag_runs[runs[VERSIONS["ui"]]] == ui_run
        assert dag_runs[runs[VERSIONS["cli"]]] is None
        demo_run = dag_runs[runs[VERSIONS["demo"]]]
        assert demo_run and _dag_run(ui, PROBE_DAG, demo_run) is not None  # dags test's run, in this home

        # --- the Alignment view, framed in the Airflow UI and on its own
        page.goto(ui.view_url)
        frame = page.frame_locator("iframe").first
        frame.locator("#model-name").wait_for()
        assert frame.locator("#model-name").inner_text() == TEST_MODEL
        response = page.goto(f"{ui.url}/culturewatch/alignment?model={TEST_MODEL}")
        assert response.status == 200
        links = page.eval_on_selector_all(
            "#runs a.run-link", "els => els.map(e => [e.dataset.run, e.getAttribute('href')])"
        )
        by_run = dict(links)
        assert by_run[runs[VERSIONS["ui"]]] == f"/dags/{PROBE_DAG}/runs/{quote(ui_run, safe='')}"
        assert by_run[runs[VERSIONS["cli"]]] == f"/culturewatch/alignment/run?run_id={runs[VERSIONS['cli']]}"
        view_page = page.url
        for run_id, href in links:
            target = urljoin(view_page, href)
            if "/dags/" in href:
                _shows_the_run(page, target, str(dag_runs[run_id]))
            else:
                assert page.goto(target).status == 200
                assert page.inner_text("#run-id") == run_id
                assert "Probed outside Airflow" in page.inner_text("#airflow-run")
        # the check sees a run that is missing: this UI's page of a run id that does not exist
        page.goto(f"{ui.url}/dags/{PROBE_DAG}/runs/{quote(ui_run + '-missing', safe='')}")
        wait_for(
            "the page of a missing run to say so",
            lambda: bool(NOT_FOUND.search(page.inner_text("body"))),
            30,
            1,
        )
        # every other link of the view opens a page (one hop)
        page.goto(view_page)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
        for href in {href for href in hrefs if not href.startswith("/dags/")}:
            reply = httpx.get(urljoin(view_page, href), cookies=cookies, timeout=60)
            assert reply.status_code == 200, (href, reply.status_code)

        # --- an alert's links (as the alerts DAG builds them) open pages that exist
        config_alerts = AlertsConfig.model_validate(
            {"webhook": {"url_env": "UNUSED"}, "airflow_ui_url": ui.url}
        )
        row = RegressionRow(
            regression_id="r", model=TEST_MODEL, previous_version=VERSIONS["cli"], version=VERSIONS["ui"],
            previous_run_id=runs[VERSIONS["cli"]], run_id=runs[VERSIONS["ui"]],
            metric="deviation_ratio_english", country="US", prompt_language="en", value_before=1.0,
            value_after=0.5, difference=-0.5, ci_low=-0.6, ci_high=-0.4, p_value=0.001, q_value=0.01,
            threshold=0.05, alpha=0.05, n_before=6, n_after=6, n_unit="dimensions", coverage_differs=False,
            is_unstable=False, direction="regression", is_comparable=True, not_comparable_reason=None,
            detected_at=datetime.now(UTC),
        )  # fmt: skip
        event = RegressionEvent(
            TEST_MODEL, VERSIONS["cli"], VERSIONS["ui"], row.run_id, row.previous_run_id, "regression", (row,)
        )
        alert = make_alert(config_alerts, "regression", event, dag_runs)
        _shows_the_run(page, str(alert.run_url), ui_run)
        assert page.goto(str(alert.previous_run_url)).status == 200  # the CLI's run: the view's page
        assert page.inner_text("#run-id") == runs[VERSIONS["cli"]]
        assert page.goto(str(alert.view_url)).status == 200
        assert "Compare two versions" in page.inner_text("body")

        # --- the report's run links
        out = tmp_path / "report"
        assert (
            main(["report", "--run-id", runs[VERSIONS["ui"]], "--out", str(out), "--airflow-url", ui.url])
            == 0
        )
        html = (out / "report.html").read_text()
        report_links = set(re.findall(r'href="([^"]+)"', html))
        assert f"{ui.url}/dags/{PROBE_DAG}/runs/{quote(ui_run, safe='')}" in report_links
        for link in report_links:
            if "/dags/" in link:
                _shows_the_run(page, link, unquote(link.rsplit("/", 1)[1]))
            elif link.startswith(ui.url):
                assert page.goto(link).status == 200, link
        assert page.errors == []
    finally:
        ui.stop()
    with pytest.raises(httpx.HTTPError):  # stopped: nothing listens any more
        httpx.get(f"{ui.url}/api/v2/monitor/health", timeout=5)


def _published_has(paths: DataPaths, n_runs: int) -> bool:
    """The published marts have `n_runs` runs of the test model (the transform covered them all)."""
    try:
        with connect_warehouse(paths) as con:
            [(found,)] = con.execute(
                "select count(*) from marts.runs where model = ? and status = 'complete'", [TEST_MODEL]
            ).fetchall()
    except Exception:  # noqa: BLE001 - nothing published yet
        return False
    return found >= n_runs
