"""The chat client against a scripted fake server: retries, Retry-After, cache, failures."""

import asyncio
import time
from pathlib import Path

import pytest

from culturewatch.config.schema import ClientLimits, ModelEndpoint
from culturewatch.errors import EndpointError
from culturewatch.probing.cache import ResponseCache
from culturewatch.probing.client import ChatClient, resolve_version
from tests.fake_openai_server import FakeOpenAIServer, Scripted

MESSAGES = [{"role": "user", "content": "pick one: (1) yes; (2) no"}]


def ask(server: FakeOpenAIServer, cache_path: Path, trials: list[int], max_retries: int = 3) -> list:
    endpoint = ModelEndpoint(name="fake-model", base_url=server.base_url)
    limits = ClientLimits(concurrency=2, timeout_s=5, max_retries=max_retries)

    async def go() -> list:
        cache = ResponseCache(cache_path)
        try:
            async with ChatClient(endpoint, limits, cache, "v1") as client:
                requests = [
                    client.request_for(MESSAGES, temperature=0.0, max_tokens=4, seed=0, trial=trial)
                    for trial in trials
                ]
                return await asyncio.gather(*(client.complete(request) for request in requests))
        finally:
            cache.close()

    return asyncio.run(go())


def test_retries_5xx_then_succeeds(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.script.extend([Scripted(500, "boom"), Scripted(502, "bad gateway"), Scripted(200, "2")])
        [result] = ask(server, tmp_path / "c.sqlite", [0])
    assert result.text == "2" and not result.cache_hit
    assert len(server.requests) == 3


def test_honours_retry_after_on_429(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.script.append(Scripted(429, "slow down", {"Retry-After": "1"}))
        started = time.monotonic()
        [result] = ask(server, tmp_path / "c.sqlite", [0])
    assert result.text == "3"
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 0.9


def test_cache_answers_repeated_requests_without_the_server(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        first = ask(server, tmp_path / "c.sqlite", [0, 1])
        second = ask(server, tmp_path / "c.sqlite", [0, 1, 2])
    assert [r.cache_hit for r in first] == [False, False]
    assert [r.cache_hit for r in second] == [True, True, False]
    assert len(server.requests) == 3  # trial 2 is a different request; trials 0, 1 came from cache
    assert second[0].text == first[0].text


def test_bad_request_is_an_error_result_not_retried(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        server.script.append(Scripted(400, "context too long"))
        [result] = ask(server, tmp_path / "c.sqlite", [0])
    assert result.text is None and "400" in result.error and "context too long" in result.error
    assert len(server.requests) == 1


def test_persistent_failure_raises_after_retries(tmp_path: Path) -> None:
    with FakeOpenAIServer(default=Scripted(503, "overloaded")) as server:
        with pytest.raises(EndpointError, match="InternalServerError"):
            ask(server, tmp_path / "c.sqlite", [0], max_retries=2)
    assert len(server.requests) == 3  # the first try and two retries


def test_unreachable_endpoint_names_the_url(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        url = server.base_url
    endpoint = ModelEndpoint(name="fake-model", base_url=url)
    with pytest.raises(EndpointError, match="127.0.0.1"):
        resolve_version(ModelEndpoint(name="fake-model", base_url=url, version="auto"), timeout_s=2)
    assert resolve_version(endpoint.model_copy(update={"version": "pinned"})) == "pinned"


def test_auto_version_is_a_digest_of_the_served_model(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        version = resolve_version(ModelEndpoint(name="fake-model", base_url=server.base_url))
        with pytest.raises(EndpointError, match="not served"):
            resolve_version(ModelEndpoint(name="other", base_url=server.base_url))
    assert version.startswith("digest-") and len(version) == len("digest-") + 12
