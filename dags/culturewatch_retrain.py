"""Retrain a model with CultureSPA (Xu et al. 2025) and register the LoRA adapter in MLflow:
start, generate, select, train, register, then (param `evaluate`) evaluate the candidate. The
DAG's documentation and task bodies: culturewatch.orchestration.retrain_tasks."""

from __future__ import annotations

from airflow.sdk import dag, task

from culturewatch.orchestration import retrain_tasks as retrain
from culturewatch.orchestration.assets import RAW_RESPONSES
from culturewatch.orchestration.dag_args import dag_args


@dag(**dag_args(retrain, "retrain", "culturespa", schedule=None, params=retrain.params()))
def culturewatch_retrain():
    generated = task(retrain.generate)(task(retrain.start)())
    trained = task(retries=0)(retrain.train)(task(retrain.select)(generated))
    registered = task(retrain.register)(trained)
    evaluate = task(outlets=[RAW_RESPONSES])(retrain.evaluate)
    task.short_circuit(retrain.evaluation_wanted)() >> evaluate(registered)


culturewatch_retrain()
