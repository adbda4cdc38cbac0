"""Retrain a model with CultureSPA (Xu et al. 2025) and register the LoRA adapter in MLflow.

Manual trigger with params. `start` opens the retraining (its directory under
`$CULTUREWATCH_DATA_DIR/retrain/` and its MLflow run with the params); `generate` writes
self-instruct questions per topic (bad replies filtered, counts logged); `select` asks them
culture-unaware and culture-aware and keeps the CRQPC pairs as the culture-joint SFT set (an MLflow
dataset input); `train` fits LoRA with peft (loss per step; a diverging loss fails the run and
registers nothing) and converts the adapter to GGUF; `register` logs it as a model and registers a
version with alias `candidate`.

`evaluate` measures how the adapter moves the answer distributions (held-out seed questions),
probes the base version with the evaluation grid and gets the registered candidate probed like any
other version: on the embedded default it serves the base GGUF with the registry version's GGUF
adapter (downloaded from MLflow) through llama.cpp's OpenAI-compatible server and lets the watch
(`discovery.watch.watch_once`) find it in the registry as `mlflow:<name>/v<N>` and probe it; in
production vLLM serves the adapter (`--enable-lora`) and the fleet's `culturewatch_watch` probes it.
The task emits the raw-responses Asset, so the transform DAG builds the marts; the promotion is
decided by `culturewatch_promote` (scheduled on the marts Asset) from those marts, once the
candidate's own probe run is in them.

Params: `config` — the retraining YAML (default: the embedded default, config/retrain.yaml);
`evaluate` — also evaluate: probe base and candidate (default true; the promotion follows in
`culturewatch_promote`).
"""

from __future__ import annotations

from airflow.sdk import Param

from culturewatch.retraining.retrain_config import DEFAULT_RETRAIN_CONFIG


def params() -> dict[str, Param]:
    return {
        "config": Param(str(DEFAULT_RETRAIN_CONFIG), type="string", description="retraining YAML"),
        "evaluate": Param(True, type="boolean", description="probe base and candidate (promotion follows)"),
    }


def start(params: dict | None = None) -> str:
    from culturewatch.retraining.pipeline import start
    from culturewatch.settings import data_paths

    return start(params["config"], data_paths())


def generate(retrain_id: str) -> str:
    from culturewatch.retraining.pipeline import generate
    from culturewatch.settings import data_paths

    print(generate(data_paths(), retrain_id))
    return retrain_id


def select(retrain_id: str) -> str:
    from culturewatch.retraining.pipeline import select
    from culturewatch.settings import data_paths

    print(select(data_paths(), retrain_id))
    return retrain_id


def train(retrain_id: str) -> str:
    from culturewatch.retraining.pipeline import train
    from culturewatch.settings import data_paths

    print(train(data_paths(), retrain_id))
    return retrain_id


def register(retrain_id: str) -> dict:
    from culturewatch.retraining.pipeline import register
    from culturewatch.settings import data_paths

    return {"retrain_id": retrain_id, **register(data_paths(), retrain_id)}


def evaluation_wanted(params: dict | None = None) -> bool:
    return bool(params["evaluate"])


def evaluate(registered: dict) -> dict:
    from culturewatch.retraining.evaluation import evaluate
    from culturewatch.settings import data_paths

    # the marts are the transform DAG's (raw Asset); the decision is culturewatch_promote's
    return evaluate(data_paths(), registered["retrain_id"], build=False)
