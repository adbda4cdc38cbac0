"""One alert (one regression event, or one recovery), what every channel says about it, and its JSON.

Every channel says the same things with the same numbers, formatted here once:
- per metric: its name, which direction is better and a one-line meaning (config/metrics.yaml);
- per affected row: before, after, the change in the metric's units and relative to before
  (`-73.4%`), the bootstrap interval of the change (absolute and relative), q, what the value
  averages over (`6 dimensions`, `259 -> 258 questions`) and the flags a reader needs (an unstable
  ratio, a coverage that differs between the versions);
- links: the Alignment view filtered to the model and the two versions, both probe runs (their
  Airflow DAG runs, or the view's run page for a run probed outside Airflow, culturewatch.links);
- the commands that acknowledge the alert or mute the model.
Precision is the metric's (`decimals` in metrics.yaml), q and relative changes have one format.

The Slack mrkdwn and e-mail HTML wordings are in `alerts.markup`. Model names, versions, metric
names and countries come from endpoints and configs that culturewatch does not control: the
e-mail subject is one printable line (no header injection) and the JSON is built by `json.dumps`.
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import asdict, dataclass, field
from typing import Literal

from culturewatch.alerts.events import RegressionEvent, row_label
from culturewatch.config.metrics import MetricInfo, catalog, count_text, format_share, relative_change
from culturewatch.marts import RegressionRow

Kind = Literal["regression", "recovered"]
SUBJECT_ROWS = 4  # affected rows named in the one-line headline; the body lists them all


@dataclass(frozen=True)
class Alert:
    kind: Kind
    event: RegressionEvent
    channels: tuple[str, ...]
    owners: tuple[str, ...] = ()
    email_to: tuple[str, ...] = ()
    slack_channel: str | None = None
    run_url: str | None = None
    previous_run_url: str | None = None
    view_url: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        """`<kind>:<event id>`: derived from the cause (model, versions, probe run) only, so stable
        across retries, re-runs and rebuilds."""
        return f"{self.kind}:{self.event.event_id}"

    @property
    def label(self) -> str:
        event = self.event
        return (
            f"{self.kind} {event.model} {event.previous_version}->{event.version} {', '.join(event.metrics)}"
        )

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["event"] = self.event.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Alert:
        fields_ = {key: value for key, value in data.items() if key != "event"}
        for key in ("channels", "owners", "email_to"):
            fields_[key] = tuple(fields_[key])  # type: ignore[arg-type]
        return cls(event=RegressionEvent.from_dict(data["event"]), **fields_)  # type: ignore[arg-type]


# ---------------------------------------------------------------- what a metric is


@dataclass(frozen=True)
class MetricText:
    """A regression metric as alerts name it: the rule's metric and how to read it."""

    metric: str
    info: MetricInfo
    slice: str

    @property
    def title(self) -> str:
        return f"{self.info.label}, {self.info.direction_text}"


def metric_text(metric: str) -> MetricText:
    """How to read a metric of marts.alignment_regressions (regression rule -> metrics.yaml)."""
    from culturewatch.config.regression import load_regression_config

    rules = load_regression_config().metrics
    rule = rules.get(metric)
    if rule is None:  # a mart built with another rule set: still readable, without a meaning
        info = MetricInfo(
            label=metric, direction="higher", meaning="(not in this version's regression rules)",
            unit="value", decimals=3, range=(None, None),
        )  # fmt: skip
        return MetricText(metric, info, metric)
    measures = rule.measures.model_dump(exclude_none=True)
    return MetricText(
        metric, catalog().info(rule.metric), ", ".join(f"{key} {value}" for key, value in measures.items())
    )


# ---------------------------------------------------------------- numbers, formatted once


def q_text(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.2g}"


def over_text(row: RegressionRow) -> str:
    """What the compared values average over: `6 dimensions`, `259 -> 258 questions`."""
    unit = row.n_unit or "items"
    if row.n_before == row.n_after:
        return count_text(row.n_after, unit)
    before = "?" if row.n_before is None else row.n_before
    after = "?" if row.n_after is None else row.n_after
    return f"{before} -> {after} {unit}"


def notes(row: RegressionRow) -> list[str]:
    found = []
    if row.is_unstable:
        found.append(
            "unstable ratio: a denominator under 5 score points (deviation_ratio.is_unstable), "
            "so a small change of the model's scores moves it a lot"
        )
    if row.coverage_differs:
        found.append(f"coverage differs between the versions ({over_text(row)})")
    return found


