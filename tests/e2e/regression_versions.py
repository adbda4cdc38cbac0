"""Two versions of the real test model for the regression end-to-end test, and their registry.

v1 is the 0.5B test model served as is. v2 is the same GGUF plus a LoRA adapter trained here, on
the CPU, with the project's own training and conversion code (`retraining.lora`,
`retraining.convert`): a tiny SFT set of the probe's own prompts (the VSM 2013 items of IDV and
IVR, asked as an average person of each country the test asks) whose assistant turns always pick
the option at the end of the scale that pushes those two dimension scores to the extreme far from
the countries' Hofstede ground truth (IDV -> 0, IVR -> 100). The base model answers these items
near the middle of the scale (IDV 50, IVR ~57), so the deviation ratio of the countries asked
falls sharply — a regression that comes from the model's greedy answers under the two
configurations, nothing else.

Both versions are registered in a local MLflow registry (sqlite under the test's data dir) the
way production registers versions: a run per version with its serving configuration as params
and artifacts (the adapter GGUF for v2), a registry version pointing at that run's artifacts,
tags that describe what is served, and the alias `production` moved from v1 to v2 when the
endpoint switches.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib.metadata import version as package_version
from importlib.util import find_spec
from pathlib import Path

from culturewatch.discovery.registry import registry_identity
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import ProbeCell
from culturewatch.probing.rendering import render_messages
from culturewatch.settings import DataPaths

REGISTERED_MODEL = "qwen2-5-coder-0-5b-e2e"
ALIAS = "production"
# the countries the test asks (English prompts; neither is an English- or Chinese-speaking country,
# so the answers feed exactly one regression metric, deviation_ratio_english), each trained on
COUNTRIES = ("DE", "JP")
# answer per item that drives IDV = 35(m04 - m01) + 35(m09 - m06) to its minimum (0) and
# IVR = 35(m12 - m11) + 40(m17 - m16) to its maximum (100)
TARGET_ANSWERS = {"m01": 5, "m04": 1, "m06": 5, "m09": 1, "m11": 1, "m12": 5, "m16": 1, "m17": 5}
ITEMS = sorted(TARGET_ANSWERS)
# CPU training is not reproducible, across machines or on one machine with a fixed seed (torch's
# threaded kernels). Trained on JP's prompts only, with the option's label in the assistant turn,
# DE's answers once moved too little on the CI machine for a significant regression; with DE's
# prompts added, the label's tokens outweighed the number (5 of 8 targets). The SFT set holds every
# asked country's prompts (16 records, batches of 8) with the number alone as the answer. After the
# 12 steps the trained model answers the SFT prompts (greedy, in transformers) and, while any
# target is missed, trains FOLLOW_UP's gentler steps more, at most FOLLOW_UP_ROUNDS times; each
# round warms its learning rate up over 2 steps (the loss jumped on the second step of every fresh
# AdamW). Even so the answers moved between rounds (the committed adapter below took 30 steps), so
# the test serves a committed, checked adapter. It asks for at least 7 of 8 targets per country
# (7 still gave q ~0.04) and a significant regression.
FOLLOW_UP = {"learning_rate": 0.001, "steps": 6, "warmup_steps": 2}
FOLLOW_UP_ROUNDS = 3
TRAINING = {
    "threads": 2,
    "rank": 8,
    "alpha": 16,
    "learning_rate": 0.003,
    "steps": 12,
    "batch_size": 8,
    "warmup_steps": 2,
    "seed": 0,
}


def sft_records(countries: tuple[str, ...] = COUNTRIES) -> list[dict[str, object]]:
    """The probe's own classification prompts (English, persona `aware`, base variant) with the
    target option's number as the assistant turn, `(5)`: the loss is over the few tokens that
    decide the answer (with the option's label after it, the label's tokens outweighed the number
    and the adapter answered 1 to most items)."""
    instrument = load_instrument("vsm2013")
    records = []
    for country in countries:
        for item_id, answer in TARGET_ANSWERS.items():
            cell = ProbeCell("vsm2013", item_id, country, "en", "classification", "aware", "base", 0)
            records.append(
                {
                    "id": f"{country}-{item_id}",
                    "messages": [
                        *render_messages(instrument, cell),
                        {"role": "assistant", "content": f"({answer})"},
                    ],
                }
            )
    return records


@dataclass(frozen=True)
class TrainedAdapter:
    gguf: Path
    peft_dir: Path | None  # None when the adapter came from the cache (only the GGUF is kept)
    losses: list[float]
    seconds: float


ADAPTER_CACHE = "e2e-adapters"  # under the models dir, the machine's cache of model files
# The adapter of the current training inputs, committed (4.3 MB) so that a fresh clone serves the
# v2 that was checked (8 of 8 targets for DE and JP, the regression significant) instead of
# training one: CPU training is not reproducible, and one training in three missed targets. A
# change to any training input is a new key, which is trained (and cached) as before; commit its
# adapter.gguf and training.json here once a run of this test has passed with it.
COMMITTED_ADAPTERS = Path(__file__).parent / "adapters"


def adapter_key() -> str:
    """What decides the trained adapter: the training settings, the SFT set, the base model, the
    project's training and conversion code and the versions of the libraries they run on. A
    change to any of them is a new key, so a cached adapter is never one the test would not train.
    Where the converter comes from (`retraining.converter`: its download, the tools dir) is not an
    input, its version is."""
    from culturewatch.retraining.converter import llama_cpp_python_version
    from tests.e2e.conftest import TEST_MODEL, TEST_MODEL_VERSION

    modules = ("retrain_config", "convert", "lora")
    sources = [find_spec(f"culturewatch.retraining.{name}").origin for name in modules]

    inputs = {
        "training": TRAINING,
        "follow_up": [FOLLOW_UP, FOLLOW_UP_ROUNDS],
        "records": sft_records(),
        "base": [TEST_MODEL, TEST_MODEL_VERSION],
        "code": [Path(str(source)).read_text() for source in sources],
        "packages": [package_version(name) for name in ("torch", "transformers", "peft", "gguf")],
        "converter": llama_cpp_python_version(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()[:20]


def cached_skewing_adapter(paths: DataPaths, models_dir: Path, workdir: Path) -> TrainedAdapter:
    """The committed adapter of the current `adapter_key` (COMMITTED_ADAPTERS), else
    `train_skewing_adapter`, trained once per `adapter_key` and kept in the models dir: the
    adapter is what the regression test serves as v2, not what it tests (training is
    tests/e2e/test_retrain.py's). A cached adapter is copied into `workdir`."""
    key = adapter_key()
    committed = COMMITTED_ADAPTERS / key
    cached = committed if (committed / "adapter.gguf").is_file() else models_dir / ADAPTER_CACHE / key
    if not (cached / "adapter.gguf").is_file():
        trained = train_skewing_adapter(paths, models_dir, workdir)
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cached.parent, prefix=".staging-"))
        staging.chmod(0o755)  # mkdtemp's 0700 would stay on the cached folder
        shutil.copyfile(trained.gguf, staging / "adapter.gguf")
        (staging / "training.json").write_text(
            json.dumps({"losses": trained.losses, "seconds": trained.seconds, "training": TRAINING})
        )
        try:
            os.replace(staging, cached)  # whole or not at all
        except OSError:  # another session cached it first
            shutil.rmtree(staging, ignore_errors=True)
        return trained
    workdir.mkdir(parents=True, exist_ok=True)
    gguf = workdir / "adapter.gguf"
    shutil.copyfile(cached / "adapter.gguf", gguf)
    record = json.loads((cached / "training.json").read_text())
    return TrainedAdapter(gguf, None, record["losses"], record["seconds"])


