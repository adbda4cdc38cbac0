"""run_probe writes the raw contract, resumes after failures, and never asks twice."""

import pyarrow.parquet as pq
import pytest

from culturewatch.config.schema import ProbeConfig
from culturewatch.errors import EndpointError
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import build_specs
from culturewatch.probing.runner import run_probe
from culturewatch.storage.parquet import read_table
from culturewatch.storage.schema import RAW_RESPONSE_KEY, RAW_RESPONSE_SCHEMA
from tests.fake_openai_server import FakeOpenAIServer, Scripted


def spec_for(base_url: str, countries: list[str], batch_size: int = 5):
    config = ProbeConfig(
        models=[{"name": "fake-model", "base_url": base_url, "version": "v1"}],
        grid={"settings": ["english"], "countries": countries},
        client={"concurrency": 2, "max_retries": 0, "batch_size": batch_size, "timeout_s": 5},
    )
    [spec] = build_specs(config, load_instrument("vsm2013"), {"fake-model": "v1"})
    return spec


def test_rows_follow_the_raw_contract(paths) -> None:
    with FakeOpenAIServer() as server:
        spec = spec_for(server.base_url, ["US"])
        outcome = run_probe(spec, paths)
    table = read_table(paths.run_dir(spec.run_id))
    assert table.schema.equals(RAW_RESPONSE_SCHEMA)
    assert table.num_rows == 24 == outcome.cells_answered == len(server.requests)
    rows = table.to_pylist()
    assert {row["answer"] for row in rows} == {3.0} and {row["parse_status"] for row in rows} == {"ok"}
    assert rows[0]["prompt"].startswith("[system]\nYour role is an average person from United States.")
    keys = [tuple(row[k] for k in RAW_RESPONSE_KEY) for row in rows]
    assert len(set(keys)) == len(keys)
    # append-only: 24 answers in batches of 5 → 5 files, each written once
    files = [paths.store.fs_path(file.path) for file in paths.run_dir(spec.run_id).files()]
    assert [pq.ParquetFile(f).metadata.num_rows for f in files] == [5, 5, 5, 5, 4]


def test_failure_keeps_answers_and_retry_asks_only_the_rest(paths) -> None:
    with FakeOpenAIServer() as server:
        spec = spec_for(server.base_url, ["US", "JP"], batch_size=7)
        server.fail_after = 30
        with pytest.raises(EndpointError, match=r"cells on disk \(kept"):
            run_probe(spec, paths)
        on_disk = read_table(paths.run_dir(spec.run_id)).num_rows
        assert on_disk == 30  # every answer that arrived is on disk, not only full batches
        server.fail_after = None
        server.requests.clear()
        outcome = run_probe(spec, paths)
    assert len(server.requests) == 48 - 30
    assert outcome.cells_already_done == 30 and outcome.cells_answered == 18
    table = read_table(paths.run_dir(spec.run_id))
    assert table.num_rows == 48
    assert len(set(zip(*(table.column(k).to_pylist() for k in RAW_RESPONSE_KEY), strict=True))) == 48


def test_an_answer_in_flight_when_the_endpoint_fails_is_kept(paths) -> None:
    """Concurrency 2: one request fails while the other's reply is still on its way. The client
    sends nothing more, waits for the reply already paid for, and keeps it."""
    with FakeOpenAIServer() as server:
        spec = spec_for(server.base_url, ["US"])
        server.script.extend([Scripted(content="2", delay_s=0.5), Scripted(status=503, content="down")])
        server.fail_after = 2
        with pytest.raises(EndpointError, match="503"):
            run_probe(spec, paths)
        assert len(server.requests) == 2
        [row] = read_table(paths.run_dir(spec.run_id)).to_pylist()
        assert row["answer"] == 2.0
        server.fail_after = None
        server.requests.clear()
        outcome = run_probe(spec, paths)
    assert outcome.cells_already_done == 1 and len(server.requests) == 23


