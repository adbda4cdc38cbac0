"""The retraining config: the shipped default validates; errors name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from culturewatch.errors import InputFileError
from culturewatch.retraining.retrain_config import DEFAULT_RETRAIN_CONFIG, load_retrain_config


def test_the_embedded_default_loads() -> None:
    config = load_retrain_config(DEFAULT_RETRAIN_CONFIG)
    assert config.base_model.gguf_model == "qwen2.5-coder-0.5b-instruct"
    assert config.generation.examples_per_prompt == 5 and config.generation.seed_examples == 3


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "retrain.yaml"
    base = "base_model: {name: m, version: v1, gguf_model: qwen2.5-coder-0.5b-instruct}\n"
    path.write_text(base + text)
    return path


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("training: {rank: 0}\n", "training.rank", "greater than or equal to 1"),
        ("training: {learning_rate: fast}\n", "training.learning_rate", "valid number"),
        ("training: {ranks: 8}\n", "training.ranks", "Extra inputs"),
        ("generation: {seed_examples: 6}\n", "generation", "seed_examples must not exceed"),
        ("generation: {topics: [Cooking]}\n", "generation.topics", "unknown topics ['Cooking']"),
        ("answers: {countries: [US, XX]}\n", "answers.countries", "unknown countries ['XX']"),
        ("evaluation: {items: [Q1, Q9999]}\n", "evaluation.items", "unknown items ['Q9999']"),
        ("promotion: {max_country_drop: -1}\n", "promotion.max_country_drop", "greater than or equal to 0"),
    ],
)
def test_errors_name_file_and_field(tmp_path: Path, text: str, field: str, problem: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputFileError) as raised:
        load_retrain_config(path)
    assert raised.value.path == str(path)
    assert raised.value.field == field
    assert problem in raised.value.problem


def test_exactly_one_weight_source(tmp_path: Path) -> None:
    path = tmp_path / "retrain.yaml"
    path.write_text("base_model: {name: m, version: v1}\n")
    with pytest.raises(InputFileError, match="exactly one of `gguf_model` and `hf_path`"):
        load_retrain_config(path)
