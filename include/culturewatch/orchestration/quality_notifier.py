"""The Airflow notifier of the data-quality gates.

Attached as `on_failure_callback` to the gate tasks (`raw_quality_gate`, `marts_quality_gate`),
which fail with `DataQualityFailed` when a run was quarantined. It reads the quarantined runs'
verdicts from that exception (the failing expectations with their observed values and the Data
Docs link) and delivers "data quality failed" through `quality.notify`: the task log always, a
JSON webhook when $CULTUREWATCH_QUALITY_WEBHOOK_URL is set, and the Slack/webhook channels the
run configuration's `alerts:` section routes the run's model to, when `config` is given.
"""

from __future__ import annotations

from airflow.sdk import BaseNotifier


class DataQualityFailedNotifier(BaseNotifier):
    """Tell ops which runs were quarantined and why."""

    template_fields = ("config",)

    def __init__(self, config: str | None = None):
        super().__init__()
        self.config = config

    def notify(self, context) -> None:
        from culturewatch.quality.gates import DataQualityFailed
        from culturewatch.quality.notify import deliver

        error = context.get("exception")
        if not isinstance(error, DataQualityFailed):
            self.log.error("data-quality gate %s failed without verdicts: %s", context.get("ti"), error)
            return
        sent = deliver(error.verdicts, self.config or None)
        self.log.info("data quality failed: notified %s", ", ".join(sent))
