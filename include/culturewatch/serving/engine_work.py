"""What the llama.cpp engine itself did for the requests a server answered, read from its log.

llama-cpp-python's server (verbose, as LocalModelServer runs it) prints llama.cpp's
`llama_perf_context_print` block after every completion, counted from that request alone:

    llama_perf_context_print: prompt eval time =  2216.58 ms /   113 tokens (...)
    llama_perf_context_print:        eval time =   244.04 ms /     3 runs   (...)

"prompt eval" is the decoding of prompt tokens in batches (the tokens the prefix cache did not
hold); "eval" is the one-token decodes: each generated token that is fed back, and a one-token
prompt remainder. llama.cpp prints at least "1 tokens" where there were none (with 0.00 ms), so
a block of 0 ms counts 0 tokens.

From these, the engine's floor for a piece of work: new prompt tokens ÷ prompt-eval rate +
decodes ÷ decode rate, the time nothing but the model's own arithmetic would take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PROMPT_EVAL = re.compile(r"llama_perf_context_print:\s+prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_EVAL = re.compile(r"llama_perf_context_print:\s+eval time =\s*([\d.]+) ms /\s*(\d+) runs")


@dataclass(frozen=True)
class EngineWork:
    requests: int
    prompt_tokens: int
    prompt_ms: float
    decodes: int
    decode_ms: float

    @property
    def prompt_eval_rate(self) -> float:
        """New prompt tokens per second."""
        return self.prompt_tokens / (self.prompt_ms / 1000) if self.prompt_ms else 0.0

    @property
    def decode_rate(self) -> float:
        """One-token decodes (generated tokens) per second."""
        return self.decodes / (self.decode_ms / 1000) if self.decode_ms else 0.0

    @property
    def seconds(self) -> float:
        return (self.prompt_ms + self.decode_ms) / 1000

    def floor_s(self, prompt_eval_rate: float, decode_rate: float) -> float:
        """This work's tokens at the given rates (e.g. those of the leanest engine measured)."""
        return self.prompt_tokens / prompt_eval_rate + self.decodes / decode_rate


def completions_work(log_text: str) -> list[EngineWork]:
    """One EngineWork per completion logged in `log_text`, in order. A prompt-eval line without
    its eval line (a request still running) is not counted."""
    blocks = []
    prompt: tuple[float, int] | None = None
    for line in log_text.splitlines():
        if found := _PROMPT_EVAL.search(line):
            prompt = (float(found[1]), int(found[2]))
        elif (found := _EVAL.search(line)) and prompt is not None:
            (prompt_ms, tokens), decode_ms, runs = prompt, float(found[1]), int(found[2])
            blocks.append(
                EngineWork(
                    1, tokens if prompt_ms > 0 else 0, prompt_ms, runs if decode_ms > 0 else 0, decode_ms
                )
            )
            prompt = None
    return blocks


def total_work(works: list[EngineWork]) -> EngineWork:
    return EngineWork(
        requests=sum(work.requests for work in works),
        prompt_tokens=sum(work.prompt_tokens for work in works),
        prompt_ms=sum(work.prompt_ms for work in works),
        decodes=sum(work.decodes for work in works),
        decode_ms=sum(work.decode_ms for work in works),
    )


def engine_work(log_text: str, skip_requests: int = 0) -> EngineWork:
    """The sum over the completions logged in `log_text`, leaving out the first `skip_requests`
    (a warm-up)."""
    return total_work(completions_work(log_text)[skip_requests:])
