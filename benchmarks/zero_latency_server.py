"""A zero-latency OpenAI-compatible server on 127.0.0.1, for measuring the probe client alone.

It answers every POST .../chat/completions at once with a pre-built completion (no JSON is parsed:
the request body is only counted and skipped) and GET .../models with one model, over HTTP/1.1
keep-alive, on an asyncio Protocol (uvloop when installed). Replies rotate through a fixed set of
realistic classification answers (a bare number, a number with its label, a sentence in one of a
few languages), so the client's parser, language identification and cache see varied text, as
they do against a real model at temperature 0.

Run it in its own process so its CPU is not the client's:

    python benchmarks/zero_latency_server.py --port 8199

`started(port, workers)` does that from Python (child processes), waits until it answers, and
stops it afterwards; several workers accept on one port (SO_REUSEPORT) for several client processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

MODEL = "zero-latency"
REPLIES = (
    "3",
    "2",
    "4",
    "1. Of utmost importance",
    "3 - of moderate importance",
    "I would choose 2, very important.",
    "Je choisirais 3, d'importance moyenne.",
    "Ich würde 4 wählen, von geringer Bedeutung.",
    "我选择 2，非常重要。",
    "Elegiría la opción 3, de importancia moderada.",
)


def _completion(content: str) -> bytes:
    body = json.dumps(
        {
            "id": "chatcmpl-zero",
            "object": "chat.completion",
            "created": 0,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 60, "completion_tokens": 3, "total_tokens": 63},
        },
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: keep-alive\r\n\r\n"
    ).encode()
    return head + body


def _json_reply(payload: object) -> bytes:
    body = json.dumps(payload).encode()
    return (
        f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


COMPLETIONS = [_completion(text) for text in REPLIES]
MODELS = _json_reply({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "bench"}]})
_CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)")
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


class _Http(asyncio.Protocol):
    """HTTP/1.1 keep-alive with pipelining: headers up to the blank line, then content-length bytes."""

    served = 0

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            found = _CONTENT_LENGTH.search(head)
            length = int(found.group(1)) if found else 0
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            del self.buffer[:total]
            if head.startswith(b"post") and b"/chat/completions" in head[: head.find(b"\r\n")]:
                reply = COMPLETIONS[_Http.served % len(COMPLETIONS)]
                _Http.served += 1
            elif head.startswith(b"get") and b"/models" in head[: head.find(b"\r\n")]:
                reply = MODELS
            else:
                reply = NOT_FOUND
            self.transport.write(reply)  # type: ignore[union-attr]


def _serve(port: int) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def main() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        server = await asyncio.get_running_loop().create_server(_Http, sock=sock, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def wait_until_up(base_url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(base_url + "/models", timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def started(port: int, workers: int = 1) -> Iterator[str]:
    """The server in `workers` child processes on `port`; yields its base URL, stops it after."""
    processes = [
        subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--port", str(port)])
        for _ in range(workers)
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_up(base_url)
        yield base_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    _serve(parser.parse_args().port)
