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

from culturewatch.config.schema import ClientLimits, ModelEndpoint, ProbeConfig
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
    from culturewatch.culturespa.serving import probe_as
    from culturewatch.discovery.registry import registry_identity

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


def _eval_config(work: RetrainWork, base_url: str, version: str) -> ProbeConfig:
    """The base's evaluation probe: the same grid the candidate is watched and probed with."""
    from culturewatch.culturespa.serving import evaluation_client, evaluation_grid

    endpoint = ModelEndpoint(
        name=work.config.base_model.name,
        base_url=base_url,
        version=version,
        quality=work.config.evaluation.quality,
    )
    return ProbeConfig(
        models=[endpoint], grid=evaluation_grid(work.config), client=evaluation_client(work.config)
    )


def _run_specs(paths: DataPaths, specs: list) -> list[dict[str, object]]:
    """What the probe DAG does with its specs: ask (resumable), then the raw quality gate."""
    from culturewatch.probing.runner import run_probe
    from culturewatch.quality.gates import gate_raw

    for spec in specs:
        run_probe(spec, paths)
    return gate_raw(paths, specs)


def _probed(paths: DataPaths, run_id: str) -> bool:
    from culturewatch.discovery.probed import counts_as_probed, run_states

    return any(
        state.run_id == run_id and counts_as_probed(state, "wvs_culturespa") for state in run_states(paths)
    )


def probe_base(paths: DataPaths, retrain_id: str) -> str:
    """The base version probed with the evaluation grid through its own endpoint (the configured
    URL or the GGUF served locally); nothing is asked when its run is already complete."""
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.plan import build_specs, run_id_for

    work = RetrainWork.open(paths, retrain_id)
    version = work.config.base_model.version
    instrument = load_instrument("wvs_culturespa")
    planned = _eval_config(work, "http://127.0.0.1:1/v1", version)
    run_id = run_id_for(planned.models[0], version, planned.grid, instrument)
    if _probed(paths, run_id):
        return run_id
    with _base_endpoint(paths, work) as base_url:
        config = _eval_config(work, base_url, version)
        verdicts = _run_specs(paths, build_specs(config, instrument, {config.models[0].name: version}))
    log.info("base %s@%s probed: %s", work.config.base_model.name, version, verdicts)
    return run_id


