"""The embedded model server's command line, its lean logprobs' ordering, and reading its engine log."""

import os
from pathlib import Path

import numpy as np
import pytest

from culturewatch.errors import CulturewatchError
from culturewatch.serving.engine_work import completions_work, engine_work, total_work
from culturewatch.serving.lean_llama_server import top_candidates
from culturewatch.serving.llama_server import (
    LEAN_SERVER_SCRIPT,
    MODEL_PYTHON_ENV,
    MODEL_THREADS_ENV,
    LocalModelServer,
)


@pytest.fixture
def model_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    python = tmp_path / "python"
    python.touch()
    monkeypatch.setenv(MODEL_PYTHON_ENV, str(python))
    return python


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_the_server_computes_logits_only_where_it_samples(model_python: Path) -> None:
    command = LocalModelServer("qwen2.5-coder-1.5b-instruct", Path("/m.gguf"), port=8151).command()
    assert command[:2] == [str(model_python), str(LEAN_SERVER_SCRIPT)]
    assert LEAN_SERVER_SCRIPT.is_file()
    assert _option(command, "--logits_all") == "false"
    assert _option(command, "--model") == "/m.gguf" and _option(command, "--port") == "8151"
    assert _option(command, "--chat_format") == "chatml"


def test_the_stock_server_keeps_llama_cpp_pythons_defaults(model_python: Path) -> None:
    server = LocalModelServer("qwen2.5-coder-1.5b-instruct", Path("/m.gguf"), engine="stock")
    command = server.command()
    assert command[:3] == [str(model_python), "-m", "llama_cpp.server"]
    assert "--logits_all" not in command  # its default: logits of every token


def test_threads_come_from_the_environment_unless_given(
    model_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ("qwen2.5-coder-1.5b-instruct", Path("/m.gguf"))
    monkeypatch.delenv(MODEL_THREADS_ENV, raising=False)

    def threads(server: LocalModelServer) -> tuple[str | None, str | None]:
        """Generation's and prompt evaluation's (llama-cpp-python's default for it: every core)."""
        command = server.command()
        return _option(command, "--n_threads"), _option(command, "--n_threads_batch")

    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert threads(LocalModelServer(*model)) == ("2", "16")  # nobody sized it
    monkeypatch.setenv(MODEL_THREADS_ENV, "1")  # a server that shares its cores (make test's e2e phase)
    assert threads(LocalModelServer(*model)) == ("1", "1")
    assert threads(LocalModelServer(*model, engine="stock")) == ("1", "1")
    assert threads(LocalModelServer(*model, n_threads=4)) == (
        "4",
        "4",
    )  # given: both, whatever the environment
    for wrong in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv(MODEL_THREADS_ENV, wrong)
        with pytest.raises(CulturewatchError, match=f"{MODEL_THREADS_ENV}='{wrong}'"):
            LocalModelServer(*model)


def _library_order(row: np.ndarray, k: int) -> list[tuple[int, float]]:
    """What llama-cpp-python's server does: sort the whole vocabulary, take the first k."""
    ranked = sorted(zip(row, range(len(row)), strict=True), reverse=True)
    return [(i, float(value)) for value, i in ranked[:k]]


@pytest.mark.parametrize("k", [0, 1, 5, 20, 40])
def test_top_candidates_are_the_librarys_top_logprobs_in_its_order(k: int) -> None:
    generator = np.random.default_rng(k)
    row = generator.normal(size=2000).astype(np.float32)
    row[generator.choice(2000, 30, replace=False)] = row.max()  # ties at the top ...
    row[generator.choice(2000, 30, replace=False)] = np.sort(row)[-25]  # ... and across the k-th value
    assert top_candidates(row, k) == _library_order(row, k)


def test_top_candidates_of_a_small_vocabulary() -> None:
    row = np.array([0.5, 0.5, 0.1], dtype=np.float32)
    expected = [(1, 0.5), (0, 0.5), (2, float(np.float32(0.1)))]
    assert top_candidates(row, 10) == _library_order(row, 10) == expected


LOG = """\
INFO:     127.0.0.1:50000 - "POST /v1/chat/completions HTTP/1.1" 200 OK
llama_perf_context_print: load time = 5061.85 ms
llama_perf_context_print: prompt eval time = 5061.69 ms / 28 tokens ( 180.77 ms/token, 5.53 tok/s)
llama_perf_context_print: eval time = 62.83 ms / 1 runs ( 62.83 ms/token, 15.92 tok/s)
llama_perf_context_print: total time = 5126.47 ms / 29 tokens
Llama.generate: 27 prefix-match hit, remaining 40 prompt tokens to eval
llama_perf_context_print: prompt eval time = 800.00 ms / 40 tokens ( 20.00 ms/token, 50.00 tok/s)
llama_perf_context_print: eval time = 300.00 ms / 3 runs ( 100.00 ms/token, 10.00 tok/s)
Llama.generate: 67 prefix-match hit, remaining 1 prompt tokens to eval
llama_perf_context_print: prompt eval time = 0.00 ms / 1 tokens ( 0.00 ms/token, inf tok/s)
llama_perf_context_print: eval time = 200.00 ms / 2 runs ( 100.00 ms/token, 10.00 tok/s)
llama_perf_context_print: prompt eval time = 1200.00 ms / 60 tokens ( 20.00 ms/token, 50.00 tok/s)
"""


def test_engine_work_sums_the_completions_after_the_warm_up() -> None:
    work = engine_work(LOG, skip_requests=1)
    # the 0 ms "1 tokens" is llama.cpp's floor for printing, not a token; the last request is unfinished
    counted = (work.requests, work.prompt_tokens, work.prompt_ms, work.decodes, work.decode_ms)
    assert counted == (2, 40, 800.0, 5, 500.0)
    assert work.prompt_eval_rate == 50.0 and work.decode_rate == 10.0
    assert work.seconds == pytest.approx(1.3)
    assert work.floor_s(prompt_eval_rate=100.0, decode_rate=20.0) == pytest.approx(0.4 + 0.25)
    assert engine_work(LOG).requests == 3 and engine_work(LOG).prompt_tokens == 68


def test_engine_work_of_a_log_without_completions() -> None:
    work = engine_work("INFO: started\n")
    assert work.requests == 0 and work.prompt_eval_rate == 0.0 and work.decode_rate == 0.0


def test_completions_work_is_request_by_request() -> None:
    works = completions_work(LOG)
    assert [(work.prompt_tokens, work.decodes) for work in works] == [(28, 1), (40, 3), (0, 2)]
    assert total_work(works[1:]) == engine_work(LOG, skip_requests=1)
