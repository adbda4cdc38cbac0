"""The dry pieces of benchmarks/aligned_setting.py: its config, per-language lines, comparison."""

from datetime import UTC, datetime
from pathlib import Path

from benchmarks.aligned_setting import (
    aligned_config,
    changed_readings,
    new_prompt_tokens,
    per_language,
    planned_work,
)
from culturewatch.config.loader import load_config
from culturewatch.serving.engine_work import EngineWork


def test_the_aligned_variant_changes_only_the_setting(tmp_path: Path) -> None:
    config = load_config(aligned_config(tmp_path / "aligned.yaml", port=8151, max_tokens=None))
    assert config.grid.settings == ["aligned"] and config.grid.countries == "all"
    assert str(config.models[0].base_url) == "http://127.0.0.1:8151/v1"
    assert config.grid.max_tokens == 3  # the embedded config's
    assert load_config(aligned_config(tmp_path / "eight.yaml", 8151, max_tokens=8)).grid.max_tokens == 8


def _row(language: str, item: str, answer: float | None, status: str = "ok") -> dict:
    return {
        "country": "JP" if language == "ja" else "DE",
        "prompt_language": language,
        "item_id": item,
        "variant": "base",
        "trial": 0,
        "answer": answer,
        "parse_status": status,
        "prompt_tokens": 200,
        "completion_tokens": 3,
        "latency_ms": 1500.0,
        "requested_at": datetime(2026, 12, 6, tzinfo=UTC),
    }


ROWS = [_row("de", "m01", 1.0), _row("de", "m02", None, "unparseable"), _row("ja", "m01", 2.0)]


def test_per_language_lines_add_up_each_languages_requests() -> None:
    works = [
        EngineWork(1, 150, 3000.0, 2, 200.0),
        EngineWork(1, 50, 1000.0, 2, 200.0),
        EngineWork(1, 90, 1500.0, 2, 100.0),
    ]
    lines = per_language(ROWS, works)
    assert lines[1].split() == ["de", "2", "1", "200", "200", "6", "4.4", "50.0", "3.0"]
    assert lines[2].split() == ["ja", "1", "1", "200", "90", "3", "1.6", "60.0", "1.5"]
    assert per_language(ROWS, None)[1].split()[4] == "?"


def test_changed_readings_counts_cells_per_language() -> None:
    other = [_row("de", "m01", 1.0), _row("de", "m02", 3.0), _row("ja", "m01", None, "unparseable")]
    assert changed_readings(ROWS, other) == {"de": 1, "ja": 1}
    assert changed_readings(ROWS, ROWS) == {}


def test_new_prompt_tokens_are_what_the_previous_prompt_does_not_share() -> None:
    prompts = [[1, 2, 3, 4], [1, 2, 5, 6, 7], [1, 2, 5, 6, 7], [9]]
    # all of the first; after the shared [1, 2]; an identical prompt still evaluates its last token
    assert new_prompt_tokens(prompts) == [4, 3, 1, 1]


def test_planned_work_adds_up_each_language_and_all() -> None:
    lines = planned_work(["de", "de", "ja"], [[1, 2, 3, 4], [1, 2, 5, 6], [7, 8]], rate=2.0)
    assert lines[1].split() == ["de", "2", "4", "6", "3.0", "3"]
    assert lines[2].split() == ["ja", "1", "2", "2", "2.0", "1"]
    assert lines[3].split() == ["all", "3", "3", "8", "2.7", "4"]


def test_the_variant_can_plan_another_setting(tmp_path: Path) -> None:
    config = load_config(aligned_config(tmp_path / "english.yaml", 8151, None, setting="english"))
    assert config.grid.settings == ["english"]
