"""Two versions of the real test model for the regression end-to-end test, and their registry.

v1 is the 0.5B test model served as is. v2 is the same GGUF plus a LoRA adapter trained here, on
the CPU, with the project's own training and conversion code (`culturespa.lora`,
`culturespa.convert`): a tiny SFT set of the probe's own prompts (the VSM 2013 items of IDV and
IVR, asked as an average person of Japan) whose assistant turns always pick the option at the end
of the scale that pushes those two dimension scores to the extreme far from the countries'
Hofstede ground truth (IDV -> 0, IVR -> 100). The base model answers these items near the middle
of the scale (IDV 50, IVR ~57), so the deviation ratio of the countries asked falls sharply — a
regression that comes from the model's greedy answers under the two configurations, nothing else.

Both versions are registered in a local MLflow registry (sqlite under the test's data dir) the
way production registers versions: a run per version with its serving configuration as params
and artifacts (the adapter GGUF for v2), a registry version pointing at that run's artifacts,
tags that describe what is served, and the alias `production` moved from v1 to v2 when the
endpoint switches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from culturewatch.discovery.registry import registry_identity
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.plan import ProbeCell
from culturewatch.probing.rendering import render_messages
from culturewatch.probing.variants import displayed_labels
from culturewatch.settings import DataPaths

REGISTERED_MODEL = "qwen2-5-coder-0-5b-e2e"
ALIAS = "production"
TRAIN_COUNTRY = "JP"
# answer per item that drives IDV = 35(m04 - m01) + 35(m09 - m06) to its minimum (0) and
# IVR = 35(m12 - m11) + 40(m17 - m16) to its maximum (100)
TARGET_ANSWERS = {"m01": 5, "m04": 1, "m06": 5, "m09": 1, "m11": 1, "m12": 5, "m16": 1, "m17": 5}
ITEMS = sorted(TARGET_ANSWERS)
# Measured on this 2-core machine: with 2 torch threads these 12 steps made the adapter's greedy
# answers hit all 8 targets, for JP (trained) and for DE and KR (not trained; only the country name
# differs); CPU training is not bit-reproducible across runs, and one run hit 7 of 8 (m01 answered
# 1, not 5), which still left a significant regression (q ~0.04 instead of ~0.001): the test asks
# for at least 6 of 8 per country and a significant regression in the marts.
TRAINING = {
    "threads": 2,
    "rank": 8,
    "alpha": 16,
    "learning_rate": 0.003,
    "steps": 12,
    "batch_size": 8,
    "warmup_steps": 0,
    "seed": 0,
}


def sft_records(country: str = TRAIN_COUNTRY) -> list[dict[str, object]]:
    """The probe's own classification prompts (English, persona `aware`, base variant) with the
    target option as the assistant turn, written as the model writes its answers: `(5) label`."""
    instrument = load_instrument("vsm2013")
    records = []
    for item_id, answer in TARGET_ANSWERS.items():
        cell = ProbeCell("vsm2013", item_id, country, "en", "classification", "aware", "base", 0)
        label = displayed_labels(instrument, cell)[answer - instrument.scale_for(item_id).min]
        records.append(
            {
                "id": f"{country}-{item_id}",
                "messages": [
                    *render_messages(instrument, cell),
                    {"role": "assistant", "content": f"({answer}) {label}"},
                ],
            }
        )
    return records


@dataclass(frozen=True)
class TrainedAdapter:
    gguf: Path
    peft_dir: Path
    losses: list[float]
    seconds: float


def train_skewing_adapter(paths: DataPaths, models_dir: Path, workdir: Path) -> TrainedAdapter:
    """LoRA (peft, float32 on the CPU) on the test model's dequantised GGUF, converted to a GGUF
    adapter by llama.cpp's converter: the project's retraining code, with the SFT set above."""
    from culturewatch.culturespa.config import BaseModelSpec, TrainingSpec
    from culturewatch.culturespa.convert import convert_adapter
    from culturewatch.culturespa.lora import add_lora, load_base, save_base_hf, tokenize_chats, train_lora
    from tests.e2e.conftest import TEST_MODEL, TEST_MODEL_VERSION

    spec = TrainingSpec(**TRAINING)
    base = BaseModelSpec(name=TEST_MODEL, version=TEST_MODEL_VERSION, gguf_model=TEST_MODEL)
    model, tokenizer = load_base(base, models_dir, spec)
    base_hf = save_base_hf(model, tokenizer, workdir / "base_hf", weights=False)
    examples = tokenize_chats(sft_records(), tokenizer, spec.max_length)
    assert len(examples) == len(TARGET_ANSWERS)
    model = add_lora(model, spec)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    result = train_lora(model, examples, spec, pad_id)
    model.save_pretrained(workdir / "adapter")
    gguf = convert_adapter(workdir / "adapter", base_hf, workdir / "adapter.gguf", paths)
    return TrainedAdapter(gguf, workdir / "adapter", result.losses, result.seconds)


class Registry:
    """The test's MLflow registry: a local sqlite store with its artifacts under `root`."""

    def __init__(self, root: Path) -> None:
        import mlflow

        root.mkdir(parents=True, exist_ok=True)
        self.uri = f"sqlite:///{root / 'mlflow.db'}"
        self.client = mlflow.MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        artifacts = root / "artifacts"
        artifacts.mkdir(exist_ok=True)
        self.staging = root / "staging"
        self.experiment_id = self.client.create_experiment(
            "culturewatch-e2e/regression", artifact_location=artifacts.as_uri()
        )
        self.client.create_registered_model(
            REGISTERED_MODEL, description="The e2e test model's deployments (served by llama.cpp)."
        )

    def register(self, serving: dict[str, str], artifacts: list[Path], description: str) -> str:
        """One version: a run holding its serving configuration, a registry version on the run's
        artifacts, tags describing what is served. Returns the version number."""
        run = self.client.create_run(self.experiment_id, run_name=serving["name"])
        run_id = run.info.run_id
        for key, value in serving.items():
            self.client.log_param(run_id, key, value)
        staged = self.staging / run_id / "serving.json"
        staged.parent.mkdir(parents=True)
        staged.write_text(json.dumps(serving, indent=2, sort_keys=True))
        self.client.log_artifact(run_id, str(staged), "deployment")
        for artifact in artifacts:
            self.client.log_artifact(run_id, str(artifact), "deployment")
        self.client.set_terminated(run_id)
        version = self.client.create_model_version(
            REGISTERED_MODEL,
            source=f"{run.info.artifact_uri}/deployment",
            run_id=run_id,
            tags={f"serving.{key}": value for key, value in serving.items()},
            description=description,
        )
        return str(version.version)

    def promote(self, version: str) -> str:
        """Move the alias the endpoint serves to `version`; its registry identity."""
        self.client.set_registered_model_alias(REGISTERED_MODEL, ALIAS, version)
        return registry_identity(REGISTERED_MODEL, version)

    def lora_of(self, alias: str, into: Path) -> Path | None:
        """What the version holding `alias` serves on top of the base: its GGUF adapter, if any
        (downloaded from the registry version's artifacts, as production deploys it)."""
        import mlflow

        version = self.client.get_model_version_by_alias(REGISTERED_MODEL, alias)
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=version.source, dst_path=str(into), tracking_uri=self.uri
            )
        )
        found = sorted(local.rglob("*.gguf"))
        return found[0] if found else None
