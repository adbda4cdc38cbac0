"""The lean model server answers exactly as llama-cpp-python's stock server, logprobs included.

The lean server (culturewatch/serving/lean_llama_server.py) changes how llama-cpp-python's
`Llama` keeps logits; this compares it with the stock server on the real test model, so an
upgrade of llama-cpp-python that breaks the change fails here. The servers run one after the
other, never together.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from culturewatch.config.schema import ProbeGrid
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import cells_for
from culturewatch.probing.rendering import render_messages
from culturewatch.serving.llama_server import LocalModelServer
from tests.e2e.conftest import TEST_MODEL

pytestmark = pytest.mark.slow
PORT = 8095


def _requests() -> list[dict]:
    instrument = load_instrument("vsm2013")
    grid = ProbeGrid(settings=["english"], countries=["JP", "EG"], items=["m01", "m07", "m13"])
    cells = cells_for(grid, instrument, [("JP", "en"), ("EG", "en")])
    bodies = []
    for cell in cells:
        body = {"model": TEST_MODEL, "messages": render_messages(instrument, cell), "temperature": 0.0}
        bodies.append({**body, "max_tokens": 8, "seed": 0})
        bodies.append({**body, "max_tokens": 3, "seed": 0, "logprobs": True, "top_logprobs": 20})
    return bodies


def _answers(server: LocalModelServer, bodies: list[dict]) -> list[dict]:
    with server, httpx.Client(timeout=120) as client:
        return [client.post(f"{server.base_url}/chat/completions", json=body).json() for body in bodies]


def test_the_lean_server_replies_as_the_stock_server(test_model_path: Path, tmp_path: Path) -> None:
    bodies = _requests()
    stock = _answers(LocalModelServer(TEST_MODEL, test_model_path, port=PORT, engine="stock"), bodies)
    lean_server = LocalModelServer(TEST_MODEL, test_model_path, port=PORT, log_path=tmp_path / "lean.log")
    lean = _answers(lean_server, bodies)
    for body, expected, actual in zip(bodies, stock, lean, strict=True):
        assert actual["choices"][0]["message"] == expected["choices"][0]["message"]
        assert actual["usage"] == expected["usage"]
        if "logprobs" not in body:
            assert actual["choices"][0]["logprobs"] is None
            continue
        expected_tokens = expected["choices"][0]["logprobs"]["content"]
        actual_tokens = actual["choices"][0]["logprobs"]["content"]
        assert [t["token"] for t in actual_tokens] == [t["token"] for t in expected_tokens]
        for want, got in zip(expected_tokens, actual_tokens, strict=True):
            assert got["logprob"] == pytest.approx(want["logprob"], abs=1e-4)
            assert [t["token"] for t in got["top_logprobs"]] == [t["token"] for t in want["top_logprobs"]]
            assert [t["logprob"] for t in got["top_logprobs"]] == pytest.approx(
                [t["logprob"] for t in want["top_logprobs"]], abs=1e-4
            )
    work = lean_server.engine_work()
    assert work.requests == len(bodies) and work.prompt_tokens > 0 and work.decodes > 0
