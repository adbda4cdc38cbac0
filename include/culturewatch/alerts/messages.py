"""One alert (one regression event, or one recovery), its plain-text headline and its JSON body.

The Slack mrkdwn and e-mail HTML wordings are in `alerts.markup`. Model names, versions, metric
names and countries come from endpoints and configs that culturewatch does not control: the
e-mail subject is one printable line (no header injection) and the JSON is built by `json.dumps`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Literal
from urllib.parse import quote

from culturewatch.alerts.events import RegressionEvent, row_label
from culturewatch.alerts.regressions import RegressionRow

Kind = Literal["regression", "recovered"]
PROBE_DAG_ID = "culturewatch_probe"
SUBJECT_ROWS = 4  # affected rows named in the one-line headline; the body lists them all


def run_url(ui_url: str, run_id: str | None) -> str | None:
    """The probe DAG run of a data run in the Airflow UI (the watch triggers it as probe__<run id>)."""
    if not run_id:
        return None
    return f"{ui_url.rstrip('/')}/dags/{PROBE_DAG_ID}/runs/{quote('probe__' + run_id, safe='')}"


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
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        """`<kind>:<event id>`: derived from (model, versions, metric) only, so stable across
        retries, re-runs and rebuilds."""
        return f"{self.kind}:{self.event.event_id}"

    @property
    def label(self) -> str:
        event = self.event
        return f"{self.kind} {event.model} {event.previous_version}->{event.version} {event.metric}"

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


def number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.4g}" if value < 0 else f"{value:.4g}"


def title(alert: Alert) -> str:
    return "regression" if alert.kind == "regression" else "recovered"


def where(row: RegressionRow) -> tuple[str, str]:
    return (row.country or "all countries", row.prompt_language or "all languages")


def figures(row: RegressionRow) -> list[tuple[str, str]]:
    """The headline figures of a row, as (name, plain text)."""
    return [
        ("before", number(row.value_before)),
        ("after", number(row.value_after)),
        ("difference", number(row.difference)),
        ("interval", f"[{number(row.ci_low)}, {number(row.ci_high)}]"),
        ("q", f"{number(row.q_value)} (alpha {number(row.alpha)}; p {number(row.p_value)})"),
        ("threshold", number(row.threshold)),
    ]


def row_figures(row: RegressionRow) -> list[tuple[str, str]]:
    """The figures of one affected row in a list (threshold and alpha are the metric's)."""
    return [
        ("before", number(row.value_before)),
        ("after", number(row.value_after)),
        ("difference", number(row.difference)),
        ("interval", f"[{number(row.ci_low)}, {number(row.ci_high)}]"),
        ("q", number(row.q_value)),
    ]


def scope(event: RegressionEvent) -> str:
    """`JP, ja` for one affected row; else the first rows' labels and how many more."""
    if len(event.rows) == 1:
        return ", ".join(where(event.headline))
    labels = [row_label(row) for row in event.rows]
    more = len(labels) - SUBJECT_ROWS
    return ", ".join(labels[:SUBJECT_ROWS]) + (f" +{more} more" if more > 0 else "")


def headline(alert: Alert) -> str:
    """Plain text, one line (the e-mail subject; CR/LF and other controls removed)."""
    event = alert.event
    text = (
        f"[culturewatch] {title(alert)}: {event.model} {event.previous_version} -> {event.version}: "
        f"{event.metric} ({scope(event)})"
    )
    return "".join(ch if ch.isprintable() else " " for ch in text)


# ---------------------------------------------------------------- JSON webhook

ROW_KEYS = (
    "regression_id",
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
    "direction",
)


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _row_document(row: RegressionRow) -> dict[str, object]:
    return {key: _finite(getattr(row, key)) for key in ROW_KEYS}


def json_payload(alert: Alert) -> str:
    event = alert.event
    document = {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "event_id": event.event_id,
        "model": event.model,
        "previous_version": event.previous_version,
        "version": event.version,
        "metric": event.metric,
        "previous_run_id": event.previous_run_id,
        "run_id": event.run_id,
        "detected_at": event.detected_at.isoformat(),
        "headline": _row_document(event.headline),
        "affected": [_row_document(row) for row in event.rows],
        "owners": list(alert.owners),
        "run_url": alert.run_url,
        "previous_run_url": alert.previous_run_url,
        "summary": headline(alert),
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False, default=str)
