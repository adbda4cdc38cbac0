"""Regression events: the rows of marts.alignment_regressions grouped for delivery.

An event is one version-pair comparison of one metric: (model, previous_version, version,
metric). Its rows are every affected (country, prompt language) row of that comparison, so one
regression found in twelve countries is one alert, not twelve. Grouping only; every number is
the mart's own (metrics, tests and verdicts are defined in dbt).

- A pair with at least one `regression` row of a metric is a regression event (its regression
  rows); otherwise a pair with `improvement` rows is an improvement event (its improvement rows).
- The headline row is the version mean (country and language null) when it is affected, else the
  worst row (most negative difference; for an improvement the largest).
- `event_id` hashes the key only, not the rows: a rebuild that changes or adds affected rows
  keeps the id, so an alert already sent is not sent again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

from culturewatch.alerts.regressions import RegressionRow

Direction = Literal["regression", "improvement"]


def event_id(model: str, previous_version: str, version: str, metric: str) -> str:
    """Stable id of a version-pair comparison of one metric (16 hex digits of SHA-256)."""
    key = json.dumps([model, previous_version, version, metric], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def row_label(row: RegressionRow) -> str:
    """`JP/ja`; `all countries` for the version mean; `all` for a part not split that way."""
    if row.is_version_mean:
        return "all countries"
    return f"{row.country or 'all'}/{row.prompt_language or 'all'}"


@dataclass(frozen=True)
class RegressionEvent:
    model: str
    previous_version: str
    version: str
    metric: str
    direction: Direction
    rows: tuple[RegressionRow, ...]  # the affected rows, headline first

    @property
    def event_id(self) -> str:
        return event_id(self.model, self.previous_version, self.version, self.metric)

    @property
    def headline(self) -> RegressionRow:
        return self.rows[0]

    @property
    def run_id(self) -> str | None:
        return self.headline.run_id

    @property
    def previous_run_id(self) -> str | None:
        return self.headline.previous_run_id

    @property
    def detected_at(self) -> datetime:
        return self.headline.detected_at

    @property
    def series(self) -> tuple[str, str]:
        """What a recovery is matched on: the same model and metric."""
        return (self.model, self.metric)

    def affected(self) -> str:
        """`all countries, JP/ja, US/en`: the affected rows in order, plain text."""
        return ", ".join(row_label(row) for row in self.rows)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["rows"] = [{**asdict(row), "detected_at": row.detected_at.isoformat()} for row in self.rows]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RegressionEvent:
        rows = tuple(
            RegressionRow(**{**row, "detected_at": datetime.fromisoformat(str(row["detected_at"]))})
            for row in data["rows"]  # type: ignore[attr-defined]
        )
        fields_ = {key: value for key, value in data.items() if key != "rows"}
        return cls(rows=rows, **fields_)  # type: ignore[arg-type]


def _order(direction: Direction, rows: list[RegressionRow]) -> tuple[RegressionRow, ...]:
    """Headline first (the version mean, else the worst/best row), then worst (best) first."""
    sign = 1.0 if direction == "regression" else -1.0

    def key(row: RegressionRow) -> tuple[object, ...]:
        missing = row.difference is None
        return (not row.is_version_mean, missing, 0.0 if missing else sign * row.difference, row_label(row))

    return tuple(sorted(rows, key=key))


def group_events(rows: list[RegressionRow]) -> list[RegressionEvent]:
    """One event per (model, previous_version, version, metric) with a regression or an
    improvement, in detection order."""
    pairs: dict[tuple[str, str, str, str], list[RegressionRow]] = {}
    for row in rows:
        if row.is_comparable and row.direction in ("regression", "improvement"):
            key = (row.model, row.previous_version, row.version, row.metric)
            pairs.setdefault(key, []).append(row)
    events = []
    for (model, previous_version, version, metric), pair_rows in pairs.items():
        direction: Direction = (
            "regression" if any(row.direction == "regression" for row in pair_rows) else "improvement"
        )
        affected = [row for row in pair_rows if row.direction == direction]
        events.append(
            RegressionEvent(model, previous_version, version, metric, direction, _order(direction, affected))
        )
    return sorted(events, key=lambda event: (event.detected_at, event.event_id))
