"""One retraining's workspace: its directory, config and state, and what every step shares — the
retraining's MLflow run, an endpoint for the base model, a chat client, the chosen countries.

Everything of one retraining lives in `<data dir>/retrain/<retrain id>/` (the id is a digest of
the config, so re-running the same config resumes it); `pipeline` lists the files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from culturewatch.config.schema import ClientLimits, ModelEndpoint
from culturewatch.errors import CulturewatchError
from culturewatch.retraining.retrain_config import RetrainConfig, load_retrain_config
from culturewatch.retraining.sft_data import read_jsonl, write_jsonl
from culturewatch.settings import DataPaths

__all__ = [
    "RetrainWork",
    "base_endpoint",
    "chat_client",
    "chosen_countries",
    "mlflow_run",
    "read_jsonl",
    "retrain_id_for",
    "write_jsonl",
]


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


@contextmanager
def mlflow_run(paths: DataPaths, work: RetrainWork) -> Iterator[object]:
    """The retraining's MLflow run, resumed; an exception inside marks it FAILED."""
    import mlflow

    from culturewatch.retraining.tracking import configure

    configure(paths, work.config.mlflow, work.config.base_model.name)
    with mlflow.start_run(run_id=str(work.state()["mlflow_run_id"])) as run:
        yield run


@contextmanager
def base_endpoint(paths: DataPaths, work: RetrainWork, port: int | None = None, lora: Path | None = None):
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


def chat_client(paths: DataPaths, work: RetrainWork, base_url: str, version: str):
    from culturewatch.probing.cache import ResponseCache
    from culturewatch.probing.client import ChatClient

    endpoint = ModelEndpoint(
        name=work.config.base_model.name,
        base_url=base_url,
        version=version,
        api_key_env=work.config.endpoint.api_key_env if work.config.endpoint.base_url else None,
    )
    limits = ClientLimits(
        concurrency=work.config.endpoint.concurrency,
        timeout_s=work.config.endpoint.timeout_s,
        max_retries=work.config.endpoint.max_retries,
    )
    return ChatClient(endpoint, limits, ResponseCache(paths.cache_db), version)


def chosen_countries(chosen: list[str] | str) -> list[str]:
    from culturewatch.instruments.loader import load_instrument

    instrument = load_instrument("wvs_culturespa")
    return list(instrument.countries) if chosen == "all" else list(chosen)
