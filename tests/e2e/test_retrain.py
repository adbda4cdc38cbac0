"""CultureSPA retraining on the real 0.5B GGUF (the embedded small model), small enough for CI:
generate → answer → CRQPC → LoRA (real weights, real steps) → GGUF adapter → MLflow run and
registry (`candidate`) → base and base+adapter served by llama.cpp, their answer distributions
compared. The probe/marts/promotion leg is unit-tested (tests/unit/test_culturespa_promotion.py)
and run by `culturewatch retrain`; it is left out here to keep CI within minutes."""

from __future__ import annotations

from pathlib import Path

import pytest

from culturewatch.culturespa import pipeline

pytestmark = pytest.mark.slow

CONFIG = """\
base_model:
  name: qwen2.5-coder-0.5b-instruct
  version: gguf-1d9614638d18
  gguf_model: qwen2.5-coder-0.5b-instruct
endpoint: {port: 8098, n_threads: 1}
generation: {topics: [Migration, Security], questions_per_topic: 1, max_tokens: 128}
answers: {countries: [US, CN, NG, IN]}
selection: {max_examples_per_country: 6, if_empty: rds}
training: {steps: 20, batch_size: 4, learning_rate: 0.001, warmup_steps: 2, rank: 8, alpha: 16}
evaluation: {countries: [US, CN], port: 8099, held_out_questions: 15}
"""


def test_retrain_trains_converts_registers_and_moves_the_answers(
    paths, tmp_path: Path, test_model_path
) -> None:
    import mlflow

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
    work = pipeline.RetrainWork.open(paths, retrain_id)

    # the criterion, on the losses MLflow recorded per step
    history = [
        m.value for m in mlflow.MlflowClient().get_metric_history(str(work.state()["mlflow_run_id"]), "loss")
    ]
    assert len(history) == 20
    first, last = sum(history[:10]) / 10, sum(history[-10:]) / 10
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

    shift = pipeline.measure_shift(paths, retrain_id)
    print(f"training {training}; distribution shift {shift}")
    assert shift["n_compared"] >= 10
    assert shift["mean_total_variation"] > 0.01, shift
