"""End to end on the real local model: probe DAG → raw Parquet → transform DAG (Cosmos/dbt) → marts.

Runs the DAGs in order with `airflow dags test` on SQLite (dags test does not fire asset
schedules; the asset trigger is exercised with real services in the production-stack tests).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from culturewatch.errors import EndpointError
from culturewatch.orchestration.airflow_runs import PROBE_DAG, TRANSFORM_DAG, init_airflow, run_dag_test
from culturewatch.probing.orchestrate import plan_probe
from culturewatch.probing.runner import run_probe
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.storage.parquet import read_table
from culturewatch.storage.progress import rows_on_disk
from culturewatch.storage.warehouse import connect_warehouse
from culturewatch.transform.warehouse_build import build_marts
from tests.e2e.conftest import TEST_MODEL, write_config

pytestmark = [pytest.mark.slow, pytest.mark.long(261)]

COUNTRIES = ["US", "EG", "JP"]  # EG: a country without ground truth for four dimensions


@pytest.fixture(scope="module", autouse=True)
def product_dbt_threads() -> Iterator[None]:
    """This module builds as the product does, on the profile's two dbt threads: `make test` runs
    every other build on one (DBT_THREADS=1, the two workers keep both cores busy)."""
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("DBT_THREADS", raising=False)
        yield


def test_dags_end_to_end_on_the_real_model(paths, model_server: LocalModelServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", COUNTRIES)
    init_airflow(paths)
    run_dag_test(paths, PROBE_DAG, {"config": str(config)})
    run_dag_test(paths, TRANSFORM_DAG)

    # built as the product builds it: the profile's two dbt threads (`product_dbt_threads`)
    transform_log = (paths.logs / f"airflow-dags-test-{TRANSFORM_DAG}.log").read_text(errors="replace")
    assert "Concurrency: 2 threads" in transform_log
    raw_rows = rows_on_disk(paths.raw_responses)
    assert raw_rows == len(COUNTRIES) * 24
    assert model_server.chat_requests_served() == raw_rows

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        scores = con.execute(
            "select country, pdi, idv, mas, uai, lto, ivr, n_valid from marts.vsm_country_scores"
        ).fetchall()
        ratios = con.execute(
            "select country, setting, dimension, deviation_ratio, null_reason from marts.deviation_ratio"
        ).fetchall()
    assert sorted(row[0] for row in scores) == sorted(COUNTRIES)
    for row in scores:
        assert all(value is None or 0 <= value <= 100 for value in row[1:7]), row
        assert row[7] >= 12, f"{row[0]}: only {row[7]}/24 valid answers"  # the test model parses well
    assert {row[0] for row in ratios} == set(COUNTRIES)
    for country, _, dimension, ratio, reason in ratios:
        if ratio is None:
            assert reason, (country, dimension)
        else:
            assert math.isfinite(ratio) and ratio > 0 and reason is None
    # Egypt has no PDI/IDV/MAS/UAI ground truth: null with a reason, never a number
    missing = {(d, r) for c, _, d, v, r in ratios if c == "EG" and d in {"pdi", "idv", "mas", "uai"}}
    assert missing == {(d, "no_ground_truth") for d in ("pdi", "idv", "mas", "uai")}
    overall = {(c, s): v for c, s, d, v, _ in ratios if d == "overall"}
    assert ("US", "aligned") in overall and ("US", "english") in overall
    # the data-quality gates of both DAGs passed the run: raw after the probe, marts after dbt
    from culturewatch.quality.verdicts import run_verdicts

    [spec] = plan_probe(config)  # the run the DAG asked: every raw row is under it
    assert read_table(paths.run_dir(spec.run_id)).num_rows == raw_rows
    verdicts = run_verdicts(paths, spec.run_id)
    assert [(v["stage"], v["status"]) for v in verdicts] == [("raw", "validated"), ("marts", "validated")]

    # a second transform on the same data dir: Cosmos runs dbt in a new copy of the project, with
    # dbt's partial parse from the first run's (deleted) copy; the marts it publishes are the same
    run_dag_test(paths, TRANSFORM_DAG)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rebuilt = con.execute(
            "select country, pdi, idv, mas, uai, lto, ivr, n_valid from marts.vsm_country_scores"
        ).fetchall()
    assert sorted(rebuilt) == sorted(scores)


def test_killed_server_resumes_with_only_missing_prompts(
    paths, test_model_path: Path, tmp_path: Path
) -> None:
    # 2 countries x 8 items, written 2 answers at a time: the server dies after the 4th answer is on
    # disk, with most of the run still to ask
    items = [f"m{number:02d}" for number in range(1, 9)]
    cells = 2 * len(items)
    config = write_config(tmp_path / "config.yaml", ["JP", "EG"], port=8094, batch_size=2, items=items)
    first = LocalModelServer(TEST_MODEL, test_model_path, port=8094, log_path=tmp_path / "first.log")
    with first:
        [spec] = plan_probe(config)
        failure: list[BaseException] = []

        def probe() -> None:
            try:
                run_probe(spec, paths)
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                failure.append(exc)

        worker = threading.Thread(target=probe)
        worker.start()
        deadline = time.monotonic() + 300
        while rows_on_disk(paths.raw_responses) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        first.kill()  # a crash, mid-run
        worker.join(timeout=300)
    assert failure and isinstance(failure[0], EndpointError), failure
    kept = read_table(paths.run_dir(spec.run_id)).num_rows
    assert 4 <= kept < cells, kept

    second = LocalModelServer(TEST_MODEL, test_model_path, port=8094, log_path=tmp_path / "second.log")
    with second:
        outcome = run_probe(spec, paths)
    assert second.chat_requests_served() == cells - kept
    assert outcome.cells_already_done == kept
    assert read_table(paths.run_dir(spec.run_id)).num_rows == cells


def test_free_text_styles_on_the_real_model_with_a_real_judge(paths, model_server, tmp_path: Path) -> None:
    """Chain-of-thought and scenario replies from the real model, classified by a real judge
    (the same local model: any OpenAI-compatible model may judge)."""
    config = tmp_path / "styles.yaml"
    config.write_text(
        "models:\n"
        f"  - name: {TEST_MODEL}\n    base_url: {model_server.base_url}\n    version: test\n"
        f"judge:\n  name: {TEST_MODEL}\n  base_url: {model_server.base_url}\n  version: test-judge\n"
        "grid:\n  settings: [english]\n  countries: [JP]\n  items: [m02, m21]\n"
        "  styles: [cot, scenario]\n  style_max_tokens: {cot: 96, scenario: 96}\n"
        "client:\n  concurrency: 1\n"
    )
    [spec] = plan_probe(config)
    run_probe(spec, paths)
    rows = read_table(paths.run_dir(spec.run_id)).to_pylist()
    assert sorted((row["item_id"], row["style"]) for row in rows) == [
        ("m02", "cot"),
        ("m02", "scenario"),
        ("m21", "cot"),
        ("m21", "scenario"),
    ]
    for row in rows:
        assert row["response_text"], row
        assert row["parse_status"] in {"ok", "unparseable", "refusal"}
        if row["style"] == "scenario":  # free text: always read by the judge
            assert row["answer_method"] == "judge" and row["judge_response"], row
        if row["parse_status"] == "ok":
            assert 1 <= row["answer"] <= 5
    # every call went to the real server: respondent calls plus one judge call per judged row
    judged = sum(row["answer_method"] == "judge" for row in rows)
    assert model_server.chat_requests_served() == len(rows) + judged


def test_wvs_instruments_on_the_real_model_into_their_marts(paths, model_server, tmp_path: Path) -> None:
    """CultureSPA's three strategies and one polarity prompt (judged by the same local model)
    on the real model, then dbt: the alignment score and polarity marts have their rows."""
    endpoint = f"  - name: {TEST_MODEL}\n    base_url: {model_server.base_url}\n    version: test\n"
    culturespa = tmp_path / "culturespa.yaml"
    culturespa.write_text(
        f"models:\n{endpoint}"
        "grid:\n  instrument: wvs_culturespa\n  settings: [english]\n  countries: [US, NG]\n"
        "  strategies: [unaware, aware, cross_culture]\n  items: [Q1, Q45, Q94]\n  max_tokens: 8\n"
        "client:\n  concurrency: 1\n"
    )
    polarity = tmp_path / "polarity.yaml"
    polarity.write_text(
        f"models:\n{endpoint}"
        f"judge:\n  name: {TEST_MODEL}\n  base_url: {model_server.base_url}\n  version: test-judge\n"
        "grid:\n  instrument: wvs_polarity\n  settings: [english]\n  strategies: [unaware]\n"
        "  styles: [scenario]\n  items: [f121]\n  variants: [tpl00-var0]\n"
        "  style_max_tokens: {scenario: 200}\n"
        "client:\n  concurrency: 1\n"
    )
    [spa_spec] = plan_probe(culturespa)
    run_probe(spa_spec, paths)
    [polarity_spec] = plan_probe(polarity)
    run_probe(polarity_spec, paths)

    rows = read_table(paths.run_dir(spa_spec.run_id)).to_pylist()
    assert len(rows) == 3 + 2 * 2 * 3
    parsed = [row for row in rows if row["parse_status"] == "ok"]
    assert len(parsed) >= 0.8 * len(rows), [row["response_text"] for row in rows]
    for row in parsed:  # WVS codes of each question's own coding
        low, high = {"Q1": (1, 4), "Q45": (1, 3), "Q94": (0, 2)}[row["item_id"]]
        assert low <= row["answer"] <= high, row
    [reply] = read_table(paths.run_dir(polarity_spec.run_id)).to_pylist()
    assert reply["response_text"] and reply["judge_response"], reply
    assert model_server.chat_requests_served() == len(rows) + 2  # the polarity reply and its judging

    build_marts(paths)  # in-process dbt keeps the warehouse open: read it through connect_warehouse
    with connect_warehouse(paths) as con:
        scores = con.execute(
            "select country, strategy, cas, n_questions from marts.cultural_alignment_score where run_id = ?",
            [spa_spec.run_id],
        ).fetchall()
        polarity_rows = con.execute(
            "select count(*) from marts.value_polarity_alignment where run_id = ?", [polarity_spec.run_id]
        ).fetchone()
    by_strategy = {(country, strategy) for country, strategy, _, _ in scores}
    assert {("US", "aware"), ("NG", "aware"), ("US", "cross_culture"), ("NG", "cross_culture")} <= by_strategy
    assert ("US", "unaware") in by_strategy  # persona-free answers are scored against every culture
    for _, _, cas, n_questions in scores:
        assert cas is None or 0 <= cas <= 100
        assert n_questions <= 3
    if reply["parse_status"] == "ok":
        assert polarity_rows[0] > 0