def test_rerunning_a_complete_run_asks_nothing(paths) -> None:
    with FakeOpenAIServer() as server:
        spec = spec_for(server.base_url, ["US"])
        run_probe(spec, paths)
        server.requests.clear()
        outcome = run_probe(spec, paths)
    assert server.requests == [] and outcome.cells_answered == 0 and outcome.cells_already_done == 24
    assert read_table(paths.run_dir(spec.run_id)).num_rows == 24


def test_reversed_option_answers_are_mapped_back_to_the_item_scale(paths) -> None:
    with FakeOpenAIServer(default=Scripted(200, "(2)")) as server:
        config = ProbeConfig(
            models=[{"name": "fake-model", "base_url": server.base_url, "version": "v1"}],
            grid={"settings": ["english"], "countries": ["US"], "variants": ["base", "reversed_options"]},
            client={"max_retries": 0},
        )
        [spec] = build_specs(config, load_instrument("vsm2013"), {"fake-model": "v1"})
        run_probe(spec, paths)
    rows = read_table(paths.run_dir(spec.run_id)).to_pylist()
    # "(2)" is "very important" shown in order, and "of little importance" (4) shown reversed
    assert {(row["variant"], row["answer"]) for row in rows} == {("base", 2.0), ("reversed_options", 4.0)}
    assert len(rows) == 48


def test_logprobs_give_a_distribution_from_one_call(paths) -> None:
    top = [("2", 0.5), ("3", 0.3), ("1", 0.2)]
    reply = Scripted(200, "(2) very important", logprobs=[("(", [("(", 0.99)]), ("2", top)])
    with FakeOpenAIServer(default=reply) as server:
        config = ProbeConfig(
            models=[{"name": "fake-model", "base_url": server.base_url, "version": "v1"}],
            grid={
                "settings": ["english"],
                "countries": ["US"],
                "variants": ["base", "reversed_options"],
                "answer_distribution": "logprobs",
            },
            client={"max_retries": 0},
        )
        [spec] = build_specs(config, load_instrument("vsm2013"), {"fake-model": "v1"})
        run_probe(spec, paths)
    assert all(request["logprobs"] and request["top_logprobs"] == 20 for request in server.requests)
    rows = {row["variant"]: row for row in read_table(paths.run_dir(spec.run_id)).to_pylist()}
    base, flipped = rows["base"], rows["reversed_options"]
    assert base["answer_method"] == "logprobs" and base["option_mass"] == pytest.approx(1.0)
    assert base["answer_probs"] == pytest.approx([0.2, 0.5, 0.3, 0, 0])
    assert base["answer"] == pytest.approx(1 * 0.2 + 2 * 0.5 + 3 * 0.3)
    # shown reversed, option 2 is the item's 4: the distribution is mapped back
    assert flipped["answer_probs"] == pytest.approx([0, 0, 0.3, 0.5, 0.2])
    assert flipped["answer"] == pytest.approx(3 * 0.3 + 4 * 0.5 + 5 * 0.2)


def test_a_reply_in_another_language_is_flagged(paths) -> None:
    reply = Scripted(200, "Je pense que c'est très important pour moi : 2")
    with FakeOpenAIServer(default=reply) as server:
        spec = spec_for(server.base_url, ["US"])
        run_probe(spec, paths)
    row = read_table(paths.run_dir(spec.run_id)).to_pylist()[0]
    assert (row["response_language"], row["response_language_matches"]) == ("fr", False)
    assert row["answer"] == 2.0  # still parsed, but flagged


def test_short_replies_have_no_language_verdict(paths) -> None:
    with FakeOpenAIServer() as server:  # replies "3"
        spec = spec_for(server.base_url, ["US"])
        run_probe(spec, paths)
    row = read_table(paths.run_dir(spec.run_id)).to_pylist()[0]
    assert (row["response_language"], row["response_language_matches"]) == (None, None)
