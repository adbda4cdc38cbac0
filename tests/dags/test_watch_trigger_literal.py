"""The watch DAG's mapped trigger passes a model name or version holding `{{ ... }}` to the probe
run as written: its `conf` and `trigger_run_id` are data, not Jinja templates (Airflow's
TriggerDagRunOperator templates both)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jinja2 import UndefinedError

from culturewatch.orchestration.airflow_runs import PROBE_DAG, WATCH_DAG
from culturewatch.settings import PROJECT_ROOT
from tests.dags.conftest import parsed_dags

EVIL_MODEL = "qwen-{{ 6 * 7 }}"
EVIL_VERSION = "digest-{{ var.value.secret }}"


@pytest.fixture(scope="module")
def watch_dag(tmp_path_factory: pytest.TempPathFactory):
    with parsed_dags(tmp_path_factory.mktemp("data"), PROJECT_ROOT / "dags" / "culturewatch_watch.py") as bag:
        assert bag.import_errors == {}
        yield bag.get_dag(WATCH_DAG)


def trigger_kwargs() -> dict[str, object]:
    """One element of what `discover` returns (the mapped kwargs of one trigger)."""
    return {
        "trigger_run_id": f"probe__{EVIL_MODEL}--{EVIL_VERSION}",
        "conf": {"config": "/etc/fleet.yaml", "model": EVIL_MODEL, "version": EVIL_VERSION},
        "reset_dag_run": False,
        "wait_for_completion": False,
    }


def test_conf_and_run_id_are_not_template_fields(watch_dag) -> None:
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    trigger = watch_dag.get_task("probe_version")
    assert trigger.is_mapped and issubclass(trigger.operator_class, TriggerDagRunOperator)
    assert "conf" not in trigger.template_fields and "trigger_run_id" not in trigger.template_fields
    assert "trigger_dag_id" in trigger.template_fields  # the others are still templated


def test_the_unmapped_trigger_renders_conf_and_run_id_as_written(watch_dag) -> None:
    """What a worker does with one mapped trigger: unmap with its kwargs, render, execute."""
    trigger = watch_dag.get_task("probe_version").unmap(trigger_kwargs())
    trigger.render_template_fields({"ds": "2026-01-01"})
    assert trigger.conf == trigger_kwargs()["conf"]
    assert trigger.trigger_run_id == trigger_kwargs()["trigger_run_id"]
    assert trigger.trigger_dag_id == PROBE_DAG


def test_the_mapped_trigger_renders_literally_where_airflow_would_render(watch_dag) -> None:
    """Through MappedOperator.render_template_fields with parse-time mapped kwargs (which Airflow
    does render), against Airflow's own operator as the control."""
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
    from airflow.sdk import DAG

    literal_class = watch_dag.get_task("probe_version").operator_class

    def rendered(operator_class: type, kwargs: dict[str, object]) -> object:
        with DAG(dag_id=f"render_{operator_class.__name__}", schedule=None) as dag:
            mapped = operator_class.partial(task_id="t", trigger_dag_id=PROBE_DAG).expand_kwargs([kwargs])
        ti = SimpleNamespace(map_index=0, task=mapped)
        context = {"ti": ti, "dag": dag, "dag_run": SimpleNamespace(conf={}), "ds": "2026-01-01"}
        mapped.render_template_fields(context)
        return context["task"]

    # the control: Airflow's own operator renders the model name, or fails on it
    arithmetic = {**trigger_kwargs(), "trigger_run_id": "probe__x", "conf": {"model": EVIL_MODEL}}
    assert rendered(TriggerDagRunOperator, arithmetic).conf == {"model": "qwen-42"}
    with pytest.raises(UndefinedError, match="'var' is undefined"):
        rendered(TriggerDagRunOperator, trigger_kwargs())

    literal = rendered(literal_class, trigger_kwargs())
    assert literal.conf == trigger_kwargs()["conf"]
    assert literal.trigger_run_id == trigger_kwargs()["trigger_run_id"]
    assert literal.trigger_dag_id == PROBE_DAG
