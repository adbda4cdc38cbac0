"""CultureSPA retraining on the real 0.5B GGUF (the embedded small model), small enough for CI:
generate → answer → CRQPC → LoRA (real weights, real steps) → GGUF adapter → MLflow run (params,
loss, dataset input, adapter logged model) and registry (`candidate`) → base and base+adapter
served by llama.cpp, their answer distributions compared → the base probed with the evaluation
grid → the registry version served with its adapter downloaded from MLflow, discovered by the
watch as `mlflow:<name>/v1` and probed through that server → dbt build → the marts hold both
versions of the model → the promotion decided from the marts and logged to the MLflow run."""

from __future__ import annotations

from pathlib import Path

import pytest

from culturewatch.retraining import evaluation, pipeline, promote_step
from culturewatch.retraining.work import RetrainWork

pytestmark = [pytest.mark.slow, pytest.mark.long(275)]

CONFIG = """\
base_model:
  name: qwen2.5-coder-0.5b-instruct
  version: gguf-1d9614638d18
  gguf_model: qwen2.5-coder-0.5b-instruct
endpoint: {port: 8102, n_threads: 1}
generation: {topics: [Migration, Security], questions_per_topic: 1, max_tokens: 128}
answers: {countries: [US, CN, NG, IN]}
selection: {max_examples_per_country: 6, if_empty: rds}
training: {steps: 6, batch_size: 2, learning_rate: 0.001, warmup_steps: 2, rank: 8, alpha: 16}
evaluation:
  countries: [US, CN]
  items: [Q1, Q2, Q27, Q46]
  strategies: [unaware, aware]
  port: 8102
  held_out_questions: 8
  quality: {min_parse_rate: 0.8}
"""


