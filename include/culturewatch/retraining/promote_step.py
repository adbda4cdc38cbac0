"""The promotion step: decide `champion` from the marts once the candidate's own probe run is
there (the rule is `promotion`), and log the decision and its reasons to the retraining's run."""

from __future__ import annotations

import logging

from culturewatch.errors import CulturewatchError
from culturewatch.retraining.work import RetrainWork, mlflow_run
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)


def _decision_refs(work: RetrainWork):
    from culturewatch.discovery.registry import registry_identity
    from culturewatch.retraining.candidate_server import probe_as
    from culturewatch.retraining.promotion import VersionRef

    registered: dict = work.state()["registered"]  # type: ignore[assignment]
    base = VersionRef(work.config.base_model.name, work.config.base_model.version)
    # the identity the watch records (also for candidates registered before it was the label)
    identity = registry_identity(str(registered["name"]), str(registered["version"]))
    candidate = VersionRef(str(registered.get("probe_as") or probe_as(work.config)), identity)
    return base, candidate


def promote(paths: DataPaths, retrain_id: str) -> dict[str, object]:
    """Decide from the marts, after the candidate's own probe run is there: `marts.runs` names the
    candidate's complete run and the base's complete run of the same grid, and
    `marts.alignment_history` gives their CAS per cell and their mean CAS per strategy (read-only;
    nothing recomputed here). CAS before/after, the rule, the decision and its reasons are logged
    to the retraining's MLflow run; `champion` moves only when the rule passes. Raises
    `NotProbedYet` while a run is missing. Decided once: a second call returns the recorded
    decision."""
    import mlflow

    from culturewatch.marts import HISTORY_TABLE, run_metrics
    from culturewatch.retraining.promotion import cas_metric, cell_label, decide, runs_to_compare
    from culturewatch.retraining.registry import set_champion

    work = RetrainWork.open(paths, retrain_id)
    state = work.state()
    if state.get("promotion"):
        return state["promotion"]  # type: ignore[return-value]
    registered = state.get("registered")
    if not registered:
        raise CulturewatchError(f"retraining {retrain_id}: no registered candidate to promote")
    base, candidate = _decision_refs(work)
    runs = runs_to_compare(paths, base, candidate)
    spec = work.config.promotion
    metrics = {cas_metric(strategy): strategy for strategy in spec.strategies}
    before = run_metrics(paths, runs.base_run_id, list(metrics))
    after = run_metrics(paths, runs.candidate_run_id, list(metrics))
    decision = decide(before, after, spec)
    cas_before, cas_after = (
        {
            cell_label(strategy, cell): value
            for metric, strategy in metrics.items()
            for cell, value in sorted(side[metric].cells.items())
        }
        for side in (before, after)
    )
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
        "cas_before": cas_before,
        "cas_after": cas_after,
        "source": HISTORY_TABLE,
    }
    with mlflow_run(paths, work):
        mlflow.log_params(
            {
                "promotion_strategies": ",".join(spec.strategies),
                "promotion_max_country_drop": spec.max_country_drop,
                "promotion_min_mean_improvement": spec.min_mean_improvement,
            }
        )
        logged = {"promoted": float(decision.promote), "promotion_cells": float(len(decision.deltas))}
        for when, cells in (("before", cas_before), ("after", cas_after)):
            logged |= {f"cas_{when}_{label.replace('/', '_')}": value for label, value in cells.items()}
        for strategy, mean in decision.mean_before.items():
            logged[f"cas_mean_before_{strategy}"] = mean
            logged[f"cas_mean_after_{strategy}"] = decision.mean_after[strategy]
            logged[f"cas_mean_delta_{strategy}"] = decision.mean_after[strategy] - mean
        if decision.deltas:
            logged["cas_worst_cell_delta"] = min(decision.deltas.values())
        mlflow.log_metrics(logged)
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
    from culturewatch.retraining.promotion import NotProbedYet

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
