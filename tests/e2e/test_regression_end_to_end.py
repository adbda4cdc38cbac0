"""A regression shown end to end on the real test model (issue 7 item 7).

Two versions of the 0.5B test model are registered in a local MLflow registry and served in turn
by llama.cpp on 127.0.0.1:8101: v1 = the model as is, v2 = the model plus a LoRA adapter this test
trains (tests/e2e/regression_versions.py says how, and why it is worse; it is trained once per
training inputs and kept in the models dir: training is test_retrain.py's to test). Everything after that is
the product under `airflow dags test` (SQLite): the watch DAG discovers v1 through the registry
alias `production` and triggers its probe; the test runs that probe run's conf (`dags test` has no
scheduler); the endpoint is switched to v2 (alias moved, server restarted with the adapter) and the
watch discovers v2 without re-probing v1; v2 is probed; the transform DAG builds the marts (dbt,
quality gates); marts.alignment_history holds both versions and marts.alignment_regressions the
regression — comparable, significant — computed by dbt from the two versions' own raw answers
with the committed regression rule (include/culturewatch/config/regression_thresholds.yaml; no
row is written into the warehouse by the test); the alerts DAG delivers it exactly once on each
channel (Slack-compatible webhook, JSON webhook, SMTP, all real local receivers), and a re-run of
the alerts DAG sends nothing more.

The endpoint's version is pinned in the fleet config to the registry identity it serves
(`mlflow:<name>/v<n>`), as `retraining.candidate_server.candidate_fleet_config` does: llama-cpp-python's
/v1/models reports only the alias, so an `auto` digest could not tell the two apart (and would be a
third, unregistered version to probe).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import duckdb
import pytest

from culturewatch.alerts.ledger import read_ledger
from culturewatch.discovery.sightings import read_sightings
from culturewatch.orchestration.airflow_runs import (
    ALERTS_DAG,
    PROBE_DAG,
    TRANSFORM_DAG,
    WATCH_DAG,
    ensure_pools,
    init_airflow,
    run_dag_test,
)
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table
from tests.alert_receivers import ALERT_CHANNELS_YAML, SmtpReceiver, WebhookReceiver, deliver_alerts_to
from tests.e2e.conftest import TEST_MODEL
from tests.e2e.regression_versions import (
    ALIAS,
    COUNTRIES,
    ITEMS,
    REGISTERED_MODEL,
    TARGET_ANSWERS,
    TRAINING,
    Registry,
    cached_skewing_adapter,
)

pytestmark = [pytest.mark.slow, pytest.mark.long(161)]

PORT = 8101
V1, V2 = f"mlflow:{REGISTERED_MODEL}/v1", f"mlflow:{REGISTERED_MODEL}/v2"
METRIC = "deviation_ratio_english"
CELLS = len(COUNTRIES) * len(ITEMS)


def write_fleet(path: Path, served_version: str, tracking_uri: str) -> Path:
    path.write_text(
        f"models:\n"
        f"  - name: {TEST_MODEL}\n"
        f"    base_url: http://127.0.0.1:{PORT}/v1\n"
        f"    version: '{served_version}'\n"
        "    pool_size: 1\n"
        # the 0.5B test model's data-quality threshold, as in the other e2e tests
        "    quality: {min_parse_rate: 0.8}\n"
        "grid:\n"
        "  settings: [english]\n"
        f"  countries: {list(COUNTRIES)}\n"
        f"  items: {ITEMS}\n"
        "  max_tokens: 8\n"
        "client: {concurrency: 1, max_retries: 1, timeout_s: 60, batch_size: 16}\n"
        "discovery:\n"
        "  mlflow:\n"
        f"    tracking_uri: '{tracking_uri}'\n"
        f"    models: [{{name: {REGISTERED_MODEL}, probe_as: {TEST_MODEL}, aliases: [{ALIAS}]}}]\n"
        + ALERT_CHANNELS_YAML
    )
    return path


def probe_runs(paths: DataPaths) -> list[tuple[str, str, dict]]:
    """The probe DAG runs the watch triggered (`probe__<data run id>`), oldest first."""
    with sqlite3.connect(paths.root / "airflow" / "airflow.db") as con:
        rows = con.execute(
            "select run_id, state, conf from dag_run where dag_id = ? and run_id like 'probe\\_\\_%' "
            "escape '\\' order by id",
            [PROBE_DAG],
        ).fetchall()
    return [(run_id, state, json.loads(conf) if conf else {}) for run_id, state, conf in rows]


def answers(paths: DataPaths, data_run_id: str) -> dict[tuple[str, str], float | None]:
    rows = read_table(paths.run_dir(data_run_id)).to_pylist()
    assert len(rows) == CELLS, rows
    return {(row["country"], row["item_id"]): row["answer"] for row in rows}


def test_a_served_version_regresses_and_alerts_once_per_channel(
    paths: DataPaths, test_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(step: str) -> None:
        timings[step] = round(time.monotonic() - started - sum(timings.values()), 1)

    registry = Registry(paths.root / "mlflow")
    v1 = registry.register(
        {"name": "base", "model": TEST_MODEL, "lora": "none"},
        [],
        "The test model's GGUF served as is (llama.cpp, chatml, temperature set by the caller).",
    )
    config = write_fleet(tmp_path / "fleet.yaml", registry.promote(v1), registry.uri)
    monkeypatch.setenv("CULTUREWATCH_CONFIG", str(config))
    watch_conf = {"config": str(config), "wait_for_probes": False}
    init_airflow(paths)
    ensure_pools(paths)
    lap("setup")

    # --- v1 served: the watch finds it in the registry and triggers its probe --------------------
    assert registry.lora_of(ALIAS, tmp_path / "deploy-v1") is None
    with LocalModelServer(TEST_MODEL, test_model_path, port=PORT, log_path=tmp_path / "v1.log") as server:
        run_dag_test(paths, WATCH_DAG, watch_conf)
        [(v1_dag_run, _, v1_conf)] = probe_runs(paths)
        assert v1_conf == {"config": str(config), "model": TEST_MODEL, "version": V1}
        run_dag_test(paths, PROBE_DAG, v1_conf)  # what the scheduler would run
        assert server.chat_requests_served() == CELLS
    lap("v1 watch + probe")

    # --- v2: the LoRA variant, registered, promoted, served in its place --------------------------
    adapter = cached_skewing_adapter(paths, test_model_path.parent, tmp_path / "train")
    lap("v2 training (or its cached adapter)")
    v2 = registry.register(
        {"name": "lora-skew", "model": TEST_MODEL, "lora": "adapter.gguf"}
        | {key: str(value) for key, value in TRAINING.items()},
        [adapter.gguf],
        "The test model with a LoRA adapter fine-tuned to answer the IDV and IVR items at the "
        "extremes (see tests/e2e/regression_versions.py).",
    )
    write_fleet(config, registry.promote(v2), registry.uri)
    lora = registry.lora_of(ALIAS, tmp_path / "deploy-v2")
    assert lora is not None and lora.read_bytes() == adapter.gguf.read_bytes()
    with LocalModelServer(
        TEST_MODEL, test_model_path, port=PORT, log_path=tmp_path / "v2.log", lora_path=lora
    ) as server:
        run_dag_test(paths, WATCH_DAG, watch_conf)
        triggered = probe_runs(paths)
        assert [run_id for run_id, _, _ in triggered].count(v1_dag_run) == 1  # v1 not re-probed
        [(v2_dag_run, _, v2_conf)] = [run for run in triggered if run[0] != v1_dag_run]
        assert v2_conf["version"] == V2 and v2 == "2"
        assert server.chat_requests_served() == 0  # discovery itself asks nothing
        run_dag_test(paths, PROBE_DAG, v2_conf)
        assert server.chat_requests_served() == CELLS
    lap("v2 watch + probe")
    sighted = {(row["model_version"], row["source"]) for row in read_sightings(paths).to_pylist()}
    assert {(V1, "mlflow"), (V2, "mlflow")} <= sighted

    # the lever, in the raw answers: v2 answers (most of) the targeted options, v1 does not
    before = answers(paths, v1_dag_run.removeprefix("probe__"))
    after = answers(paths, v2_dag_run.removeprefix("probe__"))
    on_target = {
        country: sum(after[country, item] == target for item, target in TARGET_ANSWERS.items())
        for country in COUNTRIES
    }
    print(f"answers v1 {before}\nanswers v2 {after}\nv2 on target {on_target}; losses {adapter.losses}")
    assert all(hits >= 7 for hits in on_target.values()), on_target
    assert sum(before[key] == after[key] for key in before) <= CELLS // 4

    # --- marts --------------------------------------------------------------------------------
    run_dag_test(paths, TRANSFORM_DAG)
    lap("transform")
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        history = con.execute(
            "select model_version, scope, country, value from marts.alignment_history "
            "where model = ? and metric = ? order by all",
            [TEST_MODEL, METRIC],
        ).fetchall()
        metrics = {row[0] for row in con.execute("select metric from marts.alignment_history").fetchall()}
        columns = [
            "previous_version", "version", "metric", "country", "prompt_language", "value_before",
            "value_after", "difference", "p_value", "q_value", "threshold", "alpha", "direction",
            "is_comparable",
        ]  # fmt: skip
        regressions = [
            dict(zip(columns, row, strict=True))
            for row in con.execute(
                f"select {', '.join(columns)} from marts.alignment_regressions where model = ? "
                "order by country nulls last",
                [TEST_MODEL],
            ).fetchall()
        ]
    print("alignment_history", history)
    print("alignment_regressions", json.dumps(regressions, indent=1, default=str))
    assert metrics == {METRIC}
    versions = {V1, V2}
    assert {row[0] for row in history} == versions
    scopes = {("country", country) for country in COUNTRIES} | {("version_mean", None)}
    assert {(row[1], row[2]) for row in history} == scopes
    assert len(history) == 2 * (len(COUNTRIES) + 1) and all(row[3] is not None for row in history)

    # every comparison of the pair (v1 -> v2): both countries and the version mean, all regressions
    assert [(row["country"], row["prompt_language"]) for row in regressions] == [
        *((country, "en") for country in COUNTRIES),
        (None, None),
    ]
    for row in regressions:
        assert (row["previous_version"], row["version"], row["metric"]) == (
            V1,
            V2,
            METRIC,
        )
        assert row["is_comparable"] and row["direction"] == "regression", row
        assert row["difference"] < -row["threshold"] and row["q_value"] < row["alpha"], row
        assert row["value_after"] < row["value_before"] / 2, row  # far beyond the threshold

    # --- alerts: one cause (model, version pair, probe run) -> one alert per channel ----------------
    with WebhookReceiver() as http, SmtpReceiver() as smtp:
        deliver_alerts_to(http, smtp, monkeypatch)
        run_dag_test(paths, ALERTS_DAG, {"config": str(config)})
        first = (len(http.to("/slack")), len(http.to("/hook")), len(smtp.mails))
        run_dag_test(paths, ALERTS_DAG, {"config": str(config)})  # a re-run sends nothing more
    lap("alerts x2")
    print(f"timings (s): {timings}")
    assert first == (1, 1, 1)
    assert (len(http.to("/slack")), len(http.to("/hook")), len(smtp.mails)) == (1, 1, 1)
    [hook] = http.to("/hook")
    payload = hook.json()
    [metric] = payload["metrics"]
    assert (payload["model"], payload["previous_version"], payload["version"], metric["metric"]) == (
        TEST_MODEL,
        V1,
        V2,
        METRIC,
    )
    assert metric["direction"] == "higher" and metric["meaning"]
    assert hook.headers["Idempotency-Key"] == payload["alert_id"]
    assert {row["country"] for row in metric["affected"]} >= set(COUNTRIES)
    [mail] = smtp.mails
    assert mail.message["X-Culturewatch-Alert-Id"] == payload["alert_id"]
    assert mail.recipients == ["ops@example.org"]
    assert len(read_ledger(paths)) == 3