def probe_candidate(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """The registered candidate served and probed the way the watch probes any registry version.

    Embedded default (no `endpoint.base_url`): the registry version holding `candidate` is served by
    llama.cpp with its GGUF adapter downloaded from MLflow (`culturespa.serving`), the watch polls the
    registry and the endpoint (`watch_once` on `candidate/fleet.yaml`), and every version it lists to
    probe is probed as the probe DAG would (plan with model + version, ask, raw gate). With a remote
    endpoint the adapter is served by vLLM and the fleet's own watch DAG probes it: nothing to do
    here (the promote DAG decides once its run is in the marts)."""
    from culturewatch.culturespa.serving import (
        candidate_fleet_config,
        evaluation_client,
        evaluation_grid,
        serve_registered_adapter,
    )
    from culturewatch.culturespa.tracking import tracking_uri
    from culturewatch.discovery.registry import registry_identity
    from culturewatch.discovery.watch import watch_once
    from culturewatch.probing.orchestrate import plan_probe

    work = RetrainWork.open(paths, retrain_id)
    registered = work.state().get("registered")
    if not registered:
        raise CulturewatchError(f"retraining {retrain_id}: register the candidate before probing it")
    name, version = str(registered["name"]), str(registered["version"])  # type: ignore[index]
    identity = registry_identity(name, version)
    if work.config.endpoint.base_url is not None:
        summary: dict[str, object] = {
            "served_by": "fleet",
            "identity": identity,
            "note": "served by the fleet's vLLM (--enable-lora); the watch DAG probes it",
        }
        work.update(candidate_probe=summary)
        return summary
    folder = work.root / "candidate"
    config = work.config
    with serve_registered_adapter(paths, config, name, version, workdir=folder) as served:
        fleet = candidate_fleet_config(
            folder / "fleet.yaml",
            served,
            evaluation_grid(config),
            evaluation_client(config),
            tracking_uri(paths, config.mlflow),
            config.evaluation.quality,
        )
        watched = watch_once(fleet, paths, watch_id=f"retrain__{retrain_id}")
        if watched.errors:
            raise CulturewatchError(
                f"the watch could not read the candidate's endpoint or registry: {watched.errors}"
            )
        targets = [target for target in watched.to_probe if target.version == served.identity]
        verdicts = []
        for target in targets:
            verdicts += _run_specs(paths, plan_probe(fleet, model=target.model, version=target.version))
    ours = [
        t for t in watched.to_probe + watched.already_probed + watched.in_progress if t.version == identity
    ]
    if not ours:
        raise CulturewatchError(
            f"the watch did not list the candidate {identity} (watch: {watched.summary()})"
        )
    summary = {
        "served_by": "local",
        "identity": identity,
        "model": ours[0].model,
        "run_id": ours[0].run_id,
        "watch": watched.summary(),
        "verdicts": [{key: verdict.get(key) for key in ("run_id", "status")} for verdict in verdicts],
    }
    work.update(candidate_probe=summary)
    return summary


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
    """The candidate's distribution shift, the base probed with the evaluation grid, the registered
    candidate served and probed through the watch (`probe_candidate`), and (with `build`: the CLI)
    the marts built. In Airflow the transform DAG builds them (this task emits the raw Asset) and
    the promote DAG decides."""
    import mlflow

    work = RetrainWork.open(paths, retrain_id)
    shift = work.state().get("shift") or measure_shift(paths, retrain_id)
    base_run = probe_base(paths, retrain_id)
    candidate = probe_candidate(paths, retrain_id)
    if build:
        from culturewatch.transform.dbt_build import build_marts

        build_marts(paths)
    tags = {"culturewatch.base_probe_run": base_run}
    if candidate.get("run_id"):
        tags["culturewatch.candidate_probe_run"] = str(candidate["run_id"])
    with _mlflow_run(paths, work):
        mlflow.set_tags(tags)
    summary = {
        "base_run_id": base_run,
        "candidate_run_id": candidate.get("run_id"),
        "candidate": candidate,
        "shift": shift,
    }
    work.update(evaluation=summary)
    return summary


def _decision_refs(work: RetrainWork):
    from culturewatch.culturespa.promotion import VersionRef
    from culturewatch.culturespa.serving import probe_as
    from culturewatch.discovery.registry import registry_identity

    registered: dict = work.state()["registered"]  # type: ignore[assignment]
    base = VersionRef(work.config.base_model.name, work.config.base_model.version)
    # the identity the watch records (also for candidates registered before it was the label)
    identity = registry_identity(str(registered["name"]), str(registered["version"]))
    candidate = VersionRef(str(registered.get("probe_as") or probe_as(work.config)), identity)
    return base, candidate


def promote(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """Decide from the marts, after the candidate's own probe run is there: `marts.runs` names the
    candidate's complete run and the base's complete run of the same grid, and
    `marts.cultural_alignment_score` gives their CAS (read-only; nothing recomputed here). CAS
    before/after, the rule, the decision and its reasons are logged to the retraining's MLflow
    run; `champion` moves only when the rule passes. Raises `NotProbedYet` while a run is missing.
    Decided once: a second call returns the recorded decision."""
    import mlflow

    from culturewatch.culturespa.promotion import cas_from_marts, decide, runs_to_compare
    from culturewatch.culturespa.registry import set_champion

    work = RetrainWork.open(paths, retrain_id)
    state = work.state()
    if state.get("promotion"):
        return state["promotion"]  # type: ignore[return-value]
    registered = state.get("registered")
    if not registered:
        raise CulturewatchError(f"retraining {retrain_id}: no registered candidate to promote")
    base, candidate = _decision_refs(work)
    runs = runs_to_compare(paths, base, candidate)
    before = cas_from_marts(paths, runs.base_run_id)
    after = cas_from_marts(paths, runs.candidate_run_id)
    spec = work.config.promotion
    decision = decide(before, after, spec)
    outcome = "champion" if decision.promote else "rejected"
    record = {
        **decision.to_dict(),
        "decision": outcome,
        "registered_model": registered["name"],  # type: ignore[index]
        "registered_version": registered["version"],  # type: ignore[index]
        "base": {"model": base.model, "model_version": base.version, "run_id": runs.base_run_id},
        "candidate": {
            "model": candidate.model,
            "model_version": candidate.version,
            "run_id": runs.candidate_run_id,
        },
        "rule": spec.model_dump(mode="json"),
        "cas_before": {f"{country}/{strategy}": cas for (country, strategy), cas in sorted(before.items())},
        "cas_after": {f"{country}/{strategy}": cas for (country, strategy), cas in sorted(after.items())},
        "source": "marts.cultural_alignment_score",
    }
    with _mlflow_run(paths, work):
        mlflow.log_params(
            {
                "promotion_strategies": ",".join(spec.strategies),
                "promotion_max_country_drop": spec.max_country_drop,
                "promotion_min_mean_improvement": spec.min_mean_improvement,
            }
        )
        for (country, strategy), cas in before.items():
            mlflow.log_metric(f"cas_before_{strategy}_{country}", cas)
        for (country, strategy), cas in after.items():
            mlflow.log_metric(f"cas_after_{strategy}_{country}", cas)
        metrics = {"promoted": float(decision.promote), "promotion_cells": float(len(decision.deltas))}
        if decision.mean_before is not None and decision.mean_after is not None:
            metrics |= {
                "cas_mean_before": decision.mean_before,
                "cas_mean_after": decision.mean_after,
                "cas_mean_delta": decision.mean_after - decision.mean_before,
            }
        if decision.deltas:
            metrics["cas_worst_cell_delta"] = min(decision.deltas.values())
        mlflow.log_metrics(metrics)
        mlflow.set_tags(
            {
                "culturewatch.promotion": outcome,
                "culturewatch.promotion_reasons": "; ".join(decision.reasons)[:5000],
                "culturewatch.base_probe_run": runs.base_run_id,
                "culturewatch.candidate_probe_run": runs.candidate_run_id,
            }
        )
        mlflow.log_dict(record, "evaluation/promotion_decision.json")
    if decision.promote:
        set_champion(str(registered["name"]), str(registered["version"]))  # type: ignore[index]
    work.update(promotion=record)
    log.info("retraining %s: %s (%s)", retrain_id, outcome, "; ".join(decision.reasons))
    return record


def promote_pending(paths: DataPaths) -> dict[str, object]:
    """Every retraining with a registered candidate and no decision yet: decide those whose runs
    are in the marts, list the others as waiting (the promote DAG, after every transform)."""
    from culturewatch.culturespa.promotion import NotProbedYet

    decided: dict[str, object] = {}
    waiting: dict[str, str] = {}
    errors: dict[str, str] = {}
    root = paths.root / "retrain"
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not (folder / "retrain.yaml").is_file():
            continue
        try:
            state = RetrainWork.open(paths, folder.name).state()
            if not state.get("registered") or state.get("promotion") or state.get("failed"):
                continue
            decided[folder.name] = promote(paths, folder.name)
        except NotProbedYet as exc:
            waiting[folder.name] = str(exc)
        except Exception as exc:  # one broken retraining must not block the others' decisions
            log.exception("retraining %s: promotion failed", folder.name)
            errors[folder.name] = f"{type(exc).__name__}: {exc}"
    if errors:
        raise CulturewatchError(f"promotion failed for {errors} (decided: {sorted(decided)})")
    return {"decided": decided, "waiting": waiting}


def run_all(config_path: Path | str, paths: DataPaths, evaluate_candidate: bool = True) -> dict[str, object]:
    """Every step in order (the CLI); returns the final state."""
    retrain_id = start(config_path, paths)
    generate(paths, retrain_id)
    select(paths, retrain_id)
    train(paths, retrain_id)
    register(paths, retrain_id)
    if evaluate_candidate:
        from culturewatch.culturespa.promotion import NotProbedYet

        evaluate(paths, retrain_id)
        try:
            promote(paths, retrain_id)
        except NotProbedYet as exc:  # e.g. a quarantined run: the promote DAG decides after a re-probe
            log.warning("retraining %s: promotion waits: %s", retrain_id, exc)
            RetrainWork.open(paths, retrain_id).update(promotion_waiting=str(exc))
    return {"retrain_id": retrain_id, **RetrainWork.open(paths, retrain_id).state()}
