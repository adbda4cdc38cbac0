"""The regression test's cached LoRA adapter (tests/e2e/regression_versions.py): used only when
every training input is the same, and then nothing is trained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from culturewatch.settings import DataPaths
from tests.e2e import regression_versions
from tests.e2e.regression_versions import ADAPTER_CACHE, TRAINING, adapter_key, cached_skewing_adapter


def test_the_key_is_stable_and_changes_with_any_training_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    key = adapter_key()
    assert adapter_key() == key
    monkeypatch.setitem(TRAINING, "steps", TRAINING["steps"] + 1)
    assert adapter_key() != key


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    def train(*args: object) -> None:
        raise AssertionError("trained although the adapter is at hand")

    monkeypatch.setattr(regression_versions, "train_skewing_adapter", train)


def test_a_cached_adapter_is_copied_and_nothing_is_trained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_training: None
) -> None:
    monkeypatch.setattr(regression_versions, "COMMITTED_ADAPTERS", tmp_path / "committed")  # none
    cached = tmp_path / "models" / ADAPTER_CACHE / adapter_key()
    cached.mkdir(parents=True)
    (cached / "adapter.gguf").write_bytes(b"GGUF adapter bytes")
    (cached / "training.json").write_text(json.dumps({"losses": [2.0, 0.5], "seconds": 160.0}))

    adapter = cached_skewing_adapter(DataPaths(tmp_path / "data"), tmp_path / "models", tmp_path / "train")
    assert adapter.gguf == tmp_path / "train" / "adapter.gguf"
    assert adapter.gguf.read_bytes() == b"GGUF adapter bytes"
    assert (adapter.losses, adapter.seconds, adapter.peft_dir) == ([2.0, 0.5], 160.0, None)

    monkeypatch.setitem(TRAINING, "learning_rate", 0.01)  # another key: not cached, so it trains
    with pytest.raises(AssertionError, match="trained although"):
        cached_skewing_adapter(DataPaths(tmp_path / "data"), tmp_path / "models", tmp_path / "train2")


def test_the_committed_adapter_of_the_current_key_is_served_untrained(
    tmp_path: Path, no_training: None
) -> None:
    committed = regression_versions.COMMITTED_ADAPTERS / adapter_key()
    held = sorted(path.name for path in regression_versions.COMMITTED_ADAPTERS.iterdir())
    assert (committed / "adapter.gguf").is_file(), (
        f"no committed adapter for the current key {committed.name} (committed: {held}): a training "
        "input changed; if it cannot change the adapter's bytes, move it out of the key's sources, "
        "else run tests/e2e/test_regression_end_to_end.py and commit the adapter it cached"
    )
    adapter = cached_skewing_adapter(DataPaths(tmp_path / "data"), tmp_path / "models", tmp_path / "train")
    assert adapter.gguf.read_bytes() == (committed / "adapter.gguf").read_bytes()
    assert adapter.gguf.read_bytes()[:4] == b"GGUF" and adapter.peft_dir is None
    assert not (tmp_path / "models").exists()  # nothing written to the machine's cache
