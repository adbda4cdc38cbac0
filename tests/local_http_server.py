"""The local HTTP servers the tests start, on 127.0.0.1 in a daemon thread while a `with` block runs.

- `LocalHTTPServer`: the webhook receiver and the scripted and faulty OpenAI endpoints (a
  ThreadingHTTPServer on a free port, shut down and closed after the block).
- `serving(app)`: an ASGI app (the Alignment view) under uvicorn; yields its base URL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import uvicorn

from culturewatch.service_processes import free_port


class LocalHTTPServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serving(app: Any, start_timeout_s: float = 30) -> Iterator[str]:
    """`app` (ASGI) served by uvicorn on a free port of 127.0.0.1; yields "http://127.0.0.1:PORT"."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        assert time.monotonic() < deadline, f"the app did not start within {start_timeout_s} s"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
