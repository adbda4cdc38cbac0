"""Discovery: version identities from /v1/models and the MLflow registry, the versions table,
and "not probed yet" — against the scripted fake server and a local sqlite MLflow registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from culturewatch.discovery.endpoints import list_models, poll_endpoint, served_version
from culturewatch.discovery.sightings import read_sightings
from culturewatch.discovery.watch import watch_once
from culturewatch.errors import CulturewatchError, EndpointError
from culturewatch.probing.orchestrate import plan_probe
from culturewatch.probing.runner import run_probe
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import write_batch
from culturewatch.storage.schema import RUN_EVENT_SCHEMA
from tests.fake_openai_server import FakeOpenAIServer

VLLM_ENTRY = {
    "id": "fake-model",
    "object": "model",
    "created": 1700000000,
    "owned_by": "vllm",
    "root": "/models/qwen-v1",
    "parent": None,
    "max_model_len": 4096,
    "permission": [{"id": "modelperm-1", "created": 1700000000, "allow_sampling": True}],
}


def write_config(path: Path, base_url: str, extra: str = "", version: str = "auto") -> Path:
    path.write_text(
        "models:\n"
        f"  - name: fake-model\n    base_url: {base_url}\n    version: {version}\n"
        "grid:\n  settings: [english]\n  countries: [US]\n  items: [m01, m02]\n"
        "client:\n  max_retries: 0\n  timeout_s: 5\n" + extra
    )
    return path


def probe(config: Path, paths: DataPaths, version: str) -> None:
    for spec in plan_probe(config, model="fake-model", version=version):
        run_probe(spec, paths)


def test_identity_ignores_what_changes_on_every_reply_but_not_the_weights() -> None:
    again = {**VLLM_ENTRY, "created": 1800000000, "permission": [{"id": "modelperm-2"}]}
    assert served_version(again) == served_version(VLLM_ENTRY)
    assert served_version({**VLLM_ENTRY, "root": "/models/qwen-v2"}) != served_version(VLLM_ENTRY)
    assert served_version(VLLM_ENTRY).startswith("digest-") and len(served_version(VLLM_ENTRY)) == 19


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b'{"models": []}', "expected an object with a `data` list"),
        (b'{"data": [{"object": "model"}]}', r"data\[0\] has no model `id`"),
    ],
)
def test_malformed_model_lists_are_errors_naming_the_url(reply: bytes, problem: str) -> None:
    with FakeOpenAIServer() as server:
        server.models_reply = reply
        with pytest.raises(EndpointError, match=problem) as caught:
            list_models(server.base_url, "key")
    assert server.base_url + "/models" in str(caught.value)


def test_every_served_model_is_listed_with_its_identity() -> None:
    with FakeOpenAIServer() as server:
        server.models = [VLLM_ENTRY, {"id": "other", "object": "model"}]
        served = poll_endpoint(server.base_url, "key")
    assert [(entry.model, entry.version) for entry in served] == [
        ("fake-model", served_version(VLLM_ENTRY)),
        ("other", served_version({"id": "other", "object": "model"})),
    ]
    assert "created" not in served[0].details and served[0].details["root"] == "/models/qwen-v1"


def test_a_new_version_is_probed_once_even_when_it_disappears_and_returns(paths, tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.models = [VLLM_ENTRY, {"id": "unwatched", "object": "model"}]
        config = write_config(tmp_path / "c.yaml", server.base_url)
        first = watch_once(config, paths, "w1")
        [target] = first.to_probe
        assert target.model == "fake-model" and target.version == served_version(VLLM_ENTRY)
        assert target.dag_run_id == f"probe__{target.run_id}"
        assert first.errors == []

        probe(config, paths, target.version)
        assert len(server.requests) == 2
        second = watch_once(config, paths, "w2")
        assert second.to_probe == [] and second.already_probed == [target]

        server.models = [{**VLLM_ENTRY, "root": "/models/qwen-v2"}]  # v1 replaced by v2
        third = watch_once(config, paths, "w3")
        [new] = third.to_probe
        assert new.version != target.version and new.run_id != target.run_id
        probe(config, paths, new.version)

        server.models = [VLLM_ENTRY]  # v1 is back
        fourth = watch_once(config, paths, "w4")
        assert fourth.to_probe == [] and fourth.already_probed == [target]
        assert len(server.requests) == 4  # each version asked its 2 items once

    sightings = read_sightings(paths).to_pylist()
    assert [row["watch_id"] for row in sightings].count("w1") == 2  # the unwatched model too
    unwatched = [row for row in sightings if row["model"] == "unwatched"]
    assert unwatched and all(row["probe_model"] is None for row in unwatched)
    assert {row["model_version"] for row in sightings if row["model"] == "fake-model"} == {
        target.version,
        new.version,
    }


def test_a_pinned_version_is_the_identity_and_the_served_digest_is_kept(paths, tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.models = [VLLM_ENTRY]
        config = write_config(tmp_path / "c.yaml", server.base_url, version="v7")
        [target] = watch_once(config, paths, "w1").to_probe
    assert target.version == "v7"
    [row] = read_sightings(paths).to_pylist()
    assert '"served_digest": "' + served_version(VLLM_ENTRY) in row["details"]


def test_unreachable_or_missing_models_are_errors_and_others_still_count(paths, tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.models = [{"id": "something-else", "object": "model"}]
        config = tmp_path / "c.yaml"
        config.write_text(
            "models:\n"
            f"  - name: fake-model\n    base_url: {server.base_url}\n"
            "  - name: gone\n    base_url: http://127.0.0.1:9/v1\n"
            "grid:\n  settings: [english]\n  countries: [US]\n"
        )
        result = watch_once(config, paths, "w1")
    assert result.to_probe == []
    assert any("not served" in error and "fake-model" in error for error in result.errors)
    assert any("127.0.0.1:9" in error for error in result.errors)
    assert [row["model"] for row in read_sightings(paths).to_pylist()] == ["something-else"]


def test_a_run_in_progress_is_not_triggered_again(paths, tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        config = write_config(tmp_path / "c.yaml", server.base_url)
        [target] = watch_once(config, paths, "w1").to_probe
        started = {
            "run_id": target.run_id,
            "event": "started",
            "instrument": "vsm2013",
            "model": target.model,
            "model_version": target.version,
            "base_url": server.base_url,
            "prompt_language": "en",
            "cells_planned": 2,
            "cells_answered": 0,
            "requests_sent": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost_usd": None,
            "recorded_at": datetime.now(UTC) - timedelta(minutes=5),
            "message": None,
        }
        write_batch(paths.raw_runs / f"run_id={target.run_id}", [started], RUN_EVENT_SCHEMA)
        assert watch_once(config, paths, "w2").in_progress == [target]
        # a run stuck in `started` for longer than the grace period is triggered again (resumed)
        later = datetime.now(UTC) + timedelta(hours=7)
        assert watch_once(config, paths, "w3", now=later).to_probe == [target]


def test_probing_a_discovered_digest_the_endpoint_no_longer_serves_is_refused(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.models = [VLLM_ENTRY]
        config = write_config(tmp_path / "c.yaml", server.base_url)
        with pytest.raises(CulturewatchError, match="now serves version"):
            plan_probe(config, model="fake-model", version="digest-000000000000")
        with pytest.raises(CulturewatchError, match="no model named 'nope'"):
            plan_probe(config, model="nope")
        [spec] = plan_probe(config, model="fake-model", version=served_version(VLLM_ENTRY))
    assert spec.model_version == served_version(VLLM_ENTRY)


# ---------------------------------------------------------------- MLflow registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    """A local sqlite registry with three versions of `culturespa-fake`, v2 aliased `champion`."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("culturespa", artifact_location=(root / "artifacts").as_uri())
    client.create_registered_model("culturespa-fake")
    for _ in range(3):
        run = client.create_run(experiment)
        client.create_model_version(
            "culturespa-fake", source=f"{run.info.artifact_uri}/adapter", run_id=run.info.run_id
        )
    client.set_registered_model_alias("culturespa-fake", "champion", "2")
    return uri, ["mlflow:culturespa-fake/v1", "mlflow:culturespa-fake/v2", "mlflow:culturespa-fake/v3"]


