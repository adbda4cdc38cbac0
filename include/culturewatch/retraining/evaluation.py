"""Evaluate a registered candidate: how it moves the answer distributions, the base version probed
with the evaluation grid, and the registered candidate served and probed the way the watch probes
any registry version, so both land in the marts (built by the CLI, or the transform DAG)."""

from __future__ import annotations

import asyncio
import logging

from culturewatch.config.schema import ModelEndpoint, ProbeConfig
from culturewatch.errors import CulturewatchError
from culturewatch.retraining.work import RetrainWork, base_endpoint, chat_client, chosen_countries, mlflow_run
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)


def _eval_config(work: RetrainWork, base_url: str, version: str) -> ProbeConfig:
    """The base's evaluation probe: the same grid the candidate is watched and probed with."""
    from culturewatch.retraining.candidate_server import evaluation_client, evaluation_grid

    endpoint = ModelEndpoint(
        name=work.config.base_model.name,
        base_url=base_url,
        version=version,
        quality=work.config.evaluation.quality,
        api_key_env=work.config.endpoint.api_key_env if work.config.endpoint.base_url else None,
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
    from culturewatch.probing.probe_specs import build_specs, run_id_for

    work = RetrainWork.open(paths, retrain_id)
    version = work.config.base_model.version
    instrument = load_instrument("wvs_culturespa")
    planned = _eval_config(work, "http://127.0.0.1:1/v1", version)
    run_id = run_id_for(planned.models[0], version, planned.grid, instrument)
    if _probed(paths, run_id):
        return run_id
    with base_endpoint(paths, work) as base_url:
        config = _eval_config(work, base_url, version)
        verdicts = _run_specs(paths, build_specs(config, instrument, {config.models[0].name: version}))
    log.info("base %s@%s probed: %s", work.config.base_model.name, version, verdicts)
    return run_id


def probe_candidate(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """The registered candidate served and probed the way the watch probes any registry version.

    Embedded default (no `endpoint.base_url`): the registry version holding `candidate` is served by
    llama.cpp with its GGUF adapter downloaded from MLflow (`retraining.candidate_server`), the watch
    polls the registry and the endpoint (`watch_once` on `candidate/fleet.yaml`), and every version it
    lists to probe is probed as the probe DAG would (plan with model + version, ask, raw gate). With a remote
    endpoint the adapter is served by vLLM and the fleet's own watch DAG probes it: nothing to do
    here (the promote DAG decides once its run is in the marts)."""
    from culturewatch.discovery.registry import registry_identity
    from culturewatch.discovery.watch import watch_once
    from culturewatch.probing.orchestrate import plan_probe
    from culturewatch.retraining.candidate_server import (
        candidate_fleet_config,
        serve_registered_adapter,
    )

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
        if work.config.evaluation.vllm_adapters_dir is not None:
            from culturewatch.retraining.candidate_server import load_into_vllm

            summary["vllm"] = load_into_vllm(paths, work.config, name, version)
        work.update(candidate_probe=summary)
        return summary
    folder = work.root / "candidate"
    config = work.config
    with serve_registered_adapter(paths, config, name, version, workdir=folder) as served:
        fleet = candidate_fleet_config(folder / "fleet.yaml", served, paths, config)
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
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.retraining.compare import comparable_questions
    from culturewatch.retraining.prompts import seed_questions

    instrument = load_instrument("wvs_culturespa")
    held = comparable_questions(seed_questions(instrument))[: work.config.evaluation.held_out_questions]
    countries = chosen_countries(work.config.evaluation.countries)[:2]
    aware = work.config.answers.aware_strategy
    # country by country: consecutive prompts share the persona's system prompt, which the
    # server's prefix cache then evaluates once per country instead of once per prompt
    return instrument, [(question, aware, country) for country in countries for question in held]


def measure_shift(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """Serve base and candidate (base + GGUF adapter) and compare their option distributions on
    held-out seed questions (never trained on: training uses generated questions)."""
    import mlflow

    from culturewatch.retraining.compare import compare, distributions

    work = RetrainWork.open(paths, retrain_id)
    state = work.state()
    if not state.get("registered"):
        raise CulturewatchError(f"retraining {retrain_id}: register the candidate before evaluating it")
    instrument, prompts = _held_out_prompts(work)
    candidate_version = str(state["registered"]["model_version"])  # type: ignore[index]

    async def dists(base_url: str, version: str):
        async with chat_client(paths, work, base_url, version) as client:
            return await distributions(client, instrument, prompts)

    with base_endpoint(paths, work) as base_url:
        base_dists = asyncio.run(dists(base_url, work.config.base_model.version))
    with base_endpoint(paths, work, port=work.config.evaluation.port, lora=work.root / "adapter.gguf") as url:
        candidate_dists = asyncio.run(dists(url, candidate_version))
    shift = compare(prompts, base_dists, candidate_dists)
    with mlflow_run(paths, work):
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
        from culturewatch.transform.warehouse_build import build_marts

        build_marts(paths)
    tags = {"culturewatch.base_probe_run": base_run}
    if candidate.get("run_id"):
        tags["culturewatch.candidate_probe_run"] = str(candidate["run_id"])
    with mlflow_run(paths, work):
        mlflow.set_tags(tags)
    summary = {
        "base_run_id": base_run,
        "candidate_run_id": candidate.get("run_id"),
        "candidate": candidate,
        "shift": shift,
    }
    work.update(evaluation=summary)
    return summary
