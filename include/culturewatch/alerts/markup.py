"""An alert worded for Slack (mrkdwn) and for e-mail (HTML), every interpolated value escaped.

Slack: `&`, `<`, `>` as entities and values in inline code, so `*_~` cannot format and
`<!channel>` cannot ping; links only as `<url|text>` built here. HTML: `html.escape` on every
value, links only http(s). The wording and the numbers are `alerts.messages`' (the same in every
channel): per metric its direction and meaning, then its headline row and its affected rows, then
the links and the ack/mute commands.
"""

from __future__ import annotations

import html

from culturewatch.alerts.events import row_label
from culturewatch.alerts.messages import (
    Alert,
    ack_command,
    headline,
    metric_text,
    mute_command,
    notes,
    row_figures,
    rule_text,
    title,
)
from culturewatch.marts import RegressionRow

SLACK_ROWS = 40  # affected rows listed in a Slack message; the e-mail and the JSON list all


# ---------------------------------------------------------------- Slack mrkdwn


def slack_escape(text: str) -> str:
    """Slack's three control characters as entities (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_code(text: object) -> str:
    """A value as inline code: escaped, and no backtick inside to end the code span early."""
    return "`" + slack_escape(str(text)).replace("`", "ˋ") + "`"


def _slack_where(row: RegressionRow) -> str:
    if row.is_version_mean:
        return row_label(row)
    return f"{slack_code(row.country or 'all')}/{slack_code(row.prompt_language or 'all')}"


def _slack_link(url: str | None, text: str) -> str | None:
    if not url or not url.startswith(("http://", "https://")):
        return None
    return f"<{slack_escape(url).replace('|', '%7C')}|{slack_escape(text)}>"


def _slack_row(row: RegressionRow, info) -> str:
    values = " · ".join(f"{name} {slack_code(value)}" for name, value in row_figures(row, info))
    flags = "".join(f" _({slack_escape(note)})_" for note in notes(row))
    return f"{_slack_where(row)}: {values}{flags}"


def slack_payload(alert: Alert) -> dict[str, object]:
    event = alert.event
    icon = ":rotating_light:" if alert.kind == "regression" else ":white_check_mark:"
    lines = [
        f"{icon} *culturewatch {title(alert)}*: {slack_code(event.model)} "
        f"{slack_code(event.previous_version)} → {slack_code(event.version)} "
        f"(probe run {slack_code(event.run_id or '?')}) · {len(event.metrics)} metric(s), "
        f"{len(event.rows)} affected row(s)",
    ]
    listed = 0
    for metric in event.metrics:
        text = metric_text(metric)
        rows = event.rows_of(metric)
        lines.append(
            f"*{slack_code(metric)}* {slack_escape(text.title)}: {slack_escape(text.info.meaning)} "
            f"({slack_escape(rule_text(rows[0], text))})"
        )
        for index, row in enumerate(rows):
            if listed >= SLACK_ROWS:
                break
            lines.append(("• " if index else "") + _slack_row(row, text.info))
            listed += 1
    if len(event.rows) > listed:
        lines.append(f"… and {len(event.rows) - listed} more (the e-mail and the JSON webhook list all)")
    if alert.owners:
        lines.append("owners: " + ", ".join(slack_code(owner) for owner in alert.owners))
    links = [
        _slack_link(alert.view_url, f"Alignment view: {event.previous_version} → {event.version}"),
        _slack_link(alert.run_url, f"probe run of {event.version}"),
        _slack_link(alert.previous_run_url, f"probe run of {event.previous_version}"),
    ]
    if any(links):
        lines.append(" · ".join(link for link in links if link))
    lines.append(f"ack: {slack_code(ack_command(alert))} · mute: {slack_code(mute_command(alert))}")
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


def _metric_table(alert: Alert, metric: str) -> str:
    e = html.escape
    text = metric_text(metric)
    rows = alert.event.rows_of(metric)
    names = [name for name, _ in row_figures(rows[0], text.info)]
    head = "".join(f"<th>{e(name)}</th>" for name in ["country", "language", *names, "notes"])
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{e(value)}</td>"
            for value in (
                row.country or "all countries",
                row.prompt_language or "all languages",
                *(value for _, value in row_figures(row, text.info)),
                "; ".join(notes(row)),
            )
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<h4>{e(metric)}: {e(text.title)}</h4>"
        f"<p>{e(text.info.meaning)} ({e(rule_text(rows[0], text))}; {len(rows)} affected)</p>"
        f"<table border='1' cellpadding='3'><tr>{head}</tr>{body}</table>"
    )


def email_html(alert: Alert) -> str:
    event = alert.event
    e = html.escape
    facts = [
        ("model", e(event.model)),
        ("versions", f"{e(event.previous_version)} &rarr; {e(event.version)}"),
        ("metrics", e(", ".join(event.metrics))),
        ("affected", e(f"{len(event.rows)}: {event.affected()}")),
        ("owners", e(", ".join(alert.owners)) or "&ndash;"),
        ("investigate", _link(alert.view_url, "the Alignment view, filtered to these versions")),
        ("run", _link(alert.run_url, str(event.run_id))),
        ("previous run", _link(alert.previous_run_url, str(event.previous_run_id))),
        ("acknowledge", f"<code>{e(ack_command(alert))}</code>"),
        ("mute the model", f"<code>{e(mute_command(alert))}</code>"),
        ("alert id", e(alert.alert_id)),
    ]
    body = "".join(f"<tr><th align='left'>{name}</th><td>{value}</td></tr>" for name, value in facts)
    sections = "".join(_metric_table(alert, metric) for metric in event.metrics)
    return f"<html><body><h3>{e(headline(alert))}</h3><table>{body}</table>{sections}</body></html>"