def train_skewing_adapter(paths: DataPaths, models_dir: Path, workdir: Path) -> TrainedAdapter:
    """LoRA (peft, float32 on the CPU) on the test model's dequantised GGUF, converted to a GGUF
    adapter by llama.cpp's converter: the project's retraining code, with the SFT set above."""
    from culturewatch.retraining.convert import convert_adapter
    from culturewatch.retraining.lora import add_lora, load_base, save_base_hf, tokenize_chats, train_lora
    from culturewatch.retraining.retrain_config import BaseModelSpec, TrainingSpec
    from tests.e2e.conftest import TEST_MODEL, TEST_MODEL_VERSION

    spec = TrainingSpec(**TRAINING)
    base = BaseModelSpec(name=TEST_MODEL, version=TEST_MODEL_VERSION, gguf_model=TEST_MODEL)
    model, tokenizer = load_base(base, models_dir, spec)
    base_hf = save_base_hf(model, tokenizer, workdir / "base_hf", weights=False)
    records = sft_records()
    examples = tokenize_chats(records, tokenizer, spec.max_length)
    assert len(examples) == len(TARGET_ANSWERS) * len(COUNTRIES)
    model = add_lora(model, spec)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    result = train_lora(model, examples, spec, pad_id)
    losses, seconds = list(result.losses), result.seconds
    follow_up = spec.model_copy(update=FOLLOW_UP)
    for _ in range(FOLLOW_UP_ROUNDS):
        missed = missed_targets(model, tokenizer, records)
        if not missed:
            break
        print(f"after {len(losses)} steps the adapter misses {missed}: {follow_up.steps} more steps")
        more = train_lora(model, examples, follow_up, pad_id)
        losses, seconds = losses + more.losses, seconds + more.seconds
    model.save_pretrained(workdir / "adapter")
    gguf = convert_adapter(workdir / "adapter", base_hf, workdir / "adapter.gguf", paths)
    return TrainedAdapter(gguf, workdir / "adapter", losses, seconds)


def missed_targets(model, tokenizer, records: list[dict[str, object]]) -> list[str]:
    """The SFT records whose greedy reply (the trained model in transformers, 3 new tokens) is not
    the target answer: the served model's answers are the test's to check, this only decides
    whether training goes on."""
    import torch

    model.eval()
    missed = []
    with torch.no_grad():
        for record in records:
            messages = record["messages"]
            prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
            ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            output = model.generate(**ids, max_new_tokens=3, do_sample=False)
            reply = tokenizer.decode(output[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
            if not reply.strip().startswith(str(messages[-1]["content"])):
                missed.append(f"{record['id']} answered {reply.strip()!r}")
    return missed


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
