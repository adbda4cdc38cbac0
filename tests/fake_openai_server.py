"""A deterministic, scripted OpenAI-compatible server for unit tests of the client only."""

from __future__ import annotations

import json
import math
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.local_http_server import LocalHTTPServer


@dataclass
class Scripted:
    status: int = 200
    content: str = "3"
    headers: dict[str, str] = field(default_factory=dict)
    # per generated token: (token, [(candidate, probability), ...]); sent when logprobs are asked
    logprobs: list[tuple[str, list[tuple[str, float]]]] | None = None
    delay_s: float = 0.0  # seconds before this reply is sent


class FakeOpenAIServer(LocalHTTPServer):
    """Answers /v1/chat/completions from a script (then `default`), and records every request."""

    def __init__(self, default: Scripted | None = None) -> None:
        self.script: deque[Scripted] = deque()
        self.default = default or Scripted()
        self.requests: list[dict] = []
        self.fail_after: int | None = None
        self.delay_s = 0.0  # seconds before each chat reply (to make concurrent clients overlap)
        self.by_model: dict[str, Scripted] = {}
        # what GET /v1/models lists (discovery tests change it); `models_reply` replaces the whole
        # reply body when set (malformed replies)
        self.models: list[dict] = [{"id": "fake-model", "object": "model"}]
        self.models_reply: bytes | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if server.models_reply is not None:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(server.models_reply)))
                    self.end_headers()
                    self.wfile.write(server.models_reply)
                    return
                self._send(200, {"object": "list", "data": server.models})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                if server.delay_s:
                    time.sleep(server.delay_s)
                if server.fail_after is not None and len(server.requests) > server.fail_after:
                    reply = Scripted(status=503, content="down")
                else:
                    reply = (
                        server.script.popleft()
                        if server.script
                        else server.by_model.get(body["model"], server.default)
                    )
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": reply.content}}, reply.headers)
                    return
                user = body["messages"][-1]["content"]
                logprobs = None
                if body.get("logprobs") and reply.logprobs:
                    logprobs = {
                        "content": [
                            {
                                "token": token,
                                "logprob": math.log(max(p for _, p in top)),
                                "bytes": None,
                                "top_logprobs": [
                                    {"token": t, "logprob": math.log(p), "bytes": None} for t, p in top
                                ],
                            }
                            for token, top in reply.logprobs
                        ]
                    }
                self._send(
                    200,
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "logprobs": logprobs,
                                "message": {"role": "assistant", "content": reply.content},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": len(user.split()),
                            "completion_tokens": 1,
                            "total_tokens": len(user.split()) + 1,
                        },
                    },
                )

            def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    @property
    def base_url(self) -> str:
        return self.url("/v1")
