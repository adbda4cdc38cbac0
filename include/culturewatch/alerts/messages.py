"""One alert, and its wording for each medium, escaped for that medium.

Model names, versions and metric names come from endpoints and configs that culturewatch does
not control, so every interpolated value is escaped: Slack mrkdwn (`&`, `<`, `>` as entities,
values in inline code so `*_~` cannot format and `<!channel>` cannot ping), HTML for e-mail
(`html.escape`, links only http(s)), one line for the e-mail subject (no header injection),
and JSON built by `json.dumps` for the webhook.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from culturewatch.alerts.regressions import RegressionEvent

Kind = Literal["regression", "recovered"]
PROBE_DAG_ID = "culturewatch_probe"


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
        return f"{self.kind}:{self.event.regression_id}"

    @property
    def label(self) -> str:
        event = self.event
        return f"{self.kind} {event.model} {event.previous_version}->{event.version} {event.metric}"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["event"]["detected_at"] = self.event.detected_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Alert:
        event = dict(data["event"])  # type: ignore[call-overload]
        event["detected_at"] = datetime.fromisoformat(str(event["detected_at"]))
        fields_ = {key: value for key, value in data.items() if key != "event"}
        for key in ("channels", "owners", "email_to"):
            fields_[key] = tuple(fields_[key])  # type: ignore[arg-type]
        return cls(event=RegressionEvent(**event), **fields_)  # type: ignore[arg-type]


def number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.4g}" if value < 0 else f"{value:.4g}"


def _where(event: RegressionEvent) -> tuple[str, str]:
    return (event.country or "all countries", event.prompt_language or "all languages")


def headline(alert: Alert) -> str:
    """Plain text, one line (the e-mail subject; CR/LF and other controls removed)."""
    event = alert.event
    country, language = _where(event)
    title = "regression" if alert.kind == "regression" else "recovered"
    text = (
        f"[culturewatch] {title}: {event.model} {event.previous_version} -> {event.version}: "
        f"{event.metric} ({country}, {language})"
    )
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _figures(event: RegressionEvent) -> list[tuple[str, str]]:
    return [
        ("before", number(event.value_before)),
        ("after", number(event.value_after)),
        ("difference", number(event.difference)),
        ("interval", f"[{number(event.ci_low)}, {number(event.ci_high)}]"),
        ("q", f"{number(event.q_value)} (alpha {number(event.alpha)}; p {number(event.p_value)})"),
        ("threshold", number(event.threshold)),
    ]


# ---------------------------------------------------------------- Slack mrkdwn


def slack_escape(text: str) -> str:
    """Slack's three control characters as entities (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_code(text: object) -> str:
    """A value as inline code: escaped, and no backtick inside to end the code span early."""
    return "`" + slack_escape(str(text)).replace("`", "ˋ") + "`"


def slack_payload(alert: Alert) -> dict[str, object]:
    event = alert.event
    country, language = _where(event)
    icon = ":rotating_light:" if alert.kind == "regression" else ":white_check_mark:"
    title = "regression" if alert.kind == "regression" else "recovered"
    lines = [
        f"{icon} *culturewatch {title}*: {slack_code(event.model)} "
        f"{slack_code(event.previous_version)} → {slack_code(event.version)}",
        f"metric {slack_code(event.metric)} · country {slack_code(country)} "
        f"· language {slack_code(language)}",
        " · ".join(f"{name} {slack_code(value)}" for name, value in _figures(event)),
    ]
    if alert.owners:
        lines.append("owners: " + ", ".join(slack_code(owner) for owner in alert.owners))
    if alert.run_url:
        lines.append(f"<{slack_escape(alert.run_url)}|probe run of {slack_escape(event.version)}>")
    lines.append(f"alert {slack_code(alert.alert_id)}")
    payload: dict[str, object] = {"text": "\n".join(lines)}
    if alert.slack_channel:
        payload["channel"] = alert.slack_channel
    return payload


# ---------------------------------------------------------------- e-mail (HTML)


def _link(url: str | None, text: str) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return html.escape(text)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'


def email_html(alert: Alert) -> str:
    event = alert.event
    country, language = _where(event)
    e = html.escape
    rows = [
        ("model", e(event.model)),
        ("versions", f"{e(event.previous_version)} &rarr; {e(event.version)}"),
        ("metric", e(event.metric)),
        ("country", e(country)),
        ("language", e(language)),
        *((name, e(value)) for name, value in _figures(event)),
        ("owners", e(", ".join(alert.owners)) or "&ndash;"),
        ("run", _link(alert.run_url, str(event.run_id))),
        ("previous run", _link(alert.previous_run_url, str(event.previous_run_id))),
        ("alert id", e(alert.alert_id)),
    ]
    body = "".join(f"<tr><th align='left'>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f"<html><body><h3>{e(headline(alert))}</h3><table>{body}</table></body></html>"


# ---------------------------------------------------------------- JSON webhook


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def json_payload(alert: Alert) -> str:
    event = alert.event
    document = {
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        **{key: _finite(value) for key, value in asdict(event).items() if key != "detected_at"},
        "detected_at": event.detected_at.isoformat(),
        "owners": list(alert.owners),
        "run_url": alert.run_url,
        "previous_run_url": alert.previous_run_url,
        "summary": headline(alert),
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False, default=str)
