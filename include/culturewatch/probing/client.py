"""Async chat client over the openai SDK: bounded concurrency, deadlines, retries, a bounded reply,
and a response cache.

Retries with exponential backoff on 429, 5xx, timeouts and connection errors (honouring
Retry-After) are the openai client's own. Underneath, `probing.http_client` gives every HTTP
attempt a deadline (`timeout_s`, from sending to the last byte), counts attempts, and turns a
200 that is not a usable chat completion (not JSON, no choices, null content) into a
retryable error. This module adds the concurrency bound, a deadline for the whole request
(timeout_s × (max_retries + 1), retries and waits included), the cap on a reply's text
(`max_reply_bytes`, flagged `truncated`), the cache, and the line between "the endpoint is
down or broken" (raise EndpointError naming the endpoint, so the task fails and can be resumed)
and "this request is bad" (a 4xx other than 429: recorded as an error row, never retried).
Only usable answers are cached: nothing that failed is ever replayed from the cache.

The openai client sends every request (`AsyncOpenAI.post`, its documented way to call an endpoint
with a plain body: base URL, auth, retries, backoff, Retry-After and the status-error classes are
all its own) over its aiohttp transport (`openai.DefaultAioHttpClient`). What it skips is the
typed layer around `chat.completions.create`: walking the messages through its TypedDict
transform and building pydantic models of the reply cost about 0.65 ms of CPU per request on
the aiohttp transport (0.9 ms on httpx), as much as the rest of the request (docs/benchmarks.md,
"Probe client throughput"). The reply is read from the JSON the HTTP client has already checked
(`http_client.chat_reply_problem`), field by field, tolerating what a server may leave out.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import openai

from culturewatch.config.schema import ClientLimits, ModelEndpoint
from culturewatch.errors import EndpointError
from culturewatch.probing.budget import Budget
from culturewatch.probing.cache import COMMIT_INTERVAL_S, ResponseCache, canonical_request
from culturewatch.probing.http_client import CHAT_PATH_SUFFIX, GuardedClient, counting_attempts, http
from culturewatch.redaction import install_log_redaction, redact_text


@dataclass(frozen=True)
class ChatResult:
    text: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float | None
    cache_hit: bool
    requested_at: datetime
    error: str | None = None
    token_logprobs: list | None = None
    truncated: bool = False

    def to_cache(self) -> dict[str, object]:
        fields = {k: v for k, v in self.__dict__.items() if k != "cache_hit"}
        return {**fields, "requested_at": self.requested_at.isoformat()}

    @classmethod
    def from_cache(cls, cached: dict[str, object]) -> ChatResult:
        requested_at = datetime.fromisoformat(str(cached["requested_at"]))
        return cls(**{**cached, "requested_at": requested_at, "cache_hit": True})  # type: ignore[arg-type]


def cap_text(text: str, max_bytes: int) -> tuple[str, bool]:
    """`text` cut to at most `max_bytes` UTF-8 bytes at a character boundary, and whether it was cut.
    Linear in the kept size (a character is at least one byte, so only `max_bytes` of them are
    looked at). A lone surrogate (valid in JSON, not in UTF-8 or Parquet) becomes "?"."""
    encoded = text[:max_bytes].encode("utf-8", errors="replace")
    cut = len(text) > max_bytes or len(encoded) > max_bytes
    return encoded[:max_bytes].decode("utf-8", errors="ignore"), cut


class ChatClient:
    """One endpoint's client. Use as an async context manager."""

    def __init__(
        self,
        endpoint: ModelEndpoint,
        limits: ClientLimits,
        cache: ResponseCache,
        model_version: str,
        budget: Budget | None = None,
    ) -> None:
        install_log_redaction()
        self.endpoint = endpoint
        self._budget = budget
        self.model_version = model_version
        self._cache = cache
        self._limits = limits
        self._semaphore = asyncio.Semaphore(limits.concurrency)
        self._http = GuardedClient(limits.timeout_s)
        self._openai = openai.AsyncOpenAI(
            base_url=str(endpoint.base_url),
            api_key=endpoint.api_key(),
            timeout=limits.timeout_s,
            max_retries=limits.max_retries,
            http_client=self._http,
        )
        self.cache_hits = 0
        self._broken: EndpointError | None = None
        self._commit_timer: asyncio.TimerHandle | None = None

    @property
    def requests_sent(self) -> int:
        """HTTP attempts made, retries included (cache hits make none)."""
        return self._http.attempts

    def _failure(self, what: str) -> EndpointError:
        """An EndpointError naming the endpoint (credentials redacted) and what happened; the
        client sends nothing more after one (the requests waiting for a slot fail with it)."""
        where = f"{self.endpoint.name} at {self.endpoint.display_url}"
        self._broken = EndpointError(f"{where}: {redact_text(what)}")
        return self._broken

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._commit_timer is not None:
            self._commit_timer.cancel()
        try:
            self._cache.commit()
        finally:
            await self._openai.close()

    def _commit_soon(self) -> None:
        """Commit the cache's pending answers within COMMIT_INTERVAL_S (see probing.cache)."""
        if self._commit_timer is None or self._commit_timer.cancelled():
            self._commit_timer = asyncio.get_running_loop().call_later(COMMIT_INTERVAL_S, self._commit)

    def _commit(self) -> None:
        self._commit_timer = None
        self._cache.commit()

    def request_for(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float,
        max_tokens: int,
        seed: int | None,
        trial: int,
        top_logprobs: int | None = None,
        json_object: bool = False,
    ) -> dict[str, object]:
        """The full request as cached: everything that can change the answer, and the trial.
        `json_object` asks for a JSON reply (`response_format`; grammar-constrained on llama.cpp)."""
        logprobs = {"top_logprobs": top_logprobs} if top_logprobs else {}
        reply_format = {"response_format": {"type": "json_object"}} if json_object else {}
        return {
            **logprobs,
            **reply_format,
            "model": self.endpoint.name,
            "model_version": self.model_version,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
            "trial": trial,
        }

    async def complete(self, request: dict[str, object]) -> ChatResult:
        key, request_json = canonical_request(request)
        cached = self._cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            return ChatResult.from_cache(cached)
        async with self._semaphore:
            if self._broken is not None:
                raise self._broken
            # a request refused by the budget raises BudgetExhausted here, before it is sent
            reservation = self._budget.reserve(request) if self._budget else 0.0
            usage_seen: tuple[int | None, int | None] = (0, 0)  # an error costs nothing
            requested_at = datetime.now(UTC)
            started = time.perf_counter()
            try:
                with counting_attempts() as attempts:
                    async with asyncio.timeout(self._limits.request_deadline_s):
                        reply = await self._create(request)
            except TimeoutError as exc:
                raise self._failure(
                    f"no complete reply within {self._limits.request_deadline_s:g} s (timeout_s "
                    f"{self._limits.timeout_s:g} × {self._limits.max_retries + 1} attempts, the request's "
                    f"deadline) after {attempts[0]} attempt(s)"
                ) from exc
            except (
                openai.APIConnectionError,  # also timeouts and malformed replies (probing.http_client)
                openai.RateLimitError,
                openai.InternalServerError,
            ) as exc:
                cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) and exc.__cause__ else exc
                what = f"{type(cause).__name__}: {cause} (after {attempts[0]} attempt(s))"
                raise self._failure(what) from exc
            except openai.APIStatusError as exc:
                if exc.status_code in (401, 403, 404):
                    raise self._failure(f"HTTP {exc.status_code}: {exc.message}") from exc
                return ChatResult(
                    None, None, None, None, False, requested_at, f"HTTP {exc.status_code}: {exc.message}"
                )
            else:
                usage_seen = _usage(reply)
            finally:
                if self._budget:
                    self._budget.settle(reservation, request, *usage_seen)
            latency_ms = (time.perf_counter() - started) * 1000
        choice = reply["choices"][0]  # the HTTP client refuses a reply without text in one
        text, truncated = cap_text(choice["message"]["content"], self._limits.max_reply_bytes)
        result = ChatResult(
            text=text,
            prompt_tokens=usage_seen[0],
            completion_tokens=usage_seen[1],
            latency_ms=latency_ms,
            cache_hit=False,
            requested_at=requested_at,
            token_logprobs=_token_logprobs(choice, int(request["max_tokens"])),  # type: ignore[call-overload]
            truncated=truncated,
        )
        self._cache.put(key, request_json, result.to_cache())
        if self._cache.pending:
            self._commit_soon()
        return result

    async def _create(self, request: dict[str, object]) -> dict:
        """The chat completion as the JSON object the endpoint sent (checked by the HTTP client)."""
        body = {
            "model": self.endpoint.name,
            "messages": request["messages"],
            "temperature": request["temperature"],
            "max_tokens": request["max_tokens"],
            "seed": request["seed"],
            **_logprob_args(request.get("top_logprobs")),
            **({"response_format": request["response_format"]} if "response_format" in request else {}),
        }
        response = await self._openai.post(CHAT_PATH_SUFFIX, body=body, cast_to=http.Response)
        return json.loads(response.content)


