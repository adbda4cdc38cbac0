"""Regression alerts delivered for real to a local HTTP receiver (Slack-compatible and JSON
webhooks) and a local SMTP server (aiosmtpd): one per cause (a probe run of a new version compared
with the previous one: every regressed metric, every affected country and language listed) and
channel, never twice, each saying which direction is better, the absolute and relative change with
its interval, what the metric means, where to look and how to ack or mute, escaped for each medium,
routed per model, muted or acknowledged by ops."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from culturewatch.alerts.channels import AlertsConfig
from culturewatch.alerts.events import RegressionEvent, event_id, group_events, metric_event_id
from culturewatch.alerts.ledger import read_ledger
from culturewatch.alerts.messages import Alert
from culturewatch.alerts.outbox import plan_alerts
from culturewatch.cli import main
from culturewatch.errors import CulturewatchError
from culturewatch.marts import RegressionRow
from culturewatch.settings import DataPaths
from tests.alert_receivers import SmtpReceiver, WebhookReceiver, regression_row, write_regressions
from tests.published import handmade_build

UI = "http://airflow.example:8080"


def deliver(alert: Alert, config: AlertsConfig, paths: DataPaths) -> list[str]:
    """The Airflow notifiers' delivery, imported when first used: importing Airflow while tests
    are collected would configure it before the DAG tests point it at their own home."""
    from culturewatch.orchestration.alert_notifiers import deliver as deliver_with_notifiers

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


def alert_id(kind: str = "regression", version: str = "v2", run_id: str | None = None, **key: str) -> str:
    """The id of the alert on the cause (qwen, v1, v2, probe run qwen--<version>--abc) unless told
    otherwise."""
    model, previous = key.get("model", "qwen"), key.get("previous_version", "v1")
    return f"{kind}:{event_id(model, previous, version, run_id or f'qwen--{version}--abc')}"


SPA_RUN = "qwen--v2--spa"


def pair_rows() -> list[dict[str, object]]:
    """One cause (the VSM probe run of v2): deviation_ratio_aligned regressed in JP/ja and US/en
    plus its version mean, deviation_ratio_english in US/en (the same US answers, an unstable ratio
    over other dimensions); a second cause (v2's CultureSPA run): cas_aware (language only); and two
    rows that are no event."""
    return [
        regression_row(),
        regression_row(regression_id="rid-1us", country="US", prompt_language="en", difference=-0.4),
        regression_row(
            regression_id="rid-1all",
            country=None,
            prompt_language=None,
            value_before=0.8,
            value_after=0.7,
            difference=-0.1,
            ci_low=-0.16,
            ci_high=-0.06,
            q_value=0.01,
            n_before=2,
            n_after=2,
            n_unit="countries",
        ),
        regression_row(
            regression_id="rid-1en",
            metric="deviation_ratio_english",
            country="US",
            prompt_language="en",
            value_before=2.0,
            value_after=1.5,
            difference=-0.5,
            ci_low=-0.6,
            ci_high=-0.4,
            q_value=0.00012345,
            is_unstable=True,
        ),
        regression_row(
            regression_id="rid-2",
            run_id=SPA_RUN,
            country=None,
            prompt_language="en",
            metric="cas_aware",
            value_before=80.0,
            value_after=70.0,
            difference=-10.0,
            ci_low=-12.5,
            ci_high=-7.25,
            n_before=259,
            n_after=258,
            n_unit="questions",
            coverage_differs=True,
        ),
        regression_row(regression_id="rid-3", is_comparable=False, not_comparable_reason="parser changed"),
        regression_row(regression_id="rid-4", country="BD", prompt_language="bn", direction="no_change"),
    ]


def test_one_alert_per_cause_and_channel_never_twice(paths, receivers) -> None:
    http, smtp = receivers
    write_regressions(
        paths, pair_rows(), dag_runs={"qwen--v2--abc": "manual__2026-03-01", "qwen--v1--abc": None}
    )
    config = alerts_config()
    sent = send_all(config, paths)
    # one cause, two metrics: one alert; the CultureSPA run is another cause
    assert [alert.alert_id for alert in sent] == [alert_id(), alert_id(run_id=SPA_RUN)]
    assert sent[0].event.metrics == ("deviation_ratio_aligned", "deviation_ratio_english")
    assert len(http.to("/slack")) == len(http.to("/hook")) == len(smtp.mails) == 2
    assert re.fullmatch(r"regression:[0-9a-f]{16}", sent[0].alert_id)

    slack = http.to("/slack")[0].json()
    assert slack["channel"] == "#culture"
    text = slack["text"]
    view = (
        f"{UI}/culturewatch/alignment?model=qwen&amp;version=v2&amp;compare=v1"
        "&amp;metric=deviation_ratio_aligned#compare"
    )
    for expected in (
        "`qwen` `v1` → `v2` (probe run `qwen--v2--abc`) · 2 metric(s), 4 affected row(s)",
        # direction and meaning of each metric, from config/metrics.yaml
        "*`deviation_ratio_aligned`* Deviation ratio, higher is better: How far the country's Hofstede",
        "(slice: instrument vsm2013, setting aligned, strategy aware, style classification, variant base; "
        "threshold 0.050, alpha 0.05)",
        # absolute and relative change with its interval, at the metric's precision (3 decimals)
        "all countries: before `0.800` · after `0.700` · change `-0.100 (-12.5%)` · "
        "95% interval `[-0.160, -0.060] ([-20.0%, -7.5%])` · q `0.01` · over `2 countries`",
        "• `US`/`en`: before `0.820` · after `0.610` · change `-0.400 (-48.8%)`",
        "• `JP`/`ja`: before `0.820` · after `0.610` · change `-0.210 (-25.6%)` · "
        "95% interval `[-0.300, -0.120] ([-36.6%, -14.6%])` · q `0.004` · over `6 dimensions`",
        "*`deviation_ratio_english`* Deviation ratio, higher is better",
        "`US`/`en`: before `2.000` · after `1.500` · change `-0.500 (-25.0%)` · "
        "95% interval `[-0.600, -0.400] ([-30.0%, -20.0%])` · q `0.00012` · over `6 dimensions` "
        "_(unstable ratio: a denominator under 5 score points",
        f"<{view}|Alignment view: v1 → v2>",
        # a run probed under Airflow links to its DAG run; one probed outside it to the view's run page
        f"<{UI}/dags/culturewatch_probe/runs/manual__2026-03-01|probe run of v2>",
        f"<{UI}/culturewatch/alignment/run?run_id=qwen--v1--abc|probe run of v1>",
        f"ack: `culturewatch alerts ack {alert_id()} --by &lt;you&gt;` · "
        'mute: `culturewatch alerts mute qwen --for 1d --by &lt;you&gt; --reason "&lt;why&gt;"`',
        "`alice@example.org`",
    ):
        assert expected in text, expected
    assert text.index("`US`/`en`") < text.index("`JP`/`ja`")  # worst first after the headline
    assert "BD" not in text and "rid-3" not in text  # no_change and not comparable rows are no event
    cas = http.to("/slack")[1].json()["text"]
    assert "Cultural alignment score, higher is better" in cas
    assert "change `-10.00 (-12.5%)` · 95% interval `[-12.50, -7.25] ([-15.6%, -9.1%])`" in cas  # 2 decimals
    assert "over `259 -&gt; 258 questions` _(coverage differs between the versions" in cas

    hook = http.to("/hook")[0]
    assert hook.headers["Idempotency-Key"] == alert_id()
    document = hook.json()
    assert (document["kind"], document["model"], document["previous_version"], document["version"]) == (
        "regression",
        "qwen",
        "v1",
        "v2",
    )
    assert document["event_id"] == alert_id().split(":")[1] and document["run_id"] == "qwen--v2--abc"
    aligned, english = document["metrics"]
    assert (aligned["metric"], aligned["direction"], aligned["label"]) == (
        "deviation_ratio_aligned",
        "higher",
        "Deviation ratio",
    )
    assert aligned["meaning"].startswith("How far the country's Hofstede scores")
    assert [(row["country"], row["prompt_language"]) for row in aligned["affected"]] == [
        (None, None),
        ("US", "en"),
        ("JP", "ja"),
    ]
    jp = aligned["affected"][2]
    assert (jp["value_before"], jp["value_after"], jp["difference"], jp["ci_low"], jp["ci_high"]) == (
        0.82,
        0.61,
        -0.21,
        -0.30,
        -0.12,
    )
    assert jp["relative_change"] == pytest.approx(-0.21 / 0.82)
    assert jp["relative_ci_low"] == pytest.approx(-0.30 / 0.82)
    assert (jp["q_value"], jp["regression_id"], jp["n_before"], jp["n_unit"]) == (
        0.004,
        "rid-1",
        6,
        "dimensions",
    )
    assert jp["display"]["change"] == "-0.210 (-25.6%)"  # the very text the other channels print
    assert aligned["headline"]["regression_id"] == "rid-1all"
    assert english["affected"][0]["is_unstable"] is True and english["affected"][0]["notes"]
    assert document["run_url"] == f"{UI}/dags/culturewatch_probe/runs/manual__2026-03-01"
    assert document["previous_run_url"] == f"{UI}/culturewatch/alignment/run?run_id=qwen--v1--abc"
    assert document["view_url"] == view.replace("&amp;", "&")
    assert document["ack_command"] == f"culturewatch alerts ack {alert_id()} --by <you>"
    assert http.to("/hook")[1].json()["metrics"][0]["affected"][0]["prompt_language"] == "en"

    mail = smtp.mails[0]
    assert sorted(mail.recipients) == ["alice@example.org", "ops@example.org"]  # owners with an address
    assert mail.message["Subject"] == (
        "[culturewatch] regression: qwen v1 -> v2: deviation_ratio_aligned, deviation_ratio_english "
        "(all countries, US/en, JP/ja)"
    )
    assert smtp.mails[1].message["Subject"] == "[culturewatch] regression: qwen v1 -> v2: cas_aware (all/en)"
    assert mail.message["X-Culturewatch-Alert-Id"] == alert_id()
    html = mail.html()
    assert f'href="{UI}/dags/culturewatch_probe/runs/manual__2026-03-01"' in html
    assert f'href="{view}"' in html
    assert "<h4>deviation_ratio_aligned: Deviation ratio, higher is better</h4>" in html
    assert (
        "<td>JP</td><td>ja</td><td>0.820</td><td>0.610</td><td>-0.210 (-25.6%)</td>"
        "<td>[-0.300, -0.120] ([-36.6%, -14.6%])</td><td>0.004</td><td>6 dimensions</td>" in html
    )
    assert f"<code>culturewatch alerts ack {alert_id()} --by &lt;you&gt;</code>" in html

    # a re-run of the DAG plans nothing; a retried send task sends nothing
    assert send_all(config, paths) == []
    assert deliver(sent[0], config, paths) == []
    assert len(http.posts) == 4 and len(smtp.mails) == 2
    ledger = read_ledger(paths)
    assert sorted((row["alert_id"], row["channel"]) for row in ledger) == sorted(
        (alert, channel)
        for alert in (alert_id(), alert_id(run_id=SPA_RUN))
        for channel in ("slack", "email", "webhook")
    )
    email_row = next(row for row in ledger if row["alert_id"] == alert_id() and row["channel"] == "email")
    assert email_row["detail"] == (
        "affected: all countries, US/en, JP/ja | to: ops@example.org, alice@example.org"
    )
    assert email_row["metric"] == "deviation_ratio_aligned, deviation_ratio_english"


def test_alerts_sent_under_per_metric_ids_are_not_sent_again_after_the_upgrade(paths, receivers) -> None:
    """Before alerts were grouped by cause, each metric of a version pair was its own alert
    (`metric_event_id`); a cause whose every metric went out that way is not sent again."""
    from culturewatch.alerts.ledger import append_ledger

    http, _ = receivers
    config = alerts_config(slack=None, email=None)
    rows = [r for r in pair_rows() if r["run_id"] == "qwen--v2--abc" and r["direction"] == "regression"]
    write_regressions(paths, [r for r in rows if r["is_comparable"]])
    old = {
        metric: f"regression:{metric_event_id('qwen', 'v1', 'v2', metric)}"
        for metric in ("deviation_ratio_aligned", "deviation_ratio_english")
    }
    ledger_row = {
        "kind": "regression", "regression_id": "x", "channel": "webhook", "status": "sent",
        "model": "qwen", "previous_version": "v1", "version": "v2", "country": None,
        "prompt_language": None, "recorded_at": datetime(2026, 3, 2, tzinfo=UTC), "detail": None,
    }  # fmt: skip
    append_ledger(paths, [{**ledger_row, "alert_id": old["deviation_ratio_aligned"], "metric": "x"}])
    # only one of its metrics went out under the old ids: the cause is still due
    assert [alert.alert_id for alert in plan_alerts(config, paths).to_send] == [alert_id()]
    append_ledger(paths, [{**ledger_row, "alert_id": old["deviation_ratio_english"], "metric": "x"}])
    assert plan_alerts(config, paths).to_send == []
    assert http.posts == []


def test_an_event_is_not_sent_again_when_a_rebuild_changes_its_rows(paths, receivers) -> None:
    """The id is the event key's: new affected rows of an alerted pair go to the mart and the
    dashboard, not out again; a new version pair is a new event."""
    http, _ = receivers
    config = alerts_config(slack=None, email=None)
    write_regressions(paths, [regression_row()])
    [first] = send_all(config, paths)
    grown = [regression_row(difference=-0.5), regression_row(regression_id="rid-9", country="US")]
    write_regressions(paths, grown)
    assert send_all(config, paths) == []
    next_pair = regression_row(
        regression_id="rid-10", previous_version="v2", version="v3", run_id="qwen--v3--abc"
    )
    write_regressions(paths, [*grown, next_pair])
    assert [alert.alert_id for alert in send_all(config, paths)] == [
        alert_id(version="v3", previous_version="v2")
    ]
    assert first.alert_id == alert_id() and len(http.to("/hook")) == 2


def test_events_group_a_cause_metric_by_metric_headline_first() -> None:
    rows = [
        RegressionRow(**row)
        for row in (
            regression_row(),
            regression_row(regression_id="b", country="US", difference=-0.4),
            regression_row(regression_id="c", country="BD", direction="improvement", difference=0.3),
            regression_row(regression_id="d", metric="cas_aware", direction="improvement", difference=0.1),
            regression_row(
                regression_id="e", metric="cas_aware", country="US", direction="improvement", difference=0.25
            ),
            regression_row(regression_id="f", version="v3", direction="no_change"),
            regression_row(regression_id="g", metric="deviation_ratio_english", difference=-0.3),
        )
    ]
    worse, improved = group_events(rows)
    # a cause that regresses somewhere is a regression event of its regression rows, every metric,
    # in the rule's order, each worst first (an improvement of a regressed metric is left out)
    assert worse.direction == "regression"
    assert worse.metrics == ("deviation_ratio_aligned", "deviation_ratio_english")
    assert [row.regression_id for row in worse.rows] == ["b", "rid-1", "g"]
    assert worse.headline.country == "US" and worse.affected() == "US/ja, JP/ja"
    assert worse.affected("deviation_ratio_english") == "JP/ja"
    # its improvements of metrics it did not regress on: an improvement event of the same cause
    assert (improved.direction, improved.metrics, improved.headline.regression_id) == (
        "improvement",
        ("cas_aware",),
        "e",  # the largest
    )
    assert worse.event_id == event_id("qwen", "v1", "v2", "qwen--v2--abc") == improved.event_id
    assert worse.metric_event_ids()["deviation_ratio_english"] == metric_event_id(
        "qwen", "v1", "v2", "deviation_ratio_english"
    )
    assert RegressionEvent.from_dict(json.loads(json.dumps(worse.to_dict()))) == worse


def test_a_failed_channel_is_retried_alone(paths, receivers) -> None:
    http, smtp = receivers
    write_regressions(paths, [regression_row()])
    config = alerts_config()
    [alert] = plan_alerts(config, paths).to_send
    http.fail_next["/hook"] = 1
    with pytest.raises(CulturewatchError, match=r"not delivered on: webhook: .*HTTP 500"):
        deliver(alert, config, paths)
    assert (len(http.to("/slack")), len(http.to("/hook")), len(smtp.mails)) == (1, 0, 1)
    [again] = plan_alerts(config, paths).to_send  # still due on the webhook
    assert again.alert_id == alert.alert_id
    assert deliver(again, config, paths) == ["webhook"]
    assert (len(http.to("/slack")), len(http.to("/hook")), len(smtp.mails)) == (1, 1, 1)


def test_text_from_models_is_escaped_for_each_medium(paths, receivers) -> None:
    http, smtp = receivers
    evil = "qwen<!channel> *bold* & `tick` {{ var.value.secret }}\r\nBcc: thief@example.org"
    write_regressions(
        paths,
        [
            regression_row(model=evil, version="<b>v2</b>"),
            regression_row(model=evil, version="<b>v2</b>", regression_id="rid-x", country="<i>X</i>"),
        ],
    )
    send_all(alerts_config(), paths)

    slack = http.to("/slack")[0].json()["text"]
    assert "<!channel>" not in slack and "&lt;!channel&gt;" in slack
    assert "<b>" not in slack and "&lt;b&gt;v2&lt;/b&gt;" in slack
    assert "<i>" not in slack and "`&lt;i&gt;X&lt;/i&gt;`/`ja`" in slack  # an affected row's country
    assert "ˋtickˋ" in slack  # a backtick cannot end the code span early
    document = http.to("/hook")[0].json()
    assert document["model"] == evil and {row["country"] for row in document["metrics"][0]["affected"]} == {
        "<i>X</i>",
        "JP",
    }  # exact text

    [mail] = smtp.mails
    assert sorted(mail.recipients) == ["alice@example.org", "ops@example.org"]  # no Bcc injected
    assert "thief" not in str(mail.message["Bcc"]) and "\n" not in mail.message["Subject"]
    html = mail.html()
    assert "<!channel>" not in html and "&lt;!channel&gt;" in html and "&lt;b&gt;v2&lt;/b&gt;" in html
    assert "<i>" not in html and "<td>&lt;i&gt;X&lt;/i&gt;</td>" in html
    assert "{{ var.value.secret }}" in html  # never rendered as a template


def test_recovered_notice_once_per_series_after_a_regression_alert(paths, receivers) -> None:
    http, _ = receivers
    config = alerts_config(slack=None, email=None, routes=[])
    earlier = regression_row(  # an improvement before the regression is no recovery
        regression_id="rid-0",
        previous_version="v0",
        version="v1",
        direction="improvement",
        difference=0.2,
        detected_at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    regressed = [
        regression_row(),
        regression_row(regression_id="rid-1us", country="US", prompt_language="en"),
    ]
    write_regressions(paths, [earlier, *regressed])
    assert [alert.alert_id for alert in send_all(config, paths)] == [alert_id()]
    improved = regression_row(
        regression_id="rid-5",
        previous_version="v2",
        version="v3",
        run_id="qwen--v3--abc",
        country="US",
        prompt_language="en",
        direction="improvement",
        difference=0.2,
        detected_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    unrelated = regression_row(regression_id="rid-6", metric="cas_aware", direction="improvement")
    write_regressions(paths, [earlier, *regressed, improved, unrelated])
    assert [alert.alert_id for alert in send_all(config, paths)] == [
        alert_id("recovered", previous_version="v2", version="v3")
    ]
    recovered = http.to("/hook")[-1].json()
    assert recovered["kind"] == "recovered"
    assert [row["country"] for row in recovered["metrics"][0]["affected"]] == ["US"]

    better_still = {
        **improved,
        "regression_id": "rid-7",
        "previous_version": "v3",
        "version": "v4",
        "run_id": "qwen--v4--abc",
        "detected_at": datetime(2026, 5, 1, tzinfo=UTC),
    }
    write_regressions(paths, [earlier, *regressed, improved, unrelated, better_still])
    assert send_all(config, paths) == []  # the series is closed until it regresses again
    assert send_all(alerts_config(slack=None, email=None, recovered_notices=False), paths) == []
    assert len(http.to("/hook")) == 2


def test_muted_models_and_acknowledged_alerts(paths, receivers, capsys: pytest.CaptureFixture[str]) -> None:
    http, smtp = receivers
    data_dir = ["--data-dir", str(paths.root)]
    write_regressions(paths, [regression_row(), regression_row(regression_id="rid-1us", country="US")])
    config = alerts_config()

    assert (
        main([*data_dir, "alerts", "mute", "qwen", "--for", "2h", "--by", "ops", "--reason", "retraining"])
        == 0
    )
    planned = plan_alerts(config, paths)
    assert planned.to_send == [] and [alert.alert_id for alert in planned.muted] == [alert_id()]
    assert main([*data_dir, "alerts", "list"]) == 0
    listing = capsys.readouterr().out
    assert alert_id() in listing and "[muted]" in listing and "muted: qwen until" in listing
    assert "affected: JP/ja, US/ja" in listing
    assert main([*data_dir, "alerts", "unmute", "qwen"]) == 0
    assert plan_alerts(config, paths).to_send == []  # muted events are recorded, never sent later
    assert http.posts == [] and smtp.mails == []

    # an acknowledged alert is not delivered again, not even on a channel that failed
    write_regressions(
        paths,
        [regression_row(), regression_row(regression_id="rid-2", metric="cas_aware", run_id=SPA_RUN)],
    )
    http.fail_next["/slack"] = 1
    [alert] = plan_alerts(config, paths).to_send
    assert alert.alert_id == alert_id(run_id=SPA_RUN)
    with pytest.raises(CulturewatchError, match="slack"):
        deliver(alert, config, paths)
    assert main([*data_dir, "alerts", "ack", alert.alert_id, "--by", "alice"]) == 0
    planned = plan_alerts(config, paths)
    assert planned.to_send == [] and planned.acknowledged == [alert.alert_id]
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
    from culturewatch.alerts.outbox import make_alert

    def event(model: str) -> RegressionEvent:
        [only] = group_events([RegressionRow(**regression_row(model=model))])
        return only

    coder = make_alert(config, "regression", event("qwen2.5-coder-0.5b"))
    assert coder.channels == ("email",) and coder.email_to == ("ops@example.org", "coder@example.org")
    other = make_alert(config, "regression", event("llama"))
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
        ({"email": {"from_email": "nobody", "to": ["ops@example.org"]}}, "not an e-mail address"),
    ],
)
def test_bad_alert_config_is_refused_naming_the_field(change: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        alerts_config(**change)


def test_no_mart_yet_sends_nothing_and_a_broken_contract_is_an_error(paths) -> None:
    config = alerts_config()
    assert "no marts.alignment_regressions" in str(plan_alerts(config, paths).note)
    write_regressions(paths, [regression_row()])
    with handmade_build(paths) as con:
        con.execute("alter table marts.alignment_regressions drop column q_value")
    with pytest.raises(CulturewatchError, match=r"lacks contract column\(s\) \['q_value'\]"):
        plan_alerts(config, paths)
