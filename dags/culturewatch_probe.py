"""Probe every configured model version (or one) with the active instrument: one mapped task per
(model version × prompt language) in its endpoint's lane, the raw data-quality gate, then the
raw-responses Asset. The DAG's documentation and task bodies: culturewatch.orchestration.probe_tasks."""

from __future__ import annotations

from airflow.sdk import TriggerRule, dag, task

from culturewatch.orchestration import probe_tasks as probe
from culturewatch.orchestration.assets import RAW_RESPONSES
from culturewatch.orchestration.dag_args import dag_args
from culturewatch.orchestration.quality_notifier import DataQualityFailedNotifier


@dag(**dag_args(probe, "probe", schedule=None, params=probe.params()))
def culturewatch_probe():
    planned = task(probe.plan)()
    done = probe.ask_in_lanes(planned)  # `ask`, and `ask_<pool>` per pool of the fleet config
    # also after a failed probe (retries exhausted): its partial run is quarantined, never published
    # (ALL_DONE, not ALL_DONE_MIN_ONE_SUCCESS: a lane with no specs is skipped, which that rule
    # propagates)
    verdicts = task(trigger_rule=TriggerRule.ALL_DONE)(probe.validate_raw)(planned)
    published = task(outlets=[RAW_RESPONSES], trigger_rule=TriggerRule.NONE_FAILED)(probe.publish)(planned)
    done >> verdicts >> published
    done >> published
    notify = DataQualityFailedNotifier(config="{{ params.config }}")
    task(retries=0, on_failure_callback=notify)(probe.raw_quality_gate)(verdicts)
    done >> task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)(probe.explain_failure)(planned)


culturewatch_probe()