def _logprob_args(top_logprobs: object) -> dict[str, object]:
    return {"logprobs": True, "top_logprobs": top_logprobs} if top_logprobs else {}


def _count(value: object) -> int | None:
    """A token count as the endpoint reported it, or None when it is not a count."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _usage(reply: dict) -> tuple[int | None, int | None]:
    """(prompt tokens, completion tokens) of a chat completion; None for what it does not report."""
    usage = reply.get("usage")
    if not isinstance(usage, dict):
        return None, None
    return _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))


MAX_TOP_LOGPROBS = 20  # the most the API allows per token


def _token_logprobs(choice: dict, max_tokens: int) -> list | None:
    """[(token, [(candidate, logprob), ...]), ...] from a chat choice, when the backend sent them;
    at most `max_tokens` tokens of at most 20 candidates (what was asked for), whatever came back.
    Logprobs not in the API's shape are ignored as a whole (the answer is then parsed from the text)."""
    logprobs = choice.get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list) or not content:
        return None
    try:
        return [
            (
                _token(entry),
                [
                    (_token(top), _logprob(top))
                    for top in (entry.get("top_logprobs") or [])[:MAX_TOP_LOGPROBS]
                ],
            )
            for entry in content[:max_tokens]
        ]
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _token(entry: dict) -> str:
    token = entry["token"] if isinstance(entry, dict) else None
    if not isinstance(token, str):
        raise TypeError("a logprob entry without a token")
    return token


def _logprob(entry: dict) -> float:
    value = entry["logprob"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("a logprob that is not a number")
    return float(value)


def resolve_version(endpoint: ModelEndpoint, timeout_s: float = 30.0) -> str:
    """The configured version, or a digest of what the endpoint reports for this model (the
    stable fields of its /v1/models entry: see culturewatch.discovery.endpoints)."""
    from culturewatch.discovery.endpoints import list_models, served_version

    if endpoint.version != "auto":
        return endpoint.version
    served = list_models(str(endpoint.base_url), endpoint.api_key(), timeout_s)
    for entry in served:
        if entry.get("id") == endpoint.name:
            return served_version(entry)
    url = endpoint.display_url.rstrip("/") + "/models"
    names = [entry.get("id") for entry in served]
    raise EndpointError(f"model {endpoint.name!r} is not served at {url}; it serves {names}")
