"""Async chat client over the openai SDK: bounded concurrency, timeouts, retries, response cache.

Retries with exponential backoff on 429, 5xx, timeouts and connection errors (honouring
Retry-After) are the openai client's own; this module adds the concurrency bound, the cache,
and the line between "the endpoint is down" (raise, so the task fails and can be resumed)
and "this request is bad" (a 4xx other than 429: recorded as an error row, never retried).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import openai

from culturewatch.config.schema import ClientLimits, ModelEndpoint
from culturewatch.errors import EndpointError
from culturewatch.probing.budget import Budget
from culturewatch.probing.cache import ResponseCache, request_key


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

    def to_cache(self) -> dict[str, object]:
        fields = {k: v for k, v in self.__dict__.items() if k != "cache_hit"}
        return {**fields, "requested_at": self.requested_at.isoformat()}

    @classmethod
    def from_cache(cls, cached: dict[str, object]) -> ChatResult:
        requested_at = datetime.fromisoformat(str(cached["requested_at"]))
        return cls(**{**cached, "requested_at": requested_at, "cache_hit": True})  # type: ignore[arg-type]


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
        self.endpoint = endpoint
        self._budget = budget
        self.model_version = model_version
        self._cache = cache
        self._semaphore = asyncio.Semaphore(limits.concurrency)
        self._openai = openai.AsyncOpenAI(
            base_url=str(endpoint.base_url),
            api_key=endpoint.api_key(),
            timeout=limits.timeout_s,
            max_retries=limits.max_retries,
        )
        self.requests_sent = 0
        self.cache_hits = 0

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._openai.close()

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
        key = request_key(request)
        cached = self._cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            return ChatResult.from_cache(cached)
        async with self._semaphore:
            # a request refused by the budget raises BudgetExhausted here, before it is sent
            reservation = self._budget.reserve(request) if self._budget else 0.0
            usage_seen: tuple[int | None, int | None] = (0, 0)  # an error costs nothing
            requested_at = datetime.now(UTC)
            started = time.perf_counter()
            try:
                self.requests_sent += 1
                response = await self._openai.chat.completions.create(
                    model=self.endpoint.name,
                    messages=request["messages"],  # type: ignore[arg-type]
                    temperature=request["temperature"],  # type: ignore[arg-type]
                    max_tokens=request["max_tokens"],  # type: ignore[arg-type]
                    seed=request["seed"],  # type: ignore[arg-type]
                    **_logprob_args(request.get("top_logprobs")),
                    **(
                        {"response_format": request["response_format"]}
                        if "response_format" in request
                        else {}
                    ),
                )
            except (
                openai.APIConnectionError,
                openai.RateLimitError,
                openai.InternalServerError,
            ) as exc:
                raise EndpointError(
                    f"{self.endpoint.name} at {self.endpoint.base_url}: {type(exc).__name__}: {exc} "
                    f"(after the client's retries)"
                ) from exc
            except openai.APIStatusError as exc:
                if exc.status_code in (401, 403, 404):
                    raise EndpointError(
                        f"{self.endpoint.name} at {self.endpoint.base_url}: HTTP {exc.status_code}: "
                        f"{exc.message}"
                    ) from exc
                return ChatResult(
                    None, None, None, None, False, requested_at, f"HTTP {exc.status_code}: {exc.message}"
                )
            else:
                usage_seen = (
                    (response.usage.prompt_tokens, response.usage.completion_tokens)
                    if response.usage
                    else (None, None)
                )
            finally:
                if self._budget:
                    self._budget.settle(reservation, request, *usage_seen)
            latency_ms = (time.perf_counter() - started) * 1000
        usage = response.usage
        choice = response.choices[0] if response.choices else None
        result = ChatResult(
            text=choice.message.content if choice else None,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            latency_ms=latency_ms,
            cache_hit=False,
            requested_at=requested_at,
            token_logprobs=_token_logprobs(choice),
        )
        self._cache.put(key, request, result.to_cache())
        return result


def _logprob_args(top_logprobs: object) -> dict[str, object]:
    return {"logprobs": True, "top_logprobs": top_logprobs} if top_logprobs else {}


def _token_logprobs(choice: object) -> list | None:
    """[(token, [(candidate, logprob), ...]), ...] from a chat choice, when the backend sent them."""
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not content:
        return None
    return [
        (entry.token, [(top.token, top.logprob) for top in (entry.top_logprobs or [])]) for entry in content
    ]


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
    url = str(endpoint.base_url).rstrip("/") + "/models"
    names = [entry.get("id") for entry in served]
    raise EndpointError(f"model {endpoint.name!r} is not served at {url}; it serves {names}")
