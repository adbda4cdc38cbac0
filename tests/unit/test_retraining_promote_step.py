"""The promote step: which runs it compares (marts.runs), the CAS it reads (marts.alignment_history:
per cell and the run means, never recomputed), and what it logs to a real MLflow sqlite store and
registry under tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from culturewatch.retraining import pipeline, promote_step
from culturewatch.retraining.promotion import NotProbedYet, VersionRef, grid_digest, runs_to_compare
from culturewatch.retraining.work import RetrainWork
from tests.published import handmade_build

MODEL = "qwen2.5-coder-0.5b-instruct"
BASE_VERSION = "gguf-1d9614638d18"
REGISTERED = "culturespa-qwen2.5-coder-0.5b-instruct"
IDENTITY = f"mlflow:{REGISTERED}/v1"
BASE = VersionRef(MODEL, BASE_VERSION)
CANDIDATE = VersionRef(MODEL, IDENTITY)
BASE_RUN = f"qwen2-5-coder-0-5b-instruct--{BASE_VERSION}--aaaa1111"
BASE_OTHER_GRID = f"qwen2-5-coder-0-5b-instruct--{BASE_VERSION}--bbbb2222"
CANDIDATE_RUN = "qwen2-5-coder-0-5b-instruct--mlflow-culturespa-qwen2-5-coder-0-5b-instruct-v1--aaaa1111"
CANDIDATE_QUARANTINED = (
    "qwen2-5-coder-0-5b-instruct--mlflow-culturespa-qwen2-5-coder-0-5b-instruct-v1--cccc3333"
)

CONFIG = f"""\
base_model: {{name: {MODEL}, version: {BASE_VERSION}, gguf_model: {MODEL}}}
evaluation: {{countries: [US, CN], strategies: [unaware, aware]}}
promotion: {{strategies: [aware], max_country_drop: 2.0, min_mean_improvement: 0.0}}
"""


def write_marts(paths, runs: list[tuple], history: list[tuple]) -> None:
    """Hand-made marts with the columns the promote step reads (dbt builds them for real)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with handmade_build(paths) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute(
            "create or replace table marts.runs (run_id varchar, model varchar, model_version varchar,"
            " instrument varchar, status varchar, started_at timestamp, finished_at timestamp)"
        )
        connection.execute(
            "create or replace table marts.alignment_history (run_id varchar, metric varchar, scope varchar,"
            " country varchar, prompt_language varchar, value double, n integer)"
        )
        for run in runs:
            connection.execute("insert into marts.runs values (?, ?, ?, ?, ?, ?, ?)", list(run))
        for row in history:
            connection.execute("insert into marts.alignment_history values (?, ?, ?, ?, ?, ?, ?)", list(row))


def run_row(run_id: str, version: str, status: str = "complete", hour: int = 10) -> tuple:
    return (
        run_id,
        MODEL,
        version,
        "wvs_culturespa",
        status,
        f"2026-01-01 {hour:02d}:00:00",
        None if status == "running" else f"2026-01-01 {hour:02d}:30:00",
    )


def cas_rows(run_id: str, us: float, cn: float, unaware: float = 40.0, elsewhere: float = 0.0) -> list[tuple]:
    """A run's CAS rows of marts.alignment_history: per country, and the run means as the mart has
    them (over the paper's cultures: US and CN; XX counts toward no mean)."""
    return [
        (run_id, "cas_aware", "country", "US", "en", us, 20),
        (run_id, "cas_aware", "country", "CN", "en", cn, 20),
        (run_id, "cas_aware", "country", "XX", "en", elsewhere, 20),
        (run_id, "cas_aware", "version_mean", None, None, (us + cn) / 2, 2),
        (run_id, "cas_unaware", "country", "US", "en", unaware, 20),
        (run_id, "cas_unaware", "version_mean", None, None, unaware, 1),
    ]


def aliases() -> dict[str, str]:
    import mlflow

    found = mlflow.MlflowClient().get_registered_model(REGISTERED).aliases
    return {alias: str(version) for alias, version in found.items()}


def test_the_grid_digest_ends_the_run_id() -> None:
    assert grid_digest(BASE_RUN) == grid_digest(CANDIDATE_RUN) == "aaaa1111"


def test_compares_the_candidates_complete_run_with_the_bases_run_of_the_same_grid(paths) -> None:
    write_marts(
        paths,
        [
            run_row(BASE_RUN, BASE_VERSION, hour=8),
            run_row(BASE_OTHER_GRID, BASE_VERSION, hour=9),  # newer, but another grid
            run_row(CANDIDATE_RUN, IDENTITY, hour=10),
            run_row(CANDIDATE_QUARANTINED, IDENTITY, "quarantined", hour=11),  # newest, not used
        ],
        [],
    )
    runs = runs_to_compare(paths, BASE, CANDIDATE)
    assert (runs.base_run_id, runs.candidate_run_id) == (BASE_RUN, CANDIDATE_RUN)


