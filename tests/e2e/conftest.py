"""The real local model (the test model: fast, follows the answer format) served for e2e tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.serving.model_files import assemble
from culturewatch.settings import MODELS_DIR_ENV, PROJECT_ROOT

TEST_MODEL = "qwen2.5-coder-0.5b-instruct"
TEST_MODEL_VERSION = "gguf-1d9614638d18"


@pytest.fixture(scope="session")
def test_model_path() -> Path:
    models_dir = Path(os.environ.get(MODELS_DIR_ENV, PROJECT_ROOT / "models"))
    return assemble(TEST_MODEL, models_dir)


@pytest.fixture
def model_server(test_model_path: Path, tmp_path: Path) -> Iterator[LocalModelServer]:
    server = LocalModelServer(TEST_MODEL, test_model_path, port=8093, log_path=tmp_path / "model-server.log")
    with server:
        yield server


def write_config(
    path: Path, countries: list[str], port: int = 8093, batch_size: int = 24, items: list[str] | None = None
) -> Path:
    """A fleet of the test model on 127.0.0.1:`port`, English prompts, `countries` x `items` (all
    24 VSM items unless given)."""
    path.write_text(
        "models:\n"
        f"  - name: {TEST_MODEL}\n"
        f"    base_url: http://127.0.0.1:{port}/v1\n"
        f"    version: {TEST_MODEL_VERSION}\n"
        # the 0.5B test model's honest English parse rate is ~0.92-0.96 (22/24 and 46/48 measured):
        # accepted knowingly by its data-quality threshold (expectations/README.md)
        "    quality: {min_parse_rate: 0.8}\n"
        "grid:\n"
        "  settings: [english]\n"
        f"  countries: {countries}\n" + (f"  items: {items}\n" if items else "") + "  max_tokens: 8\n"
        "client:\n"
        "  concurrency: 1\n"
        "  max_retries: 1\n"
        "  timeout_s: 60\n"
        f"  batch_size: {batch_size}\n"
    )
    return path