def row_figures(row: RegressionRow, info: MetricInfo) -> list[tuple[str, str]]:
    """The figures of one affected row as (name, text), the same in every channel."""
    before = row.value_before
    return [
        ("before", info.format(before)),
        ("after", info.format(row.value_after)),
        (
            "change",
            f"{info.format_change(row.difference)} ({format_share(relative_change(row.difference, before))})",
        ),
        (
            "95% interval",
            f"[{info.format_change(row.ci_low)}, {info.format_change(row.ci_high)}] "
            f"([{format_share(relative_change(row.ci_low, before))}, "
            f"{format_share(relative_change(row.ci_high, before))}])",
        ),
        ("q", q_text(row.q_value)),
        ("over", over_text(row)),
    ]


def rule_text(row: RegressionRow, text: MetricText) -> str:
    """`slice: …; threshold 0.050, alpha 0.05`: what was compared, and when a change counts."""
    threshold = "n/a" if row.threshold is None else f"{row.threshold:.{text.info.decimals}f}"
    return f"slice: {text.slice}; threshold {threshold}, alpha {q_text(row.alpha)}"


def title(alert: Alert) -> str:
    return "regression" if alert.kind == "regression" else "recovered"


def ack_command(alert: Alert) -> str:
    return f"culturewatch alerts ack {shlex.quote(alert.alert_id)} --by <you>"


def mute_command(alert: Alert) -> str:
    return f'culturewatch alerts mute {shlex.quote(alert.event.model)} --for 1d --by <you> --reason "<why>"'


def scope(event: RegressionEvent) -> str:
    """The first rows' labels and how many more (the one-line headline)."""
    labels = list(dict.fromkeys(row_label(row) for row in event.rows))
    more = len(labels) - SUBJECT_ROWS
    return ", ".join(labels[:SUBJECT_ROWS]) + (f" +{more} more" if more > 0 else "")


def headline(alert: Alert) -> str:
    """Plain text, one line (the e-mail subject; CR/LF and other controls removed)."""
    event = alert.event
    text = (
        f"[culturewatch] {title(alert)}: {event.model} {event.previous_version} -> {event.version}: "
        f"{', '.join(event.metrics)} ({scope(event)})"
    )
    return "".join(ch if ch.isprintable() else " " for ch in text)


# ---------------------------------------------------------------- JSON webhook

ROW_KEYS = (
    "regression_id",
    "metric",
    "country",
    "prompt_language",
    "value_before",
    "value_after",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "threshold",
    "alpha",
    "n_before",
    "n_after",
    "n_unit",
    "coverage_differs",
    "is_unstable",
    "direction",
)


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _row_document(row: RegressionRow, info: MetricInfo) -> dict[str, object]:
    document = {key: _finite(getattr(row, key)) for key in ROW_KEYS}
    document["relative_change"] = _finite(relative_change(row.difference, row.value_before))
    document["relative_ci_low"] = _finite(relative_change(row.ci_low, row.value_before))
    document["relative_ci_high"] = _finite(relative_change(row.ci_high, row.value_before))
    document["display"] = dict(row_figures(row, info))  # what the other channels print
    document["notes"] = notes(row)
    return document


def json_payload(alert: Alert) -> str:
    event = alert.event
    metrics = []
    for metric in event.metrics:
        text = metric_text(metric)
        rows = event.rows_of(metric)
        metrics.append(
            {
                "metric": metric,
                "label": text.info.label,
                "slice": text.slice,
                "direction": text.info.direction,
                "direction_text": text.info.direction_text,
                "meaning": text.info.meaning,
                "unit": text.info.unit,
                "rule": rule_text(rows[0], text),
                "headline": _row_document(rows[0], text.info),
                "affected": [_row_document(row, text.info) for row in rows],
            }
        )
    document = {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "event_id": event.event_id,
        "model": event.model,
        "previous_version": event.previous_version,
        "version": event.version,
        "metrics": metrics,
        "previous_run_id": event.previous_run_id,
        "run_id": event.run_id,
        "detected_at": event.detected_at.isoformat(),
        "owners": list(alert.owners),
        "view_url": alert.view_url,
        "run_url": alert.run_url,
        "previous_run_url": alert.previous_run_url,
        "ack_command": ack_command(alert),
        "mute_command": mute_command(alert),
        "summary": headline(alert),
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False, default=str)