def mlflow_section(uri: str, aliases: str = "") -> str:
    return (
        f"discovery:\n  mlflow:\n    tracking_uri: {uri}\n    models:\n"
        f"      - name: culturespa-fake\n        probe_as: fake-model\n{aliases}"
    )


def test_registry_versions_are_recorded_and_the_aliased_one_probed(paths, tmp_path: Path, registry) -> None:
    uri, identities = registry
    with FakeOpenAIServer() as server:
        config = write_config(
            tmp_path / "c.yaml", server.base_url, mlflow_section(uri, "        aliases: [champion]\n")
        )
        result = watch_once(config, paths, "w1")
        mlflow_targets = [target for target in result.to_probe if target.source == "mlflow"]
        assert [(t.model, t.version) for t in mlflow_targets] == [("fake-model", identities[1])]
        probe(config, paths, identities[1])
        again = watch_once(config, paths, "w2")
    assert [t.version for t in again.to_probe if t.source == "mlflow"] == []
    rows = [row for row in read_sightings(paths).to_pylist() if row["source"] == "mlflow"]
    assert sorted({row["model_version"] for row in rows}) == identities
    assert {row["model_version"]: row["aliases"] for row in rows if row["watch_id"] == "w1"}[
        identities[1]
    ] == ["champion"]
    assert all(row["location"] == uri and row["probe_model"] == "fake-model" for row in rows)


