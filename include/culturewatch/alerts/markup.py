"""An alert worded for Slack (mrkdwn) and for e-mail (HTML), every interpolated value escaped.

Slack: `&`, `<`, `>` as entities and values in inline code, so `*_~` cannot format and
`<!channel>` cannot ping; links only as `<url|text>` built here. HTML: `html.escape` on every
value, links only http(s). The headline row's figures come first, then (when more than one row is
affected) one line or table row per affected country and prompt language.
"""

from __future__ import annotations

import html

from culturewatch.alerts.events import row_label
from culturewatch.alerts.messages import Alert, figures, headline, row_figures, title, where
from culturewatch.alerts.regressions import RegressionRow

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


def slack_payload(alert: Alert) -> dict[str, object]:
    event = alert.event
    top = event.headline
    icon = ":rotating_light:" if alert.kind == "regression" else ":white_check_mark:"
    country, language = where(top)
    lines = [
        f"{icon} *culturewatch {title(alert)}*: {slack_code(event.model)} "
        f"{slack_code(event.previous_version)} → {slack_code(event.version)}",
        f"metric {slack_code(event.metric)} · {len(event.rows)} affected · country {slack_code(country)} "
        f"· language {slack_code(language)}",
        " · ".join(f"{name} {slack_code(value)}" for name, value in figures(top)),
    ]
    if len(event.rows) > 1:
        lines.append("affected (country/language):")
        for row in event.rows[:SLACK_ROWS]:
            values = " · ".join(f"{name} {slack_code(value)}" for name, value in row_figures(row))
            lines.append(f"• {_slack_where(row)}: {values}")
        if len(event.rows) > SLACK_ROWS:
            lines.append(
                f"… and {len(event.rows) - SLACK_ROWS} more (the e-mail and the JSON webhook list all)"
            )
    if alert.owners:
        lines.append("owners: " + ", ".join(slack_code(owner) for owner in alert.owners))
    links = [
        _slack_link(alert.run_url, f"probe run of {event.version}"),
        _slack_link(alert.previous_run_url, f"probe run of {event.previous_version}"),
    ]
    if any(links):
        lines.append(" · ".join(link for link in links if link))
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


def _affected_table(alert: Alert) -> str:
    rows = alert.event.rows
    if len(rows) < 2:
        return ""
    e = html.escape
    names = [name for name, _ in row_figures(rows[0])]
    head = "".join(f"<th>{name}</th>" for name in ["country", "language", *names])
    body = "".join(
        "<tr>"
        + "".join(f"<td>{e(value)}</td>" for value in (*where(row), *(v for _, v in row_figures(row))))
        + "</tr>"
        for row in rows
    )
    return f"<h4>affected ({len(rows)})</h4><table border='1' cellpadding='3'><tr>{head}</tr>{body}</table>"


def email_html(alert: Alert) -> str:
    event = alert.event
    top = event.headline
    country, language = where(top)
    e = html.escape
    rows = [
        ("model", e(event.model)),
        ("versions", f"{e(event.previous_version)} &rarr; {e(event.version)}"),
        ("metric", e(event.metric)),
        ("affected", e(f"{len(event.rows)}: {event.affected()}")),
        ("country", e(country)),
        ("language", e(language)),
        *((name, e(value)) for name, value in figures(top)),
        ("owners", e(", ".join(alert.owners)) or "&ndash;"),
        ("run", _link(alert.run_url, str(event.run_id))),
        ("previous run", _link(alert.previous_run_url, str(event.previous_run_id))),
        ("alert id", e(alert.alert_id)),
    ]
    body = "".join(f"<tr><th align='left'>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return (
        f"<html><body><h3>{e(headline(alert))}</h3><table>{body}</table>"
        f"{_affected_table(alert)}</body></html>"
    )
