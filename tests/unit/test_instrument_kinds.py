"""Instrument kinds are plug-ins: a fourth kind (tests/unit/yes_no_kind.py), registered here, is
loaded, planned, rendered, asked, read and given its quality parameters by the same code paths as
the built-in kinds, and nothing outside culturewatch.kinds tells kinds apart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from culturewatch.config.schema import ProbeConfig
from culturewatch.errors import CulturewatchError, InputFileError
from culturewatch.instruments.loader import INSTRUMENTS_PATH_ENV, load_instrument
from culturewatch.kinds import kind_named, kind_of, register, registered, unregister
from culturewatch.kinds.language_check import rendered_texts
from culturewatch.probing.probe_specs import build_specs, cells_for, country_languages
from culturewatch.probing.prompts import prompt_text
from culturewatch.probing.rendering import render_messages
from culturewatch.probing.runner import run_probe
from culturewatch.quality.run_plan import RunPlan
from culturewatch.storage.parquet import read_table
from tests.fake_openai_server import FakeOpenAIServer, Scripted
from tests.unit import yes_no_kind

QUESTIONS = {
    "en": {"q1": "Do you trust most people?", "q2": "Is work important in your life?"},
    "de": {"q1": "Vertrauen Sie den meisten Menschen?", "q2": "Ist Arbeit wichtig in Ihrem Leben?"},
}


@pytest.fixture
def yes_no_instrument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An instrument of the test kind in a configured instrument directory (the kind not yet registered)."""
    folder = tmp_path / "instruments" / "yes_no_probe"
    folder.mkdir(parents=True)
    core = {
        "kind": "yes_no",
        "id": "yes_no_probe",
        "version": "1",
        "name": "Yes or no",
        "languages": QUESTIONS,
    }
    (folder / "instrument.yaml").write_text(yaml.safe_dump(core, allow_unicode=True))
    monkeypatch.setenv(INSTRUMENTS_PATH_ENV, str(folder.parent))
    load_instrument.cache_clear()
    yield "yes_no_probe"
    unregister(yes_no_kind.KIND.name)


@pytest.fixture
def registered_kind(yes_no_instrument: str) -> str:
    register(yes_no_kind.KIND)
    return yes_no_instrument


def _config(base_url: str, instrument: str) -> ProbeConfig:
    return ProbeConfig(
        models=[{"name": "fake-model", "base_url": base_url, "version": "v1"}],
        grid={"instrument": instrument, "strategies": ["unaware"], "trials": 2},
        client={"concurrency": 2, "max_retries": 0, "batch_size": 3, "timeout_s": 5},
    )


def test_an_unregistered_kind_is_refused_naming_the_known_ones(yes_no_instrument: str) -> None:
    with pytest.raises(InputFileError, match=r"kind: 'yes_no' is not one of vsm, culturespa, polarity$"):
        load_instrument(yes_no_instrument)
    with pytest.raises(CulturewatchError, match=r"no instrument kind 'yes_no' is registered"):
        kind_named("yes_no")


def test_the_builtin_kinds_are_registered_by_name() -> None:
    assert registered()[:3] == ["vsm", "culturespa", "polarity"]
    for instrument_id, kind in [
        ("vsm2013", "vsm"),
        ("wvs_culturespa", "culturespa"),
        ("wvs_polarity", "polarity"),
    ]:
        assert kind_of(load_instrument(instrument_id)).name == kind


def test_a_registered_kind_is_planned_and_rendered_through_the_library(registered_kind: str) -> None:
    instrument = load_instrument(registered_kind)
    assert isinstance(instrument, yes_no_kind.YesNoInstrument)
    grid = _config("http://127.0.0.1:9/v1", registered_kind).grid
    pairs = country_languages(grid, instrument)
    assert pairs == [(None, "de"), (None, "en")]
    cells = cells_for(grid, instrument, pairs)
    assert len(cells) == 2 * 2 * 2  # languages x trials x items
    assert render_messages(instrument, cells[0]) == [{"role": "user", "content": QUESTIONS["de"]["q1"]}]
    assert rendered_texts(instrument, "en") == [
        ("question q1", QUESTIONS["en"]["q1"]),
        ("question q2", QUESTIONS["en"]["q2"]),
    ]


def test_a_registered_kind_is_asked_read_and_gated_like_the_builtin_ones(paths, registered_kind: str) -> None:
    with FakeOpenAIServer(default=Scripted(content="Yes.")) as server:
        specs = build_specs(
            _config(server.base_url, registered_kind), load_instrument(registered_kind), {"fake-model": "v1"}
        )
        assert [spec.prompt_language for spec in specs] == ["de", "en"]
        outcomes = [run_probe(spec, paths) for spec in specs]
    assert [outcome.cells_answered for outcome in outcomes] == [4, 4] and len(server.requests) == 8
    rows = read_table(paths.run_dir(specs[0].run_id)).to_pylist()
    assert {(row["answer"], row["parse_status"], row["answer_method"]) for row in rows} == {
        (1.0, "ok", "parsed")
    }
    asked = {(row["prompt_language"], row["item_id"]): row["prompt"] for row in rows}
    assert asked[("en", "q2")] == prompt_text([{"role": "user", "content": QUESTIONS["en"]["q2"]}])
    assert {request["messages"][-1]["content"] for request in server.requests} == {
        text for questions in QUESTIONS.values() for text in questions.values()
    }

    [plan] = RunPlan.from_specs(specs)
    raw = plan.raw_parameters()
    assert raw["instruments"] == ["yes_no_probe"] and raw["planned_rows"] == 8 == len(rows)
    assert raw["allowed_countries"] == [] and raw["allowed_variants"] == ["base"]
    assert raw["allowed_languages"] == ["de", "en"] and raw["allowed_items"] == ["q1", "q2"]
    assert plan.item_scales() == {"q1": (0, 1), "q2": (0, 1)}
    assert plan.marts_parameters()["vsm_passes"] == 0


def test_planning_and_rendering_load_no_http_client_and_no_language_identifier() -> None:
    """The DAG files plan lanes at parse time: the kinds' reading (parser, judge, openai, lingua) is
    imported only when a reply is read."""
    code = (
        "import sys, culturewatch.probing.probe_specs, culturewatch.probing.rendering, "
        "culturewatch.quality.run_plan; "
        "heavy = ('openai', 'lingua', 'culturewatch.probing.client'); "
        "print(sorted(name for name in heavy if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
