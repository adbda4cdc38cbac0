"""Regression events: the rows of marts.alignment_regressions grouped by their cause, for delivery.

One cause is one probe run of a new model version compared with the previous version: (model,
previous_version, version, run_id). Its event lists every metric that run regressed on and, per
metric, every affected country and prompt language, so one run that worsens
`deviation_ratio_aligned` and `deviation_ratio_english` (the same US answers) is one alert, not two,
and one regression found in twelve countries is one alert, not twelve. Grouping only; every number
is the mart's own (metrics, tests and verdicts are defined in dbt).

- A cause with at least one `regression` row is a regression event (its regression rows, of every
  metric). Its `improvement` rows of metrics with no regression form an improvement event of the
  same cause (a possible recovery notice); improvements of a regressed metric are left out.
- Within an event the metrics follow the regression rule's order (regression_thresholds.yaml);
  within a metric the headline row is the version mean (country and language null) when it is
  affected, else the worst row (most negative difference; for an improvement the largest).
- `event_id` hashes the cause only, not the rows: a rebuild that changes or adds affected rows (or
  metrics) keeps the id, so an alert already sent is not sent again.

Upgrade note: until alerts were grouped by cause, an event was one metric of a version pair and
its id hashed (model, previous_version, version, metric) (`metric_event_id`). Planning still
honours those ids: a cause whose every metric was delivered, muted or acknowledged under its old
per-metric id is not sent again under the new id (alerts.outbox).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from culturewatch.marts import RegressionRow

Direction = Literal["regression", "improvement"]


def event_id(model: str, previous_version: str, version: str, run_id: str | None) -> str:
    """Stable id of one cause: a probe run of a version compared with the previous version (16 hex
    digits of SHA-256; the `cause/1` tag keeps it apart from the per-metric ids before it)."""
    key = json.dumps(["cause/1", model, previous_version, version, run_id], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def metric_event_id(model: str, previous_version: str, version: str, metric: str) -> str:
    """The id an event had when it was one metric of a version pair (before grouping by cause)."""
    key = json.dumps([model, previous_version, version, metric], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def row_label(row: RegressionRow) -> str:
    """`JP/ja`; `all countries` for the version mean; `all` for a part not split that way."""
    if row.is_version_mean:
        return "all countries"
    return f"{row.country or 'all'}/{row.prompt_language or 'all'}"


@cache
def _metric_order() -> dict[str, int]:
    from culturewatch.config.regression import load_regression_config

    return {name: index for index, name in enumerate(load_regression_config().metrics)}


@dataclass(frozen=True)
class RegressionEvent:
    model: str
    previous_version: str
    version: str
    run_id: str | None
    previous_run_id: str | None
    direction: Direction
    rows: tuple[RegressionRow, ...]  # the affected rows, metric by metric, each headline first

    @property
    def event_id(self) -> str:
        return event_id(self.model, self.previous_version, self.version, self.run_id)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.metric for row in self.rows))

    def rows_of(self, metric: str) -> tuple[RegressionRow, ...]:
        return tuple(row for row in self.rows if row.metric == metric)

    def headline_of(self, metric: str) -> RegressionRow:
        return self.rows_of(metric)[0]

    @property
    def headline(self) -> RegressionRow:
        """The first metric's headline row."""
        return self.rows[0]

    @property
    def detected_at(self) -> datetime:
        return self.headline.detected_at

    @property
    def series(self) -> tuple[tuple[str, str], ...]:
        """What a recovery is matched on: the same model and metric, for each metric."""
        return tuple((self.model, metric) for metric in self.metrics)

    def metric_event_ids(self) -> dict[str, str]:
        """metric -> the per-metric event id of the same comparison (before grouping by cause)."""
        return {
            metric: metric_event_id(self.model, self.previous_version, self.version, metric)
            for metric in self.metrics
        }

    def affected(self, metric: str | None = None) -> str:
        """`all countries, JP/ja, US/en`: the affected rows of one metric (or of all) in order."""
        rows = self.rows if metric is None else self.rows_of(metric)
        return ", ".join(dict.fromkeys(row_label(row) for row in rows))

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
    """Metric by metric (the rule's order), each headline first (the version mean, else the
    worst/best row), then worst (best) first."""
    sign = 1.0 if direction == "regression" else -1.0
    order = _metric_order()

    def key(row: RegressionRow) -> tuple[object, ...]:
        missing = row.difference is None
        return (
            order.get(row.metric, len(order)),
            row.metric,
            not row.is_version_mean,
            missing,
            0.0 if missing else sign * row.difference,
            row_label(row),
        )

    return tuple(sorted(rows, key=key))


def group_events(rows: list[RegressionRow]) -> list[RegressionEvent]:
    """One regression event per cause (model, previous_version, version, run_id) with a regression,
    and one improvement event per cause with improvements of metrics it did not regress on, in
    detection order."""
    causes: dict[tuple[str, str, str, str | None], list[RegressionRow]] = {}
    for row in rows:
        if row.is_comparable and row.direction in ("regression", "improvement"):
            causes.setdefault((row.model, row.previous_version, row.version, row.run_id), []).append(row)
    events = []
    for (model, previous_version, version, run_id), cause_rows in causes.items():
        regressed = [row for row in cause_rows if row.direction == "regression"]
        worse_metrics = {row.metric for row in regressed}
        improved = [
            row for row in cause_rows if row.direction == "improvement" and row.metric not in worse_metrics
        ]
        previous_run_id = cause_rows[0].previous_run_id
        for direction, chosen in (("regression", regressed), ("improvement", improved)):
            if chosen:
                events.append(
                    RegressionEvent(
                        model,
                        previous_version,
                        version,
                        run_id,
                        previous_run_id,
                        direction,  # type: ignore[arg-type]
                        _order(direction, chosen),  # type: ignore[arg-type]
                    )
                )
    return sorted(
        events, key=lambda event: (event.detected_at, event.event_id, event.direction != "regression")
    )
