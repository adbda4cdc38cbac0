"""The HTTP client under the openai client: a deadline per attempt, an attempt count, a bounded
body, and a 200 that is not a chat completion turned into a retryable error.

The openai client keeps its own retries (backoff, Retry-After); `GuardedClient` (openai's own
HTTP client on its aiohttp transport, `openai.DefaultAioHttpClient`: the same defaults for
proxies, limits and redirects, 0.4 of the CPU per request of the httpx transport) only
changes what one HTTP attempt, one call of its `send`, can do to the probe:

- **Deadline.** httpx's `timeout` bounds each read, not the request: an endpoint dripping one
  byte a second keeps a request alive forever. Here an attempt, from sending to the last byte
  of the body, gets `deadline_s`; past it the attempt is a timeout (which openai retries).
- **Count.** Every attempt (retries included) is counted in `attempts`.
- **Bounded body.** A body larger than `max_body_bytes` is refused as it arrives (an error the
  client retries), so a hostile reply cannot fill the memory.
- **Malformed 200s.** A 200 (any 2xx) reply to a chat completion that is not JSON, not an object
  with a non-empty `choices` list, or whose first choice has no text content, is a
  `MalformedReply`: a transport error, so openai retries it like a reset connection, and the
  probe never caches or stores it as an answer. Its message says what came back: status,
  content type, size and the first bytes, escaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from types import ModuleType

import openai

MAX_BODY_BYTES = 64 * 1024 * 1024
"""A reply body above this is refused: a chat completion's text is capped far lower
(ClientLimits.max_reply_bytes), so this only stops a server that sends without end."""
FIRST_BYTES = 120
CHAT_PATH_SUFFIX = "/chat/completions"
_REQUEST_ATTEMPTS: ContextVar[list[int] | None] = ContextVar("request_attempts", default=None)


@contextlib.contextmanager
def counting_attempts() -> Iterator[list[int]]:
    """Counts the attempts of the requests made inside (one task's request and its retries)."""
    counter = [0]
    token = _REQUEST_ATTEMPTS.set(counter)
    try:
        yield counter
    finally:
        _REQUEST_ATTEMPTS.reset(token)


def _http_library() -> ModuleType:
    """The HTTP library the installed openai client is built on: httpx, or its fork httpx2."""
    for base in openai.DefaultAsyncHttpxClient.__mro__:
        if base.__name__ == "AsyncClient" and base.__module__.split(".")[0] != "openai":
            return sys.modules[base.__module__.split(".")[0]]
    raise ImportError("cannot tell which HTTP library the openai client uses")


http = _http_library()


class MalformedReply(http.RemoteProtocolError):  # type: ignore[misc,name-defined]
    """A 200 reply that is not a usable chat completion (retried like a broken connection)."""


class AttemptDeadlineExceeded(http.ReadTimeout):  # type: ignore[misc,name-defined]
    """An attempt whose reply was not complete within its deadline (retried like a timeout)."""


class ReplyTooLarge(http.RemoteProtocolError):  # type: ignore[misc,name-defined]
    """A reply body above the HTTP client's limit."""


def escaped_prefix(body: bytes, limit: int = FIRST_BYTES) -> str:
    """The first `limit` bytes of a body as one escaped, quoted line."""
    shown = json.dumps(body[:limit].decode("utf-8", errors="replace"))
    return shown + (" ..." if len(body) > limit else "")


def describe_reply(status: int, content_type: str | None, body: bytes) -> str:
    """`HTTP 200, content-type text/html, 51 bytes: "<html>..."` (what came back, escaped)."""
    kind = content_type or "none"
    return f"HTTP {status}, content-type {kind}, {len(body)} bytes: {escaped_prefix(body)}"


def chat_reply_problem(content_type: str | None, body: bytes) -> str | None:
    """Why a 200 reply to /chat/completions cannot be used as an answer, or None when it can."""
    if "json" not in (content_type or "").lower():
        return "not a JSON reply"
    try:
        payload = json.loads(body)
    except ValueError as exc:
        return f"invalid JSON ({exc})"
    if not isinstance(payload, dict):
        return "not a chat completion (JSON but not an object)"
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices:
        return "no answer (empty `choices`)"
    first = choices[0]
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        return "no answer (`choices[0].message.content` is null)"
    return None


class _UrlWithoutUserinfo(http.AsyncBaseTransport):  # type: ignore[misc,name-defined]
    """Sends a request whose URL has credentials (`http://user:password@host/v1`) without them:
    the HTTP client has already turned them into the basic-auth header, and aiohttp refuses a URL
    with credentials beside an Authorization header."""

    def __init__(self, transport) -> None:  # noqa: ANN001 - the library's transport
        self._transport = transport

    async def handle_async_request(self, request):  # noqa: ANN001, ANN201 - the library's types
        if request.url.userinfo:  # a copy: the client logs the request's URL (redacted) afterwards
            request = http.Request(
                request.method,
                request.url.copy_with(userinfo=b""),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


class GuardedClient(openai.DefaultAioHttpClient):  # type: ignore[misc,valid-type]
    """openai's async HTTP client on its aiohttp transport, with the guards of the module docstring."""

    def __init__(self, deadline_s: float, max_body_bytes: int = MAX_BODY_BYTES, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._deadline_s = deadline_s
        self._max_body_bytes = max_body_bytes
        self.attempts = 0

    def _init_transport(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the library's hook
        return _UrlWithoutUserinfo(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the library's hook
        return _UrlWithoutUserinfo(super()._init_proxy_transport(*args, **kwargs))

    async def send(self, request, *, stream: bool = False, **kwargs):  # noqa: ANN001, ANN201 - the library's types
        self.attempts += 1
        counter = _REQUEST_ATTEMPTS.get()
        if counter is not None:
            counter[0] += 1
        try:
            async with asyncio.timeout(self._deadline_s):
                response = await super().send(request, stream=True, **kwargs)
                if stream:  # the caller reads the body itself (the probe never streams)
                    return response
                try:
                    body = await self._read(response, request)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise AttemptDeadlineExceeded(
                f"no complete reply within {self._deadline_s:g} s (timeout_s, the deadline of one attempt)",
                request=request,
            ) from None
        checked = http.Response(
            status_code=response.status_code,
            headers=response.headers,
            content=body,  # decoded here as the headers say (gzip, ...)
            request=request,
            extensions=response.extensions,
        )
        checked.elapsed = response.elapsed
        if checked.is_success and request.url.path.endswith(CHAT_PATH_SUFFIX):
            content_type = checked.headers.get("content-type")
            problem = chat_reply_problem(content_type, checked.content)
            if problem is not None:
                raise MalformedReply(
                    f"{problem}: {describe_reply(checked.status_code, content_type, checked.content)}",
                    request=request,
                )
        return checked

    async def _read(self, response, request) -> bytes:  # noqa: ANN001 - the library's types
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > self._max_body_bytes:
                raise ReplyTooLarge(
                    f"reply body over {self._max_body_bytes} bytes: {escaped_prefix(b''.join(chunks))}",
                    request=request,
                )
            chunks.append(chunk)
        return b"".join(chunks)