def test_waits_while_the_candidate_or_the_bases_grid_is_missing(paths) -> None:
    with pytest.raises(NotProbedYet, match="no warehouse"):
        runs_to_compare(paths, BASE, CANDIDATE)
    write_marts(paths, [run_row(BASE_RUN, BASE_VERSION), run_row(CANDIDATE_RUN, IDENTITY, "running")], [])
    with pytest.raises(NotProbedYet, match=r"no complete wvs_culturespa run of the candidate .*\(running\)"):
        runs_to_compare(paths, BASE, CANDIDATE)
    write_marts(paths, [run_row(BASE_OTHER_GRID, BASE_VERSION), run_row(CANDIDATE_RUN, IDENTITY)], [])
    with pytest.raises(NotProbedYet, match=r"no complete run of the base .*\(grid digest aaaa1111\)"):
        runs_to_compare(paths, BASE, CANDIDATE)


@pytest.fixture
def retraining(paths, tmp_path: Path):
    """A started retraining (its real MLflow run in a sqlite store under the data dir) whose
    candidate is registered as version 1 with alias `candidate` (no training: the registry entry is
    what the promote step needs)."""
    import mlflow

    config = tmp_path / "retrain.yaml"
    config.write_text(CONFIG)
    retrain_id = pipeline.start(config, paths)
    work = RetrainWork.open(paths, retrain_id)
    client = mlflow.MlflowClient()
    client.create_registered_model(REGISTERED)
    version = client.create_model_version(
        REGISTERED, source=str(tmp_path), run_id=str(work.state()["mlflow_run_id"])
    )
    client.set_registered_model_alias(REGISTERED, "candidate", version.version)
    work.update(
        registered={
            "name": REGISTERED,
            "version": str(version.version),
            "model_uri": "models:/x",
            "model_version": IDENTITY,
            "probe_as": MODEL,
        }
    )
    return retrain_id, work


def test_promotes_from_the_marts_and_logs_the_decision_to_the_run(paths, retraining) -> None:
    import mlflow

    retrain_id, work = retraining
    write_marts(
        paths,
        [
            run_row(BASE_RUN, BASE_VERSION),
            run_row(CANDIDATE_RUN, IDENTITY, hour=11),
            run_row(BASE_OTHER_GRID, BASE_VERSION, hour=12),
        ],
        cas_rows(BASE_RUN, 60.0, 50.0)
        + cas_rows(CANDIDATE_RUN, 59.0, 55.0, unaware=0.0, elsewhere=1.5)  # unaware is not judged
        + cas_rows(BASE_OTHER_GRID, 99.0, 99.0),  # another grid: not compared
    )
    decision = promote_step.promote(paths, retrain_id)
    assert decision["decision"] == "champion" and decision["promote"] is True
    assert decision["base"] == {"model": MODEL, "model_version": BASE_VERSION, "run_id": BASE_RUN}
    assert decision["candidate"] == {"model": MODEL, "model_version": IDENTITY, "run_id": CANDIDATE_RUN}
    assert decision["cas_before"] == {"CN/en/aware": 50.0, "US/en/aware": 60.0, "XX/en/aware": 0.0}
    assert decision["deltas"] == {"CN/en/aware": 5.0, "US/en/aware": -1.0, "XX/en/aware": 1.5}
    # the mart's means (over its countries of the paper), not a mean of the cells read
    assert (decision["mean_before"], decision["mean_after"]) == ({"aware": 55.0}, {"aware": 57.0})
    assert decision["source"] == "marts.alignment_history"

    run = mlflow.get_run(str(work.state()["mlflow_run_id"]))
    assert run.data.tags["culturewatch.promotion"] == "champion"
    assert run.data.tags["culturewatch.promotion_reasons"] == (
        "aware: mean CAS improves by 2.00 (55.00 → 57.00); aware: no country drops by more than 2.00"
    )
    assert run.data.tags["culturewatch.candidate_probe_run"] == CANDIDATE_RUN
    assert run.data.params["promotion_strategies"] == "aware"
    assert run.data.params["promotion_max_country_drop"] == "2.0"
    metrics = run.data.metrics
    assert (metrics["cas_mean_before_aware"], metrics["cas_mean_after_aware"]) == (55.0, 57.0)
    assert metrics["cas_mean_delta_aware"] == 2.0 and metrics["promoted"] == 1.0
    assert metrics["cas_before_US_en_aware"] == 60.0 and metrics["cas_after_CN_en_aware"] == 55.0
    assert metrics["cas_worst_cell_delta"] == -1.0
    logged = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/evaluation/promotion_decision.json")
    assert logged == json.loads(json.dumps(decision))
    assert str(paths.root / "mlflow") in run.info.artifact_uri
    assert aliases() == {"candidate": "1", "champion": "1"}

    # decided once: new marts do not change a recorded decision
    write_marts(paths, [run_row(BASE_RUN, BASE_VERSION), run_row(CANDIDATE_RUN, IDENTITY)], [])
    assert promote_step.promote(paths, retrain_id) == decision
    assert promote_step.promote_pending(paths) == {"decided": {}, "waiting": {}}


