"""stg_raw__versions and marts.model_versions over sightings and runs written by the real
discovery and probe code (against the scripted fake server): first/last seen, currently
listed, probed or not — and empty, not an error, in a data dir that was never watched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from culturewatch.discovery.endpoints import served_version
from culturewatch.discovery.watch import watch_once
from culturewatch.probing.orchestrate import plan_probe
from culturewatch.probing.runner import run_probe
from culturewatch.settings import data_paths
from tests.dbt.raw_fixture import dbt, fetch
from tests.fake_openai_server import FakeOpenAIServer

V1 = {"id": "fake-model", "object": "model", "root": "/models/v1"}
V2 = {"id": "fake-model", "object": "model", "root": "/models/v2"}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("data")
    work_dir = tmp_path_factory.mktemp("dbt")
    paths = data_paths(data_dir)
    config = data_dir / "config.yaml"
    with FakeOpenAIServer() as server:
        config.write_text(
            f"models:\n  - name: fake-model\n    base_url: {server.base_url}\n"
            "grid:\n  settings: [english]\n  countries: [US]\n  items: [m01, m02]\n"
            "client:\n  max_retries: 0\n"
        )
        server.models = [V1, {"id": "unwatched", "object": "model"}]
        watch_once(config, paths, "w1", now=T0)
        for spec in plan_probe(config, model="fake-model", version=served_version(V1)):
            run_probe(spec, paths)
        server.models = [V2]  # v1 and `unwatched` gone, v2 new and not probed yet
        watch_once(config, paths, "w2", now=T0 + timedelta(hours=1))
        server.models = [V1, V2]  # v1 is back
        watch_once(config, paths, "w3", now=T0 + timedelta(hours=2))
    dbt(["seed"], data_dir, work_dir)  # the staging tests check countries against them
    dbt(["build", "--select", "+model_versions"], data_dir, work_dir)
    return data_dir


def test_one_row_per_version_with_first_and_last_seen(built: Path) -> None:
    rows = fetch(built, "select * from marts.model_versions order by model, first_seen_at")
    by_version = {(row["model"], row["model_version"]): row for row in rows}
    assert set(by_version) == {
        ("fake-model", served_version(V1)),
        ("fake-model", served_version(V2)),
        ("unwatched", served_version({"id": "unwatched", "object": "model"})),
    }
    v1 = by_version[("fake-model", served_version(V1))]
    assert (v1["first_seen_at"], v1["last_seen_at"], v1["n_sightings"]) == (T0, T0 + timedelta(hours=2), 2)
    assert v1["source"] == "endpoint" and v1["probe_model"] == "fake-model" and v1["currently_listed"]


def test_probed_versions_are_marked_with_their_runs(built: Path) -> None:
    rows = {row["model_version"]: row for row in fetch(built, "select * from marts.model_versions")}
    v1, v2 = rows[served_version(V1)], rows[served_version(V2)]
    assert v1["is_probed"] and v1["latest_run_status"] == "complete" and len(v1["probe_run_ids"]) == 1
    assert v1["first_probed_at"] is not None
    assert not v2["is_probed"] and v2["probe_run_ids"] == [] and v2["first_probed_at"] is None
    unwatched = rows[served_version({"id": "unwatched", "object": "model"})]
    assert (
        unwatched["probe_model"] is None and not unwatched["is_probed"] and not unwatched["currently_listed"]
    )


def test_a_data_dir_never_watched_has_an_empty_versions_mart(tmp_path: Path) -> None:
    data_dir, work_dir = tmp_path / "data", tmp_path / "dbt"
    with FakeOpenAIServer() as server:
        config = tmp_path / "config.yaml"
        config.write_text(
            f"models:\n  - name: fake-model\n    base_url: {server.base_url}\n    version: v1\n"
            "grid:\n  settings: [english]\n  countries: [US]\n  items: [m01]\n"
        )
        for spec in plan_probe(config):
            run_probe(spec, data_paths(data_dir))
    dbt(["seed"], data_dir, work_dir)  # the staging tests check countries against them
    dbt(["build", "--select", "+model_versions"], data_dir, work_dir)
    assert fetch(data_dir, "select count(*) as n from marts.model_versions") == [{"n": 0}]