def test_an_endpoint_the_registry_probes_as_is_versioned_by_the_registry_only(
    paths, tmp_path: Path, registry
) -> None:
    """vLLM lists the registered LoRA under its module name with its own digest: recorded, but the
    version probed is the registry's, never the same weights a second time under the digest."""
    uri, identities = registry
    with FakeOpenAIServer() as server:
        config = write_config(
            tmp_path / "c.yaml", server.base_url, mlflow_section(uri, "        aliases: [champion]\n")
        )
        result = watch_once(config, paths, "w1")
    assert [(t.source, t.version) for t in result.to_probe] == [("mlflow", identities[1])]
    endpoint_rows = [row for row in read_sightings(paths).to_pylist() if row["source"] == "endpoint"]
    assert [row["model"] for row in endpoint_rows] == ["fake-model"]
    assert endpoint_rows[0]["model_version"].startswith("digest-")


def test_without_aliases_only_the_latest_registry_version_is_probed(paths, tmp_path: Path, registry) -> None:
    uri, identities = registry
    with FakeOpenAIServer() as server:
        config = write_config(tmp_path / "c.yaml", server.base_url, mlflow_section(uri))
        result = watch_once(config, paths, "w1")
    assert [t.version for t in result.to_probe if t.source == "mlflow"] == [identities[2]]


def test_an_unknown_registered_model_is_an_error_naming_it(paths, tmp_path: Path, registry) -> None:
    uri, _ = registry
    with FakeOpenAIServer() as server:
        config = write_config(
            tmp_path / "c.yaml", server.base_url, mlflow_section(uri).replace("culturespa-fake", "typo")
        )
        result = watch_once(config, paths, "w1")
    assert any("'typo'" in error for error in result.errors), result.errors


def test_registry_models_must_be_probed_as_a_configured_model(tmp_path: Path, registry) -> None:
    from culturewatch.config.loader import load_config
    from culturewatch.errors import InputFileError

    config = write_config(
        tmp_path / "c.yaml",
        "http://127.0.0.1:1/v1",
        mlflow_section(registry[0]).replace("probe_as: fake-model", "probe_as: x"),
    )
    with pytest.raises(InputFileError, match="probed as 'x'"):
        load_config(config)


def test_cli_watch_then_probe_that_version(paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from culturewatch.cli import main

    with FakeOpenAIServer() as server:
        server.models = [VLLM_ENTRY]
        config = write_config(tmp_path / "c.yaml", server.base_url)
        assert main(["--data-dir", str(paths.root), "watch", "--config", str(config)]) == 0
        version = served_version(VLLM_ENTRY)
        assert f"culturewatch probe --model fake-model --version {version}" in capsys.readouterr().out
        probe_args = ["probe", "--config", str(config), "--model", "fake-model", "--version", version]
        assert main(["--data-dir", str(paths.root), *probe_args]) == 0
        assert f"fake-model@{version} [en]: 2 answered now" in capsys.readouterr().out
        assert main(["--data-dir", str(paths.root), "watch", "--config", str(config)]) == 0
    assert "to probe:" not in capsys.readouterr().out


def test_rerunning_or_backfilling_a_version_duplicates_nothing(paths, tmp_path: Path) -> None:
    """A manual re-trigger, a cleared DAG run or a backfill of the same version plans the same
    run id and resumes it: nothing is asked again and no row is written twice."""
    from culturewatch.storage.parquet import read_table

    with FakeOpenAIServer() as server:
        server.models = [VLLM_ENTRY]
        config = write_config(tmp_path / "c.yaml", server.base_url)
        version = served_version(VLLM_ENTRY)
        [first] = plan_probe(config, model="fake-model", version=version)
        run_probe(first, paths)
        files = [file.path for file in paths.run_dir(first.run_id).files()]
        [again] = plan_probe(config, model="fake-model", version=version)
        outcome = run_probe(again, paths)
        [resolved] = plan_probe(config)  # the whole config, version resolved now: the same run
    assert again.run_id == first.run_id == resolved.run_id
    assert outcome.requests_sent == 0 and outcome.cells_already_done == 2
    assert [file.path for file in paths.run_dir(first.run_id).files()] == files
    assert read_table(paths.run_dir(first.run_id)).num_rows == 2 and len(server.requests) == 2
