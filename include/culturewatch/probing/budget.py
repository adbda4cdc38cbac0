"""Budget caps (per run, per UTC day) at a model's configured prices.

Before each request that will really be sent (a cache hit costs nothing), the gate reserves
an upper bound of its cost and refuses when spend so far + reservations + this bound would pass
a cap; the reply's actual usage then replaces the reservation. So a probe stops *before* a cap
is exceeded, and everything answered is kept (the runner writes it; a resume asks the rest).

The bound: completion tokens ≤ max_tokens; prompt tokens ≤ the prompt's UTF-8 bytes + 16 per
message (a byte-level tokenizer never uses more than one token per byte) until five replies
have shown the real tokens-per-byte ratio, then that ratio × 1.25 + the same overhead.
Spend before this attempt is read from the raw responses on disk (their tokens, cache hits
excluded, at this endpoint's prices). Judge calls are not counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow.compute as pc
import pyarrow.dataset as ds

from culturewatch.config.schema import ModelEndpoint
from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import parquet_files, table_files
from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA
from culturewatch.storage.store import Store, StoredFile

MESSAGE_OVERHEAD_TOKENS = 16
LEARN_AFTER = 5
SAFETY = 1.25


class BudgetExhausted(CulturewatchError):
    """The next request could pass a budget cap: it is not sent."""


class BudgetExceeded(CulturewatchError):
    """A probe stopped at a budget cap; what was answered is kept and a resume asks the rest."""


def _spent(endpoint: ModelEndpoint, store: Store, files: list[StoredFile], condition: pc.Expression) -> float:
    if not files:
        return 0.0
    table = (
        ds.dataset(
            [store.fs_path(file.path) for file in files],
            schema=RAW_RESPONSE_SCHEMA,
            format="parquet",
            filesystem=store.fs,
        )
        .to_table(columns=["prompt_tokens", "completion_tokens"], filter=condition & ~pc.field("cache_hit"))
        .to_pydict()
    )
    prompt = sum(value or 0 for value in table["prompt_tokens"])
    completion = sum(value or 0 for value in table["completion_tokens"])
    return endpoint.cost_usd(prompt, completion) or 0.0


@dataclass
class Budget:
    """The gate of one probe attempt."""

    endpoint: ModelEndpoint
    run_spent: float
    day_spent: float
    reserved: float = 0.0
    spent_now: float = 0.0
    ratios: list[float] = field(default_factory=list)

    @classmethod
    def for_run(cls, endpoint: ModelEndpoint, paths: DataPaths, run_id: str) -> Budget | None:
        """The gate for a run of `endpoint`, or None when it has no cap."""
        if endpoint.max_usd_per_run is None and endpoint.max_usd_per_day is None:
            return None
        run_spent = _spent(endpoint, paths.store, parquet_files(paths.run_dir(run_id)), pc.scalar(True))
        day_spent = 0.0
        if endpoint.max_usd_per_day is not None:
            start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            files = table_files(paths.raw_responses)
            condition = (pc.field("model") == endpoint.name) & (pc.field("requested_at") >= start)
            day_spent = _spent(endpoint, paths.store, files, condition)
        return cls(endpoint, run_spent, day_spent)

    def _bound(self, request: dict[str, object]) -> float:
        messages = request["messages"]
        assert isinstance(messages, list)
        size = len(json.dumps([m["content"] for m in messages], ensure_ascii=False).encode())
        ratio = max(self.ratios) * SAFETY if len(self.ratios) >= LEARN_AFTER else 1.0
        prompt = int(size * min(ratio, 1.0)) + MESSAGE_OVERHEAD_TOKENS * len(messages)
        return self.endpoint.cost_usd(prompt, int(request["max_tokens"])) or 0.0  # type: ignore[call-overload]

    def reserve(self, request: dict[str, object]) -> float:
        """Reserve the request's cost bound, or raise BudgetExhausted naming the cap."""
        bound = self._bound(request)
        committed = self.spent_now + self.reserved + bound
        for cap, before, what in (
            (self.endpoint.max_usd_per_run, self.run_spent, "max_usd_per_run"),
            (self.endpoint.max_usd_per_day, self.day_spent, "max_usd_per_day"),
        ):
            if cap is not None and before + committed > cap:
                raise BudgetExhausted(
                    f"{self.endpoint.name}: {what} = ${cap:.4f} would be exceeded (spent ${before:.4f} "
                    f"before this attempt, ${self.spent_now:.4f} in it; next request up to ${bound:.4f})"
                )
        self.reserved += bound
        return bound

    def settle(
        self,
        reservation: float,
        request: dict[str, object],
        prompt_tokens: int | None,
        completion: int | None,
    ) -> None:
        """Replace a reservation by what the reply used (the bound, when the reply said nothing)."""
        self.reserved -= reservation
        if prompt_tokens is None and completion is None:
            self.spent_now += reservation
            return
        self.spent_now += self.endpoint.cost_usd(prompt_tokens or 0, completion or 0) or 0.0
        messages = request["messages"]
        assert isinstance(messages, list)
        size = len(json.dumps([m["content"] for m in messages], ensure_ascii=False).encode())
        if prompt_tokens and size:
            self.ratios.append(max(0, prompt_tokens - MESSAGE_OVERHEAD_TOKENS * len(messages)) / size)

    def spent_total(self) -> tuple[float, float]:
        """(run, day) spend including this attempt."""
        return self.run_spent + self.spent_now, self.day_spent + self.spent_now
