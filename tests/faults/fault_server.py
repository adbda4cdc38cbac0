"""An OpenAI-compatible server on 127.0.0.1 that answers with one fault, for the fault suite.

Modes (one per fault the probe must survive):

    ok              a valid chat completion whose text is `answer`
    drip            a 200 whose body never completes: one byte every `drip_interval_s`
    huge            a valid completion whose text is `huge_bytes` of words (with whitespace)
    huge_unspaced   the same without whitespace
    malformed_json  a 200 `application/json` body that is not JSON
    html            a 200 `text/html` page
    empty_choices   a completion with `choices: []`
    null_content    a completion whose message content is null
    overloaded      HTTP 503

`clear_after=N` makes only the first N chat requests faulty; the rest are `ok`. `delay_s` delays
every answer (for interrupting a run midway). `credentials=(user, password)` requires HTTP basic
auth (credentials in the base URL's userinfo) and answers 401 without it. `models` is what
GET /v1/models lists; `log_path` also appends every exchange there as a JSON line (for a server
in another process).

Every chat request is logged as an `Exchange`: the prompt (everything that makes a request
distinct: messages, seed, sampling), the mode it got and whether a complete valid answer went
back. `lost`, `duplicated`, `asked_again` compare that log with what the probe stored.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.local_http_server import LocalHTTPServer

MODES = (
    "ok",
    "drip",
    "huge",
    "huge_unspaced",
    "malformed_json",
    "html",
    "empty_choices",
    "null_content",
    "overloaded",
)
HTML_PAGE = b'<html><body><h1>502 Bad Gateway</h1>\n<p>upstream "model" is down</p></body></html>\n'
MALFORMED_JSON = b'{"id": "x", "choices": [{"message": {"content": "3"'


@dataclass
class Exchange:
    prompt: str
    mode: str
    answered: bool = False
    at: float = field(default_factory=time.monotonic)
    answered_at: float | None = None  # when the last byte of a valid answer was written


def prompt_key(body: dict) -> str:
    """What makes two chat requests the same question (the probe's trial shows as its seed)."""
    asked = {name: body.get(name) for name in ("model", "messages", "seed", "temperature", "max_tokens")}
    return json.dumps(asked, sort_keys=True, ensure_ascii=False)


def completion(content: str | None, model: str, choices: bool = True) -> dict:
    return {
        "id": "fault",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": content},
            }
        ]
        if choices
        else [],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
    }


def _huge_text(size: int, spaced: bool) -> str:
    if spaced:
        words = "the answer is three because moderately important things matter ".split()
        text = " ".join(words[i % len(words)] for i in range(size // 5 + 1))
    else:
        text = "abcdefghijklmnopqrstuvwxyz" * (size // 26 + 1)
    return text[:size]


class FaultServer(LocalHTTPServer):
    """A ThreadingHTTPServer on a free port of 127.0.0.1; a context manager."""

    def __init__(
        self,
        mode: str = "ok",
        *,
        clear_after: int | None = None,
        answer: str = "3",
        huge_bytes: int = 10 * 1024 * 1024,
        drip_interval_s: float = 0.05,
        delay_s: float = 0.0,
        credentials: tuple[str, str] | None = None,
        models: tuple[str, ...] = (),
        port: int = 0,
        log_path: Path | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {MODES}")
        self.mode = mode
        self.clear_after = clear_after
        self.answer = answer
        self.huge_bytes = huge_bytes
        self.drip_interval_s = drip_interval_s
        self.delay_s = delay_s
        self.credentials = credentials
        self.models = models
        self.log_path = log_path
        self.log: list[Exchange] = []
        self.unauthorised = 0
        self._lock = threading.Lock()
        self._huge: dict[bool, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if server.credentials is not None and not server._authorised(self.headers):
                    server.unauthorised += 1
                    self._send(401, "application/json", b'{"error": {"message": "bad credentials"}}')
                    return
                listed = [{"id": name, "object": "model"} for name in server.models]
                self._send(200, "application/json", json.dumps({"object": "list", "data": listed}).encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if server.credentials is not None and not server._authorised(self.headers):
                    server.unauthorised += 1
                    self._send(401, "application/json", b'{"error": {"message": "bad credentials"}}')
                    return
                with server._lock:
                    faulty = server.clear_after is None or len(server.log) < server.clear_after
                    exchange = Exchange(prompt_key(body), server.mode if faulty else "ok")
                    server.log.append(exchange)
                if server.delay_s:
                    time.sleep(server.delay_s)
                try:
                    server._reply(self, exchange, body["model"])
                except (BrokenPipeError, ConnectionResetError):
                    exchange.answered = False
                if server.log_path is not None:
                    with server._lock, server.log_path.open("a") as handle:
                        handle.write(json.dumps(asdict(exchange)) + "\n")

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

        super().__init__(Handler, port)

    def _authorised(self, headers) -> bool:  # noqa: ANN001 - http.server's message type
        user, password = self.credentials  # type: ignore[misc]
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return headers.get("Authorization") == expected

    def huge_body(self, spaced: bool, model: str) -> bytes:
        if spaced not in self._huge:
            text = _huge_text(self.huge_bytes, spaced)
            self._huge[spaced] = json.dumps(completion(text, model)).encode()
        return self._huge[spaced]

    def _reply(self, handler, exchange: Exchange, model: str) -> None:  # noqa: ANN001
        mode = exchange.mode
        if mode == "drip":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(10**6))
            handler.end_headers()
            while True:  # until the client gives up (BrokenPipeError) or the server stops
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(self.drip_interval_s)
        content_type = "application/json"
        status = 200
        if mode == "ok":
            data = json.dumps(completion(self.answer, model)).encode()
        elif mode in ("huge", "huge_unspaced"):
            data = self.huge_body(mode == "huge", model)
        elif mode == "malformed_json":
            data = MALFORMED_JSON
        elif mode == "html":
            content_type, data = "text/html; charset=utf-8", HTML_PAGE
        elif mode == "empty_choices":
            data = json.dumps(completion(None, model, choices=False)).encode()
        elif mode == "null_content":
            data = json.dumps(completion(None, model)).encode()
        else:  # overloaded
            status, data = 503, b'{"error": {"message": "overloaded"}}'
        handler._send(status, content_type, data)
        exchange.answered = mode in ("ok", "huge", "huge_unspaced")
        exchange.answered_at = time.monotonic()

    # ------------------------------------------------------------------ what the log shows

    def answered_prompts(self) -> list[str]:
        return answered_prompts(self.log)

    def asked_again(self) -> list[str]:
        return asked_again(self.log)

    @property
    def base_url(self) -> str:
        return self.url("/v1")


def answered_prompts(log: list[Exchange]) -> list[str]:
    return [exchange.prompt for exchange in log if exchange.answered]


def asked_again(log: list[Exchange]) -> list[str]:
    """Prompts asked again after a complete valid answer to them had gone back."""
    answered: set[str] = set()
    again = []
    for exchange in sorted(log, key=lambda exchange: exchange.at):
        if exchange.prompt in answered:
            again.append(exchange.prompt)
        if exchange.answered:
            answered.add(exchange.prompt)
    return again


def read_log(path: Path) -> list[Exchange]:
    """The exchanges a server wrote to `log_path`."""
    if not path.exists():
        return []
    return [Exchange(**json.loads(line)) for line in path.read_text().splitlines() if line]
