"""Regression alerts delivered for real to a local HTTP receiver (Slack-compatible and JSON
webhooks) and a local SMTP server (aiosmtpd): one per event and channel, never twice, escaped
for each medium, routed per model, muted or acknowledged by ops."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest
from pydantic import ValidationError

from culturewatch.alerts.config import AlertsConfig
from culturewatch.alerts.ledger import read_ledger
from culturewatch.alerts.messages import Alert
from culturewatch.alerts.plan import plan_alerts
from culturewatch.cli import main
from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths
from tests.alert_receivers import SmtpReceiver, WebhookReceiver, regression_row, write_regressions

UI = "http://airflow.example:8080"


def deliver(alert: Alert, config: AlertsConfig, paths: DataPaths) -> list[str]:
    """The Airflow notifiers' delivery, imported when first used: importing Airflow while tests
    are collected would configure it before the DAG tests point it at their own home."""
    from culturewatch.alerts.notifiers import deliver as deliver_with_notifiers

    return deliver_with_notifiers(alert, config, paths)


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch):
    with WebhookReceiver() as http, SmtpReceiver() as smtp:
        monkeypatch.setenv("CW_TEST_SLACK_URL", http.url("/slack"))
        monkeypatch.setenv("CW_TEST_HOOK_URL", http.url("/hook"))
        monkeypatch.setenv("AIRFLOW_CONN_CW_TEST_SMTP", smtp.connection_json())
        yield http, smtp


def alerts_config(**overrides: object) -> AlertsConfig:
    data: dict[str, object] = {
        "slack": {"url_env": "CW_TEST_SLACK_URL", "channel": "#culture"},
        "email": {
            "smtp_conn_id": "cw_test_smtp",
            "from_email": "culturewatch@example.org",
            "to": ["ops@example.org"],
        },
        "webhook": {"url_env": "CW_TEST_HOOK_URL"},
        "routes": [{"models": ["qwen*"], "owners": ["alice@example.org", "@bob"]}],
        "airflow_ui_url": UI,
    }
    data.update(overrides)
    return AlertsConfig.model_validate(data)


def send_all(config: AlertsConfig, paths: DataPaths) -> list[Alert]:
    planned = plan_alerts(config, paths)
    for alert in planned.to_send:
        # through the XCom form, as the mapped task receives it
        deliver(Alert.from_dict(json.loads(json.dumps(alert.to_dict()))), config, paths)
    return planned.to_send


def test_one_alert_per_regression_and_channel_never_twice(paths, receivers) -> None:
    http, smtp = receivers
    write_regressions(
        paths.warehouse,
        [
            regression_row(),
            regression_row(regression_id="rid-2", country=None, prompt_language="en", metric="cas_aware"),
            regression_row(
                regression_id="rid-3", is_comparable=False, not_comparable_reason="parser changed"
            ),
            regression_row(regression_id="rid-4", direction="no_change", difference=0.001),
        ],
    )
    config = alerts_config()
    sent = send_all(config, paths)
    assert [alert.alert_id for alert in sent] == ["regression:rid-1", "regression:rid-2"]
    assert len(http.to("/slack")) == len(http.to("/hook")) == len(smtp.mails) == 2

    slack = http.to("/slack")[0].json()
    assert slack["channel"] == "#culture"
    for text in (
        "`qwen`",
        "`v1` → `v2`",
        "`deviation_ratio`",
        "`JP`",
        "`ja`",
        "before `0.82`",
        "after `0.61`",
    ):
        assert text in slack["text"], text
    assert "interval `[-0.3, -0.12]`" in slack["text"]
    assert f"<{UI}/dags/culturewatch_probe/runs/probe__qwen--v2--abc|probe run of v2>" in slack["text"]
    assert "`alice@example.org`" in slack["text"]

    hook = http.to("/hook")[1]
    assert hook.headers["Idempotency-Key"] == "regression:rid-2"
    document = hook.json()
    assert (document["kind"], document["model"], document["previous_version"], document["version"]) == (
        "regression",
        "qwen",
        "v1",
        "v2",
    )
    assert (document["country"], document["prompt_language"], document["metric"]) == (None, "en", "cas_aware")
    assert (document["value_before"], document["value_after"], document["ci_low"], document["ci_high"]) == (
        0.82,
        0.61,
        -0.30,
        -0.12,
    )
    assert document["run_url"] == f"{UI}/dags/culturewatch_probe/runs/probe__qwen--v2--abc"

    mail = smtp.mails[0]
    assert sorted(mail.recipients) == ["alice@example.org", "ops@example.org"]  # owners with an address
    assert mail.message["Subject"] == "[culturewatch] regression: qwen v1 -> v2: deviation_ratio (JP, ja)"
    assert mail.message["X-Culturewatch-Alert-Id"] == "regression:rid-1"
    assert f'href="{UI}/dags/culturewatch_probe/runs/probe__qwen--v2--abc"' in mail.html()

    # a re-run of the DAG plans nothing; a retried send task sends nothing
    assert send_all(config, paths) == []
    assert deliver(sent[0], config, paths) == []
    assert len(http.posts) == 4 and len(smtp.mails) == 2
    assert sorted((row["alert_id"], row["channel"]) for row in read_ledger(paths)) == sorted(
        (alert_id, channel)
        for alert_id in ("regression:rid-1", "regression:rid-2")
        for channel in ("slack", "email", "webhook")
    )


def test_a_failed_channel_is_retried_alone(paths, receivers) -> None:
    http, smtp = receivers
    write_regressions(paths.warehouse, [regression_row()])
    config = alerts_config()
    [alert] = plan_alerts(config, paths).to_send
    http.fail_next["/hook"] = 1
    with pytest.raises(CulturewatchError, match=r"not delivered on: webhook: .*HTTP 500"):
        deliver(alert, config, paths)
    assert (len(http.to("/slack")), len(http.to("/hook")), len(smtp.mails)) == (1, 0, 1)
    [again] = plan_alerts(config, paths).to_send  # still due on the webhook
    assert deliver(again, config, paths) == ["webhook"]
    assert (len(http.to("/slack")), len(http.to("/hook")), len(smtp.mails)) == (1, 1, 1)


def test_text_from_models_is_escaped_for_each_medium(paths, receivers) -> None:
    http, smtp = receivers
    evil = "qwen<!channel> *bold* & `tick` {{ var.value.secret }}\r\nBcc: thief@example.org"
    write_regressions(paths.warehouse, [regression_row(model=evil, version="<b>v2</b>")])
    send_all(alerts_config(), paths)

    slack = http.to("/slack")[0].json()["text"]
    assert "<!channel>" not in slack and "&lt;!channel&gt;" in slack
    assert "<b>" not in slack and "&lt;b&gt;v2&lt;/b&gt;" in slack
    assert "ˋtickˋ" in slack  # a backtick cannot end the code span early
    assert http.to("/hook")[0].json()["model"] == evil  # JSON carries the exact text

    [mail] = smtp.mails
    assert sorted(mail.recipients) == ["alice@example.org", "ops@example.org"]  # no Bcc injected
    assert "thief" not in str(mail.message["Bcc"]) and "\n" not in mail.message["Subject"]
    html = mail.html()
    assert "<!channel>" not in html and "&lt;!channel&gt;" in html and "&lt;b&gt;v2&lt;/b&gt;" in html
    assert "{{ var.value.secret }}" in html  # never rendered as a template


def test_recovered_notice_once_after_a_regression_alert(paths, receivers) -> None:
    http, _ = receivers
    config = alerts_config(slack=None, email=None, routes=[])
    write_regressions(paths.warehouse, [regression_row()])
    send_all(config, paths)
    improved = regression_row(
        regression_id="rid-5",
        previous_version="v2",
        version="v3",
        direction="improvement",
        difference=0.2,
        detected_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    unrelated = regression_row(
        regression_id="rid-6", country="US", prompt_language="en", direction="improvement"
    )
    write_regressions(paths.warehouse, [regression_row(), improved, unrelated])
    assert [alert.alert_id for alert in send_all(config, paths)] == ["recovered:rid-5"]
    assert http.to("/hook")[-1].json()["kind"] == "recovered"

    better_still = {**improved, "regression_id": "rid-7", "previous_version": "v3", "version": "v4"}
    write_regressions(paths.warehouse, [regression_row(), improved, unrelated, better_still])
    assert send_all(config, paths) == []  # the series is closed until it regresses again
    assert send_all(alerts_config(slack=None, email=None, recovered_notices=False), paths) == []


def test_muted_models_and_acknowledged_alerts(paths, receivers, capsys: pytest.CaptureFixture[str]) -> None:
    http, smtp = receivers
    data_dir = ["--data-dir", str(paths.root)]
    write_regressions(paths.warehouse, [regression_row()])
    config = alerts_config()

    assert (
        main([*data_dir, "alerts", "mute", "qwen", "--for", "2h", "--by", "ops", "--reason", "retraining"])
        == 0
    )
    planned = plan_alerts(config, paths)
    assert planned.to_send == [] and [alert.alert_id for alert in planned.muted] == ["regression:rid-1"]
    assert main([*data_dir, "alerts", "list"]) == 0
    listing = capsys.readouterr().out
    assert "regression:rid-1" in listing and "[muted]" in listing and "muted: qwen until" in listing
    assert main([*data_dir, "alerts", "unmute", "qwen"]) == 0
    assert plan_alerts(config, paths).to_send == []  # muted events are recorded, never sent later
    assert http.posts == [] and smtp.mails == []

    # an acknowledged alert is not delivered again, not even on a channel that failed
    write_regressions(
        paths.warehouse, [regression_row(), regression_row(regression_id="rid-2", metric="cas_aware")]
    )
    http.fail_next["/slack"] = 1
    [alert] = plan_alerts(config, paths).to_send
    with pytest.raises(CulturewatchError, match="slack"):
        deliver(alert, config, paths)
    assert main([*data_dir, "alerts", "ack", "regression:rid-2", "--by", "alice"]) == 0
    planned = plan_alerts(config, paths)
    assert planned.to_send == [] and planned.acknowledged == ["regression:rid-2"]
    assert main([*data_dir, "alerts", "list"]) == 0
    assert "acked by alice" in capsys.readouterr().out
    assert main([*data_dir, "alerts", "ack", "regression:nope"]) == 2
    assert "no alert 'regression:nope'" in capsys.readouterr().err
    assert main([*data_dir, "alerts", "mute", "qwen", "--for", "soon"]) == 2


def test_routing_per_model() -> None:
    config = alerts_config(
        routes=[
            {"models": ["qwen*-coder*"], "owners": ["coder@example.org"], "channels": ["email"]},
            {
                "models": ["qwen*"],
                "channels": ["slack"],
                "slack_channel": "#qwen",
                "email_to": ["q@example.org"],
            },
        ]
    )
    assert config.route_for("qwen2.5-coder-0.5b").channels == ["email"]
    assert config.route_for("qwen2.5-7b").slack_channel == "#qwen"
    assert config.route_for("llama").channels is None  # no route: every configured channel
    from culturewatch.alerts.plan import make_alert
    from culturewatch.alerts.regressions import RegressionEvent

    coder = make_alert(config, "regression", RegressionEvent(**regression_row(model="qwen2.5-coder-0.5b")))
    assert coder.channels == ("email",) and coder.email_to == ("ops@example.org", "coder@example.org")
    other = make_alert(config, "regression", RegressionEvent(**regression_row(model="llama")))
    assert other.channels == ("slack", "email", "webhook") and other.slack_channel == "#culture"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"routes": [{"models": ["x"], "channels": ["sms"]}]}, "channels"),
        (
            {"slack": None, "routes": [{"models": ["x"], "channels": ["slack"]}]},
            r"\['slack'\] are not configured",
        ),
        ({"webhook": {"url_env": "https://hooks.example/secret"}}, "must name an environment variable"),
        ({"email": {"from_email": "nobody", "to": ["ops@example.org"]}}, "not e-mail addresses"),
    ],
)
def test_bad_alert_config_is_refused_naming_the_field(change: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        alerts_config(**change)


def test_no_mart_yet_sends_nothing_and_a_broken_contract_is_an_error(paths) -> None:
    config = alerts_config()
    assert "no marts.alignment_regressions" in str(plan_alerts(config, paths).note)
    write_regressions(paths.warehouse, [regression_row()])
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("alter table marts.alignment_regressions drop column q_value")
    with pytest.raises(CulturewatchError, match=r"lacks contract column\(s\) \['q_value'\]"):
        plan_alerts(config, paths)
