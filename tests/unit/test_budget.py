"""Budget caps stop a probe cleanly before they are exceeded; what was answered is kept and a
resume (under a cap that allows it) asks only the rest. Against the scripted fake server,
whose usage is one prompt token per word of the user message and one completion token."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from culturewatch.config.schema import ModelEndpoint, ProbeConfig
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.budget import BudgetExceeded
from culturewatch.probing.probe_specs import build_specs
from culturewatch.probing.runner import run_probe
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table
from culturewatch.storage.schema import RUN_EVENT_SCHEMA
from tests.fake_openai_server import FakeOpenAIServer

# $1 per token either way: a VSM prompt costs tens of dollars, so caps are easy to reason about
PRICES = {"usd_per_million_prompt_tokens": 1e6, "usd_per_million_completion_tokens": 1e6}


def spec_for(base_url: str, caps: dict[str, float], items: list[str] | str = "all"):
    config = ProbeConfig(
        models=[{"name": "fake-model", "base_url": base_url, "version": "v1", **PRICES, **caps}],
        grid={"settings": ["english"], "countries": ["US"], "items": items},
        client={"concurrency": 1, "max_retries": 0, "batch_size": 4, "timeout_s": 5},
    )
    [spec] = build_specs(config, load_instrument("vsm2013"), {"fake-model": "v1"})
    return spec


def cost_on_disk(paths: DataPaths, run_ids: list[str]) -> float:
    endpoint = ModelEndpoint(name="fake-model", base_url="http://x/v1", **PRICES)
    total = 0.0
    for run_id in run_ids:
        for row in read_table(paths.run_dir(run_id)).to_pylist():
            if not row["cache_hit"]:
                total += endpoint.cost_usd(row["prompt_tokens"], row["completion_tokens"])
    return total


def test_a_run_cap_stops_before_it_is_exceeded_and_a_resume_asks_only_the_rest(paths) -> None:
    with FakeOpenAIServer() as server:
        capped = spec_for(server.base_url, {"max_usd_per_run": 400.0})
        with pytest.raises(BudgetExceeded, match="max_usd_per_run") as stopped:
            run_probe(capped, paths)
        kept = read_table(paths.run_dir(capped.run_id)).num_rows
        assert 0 < kept < 24 and len(server.requests) == kept  # every answer that arrived is kept
        assert cost_on_disk(paths, [capped.run_id]) <= 400.0
        assert "cells on disk (kept" in str(stopped.value)

        # the same cap again: nothing more fits, nothing is sent
        sent_before = len(server.requests)
        with pytest.raises(BudgetExceeded):
            run_probe(capped, paths)
        assert len(server.requests) == sent_before

        # a higher cap: the same run id resumes and asks only the missing cells
        raised = spec_for(server.base_url, {"max_usd_per_run": 5000.0})
        assert raised.run_id == capped.run_id
        outcome = run_probe(raised, paths)
    assert outcome.cells_already_done == kept and outcome.cells_answered == 24 - kept
    assert len(server.requests) == 24
    events = read_table(paths.raw_runs / f"run_id={capped.run_id}", RUN_EVENT_SCHEMA).to_pylist()
    failed = [event for event in events if event["event"] == "failed"]
    assert len(failed) == 2 and all(event["message"].startswith("budget: ") for event in failed)
    assert [event["event"] for event in sorted(events, key=lambda e: e["recorded_at"])][-1] == "completed"


def test_a_day_cap_counts_every_run_of_the_model_that_day(paths) -> None:
    with FakeOpenAIServer() as server:
        first = spec_for(
            server.base_url, {"max_usd_per_day": 600.0}, items=[f"m{n:02d}" for n in range(1, 9)]
        )
        run_probe(first, paths)  # 8 items fit
        spent_first = cost_on_disk(paths, [first.run_id])
        assert 0 < spent_first < 600.0
        second = spec_for(
            server.base_url, {"max_usd_per_day": 600.0}, items=[f"m{n:02d}" for n in range(9, 25)]
        )
        assert second.run_id != first.run_id
        with pytest.raises(BudgetExceeded, match="max_usd_per_day"):
            run_probe(second, paths)
    second_rows = read_table(paths.run_dir(second.run_id)).num_rows
    assert second_rows < 16
    assert cost_on_disk(paths, [first.run_id, second.run_id]) <= 600.0


def test_cached_answers_cost_nothing(paths, tmp_path) -> None:
    """A fresh data dir sharing nothing but the response cache replays a run for free."""
    with FakeOpenAIServer() as server:
        spec = spec_for(server.base_url, {"max_usd_per_run": 5000.0}, items=["m01", "m02"])
        run_probe(spec, paths)
        replay = DataPaths(tmp_path / "replay")
        (replay.cache_db.parent).mkdir(parents=True)
        replay.cache_db.write_bytes(paths.cache_db.read_bytes())
        tiny = spec_for(server.base_url, {"max_usd_per_run": 0.01}, items=["m01", "m02"])
        outcome = run_probe(tiny, replay)  # all cache hits: under any cap
    assert outcome.cells_answered == 2 and len(server.requests) == 2


def test_a_budget_needs_prices() -> None:
    with pytest.raises(ValidationError, match="need usd_per_million"):
        ModelEndpoint(name="m", base_url="http://x/v1", max_usd_per_day=5)
