"""The retraining steps, each resumable from the files of its predecessor, shared by the CLI and
the retrain DAG: start → generate → select → train → register → evaluate → promote.

Everything of one retraining lives in `<data dir>/retrain/<retrain id>/` (the id is a digest of
the config, so re-running the same config resumes it): `state.json` (MLflow run id, registry
version, probe run ids), `generated_questions.jsonl`, `generation_prompts.jsonl`,
`answers.jsonl`, `sft.jsonl` (format: `sft_data`), `base_hf/`, `adapter/`, `adapter.gguf`.
A step whose output exists returns it without redoing the work.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from culturewatch.config.schema import ClientLimits, ModelEndpoint, ProbeConfig, ProbeGrid
from culturewatch.culturespa.config import RetrainConfig, load_retrain_config
from culturewatch.culturespa.questions import SurveyQuestion
from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrainWork:
    """One retraining's directory and config."""

    root: Path
    config: RetrainConfig

    @classmethod
    def open(cls, paths: DataPaths, retrain_id: str) -> RetrainWork:
        root = paths.root / "retrain" / retrain_id
        if not (root / "retrain.yaml").is_file():
            raise CulturewatchError(f"no retraining {retrain_id!r} under {root.parent}")
        return cls(root, load_retrain_config(root / "retrain.yaml"))

    @property
    def retrain_id(self) -> str:
        return self.root.name

    def state(self) -> dict[str, object]:
        path = self.root / "state.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def update(self, **values: object) -> dict[str, object]:
        state = {**self.state(), **values}
        (self.root / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
        return state


def retrain_id_for(config_path: Path) -> str:
    text = Path(config_path).read_text(encoding="utf-8")
    config = load_retrain_config(config_path)
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{config.base_model.name}--{digest}"


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    from culturewatch.culturespa.sft_data import write_jsonl

    write_jsonl(path, rows)


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    from culturewatch.culturespa.sft_data import read_jsonl

    return read_jsonl(path)


@contextmanager
def _mlflow_run(paths: DataPaths, work: RetrainWork) -> Iterator[object]:
    """The retraining's MLflow run, resumed; an exception inside marks it FAILED."""
    import mlflow

    from culturewatch.culturespa.tracking import configure

    configure(paths, work.config.mlflow, work.config.base_model.name)
    with mlflow.start_run(run_id=str(work.state()["mlflow_run_id"])) as run:
        yield run


@contextmanager
def _base_endpoint(paths: DataPaths, work: RetrainWork, port: int | None = None, lora: Path | None = None):
    """An OpenAI-compatible endpoint for the base (or base + adapter): the configured URL, or the
    GGUF served locally for the duration of the block."""
    config = work.config
    if config.endpoint.base_url is not None and lora is None:
        yield str(config.endpoint.base_url)
        return
    if config.base_model.gguf_model is None:
        raise CulturewatchError("serving locally needs `base_model.gguf_model`; set `endpoint.base_url`")
    from culturewatch.serving.llama_server import LocalModelServer
    from culturewatch.serving.model_files import assemble

    server = LocalModelServer(
        config.base_model.name,
        assemble(config.base_model.gguf_model, paths.models),
        port=port or config.endpoint.port,
        log_path=work.root / "logs" / f"model-server-{port or config.endpoint.port}.log",
        lora_path=lora,
        n_threads=config.endpoint.n_threads,
    )
    with server:
        yield server.base_url


def _client(paths: DataPaths, work: RetrainWork, base_url: str, version: str):
    from culturewatch.probing.cache import ResponseCache
    from culturewatch.probing.client import ChatClient

    endpoint = ModelEndpoint(name=work.config.base_model.name, base_url=base_url, version=version)
    limits = ClientLimits(
        concurrency=work.config.endpoint.concurrency,
        timeout_s=work.config.endpoint.timeout_s,
        max_retries=work.config.endpoint.max_retries,
    )
    return ChatClient(endpoint, limits, ResponseCache(paths.cache_db), version)


def _countries(chosen: list[str] | str) -> list[str]:
    from culturewatch.instruments.loader import load_instrument

    instrument = load_instrument("wvs_culturespa")
    return list(instrument.countries) if chosen == "all" else list(chosen)


def start(config_path: Path | str, paths: DataPaths) -> str:
    """Create (or resume) the retraining: its directory, its MLflow run with the params."""
    import mlflow

    from culturewatch.culturespa.prompts import GENERATION_PROMPTS
    from culturewatch.culturespa.tracking import configure

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
                "countries": ",".join(_countries(answers.countries)),
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

    from culturewatch.culturespa.generate import generate_questions
    from culturewatch.culturespa.prompts import seed_questions
    from culturewatch.instruments.loader import load_instrument

    work = RetrainWork.open(paths, retrain_id)
    out = work.root / "generated_questions.jsonl"
    if out.is_file():
        return work.state()["generation"]  # type: ignore[return-value]
    seeds = seed_questions(load_instrument("wvs_culturespa"))

    async def run(base_url: str):
        async with _client(paths, work, base_url, work.config.base_model.version) as client:
            return await generate_questions(client, seeds, work.config.generation)

    with _base_endpoint(paths, work) as base_url:
        result = asyncio.run(run(base_url))
    _write_jsonl(work.root / "generation_prompts.jsonl", result.prompts)
    _write_jsonl(work.root / "rejected_questions.jsonl", result.rejected)
    _write_jsonl(out, [question.to_dict() for question in result.questions])
    summary = {"counts": result.counts, "by_topic": result.counts_by_topic}
    with _mlflow_run(paths, work):
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

    from culturewatch.culturespa.answers import answer_questions
    from culturewatch.culturespa.selection import crqpc, rds
    from culturewatch.culturespa.sft_data import sft_records
    from culturewatch.instruments.loader import load_instrument

    work = RetrainWork.open(paths, retrain_id)
    sft_path = work.root / "sft.jsonl"
    if sft_path.is_file():
        return work.state()["selection"]  # type: ignore[return-value]
    instrument = load_instrument("wvs_culturespa")
    questions = [
        SurveyQuestion.from_dict(row) for row in _read_jsonl(work.root / "generated_questions.jsonl")
    ]
    countries = _countries(work.config.answers.countries)
    spec = work.config.answers

    async def run(base_url: str):
        async with _client(paths, work, base_url, work.config.base_model.version) as client:
            return await answer_questions(
                client, instrument, questions, countries, spec.aware_strategy, spec.max_tokens, spec.seed
            )

    with _base_endpoint(paths, work) as base_url:
        answers = asyncio.run(run(base_url))
    _write_jsonl(work.root / "answers.jsonl", [answer.to_dict() for answer in answers])
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
    _write_jsonl(sft_path, records)
    summary = {
        "method": selection.method,
        "crqpc_counts": crqpc_counts,
        "counts": selection.counts,
        "by_country": selection.counts_by_country,
    }
    with _mlflow_run(paths, work):
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


def train(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """LoRA on the culture-joint set, loss per step to MLflow, adapter converted to GGUF. A
    diverging loss marks the MLflow run FAILED and raises (nothing gets registered)."""
    import mlflow

    from culturewatch.culturespa.convert import convert_adapter
    from culturewatch.culturespa.lora import (
        TrainingDiverged,
        add_lora,
        load_base,
        loss_reduction,
        save_base_hf,
        tokenize_chats,
        train_lora,
    )
    from culturewatch.culturespa.sft_data import read_jsonl
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
    with _mlflow_run(paths, work):
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
        reduction = loss_reduction(result.losses)
        model.save_pretrained(work.root / "adapter")
        convert_adapter(work.root / "adapter", base_hf, gguf, paths)
        summary = {
            "examples": len(examples),
            "tokens": result.tokens,
            "seconds": round(result.seconds, 1),
            "tokens_per_second": round(result.tokens_per_second, 1),
            "loss_first10": sum(result.losses[:10]) / min(10, len(result.losses)),
            "loss_last10": sum(result.losses[-10:]) / min(10, len(result.losses)),
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
    from culturewatch.culturespa.registry import log_and_register
    from culturewatch.culturespa.tracking import registered_model_name

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
    with _mlflow_run(paths, work):
        registered = log_and_register(
            work.root / "adapter",
            work.root / "adapter.gguf",
            name,
            {"base_model": work.config.base_model.model_dump(mode="json")},
            tags,
        )
    sha = str(training["adapter_gguf_sha256"])[:8]  # type: ignore[index]
    summary = {
        "name": registered.name,
        "version": registered.version,
        "model_uri": registered.model_uri,
        "model_version": f"culturespa-v{registered.version}-{sha}",
    }
    work.update(registered=summary)
    return summary


def _eval_config(work: RetrainWork, base_url: str, version: str) -> ProbeConfig:
    spec = work.config.evaluation
    return ProbeConfig(
        models=[ModelEndpoint(name=work.config.base_model.name, base_url=base_url, version=version)],
        grid=ProbeGrid(
            instrument="wvs_culturespa",
            settings=["english"],
            countries=spec.countries,
            items=spec.items,
            strategies=list(spec.strategies),
            max_tokens=8,
        ),
        client=ClientLimits(concurrency=work.config.endpoint.concurrency, max_retries=1, batch_size=48),
    )


def _probe(paths: DataPaths, config: ProbeConfig, version: str) -> str:
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.plan import build_specs
    from culturewatch.probing.runner import run_probe

    specs = build_specs(config, load_instrument("wvs_culturespa"), {config.models[0].name: version})
    for spec in specs:
        run_probe(spec, paths)
    return specs[0].run_id


def _held_out_prompts(work: RetrainWork):
    from culturewatch.culturespa.compare import comparable_questions
    from culturewatch.culturespa.prompts import seed_questions
    from culturewatch.instruments.loader import load_instrument

    instrument = load_instrument("wvs_culturespa")
    held = comparable_questions(seed_questions(instrument))[: work.config.evaluation.held_out_questions]
    countries = _countries(work.config.evaluation.countries)[:2]
    aware = work.config.answers.aware_strategy
    return instrument, [(question, aware, country) for question in held for country in countries]


def measure_shift(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """Serve base and candidate (base + GGUF adapter) and compare their option distributions on
    held-out seed questions (never trained on: training uses generated questions)."""
    import mlflow

    from culturewatch.culturespa.compare import compare, distributions

    work = RetrainWork.open(paths, retrain_id)
    state = work.state()
    if not state.get("registered"):
        raise CulturewatchError(f"retraining {retrain_id}: register the candidate before evaluating it")
    instrument, prompts = _held_out_prompts(work)
    candidate_version = str(state["registered"]["model_version"])  # type: ignore[index]

    async def dists(base_url: str, version: str):
        async with _client(paths, work, base_url, version) as client:
            return await distributions(client, instrument, prompts)

    with _base_endpoint(paths, work) as base_url:
        base_dists = asyncio.run(dists(base_url, work.config.base_model.version))
    with _base_endpoint(
        paths, work, port=work.config.evaluation.port, lora=work.root / "adapter.gguf"
    ) as url:
        candidate_dists = asyncio.run(dists(url, candidate_version))
    shift = compare(prompts, base_dists, candidate_dists)
    with _mlflow_run(paths, work):
        mlflow.log_metrics({f"shift_{key}": float(value) for key, value in shift.summary().items()})
        mlflow.log_dict(
            {"summary": shift.summary(), "rows": shift.rows}, "evaluation/distribution_shift.json"
        )
    work.update(shift=shift.summary())
    return shift.summary()


def evaluate(paths: DataPaths, retrain_id: str, build: bool = True) -> dict[str, object]:
    """The candidate's distribution shift, then base and candidate probed with the evaluation grid
    like any model version (raw Parquet, cached calls) and the marts built."""
    import mlflow

    work = RetrainWork.open(paths, retrain_id)
    shift = work.state().get("shift") or measure_shift(paths, retrain_id)
    state = work.state()
    candidate_version = str(state["registered"]["model_version"])  # type: ignore[index]
    base_version = work.config.base_model.version
    with _base_endpoint(paths, work) as base_url:
        base_run = _probe(paths, _eval_config(work, base_url, base_version), base_version)
    with _base_endpoint(
        paths, work, port=work.config.evaluation.port, lora=work.root / "adapter.gguf"
    ) as url:
        candidate_run = _probe(paths, _eval_config(work, url, candidate_version), candidate_version)
    if build:
        from culturewatch.transform.dbt_build import build_marts

        build_marts(paths)
    with _mlflow_run(paths, work):
        mlflow.set_tags(
            {"culturewatch.base_probe_run": base_run, "culturewatch.candidate_probe_run": candidate_run}
        )
    summary = {"base_run_id": base_run, "candidate_run_id": candidate_run, "shift": shift}
    work.update(evaluation=summary)
    return summary


def promote(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """Decide from the marts (base run vs candidate run); log CAS before/after, the decision and its
    reasons; move `champion` only when the rule passes."""
    import mlflow

    from culturewatch.culturespa.promotion import cas_from_marts, decide
    from culturewatch.culturespa.registry import set_champion

    work = RetrainWork.open(paths, retrain_id)
    state = work.state()
    evaluation, registered = state.get("evaluation"), state.get("registered")
    if not evaluation or not registered:
        raise CulturewatchError(f"retraining {retrain_id}: evaluate the candidate before promoting it")
    before = cas_from_marts(paths, str(evaluation["base_run_id"]))  # type: ignore[index]
    after = cas_from_marts(paths, str(evaluation["candidate_run_id"]))  # type: ignore[index]
    decision = decide(before, after, work.config.promotion)
    with _mlflow_run(paths, work):
        for (country, strategy), cas in before.items():
            mlflow.log_metric(f"cas_before_{strategy}_{country}", cas)
        for (country, strategy), cas in after.items():
            mlflow.log_metric(f"cas_after_{strategy}_{country}", cas)
        if decision.mean_before is not None and decision.mean_after is not None:
            mlflow.log_metrics(
                {"cas_mean_before": decision.mean_before, "cas_mean_after": decision.mean_after}
            )
        mlflow.set_tags(
            {"culturewatch.promotion": "champion" if decision.promote else "rejected",
             "culturewatch.promotion_reasons": "; ".join(decision.reasons)[:5000]}
        )  # fmt: skip
        mlflow.log_dict(decision.to_dict(), "evaluation/promotion_decision.json")
    if decision.promote:
        set_champion(str(registered["name"]), str(registered["version"]))  # type: ignore[index]
    summary = decision.to_dict()
    work.update(promotion=summary)
    return summary


def run_all(config_path: Path | str, paths: DataPaths, evaluate_candidate: bool = True) -> dict[str, object]:
    """Every step in order (the CLI); returns the final state."""
    retrain_id = start(config_path, paths)
    generate(paths, retrain_id)
    select(paths, retrain_id)
    train(paths, retrain_id)
    register(paths, retrain_id)
    if evaluate_candidate:
        evaluate(paths, retrain_id)
        promote(paths, retrain_id)
    return {"retrain_id": retrain_id, **RetrainWork.open(paths, retrain_id).state()}
