"""The response cache commits answers in groups: found before they are committed, on disk after a
commit, after MAX_PENDING answers, within COMMIT_INTERVAL_S of a probe's answer, and on close."""

import asyncio
from pathlib import Path

from culturewatch.config.schema import ClientLimits, ModelEndpoint
from culturewatch.probing import cache as cache_module
from culturewatch.probing.cache import ResponseCache, request_key
from culturewatch.probing.client import ChatClient
from tests.fake_openai_server import FakeOpenAIServer

REQUEST = {"model": "m", "messages": [{"role": "user", "content": "pick one"}], "trial": 0}
ANSWER = {"text": "2"}


def on_disk(path: Path, key: str) -> dict[str, object] | None:
    """What a second process (its own connection) reads for `key`."""
    other = ResponseCache(path)
    try:
        return other.get(key)
    finally:
        other.close()


def holding_one_answer(path: Path) -> tuple[ResponseCache, str]:
    """A cache at `path` with REQUEST's answer put in (pending, not yet committed) and its key."""
    cache = ResponseCache(path)
    key = request_key(REQUEST)
    cache.put(key, REQUEST, ANSWER)
    return cache, key


def test_a_pending_answer_is_found_at_once_and_on_disk_after_commit(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache, key = holding_one_answer(path)
    assert cache.get(key) == ANSWER
    assert cache.pending == 1 and on_disk(path, key) is None
    cache.commit()
    assert cache.pending == 0 and on_disk(path, key) == ANSWER
    cache.close()


def test_close_commits_what_is_pending(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache, key = holding_one_answer(path)
    cache.close()
    assert on_disk(path, key) == ANSWER


def test_max_pending_answers_are_committed_without_waiting(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_PENDING", 3)
    path = tmp_path / "c.sqlite"
    cache = ResponseCache(path)
    keys = [request_key({**REQUEST, "trial": trial}) for trial in range(3)]
    for key in keys:
        cache.put(key, REQUEST, ANSWER)
    assert cache.pending == 0
    assert [on_disk(path, key) for key in keys] == [ANSWER] * 3
    cache.close()


def test_a_probe_commits_its_answers_within_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"

    async def go() -> tuple[str, dict[str, object] | None]:
        cache = ResponseCache(path)
        with FakeOpenAIServer() as server:
            endpoint = ModelEndpoint(name="fake-model", base_url=server.base_url)
            async with ChatClient(endpoint, ClientLimits(), cache, "v1") as client:
                request = client.request_for(
                    [{"role": "user", "content": "pick one"}], temperature=0.0, max_tokens=4, seed=0, trial=0
                )
                await client.complete(request)
                await asyncio.sleep(cache_module.COMMIT_INTERVAL_S * 4)
                seen = on_disk(path, request_key(request))  # before the client closes
        cache.close()
        return request_key(request), seen

    _, seen = asyncio.run(go())
    assert seen is not None and seen["text"]
