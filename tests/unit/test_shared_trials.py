"""Identical trials asked once: at temperature 0 on an endpoint declared deterministic, trials whose
requests are identical share one answer, flagged per row; everywhere else every trial is asked."""

import pytest
from pydantic import ValidationError

from culturewatch.config.loader import bundled_config, load_config
from culturewatch.config.schema import ModelEndpoint, ProbeConfig
from culturewatch.errors import EndpointError
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import build_specs, cells_for
from culturewatch.probing.runner import run_probe, shared_requests, shares_trials
from culturewatch.storage.parquet import read_table
from culturewatch.storage.schema import RUN_EVENT_SCHEMA
from tests.fake_openai_server import FakeOpenAIServer

MODEL = "fake-model"


def config_for(base_url: str, grid: dict, deterministic: bool, hosted: bool = False) -> ProbeConfig:
    return ProbeConfig(
        models=[
            {
                "name": MODEL,
                "base_url": base_url,
                "version": "v1",
                "deterministic": deterministic,
                "hosted": hosted,
            }
        ],
        grid=grid,
        client={"concurrency": 2, "max_retries": 0, "batch_size": 7, "timeout_s": 5},
    )


def planned_requests(config: ProbeConfig) -> tuple[int, int]:
    """(prompts, requests) the probe plans for the whole config, counted without sending any."""
    instrument = load_instrument(config.grid.instrument)
    endpoint = config.models[0]
    prompts = requests = 0
    for spec in build_specs(config, instrument, {MODEL: "v1"}):
        cells = cells_for(
            config.grid, instrument, [(country, spec.prompt_language) for country in spec.countries]
        )
        prompts += len(cells)
        requests += len(shared_requests(instrument, cells, shares_trials(endpoint, config.grid.temperature)))
    return prompts, requests


FULL_GRID = {"settings": ["full_grid"], "trials": 3}


def test_the_full_grid_with_three_trials_plans_a_third_of_the_requests() -> None:
    shared = config_for("http://127.0.0.1:9/v1", FULL_GRID, deterministic=True)
    assert planned_requests(shared) == (28_800, 9_600)
    every_trial = config_for("http://127.0.0.1:9/v1", FULL_GRID, deterministic=False)
    assert planned_requests(every_trial) == (28_800, 28_800)
    sampled = config_for("http://127.0.0.1:9/v1", {**FULL_GRID, "temperature": 0.7}, deterministic=True)
    assert planned_requests(sampled) == (28_800, 28_800)


def test_the_bundled_gpu_fleet_asks_each_distinct_prompt_once(monkeypatch) -> None:
    monkeypatch.setenv("VLLM_API_KEY", "test-key")
    config = load_config(bundled_config("gpu"))
    fleet = config.model_copy(update={"models": [config.models[0].model_copy(update={"name": MODEL})]})
    assert planned_requests(fleet) == (28_800, 9_600)


def test_a_hosted_endpoint_is_never_declared_deterministic() -> None:
    with pytest.raises(ValidationError, match="hosted API is never declared deterministic"):
        ModelEndpoint(name=MODEL, base_url="https://api.example.com/v1", hosted=True, deterministic=True)


GRID = {"settings": ["english"], "countries": ["US", "JP"], "trials": 3}


def test_shared_trials_are_asked_once_and_flagged_per_row(paths) -> None:
    with FakeOpenAIServer() as server:
        [spec] = build_specs(
            config_for(server.base_url, GRID, deterministic=True), load_instrument("vsm2013"), {MODEL: "v1"}
        )
        outcome = run_probe(spec, paths)
    assert len(server.requests) == 48 and outcome.cells_answered == 144
    assert {request["seed"] for request in server.requests} == {0}  # the lowest trial is the one asked
    rows = read_table(paths.run_dir(spec.run_id)).to_pylist()
    assert len(rows) == 144
    for row in rows:
        assert row["answer_shared_from_trial"] == (None if row["trial"] == 0 else 0)
        assert row["seed"] == 0 and row["answer"] == 3.0
    # the endpoint's tokens are those of the 48 requests, not of 144 answers
    [completed] = [
        e
        for e in read_table(paths.run_folder("runs", spec.run_id), RUN_EVENT_SCHEMA).to_pylist()
        if e["event"] == "completed"
    ]
    assert completed["prompt_tokens"] == sum(row["prompt_tokens"] for row in rows if row["trial"] == 0) > 0


def test_without_the_declaration_every_trial_is_asked(paths) -> None:
    with FakeOpenAIServer() as server:
        [spec] = build_specs(
            config_for(server.base_url, GRID, deterministic=False), load_instrument("vsm2013"), {MODEL: "v1"}
        )
        run_probe(spec, paths)
    assert len(server.requests) == 144
    assert sorted({request["seed"] for request in server.requests}) == [0, 1, 2]
    rows = read_table(paths.run_dir(spec.run_id)).to_pylist()
    assert {row["answer_shared_from_trial"] for row in rows} == {None}


def test_a_resume_asks_only_the_shared_requests_it_lacks(paths) -> None:
    with FakeOpenAIServer() as server:
        [spec] = build_specs(
            config_for(server.base_url, GRID, deterministic=True), load_instrument("vsm2013"), {MODEL: "v1"}
        )
        server.fail_after = 20
        with pytest.raises(EndpointError):
            run_probe(spec, paths)
        assert read_table(paths.run_dir(spec.run_id)).num_rows == 60  # 20 answers × 3 trials
        server.fail_after = None
        server.requests.clear()
        outcome = run_probe(spec, paths)
    assert len(server.requests) == 48 - 20 and outcome.cells_answered == 144 - 60
    rows = read_table(paths.run_dir(spec.run_id)).to_pylist()
    assert len({(row["country"], row["item_id"], row["trial"]) for row in rows}) == 144
