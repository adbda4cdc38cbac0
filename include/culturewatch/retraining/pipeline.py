"""The retraining steps, each resumable from the files of its predecessor, shared by the CLI and
the retrain DAG: start → generate → select → train → register → evaluate → promote.

Everything of one retraining lives in `<data dir>/retrain/<retrain id>/` (the id is a digest of
the config, so re-running the same config resumes it): `state.json` (MLflow run id, registry
version, probe run ids, the promotion decision), `generated_questions.jsonl`,
`generation_prompts.jsonl`, `answers.jsonl`, `sft.jsonl` (format: `sft_data`), `base_hf/`,
`adapter/`, `adapter.gguf`, `candidate/` (the adapter as downloaded from the registry, the fleet
config the candidate was watched with, the server log). A step whose output exists returns it
without redoing the work.

The candidate's version identity is the registry's, `mlflow:<registered name>/v<N>`, exactly as
the watch records it (`discovery.registry.registry_identity`), probed as `evaluation.probe_as`
(default: the base model's configured name, so base and candidate are two versions of one model in
the marts). `promote` decides only from the marts, after the candidate's own probe run is there.

Here: start → register and `run_all`; the workspace is `work`, evaluate is `evaluation`, promote is
`promote_step`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.retraining.questions import SurveyQuestion
from culturewatch.retraining.retrain_config import load_retrain_config
from culturewatch.retraining.work import (
    RetrainWork,
    base_endpoint,
    chat_client,
    chosen_countries,
    mlflow_run,
    read_jsonl,
    retrain_id_for,
    write_jsonl,
)
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)


def start(config_path: Path | str, paths: DataPaths) -> str:
    """Create (or resume) the retraining: its directory, its MLflow run with the params."""
    import mlflow

    from culturewatch.retraining.prompts import GENERATION_PROMPTS
    from culturewatch.retraining.tracking import configure

    config_path = Path(config_path)
    config = load_retrain_config(config_path)
    retrain_id = retrain_id_for(config_path)
    root = paths.root / "retrain" / retrain_id
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(config_path, root / "retrain.yaml")
    work = RetrainWork(root, config)
    if work.state().get("mlflow_run_id"):
        return retrain_id
    experiment_id = configure(paths, config.mlflow, config.base_model.name)
    training, generation, answers = config.training, config.generation, config.answers
    with mlflow.start_run(experiment_id=experiment_id, run_name=retrain_id) as run:
        mlflow.log_params(
            {
                "base_model": config.base_model.name,
                "base_version": config.base_model.version,
                "lora_rank": training.rank,
                "lora_alpha": training.alpha,
                "lora_dropout": training.dropout,
                "target_modules": ",".join(training.target_modules),
                "learning_rate": training.learning_rate,
                "steps": training.steps,
                "batch_size": training.batch_size,
                "gradient_accumulation": training.gradient_accumulation,
                "examples_per_country": config.selection.max_examples_per_country or "all",
                "questions_per_topic": generation.questions_per_topic,
                "examples_per_prompt": generation.examples_per_prompt,
                "seed_examples": generation.seed_examples,
                "countries": ",".join(chosen_countries(answers.countries)),
                "aware_strategy": answers.aware_strategy,
                "seed_generation": generation.seed,
                "seed_answers": answers.seed,
                "seed_selection": config.selection.seed,
                "seed_training": training.seed,
            }
        )
        mlflow.set_tags({"culturewatch.retrain_id": retrain_id, "culturewatch.method": "CultureSPA joint"})
        mlflow.log_artifact(str(config_path), "config")
        mlflow.log_artifact(str(GENERATION_PROMPTS), "prompts")
        work.update(mlflow_run_id=run.info.run_id, experiment_id=experiment_id)
    return retrain_id


def generate(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """Self-instruct generation per topic on the base model; filter counts logged."""
    import mlflow

    from culturewatch.instruments.loader import load_instrument
    from culturewatch.retraining.generate import generate_questions
    from culturewatch.retraining.prompts import seed_questions

    work = RetrainWork.open(paths, retrain_id)
    out = work.root / "generated_questions.jsonl"
    if out.is_file():
        return work.state()["generation"]  # type: ignore[return-value]
    seeds = seed_questions(load_instrument("wvs_culturespa"))

    async def run(base_url: str):
        async with chat_client(paths, work, base_url, work.config.base_model.version) as client:
            return await generate_questions(client, seeds, work.config.generation)

    with base_endpoint(paths, work) as base_url:
        result = asyncio.run(run(base_url))
    write_jsonl(work.root / "generation_prompts.jsonl", result.prompts)
    write_jsonl(work.root / "rejected_questions.jsonl", result.rejected)
    write_jsonl(out, [question.to_dict() for question in result.questions])
    summary = {"counts": result.counts, "by_topic": result.counts_by_topic}
    with mlflow_run(paths, work):
        mlflow.log_metrics({f"generation_{key}": value for key, value in result.counts.items()})
        mlflow.log_dict(summary, "generation/filter_counts.json")
        for name in ("generated_questions.jsonl", "generation_prompts.jsonl", "rejected_questions.jsonl"):
            mlflow.log_artifact(str(work.root / name), "generation")
    work.update(generation=summary)
    return summary


def select(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """Culture-unaware and culture-aware answers, CRQPC, the culture-joint SFT set (an MLflow
    dataset input with its digest)."""
    import mlflow
    import pandas as pd

    from culturewatch.instruments.loader import load_instrument
    from culturewatch.retraining.answers import answer_questions
    from culturewatch.retraining.selection import crqpc, rds
    from culturewatch.retraining.sft_data import sft_records

    work = RetrainWork.open(paths, retrain_id)
    sft_path = work.root / "sft.jsonl"
    if sft_path.is_file():
        return work.state()["selection"]  # type: ignore[return-value]
    instrument = load_instrument("wvs_culturespa")
    questions = [SurveyQuestion.from_dict(row) for row in read_jsonl(work.root / "generated_questions.jsonl")]
    countries = chosen_countries(work.config.answers.countries)
    spec = work.config.answers

    async def run(base_url: str):
        async with chat_client(paths, work, base_url, work.config.base_model.version) as client:
            return await answer_questions(
                client, instrument, questions, countries, spec.aware_strategy, spec.max_tokens, spec.seed
            )

    with base_endpoint(paths, work) as base_url:
        answers = asyncio.run(run(base_url))
    write_jsonl(work.root / "answers.jsonl", [answer.to_dict() for answer in answers])
    chosen = work.config.selection
    selection = crqpc(answers, chosen.max_examples_per_country, chosen.seed)
    crqpc_counts = selection.counts
    if not selection.pairs and chosen.if_empty == "rds":
        log.warning("CRQPC selected no pairs (%s); falling back to RDS as configured", crqpc_counts)
        selection = rds(answers, chosen.max_examples_per_country, chosen.seed)
    records = sft_records(instrument, questions, selection.pairs)
    if not records:
        raise CulturewatchError(
            f"CRQPC selected no pairs ({crqpc_counts}): no culture-aware answer differs from the "
            "culture-unaware one; generate more questions, ask more countries, or set selection.if_empty"
        )
    write_jsonl(sft_path, records)
    summary = {
        "method": selection.method,
        "crqpc_counts": crqpc_counts,
        "counts": selection.counts,
        "by_country": selection.counts_by_country,
    }
    with mlflow_run(paths, work):
        mlflow.set_tag("culturewatch.selection_method", selection.method)
        frame = pd.DataFrame([{**row, "messages": json.dumps(row["messages"])} for row in records])
        dataset = mlflow.data.from_pandas(frame, source=str(sft_path), name=f"culturespa-sft-{retrain_id}")
        mlflow.log_input(dataset, context="training")
        mlflow.log_metrics({f"crqpc_{key}": value for key, value in crqpc_counts.items()})
        mlflow.log_metric("selected_pairs", len(records))
        mlflow.log_dict(summary, "selection/crqpc_counts.json")
        mlflow.log_artifact(str(work.root / "answers.jsonl"), "selection")
        mlflow.log_artifact(str(sft_path), "selection")
        summary["dataset_digest"] = dataset.digest
    work.update(selection=summary)
    return summary


def summary_window(n_steps: int, window: int = 10) -> int:
    """The steps each end of a run averages in its loss reduction: 10, or half the run when it is
    shorter than two windows (overlapping ends would compare steps with themselves and give 1.0).
    Chosen here, not as `lora.loss_reduction`'s default, whose source is part of the regression
    test's adapter key (tests/e2e/regression_versions.py)."""
    return max(1, min(window, n_steps // 2))


def train(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """LoRA on the culture-joint set, loss per step to MLflow, adapter converted to GGUF. A
    diverging loss marks the MLflow run FAILED and raises (nothing gets registered)."""
    import mlflow

    from culturewatch.retraining.convert import convert_adapter
    from culturewatch.retraining.lora import (
        TrainingDiverged,
        add_lora,
        load_base,
        loss_reduction,
        save_base_hf,
        tokenize_chats,
        train_lora,
    )
    from culturewatch.retraining.sft_data import read_jsonl
    from culturewatch.serving.model_files import sha256_of

    work = RetrainWork.open(paths, retrain_id)
    gguf = work.root / "adapter.gguf"
    if gguf.is_file() and work.state().get("training"):
        return work.state()["training"]  # type: ignore[return-value]
    spec = work.config.training
    model, tokenizer = load_base(work.config.base_model, paths.models, spec)
    base_hf = save_base_hf(model, tokenizer, work.root / "base_hf", spec.save_base_weights)
    examples = tokenize_chats(read_jsonl(work.root / "sft.jsonl"), tokenizer, spec.max_length)
    model = add_lora(model, spec)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with mlflow_run(paths, work):
        try:
            result = train_lora(
                model,
                examples,
                spec,
                pad_id,
                on_step=lambda step, loss: mlflow.log_metric("loss", loss, step=step),
            )
        except TrainingDiverged as exc:
            mlflow.set_tags({"culturewatch.failure": str(exc)})
            work.update(failed=str(exc))
            raise
        window = summary_window(len(result.losses))
        reduction = loss_reduction(result.losses, window)
        model.save_pretrained(work.root / "adapter")
        convert_adapter(work.root / "adapter", base_hf, gguf, paths)
        summary = {
            "examples": len(examples),
            "tokens": result.tokens,
            "seconds": round(result.seconds, 1),
            "tokens_per_second": round(result.tokens_per_second, 1),
            "loss_window": window,
            "loss_first": sum(result.losses[:window]) / window,
            "loss_last": sum(result.losses[-window:]) / window,
            "loss_reduction": reduction,
            "adapter_gguf_sha256": sha256_of(gguf),
        }
        mlflow.log_metrics(
            {
                key: float(summary[key])
                for key in ("tokens_per_second", "seconds", "loss_reduction", "examples")
            }
        )
        mlflow.log_artifact(str(gguf), "adapter_gguf")
    work.update(training=summary)
    return summary


def register(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """The adapter as a logged model and a registry version with alias `candidate`."""
    from culturewatch.retraining.registry import log_and_register
    from culturewatch.retraining.tracking import registered_model_name

    work = RetrainWork.open(paths, retrain_id)
    state = work.state()
    if state.get("registered"):
        return state["registered"]  # type: ignore[return-value]
    if state.get("failed") or not state.get("training"):
        raise CulturewatchError(f"retraining {retrain_id} has no trained adapter to register")
    name = registered_model_name(work.config.mlflow, work.config.base_model.name)
    training = state["training"]
    tags = {
        "base_model": work.config.base_model.name,
        "base_version": work.config.base_model.version,
        "adapter_gguf_sha256": str(training["adapter_gguf_sha256"]),  # type: ignore[index]
        "retrain_id": retrain_id,
    }
    with mlflow_run(paths, work):
        registered = log_and_register(
            work.root / "adapter",
            work.root / "adapter.gguf",
            name,
            {"base_model": work.config.base_model.model_dump(mode="json")},
            tags,
        )
    from culturewatch.discovery.registry import registry_identity
    from culturewatch.retraining.candidate_server import probe_as

    summary = {
        "name": registered.name,
        "version": registered.version,
        "model_uri": registered.model_uri,
        # the version identity the watch records for this registry version, and the model it is
        # probed as: what the candidate's rows carry in raw and the marts
        "model_version": registry_identity(registered.name, registered.version),
        "probe_as": probe_as(work.config),
    }
    work.update(registered=summary)
    return summary


def run_all(config_path: Path | str, paths: DataPaths, evaluate_candidate: bool = True) -> dict[str, object]:
    """Every step in order (the CLI); returns the final state."""
    retrain_id = start(config_path, paths)
    generate(paths, retrain_id)
    select(paths, retrain_id)
    train(paths, retrain_id)
    register(paths, retrain_id)
    if evaluate_candidate:
        from culturewatch.retraining.evaluation import evaluate
        from culturewatch.retraining.promote_step import promote
        from culturewatch.retraining.promotion import NotProbedYet

        evaluate(paths, retrain_id)
        try:
            promote(paths, retrain_id)
        except NotProbedYet as exc:  # e.g. a quarantined run: the promote DAG decides after a re-probe
            log.warning("retraining %s: promotion waits: %s", retrain_id, exc)
            RetrainWork.open(paths, retrain_id).update(promotion_waiting=str(exc))
    return {"retrain_id": retrain_id, **RetrainWork.open(paths, retrain_id).state()}