def test_retrain_registers_a_candidate_the_watch_probes_and_promotes_from_the_marts(
    paths, tmp_path: Path, test_model_path
) -> None:
    import time

    import mlflow

    from culturewatch.discovery.sightings import read_sightings
    from culturewatch.storage.warehouse import connect_warehouse
    from culturewatch.transform.warehouse_build import build_marts

    started = time.monotonic()

    config = tmp_path / "retrain.yaml"
    config.write_text(CONFIG)
    retrain_id = pipeline.start(config, paths)
    generation = pipeline.generate(paths, retrain_id)
    assert generation["counts"]["accepted"] >= 1, generation
    selection = pipeline.select(paths, retrain_id)
    # the 0.5B's personas rarely move its greedy answer: CRQPC may keep nothing, then RDS (configured)
    assert selection["method"] in {"crqpc", "rds"} and selection["counts"]["selected"] >= 4, selection
    training = pipeline.train(paths, retrain_id)
    registered = pipeline.register(paths, retrain_id)
    work = RetrainWork.open(paths, retrain_id)

    # the criterion, on the losses MLflow recorded per step
    history = [
        m.value for m in mlflow.MlflowClient().get_metric_history(str(work.state()["mlflow_run_id"]), "loss")
    ]
    # 6 steps, each end averaged over 3 (pipeline.summary_window): the loss fell from ~0.65 to ~5e-4
    # within the first 5 of 20 steps measured (2026-12-07)
    assert len(history) == 6 and training["loss_window"] == 3
    first, last = sum(history[:3]) / 3, sum(history[-3:]) / 3
    assert last <= 0.8 * first, (first, last, history)
    assert training["loss_reduction"] == pytest.approx(last / first)
    assert (work.root / "adapter.gguf").read_bytes()[:4] == b"GGUF"

    run = mlflow.get_run(str(work.state()["mlflow_run_id"]))
    assert (
        run.data.params["lora_rank"] == "8"
        and run.data.params["target_modules"] == "q_proj,k_proj,v_proj,o_proj"
    )
    assert run.data.params["examples_per_country"] == "6"
    [dataset_input] = run.inputs.dataset_inputs
    assert dataset_input.dataset.digest == selection["dataset_digest"]
    artifacts = {
        entry.path
        for folder in ("generation", "prompts", "selection")
        for entry in mlflow.MlflowClient().list_artifacts(run.info.run_id, folder)
    }
    assert {
        "generation/generated_questions.jsonl",
        "prompts/generation_prompts.yaml",
        "selection/sft.jsonl",
    } <= artifacts
    assert str(paths.root / "mlflow") in run.info.artifact_uri
    version = mlflow.MlflowClient().get_model_version_by_alias(registered["name"], "candidate")
    assert str(version.version) == registered["version"]

    assert registered["model_version"] == f"mlflow:{registered['name']}/v{registered['version']}"
    assert registered["probe_as"] == "qwen2.5-coder-0.5b-instruct"

    shift = evaluation.measure_shift(paths, retrain_id)
    print(f"training {training}; distribution shift {shift}")
    # ~60 % of held-out prompts put an option among both models' top-20 logprobs (12 of 20, 12 of 30
    # measured): 16 prompts leave ~9 to compare
    assert shift["n_compared"] >= 5
    assert shift["mean_total_variation"] > 0.01, shift
    trained_at = time.monotonic()

    # the base version with the evaluation grid; then the registry version served (adapter from the
    # MLflow artifact), found by the watch and probed through that server
    base_run = evaluation.probe_base(paths, retrain_id)
    candidate = evaluation.probe_candidate(paths, retrain_id)
    identity = registered["model_version"]
    assert candidate["served_by"] == "local" and candidate["identity"] == identity
    assert candidate["watch"]["to_probe"] == [f"qwen2.5-coder-0.5b-instruct@{identity}"], candidate
    assert candidate["watch"]["errors"] == []
    [verdict] = candidate["verdicts"]
    assert verdict["status"] == "validated", candidate
    served_adapter = next((work.root / "candidate").rglob("*.gguf"))
    assert served_adapter.read_bytes() == (work.root / "adapter.gguf").read_bytes()
    sightings = read_sightings(paths).to_pylist()
    from_registry = [row for row in sightings if row["source"] == "mlflow"]
    assert [
        (row["model"], row["model_version"], row["probe_model"], row["aliases"]) for row in from_registry
    ] == [(registered["name"], identity, "qwen2.5-coder-0.5b-instruct", ["candidate"])]
    probed_at = time.monotonic()

    build_marts(paths)
    built_at = time.monotonic()
    with connect_warehouse(paths) as connection:
        cas_rows = connection.execute(
            "select model_version, run_id, count(*), avg(cas) from marts.cultural_alignment_score "
            "where model = 'qwen2.5-coder-0.5b-instruct' and strategy = 'aware' group by all order by 1"
        ).fetchall()
        leaderboard = connection.execute(
            "select model_version from marts.model_leaderboard where model = 'qwen2.5-coder-0.5b-instruct' "
            "order by 1"
        ).fetchall()
        runs = dict(
            connection.execute(
                "select run_id, status from marts.runs where model = 'qwen2.5-coder-0.5b-instruct'"
            ).fetchall()
        )
    print(f"CAS (aware) per version: {cas_rows}")
    assert [row[0] for row in cas_rows] == ["gguf-1d9614638d18", identity]
    assert {row[1] for row in cas_rows} == {base_run, candidate["run_id"]}
    assert all(row[2] == 2 for row in cas_rows)  # US and CN
    assert [row[0] for row in leaderboard] == ["gguf-1d9614638d18", identity]
    assert runs == {base_run: "complete", candidate["run_id"]: "complete"}

    decision = promote_step.promote(paths, retrain_id)
    print(f"promotion: {decision}")
    assert decision["base"]["run_id"] == base_run
    assert decision["candidate"]["run_id"] == candidate["run_id"]
    assert decision["source"] == "marts.alignment_history"
    # the rule's strategies: aware; the evaluation grid asks in English
    assert set(decision["deltas"]) == set(decision["cas_before"]) == {"CN/en/aware", "US/en/aware"}
    assert set(decision["cas_after"]) >= set(decision["cas_before"])
    run = mlflow.get_run(str(work.state()["mlflow_run_id"]))
    assert run.data.tags["culturewatch.promotion"] == decision["decision"]
    assert run.data.tags["culturewatch.promotion_reasons"] == "; ".join(decision["reasons"])
    assert run.data.params["promotion_max_country_drop"] == "2.0"
    # both runs have both cells (the deltas above), so both have the marts' means over US and CN
    assert run.data.metrics["cas_mean_before_aware"] == pytest.approx(decision["mean_before"]["aware"])
    assert run.data.metrics["cas_mean_after_aware"] == pytest.approx(decision["mean_after"]["aware"])
    assert decision["mean_before"]["aware"] == pytest.approx(cas_rows[0][3])
    assert run.data.metrics["promoted"] == float(decision["promote"])
    logged = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/evaluation/promotion_decision.json")
    assert logged["decision"] == decision["decision"] and logged["reasons"] == decision["reasons"]
    aliases = mlflow.MlflowClient().get_registered_model(registered["name"]).aliases
    assert ("champion" in aliases) == decision["promote"]
    assert promote_step.promote(paths, retrain_id) == decision  # decided once
    print(
        f"timing: retrain+shift {trained_at - started:.0f} s, probes {probed_at - trained_at:.0f} s, "
        f"dbt build {built_at - probed_at:.0f} s, total {time.monotonic() - started:.0f} s"
    )
