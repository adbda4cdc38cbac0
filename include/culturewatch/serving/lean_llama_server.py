"""llama-cpp-python's OpenAI-compatible server, doing only the work a request asks for.

Run by the model server's own interpreter (`.venv-model`, which has llama-cpp-python and no
culturewatch), with llama-cpp-python's own command line:

    .venv-model/bin/python lean_llama_server.py --model M.gguf --logits_all false ...

It is `python -m llama_cpp.server` with one change, to its `Llama` class. Stock, the server keeps
the logits of every token it evaluates (`logits_all`, on by default: the output layer runs
for every prompt token and each row, 151,936 floats for Qwen, is copied to Python), because its
logprobs are read from those stored rows afterwards; and it then sorts the whole vocabulary in
Python once per generated token. Here the server runs with `--logits_all false`: the output
layer runs for the last position only, which is all that sampling needs. When a request asks
for logprobs, the row each generated token was sampled from is read while generating (the
context's last logits, no copy), and only its top candidates are picked (a partition, not a
sort). The reply is the same as the stock server's, tokens and `top_logprobs` in the same order
(tests/e2e/test_lean_server.py compares the two on the real model). What needs logits of prompt
tokens (`echo` with logprobs) or streamed logprobs is refused with a one-line error; start the
stock server (`--logits_all true`) for those.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import numpy as np

LEAN_SERVER_OPTIONS = ["--logits_all", "false"]
"""The options this entry point is meant to run with (LocalModelServer adds them)."""


def top_candidates(logprobs: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k most likely (token id, logprob) of one row, in llama-cpp-python's order: what
    `sorted(zip(row, range(len(row))), reverse=True)[:k]` gives (descending logprob, ties by
    descending id), without sorting the vocabulary."""
    n = logprobs.shape[0]
    k = max(0, min(k, n))
    if k == 0:
        return []
    kth = np.partition(logprobs, n - k)[n - k]  # the k-th largest value
    above = np.flatnonzero(logprobs > kth)
    above = above[np.lexsort((-above, -logprobs[above]))]
    tied = np.flatnonzero(logprobs == kth)[::-1][: k - len(above)]
    chosen = np.concatenate([above, tied])
    return [(int(i), float(logprobs[i])) for i in chosen]


def _lean_llama_class() -> type:
    import llama_cpp

    signature = inspect.signature(llama_cpp.Llama.create_completion)

    class LeanLlama(llama_cpp.Llama):  # type: ignore[misc,valid-type]
        """Logprobs of generated tokens without `logits_all` (see the module docstring)."""

        _recorded: list[tuple[int, float, list[tuple[int, float]]]] | None = None
        _top_k: int = 0

        def generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Any:
            inner = super().generate(tokens, *args, **kwargs)
            if self._recorded is None:
                return (yield from inner)
            try:
                token = next(inner)
                while True:
                    self._record(token)
                    token = inner.send((yield token))
            except StopIteration:
                return None
            finally:
                inner.close()

        def _record(self, token: int) -> None:
            """The distribution `token` was just sampled from: the context's last logits."""
            assert self._recorded is not None
            row = np.ctypeslib.as_array(self._ctx.get_logits_ith(-1), shape=(self.n_vocab(),))
            logprobs = llama_cpp.Llama.logits_to_logprobs(row)
            self._recorded.append((token, float(logprobs[token]), top_candidates(logprobs, self._top_k)))

        def create_completion(self, *args: Any, **kwargs: Any) -> Any:
            call = signature.bind(self, *args, **kwargs)
            call.apply_defaults()
            arguments = dict(call.arguments)
            del arguments["self"]
            top_k = arguments["logprobs"]
            if top_k is None or self._logits_all:
                return super().create_completion(*args, **kwargs)
            if arguments["stream"] or arguments["echo"]:
                raise ValueError(
                    "logprobs with stream or echo need the logits of every token: start the server "
                    "with --logits_all true"
                )
            arguments["logprobs"] = None
            self._recorded, self._top_k = [], int(top_k)
            try:
                completion = super().create_completion(**arguments)
                recorded = self._recorded
            finally:
                self._recorded = None
            n_completion = completion["usage"]["completion_tokens"]
            prompt = arguments["prompt"]
            completion["choices"][0]["logprobs"] = self._logprobs(recorded[:n_completion], len(prompt))
            return completion

        def _logprobs(self, recorded: list, text_offset: int) -> dict[str, list]:
            """llama-cpp-python's `CompletionLogprobs` of the completion tokens, built as it builds them."""
            tokens = [token for token, _, _ in recorded]

            def text(token_ids: list[int], before: list[int]) -> str:
                return self.detokenize(token_ids, prev_tokens=before).decode("utf-8", errors="ignore")

            strings, offsets, top_logprobs = [], [], []
            for index, (token, logprob, candidates) in enumerate(recorded):
                before = tokens[:index]
                strings.append(text([token], before))
                offsets.append(text_offset + len(self.detokenize(before).decode("utf-8", errors="ignore")))
                top = {text([candidate], before): value for candidate, value in candidates}
                top[strings[-1]] = logprob
                top_logprobs.append(top)
            return {
                "tokens": strings,
                "text_offset": offsets,
                "token_logprobs": [logprob for _, logprob, _ in recorded],
                "top_logprobs": top_logprobs,
            }

    return LeanLlama


def main() -> None:
    import llama_cpp
    from llama_cpp.server.__main__ import main as serve

    # the server builds its model with `llama_cpp.Llama(...)` (llama_cpp/server/model.py)
    llama_cpp.Llama = _lean_llama_class()
    serve()


if __name__ == "__main__":
    sys.exit(main())