def test_a_country_drop_is_rejected_and_champion_is_not_moved(paths, retraining) -> None:
    import mlflow

    retrain_id, work = retraining
    write_marts(
        paths,
        [run_row(BASE_RUN, BASE_VERSION), run_row(CANDIDATE_RUN, IDENTITY)],
        cas_rows(BASE_RUN, 60.0, 50.0) + cas_rows(CANDIDATE_RUN, 57.5, 60.0),
    )
    decision = promote_step.promote(paths, retrain_id)
    assert decision["decision"] == "rejected"
    assert "US/en/aware drops by 2.50 > 2.00" in decision["reasons"]
    run = mlflow.get_run(str(work.state()["mlflow_run_id"]))
    assert run.data.tags["culturewatch.promotion"] == "rejected"
    assert run.data.metrics["promoted"] == 0.0
    assert aliases() == {"candidate": "1"}


def test_the_promote_dag_step_waits_for_the_candidates_run_then_decides(paths, retraining) -> None:
    retrain_id, work = retraining
    write_marts(paths, [run_row(BASE_RUN, BASE_VERSION)], cas_rows(BASE_RUN, 60.0, 50.0))
    pending = promote_step.promote_pending(paths)
    assert pending["decided"] == {} and IDENTITY in pending["waiting"][retrain_id]
    assert "promotion" not in work.state()

    write_marts(
        paths,
        [run_row(BASE_RUN, BASE_VERSION), run_row(CANDIDATE_RUN, IDENTITY)],
        cas_rows(BASE_RUN, 60.0, 50.0) + cas_rows(CANDIDATE_RUN, 61.0, 52.0),
    )
    pending = promote_step.promote_pending(paths)
    assert pending["waiting"] == {} and pending["decided"][retrain_id]["decision"] == "champion"
    assert work.state()["promotion"]["candidate"]["run_id"] == CANDIDATE_RUN


def test_the_candidates_fleet_config_probes_it_with_the_bases_grid(tmp_path: Path) -> None:
    """The fleet config the served candidate is watched with: the configured model pinned to the
    registry identity, the registry watched for `candidate`, and the evaluation grid, so the
    candidate's run id ends in the same grid digest as the base's evaluation run."""
    from culturewatch.config.loader import load_config
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.probe_specs import run_id_for
    from culturewatch.retraining.candidate_server import (
        ServedCandidate,
        candidate_fleet_config,
        evaluation_grid,
    )
    from culturewatch.retraining.retrain_config import load_retrain_config
    from culturewatch.settings import data_paths

    (tmp_path / "retrain.yaml").write_text(CONFIG)
    config = load_retrain_config(tmp_path / "retrain.yaml")
    served = ServedCandidate(REGISTERED, "1", MODEL, "http://127.0.0.1:8102/v1", tmp_path / "a.gguf")
    assert served.identity == IDENTITY
    fleet = load_config(
        candidate_fleet_config(tmp_path / "fleet.yaml", served, data_paths(tmp_path / "data"), config)
    )
    [endpoint] = fleet.models
    assert (endpoint.name, endpoint.version, str(endpoint.base_url)) == (MODEL, IDENTITY, served.base_url)
    [watched] = fleet.discovery.mlflow.models
    assert (watched.name, watched.probe_as, watched.aliases) == (REGISTERED, MODEL, ["candidate"])
    assert fleet.grid == evaluation_grid(config)
    instrument = load_instrument("wvs_culturespa")
    base_run = run_id_for(
        endpoint.model_copy(update={"version": BASE_VERSION}), BASE_VERSION, fleet.grid, instrument
    )
    candidate_run = run_id_for(endpoint, IDENTITY, fleet.grid, instrument)
    assert grid_digest(base_run) == grid_digest(candidate_run) and base_run != candidate_run
