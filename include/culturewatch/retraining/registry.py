"""The adapter as an MLflow logged model and a registry version with aliases.

The logged model carries the peft adapter directory and its GGUF conversion as artifacts (what
llama.cpp's server loads with `--lora_path`, and vLLM with `--enable-lora`), and as a pyfunc it
answers chat prompts with transformers + peft on the base it names. Registration sets the
`candidate` alias; only `promote` moves `champion`.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import mlflow.pyfunc

from culturewatch.retraining.tracking import CANDIDATE_ALIAS, CHAMPION_ALIAS


class AdapterModel(mlflow.pyfunc.PythonModel):
    """pyfunc: `predict` takes chats (lists of {role, content}) and returns the greedy replies."""

    def load_context(self, context) -> None:
        self._adapter_dir = Path(context.artifacts["adapter"])
        self._config = dict(context.model_config or {})
        self._model = None

    def _load(self):
        from peft import PeftModel

        from culturewatch.retraining.lora import load_base
        from culturewatch.retraining.retrain_config import BaseModelSpec, TrainingSpec
        from culturewatch.settings import data_paths

        base = BaseModelSpec.model_validate(self._config["base_model"])
        model, tokenizer = load_base(base, data_paths().models, TrainingSpec(device="cpu"))
        self._model = PeftModel.from_pretrained(model, self._adapter_dir).eval()
        self._tokenizer = tokenizer

    def predict(self, context, model_input, params=None):  # noqa: ARG002
        import torch

        if self._model is None:
            self._load()
        chats = model_input if isinstance(model_input, list) else list(model_input["messages"])
        replies = []
        for messages in chats:
            ids = self._tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt"
            )
            with torch.no_grad():
                out = self._model.generate(ids, max_new_tokens=int((params or {}).get("max_tokens", 8)))
            replies.append(self._tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
        return replies


@dataclass(frozen=True)
class RegisteredAdapter:
    name: str
    version: str
    model_uri: str


def _pins(*packages: str) -> list[str]:
    return [f"{package}=={importlib.metadata.version(package)}" for package in packages]


def log_and_register(
    adapter_dir: Path,
    adapter_gguf: Path,
    registered_name: str,
    model_config: dict[str, object],
    tags: dict[str, str],
) -> RegisteredAdapter:
    """Log the adapter to the active run and register it; the new version becomes `candidate`."""
    import mlflow

    info = mlflow.pyfunc.log_model(
        name="adapter",
        python_model=AdapterModel(),
        artifacts={"adapter": str(adapter_dir), "adapter_gguf": str(adapter_gguf)},
        model_config=model_config,
        pip_requirements=_pins("torch", "transformers", "peft", "gguf", "mlflow"),
        registered_model_name=registered_name,
        tags=tags,
    )
    client = mlflow.MlflowClient()
    version = str(info.registered_model_version)
    for key, value in tags.items():
        client.set_model_version_tag(registered_name, version, key, value)
    client.set_registered_model_alias(registered_name, CANDIDATE_ALIAS, version)
    return RegisteredAdapter(registered_name, version, info.model_uri)


def set_champion(registered_name: str, version: str) -> None:
    import mlflow

    mlflow.MlflowClient().set_registered_model_alias(registered_name, CHAMPION_ALIAS, version)


def _download(registered_name: str, alias_or_version: str, into: Path) -> tuple[str, Path]:
    """(version number, local folder) of a registry version's logged model, by alias or number."""
    import mlflow

    client = mlflow.MlflowClient()
    if alias_or_version.isdigit():
        version = client.get_model_version(registered_name, alias_or_version)
    else:
        version = client.get_model_version_by_alias(registered_name, alias_or_version)
    local = mlflow.artifacts.download_artifacts(
        f"models:/{registered_name}/{version.version}", dst_path=str(into)
    )
    return str(version.version), Path(local)


def adapter_gguf_of(registered_name: str, alias_or_version: str, into: Path) -> Path:
    """Download the GGUF adapter of a registry version (by alias or number) for serving."""
    version, local = _download(registered_name, alias_or_version, into)
    found = sorted(local.rglob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"{registered_name} v{version} has no GGUF adapter artifact")
    return found[0]


def adapter_dir_of(registered_name: str, alias_or_version: str, into: Path) -> Path:
    """Download the peft adapter directory (adapter_config.json + weights) of a registry version:
    what vLLM's --enable-lora loads."""
    version, local = _download(registered_name, alias_or_version, into)
    found = sorted(config.parent for config in local.rglob("adapter_config.json"))
    if not found:
        raise FileNotFoundError(f"{registered_name} v{version} has no peft adapter directory artifact")
    return found[0]
