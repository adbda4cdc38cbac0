"""Serve a registered CultureSPA adapter so the watch can discover and probe it.

Embedded default: the adapter's GGUF is downloaded from the MLflow registry version (the
`adapter_gguf` artifact of its logged model) and applied to the base GGUF by llama.cpp's server
(`LocalModelServer(lora_path=...)`) on 127.0.0.1, under the configured model name the candidate is
probed as (`evaluation.probe_as`, default the base model's name). `candidate_fleet_config` writes the
fleet config that points that model at the server and watches the registry (alias `candidate`),
so `discovery.watch.watch_once` finds the version as `mlflow:<name>/v<N>` like any registry version.

Production (docker-compose's `vllm` service runs with `--enable-lora`, adapters in the
`lora-adapters` volume at /adapters, runtime loading on): the peft adapter directory of the
registry version goes to `/adapters/<name>/v<N>` and is loaded with `POST /v1/load_lora_adapter
{"lora_name": <LoRA module name>, "lora_path": "/adapters/<name>/v<N>"}` (or at start,
`--lora-modules <LoRA module name>=/adapters/<name>/v<N>`). The fleet config lists the LoRA module
name as a model on the vLLM endpoint, and `discovery.mlflow.models[]` names it as `probe_as`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from culturewatch.config.schema import ClientLimits, ProbeGrid
from culturewatch.discovery.registry import registry_identity
from culturewatch.retraining.retrain_config import RetrainConfig
from culturewatch.retraining.tracking import CANDIDATE_ALIAS
from culturewatch.settings import DataPaths


@dataclass(frozen=True)
class ServedCandidate:
    """A registry version served on an OpenAI-compatible endpoint, as the watch will see it."""

    registered_name: str
    version: str
    probe_as: str
    base_url: str
    adapter_gguf: Path

    @property
    def identity(self) -> str:
        return registry_identity(self.registered_name, self.version)


def probe_as(config: RetrainConfig) -> str:
    """The configured model the candidate's probes are recorded under."""
    return config.evaluation.probe_as or config.base_model.name


@contextmanager
def serve_registered_adapter(
    paths: DataPaths,
    config: RetrainConfig,
    registered_name: str,
    alias_or_version: str = CANDIDATE_ALIAS,
    *,
    port: int | None = None,
    workdir: Path,
) -> Iterator[ServedCandidate]:
    """The base GGUF + the registry version's GGUF adapter served by llama.cpp for the block.

    The adapter comes from the MLflow artifact (not from the retraining's own files), so what is
    probed is exactly what the registry holds."""
    import mlflow

    from culturewatch.errors import CulturewatchError
    from culturewatch.retraining.registry import adapter_gguf_of
    from culturewatch.retraining.tracking import configure
    from culturewatch.serving.llama_server import LocalModelServer
    from culturewatch.serving.model_files import assemble

    if config.base_model.gguf_model is None:
        raise CulturewatchError(
            "serving an adapter locally needs `base_model.gguf_model`; with `hf_path` serve it with vLLM "
            "(--enable-lora, /v1/load_lora_adapter) and let the fleet's watch probe it"
        )
    configure(paths, config.mlflow, config.base_model.name)
    client = mlflow.MlflowClient()
    if alias_or_version.isdigit():
        version = str(client.get_model_version(registered_name, alias_or_version).version)
    else:
        version = str(client.get_model_version_by_alias(registered_name, alias_or_version).version)
    adapter = adapter_gguf_of(registered_name, version, workdir / f"v{version}")
    port = port or config.evaluation.port
    server = LocalModelServer(
        probe_as(config),
        assemble(config.base_model.gguf_model, paths.models),
        port=port,
        log_path=workdir / f"model-server-{port}.log",
        lora_path=adapter,
        n_threads=config.endpoint.n_threads,
    )
    with server:
        yield ServedCandidate(registered_name, version, probe_as(config), server.base_url, adapter)


def evaluation_grid(config: RetrainConfig) -> ProbeGrid:
    """The grid the base and the candidate are both probed with (same grid → same grid digest in
    their run ids → comparable runs)."""
    spec = config.evaluation
    return ProbeGrid(
        instrument="wvs_culturespa",
        settings=["english"],
        countries=spec.countries,
        items=spec.items,
        strategies=list(spec.strategies),
        max_tokens=8,
    )


def evaluation_client(config: RetrainConfig) -> ClientLimits:
    return ClientLimits(concurrency=config.endpoint.concurrency, max_retries=1, batch_size=48)


def candidate_fleet_config(
    path: Path, served: ServedCandidate, paths: DataPaths, config: RetrainConfig
) -> Path:
    """A fleet config for the served candidate: its endpoint (version pinned to the registry
    identity: llama-cpp-python's /v1/models shows only the alias, and this server serves exactly
    that version) and the registry watched for alias `candidate`, probed as that model, with the
    evaluation grid and the evaluation runs' quality thresholds."""
    from culturewatch.retraining.tracking import tracking_uri

    grid, client, quality = evaluation_grid(config), evaluation_client(config), config.evaluation.quality
    document = {
        "models": [
            {
                "name": served.probe_as,
                "base_url": served.base_url,
                "version": served.identity,
                "pool_size": 1,
                "quality": quality.model_dump(mode="json"),
            }
        ],
        "grid": grid.model_dump(mode="json"),
        "client": client.model_dump(mode="json"),
        "discovery": {
            "mlflow": {
                "tracking_uri": tracking_uri(paths, config.mlflow),
                "models": [
                    {
                        "name": served.registered_name,
                        "probe_as": served.probe_as,
                        "aliases": [CANDIDATE_ALIAS],
                    }
                ],
            }
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def load_into_vllm(
    paths: DataPaths, config: RetrainConfig, registered_name: str, version: str
) -> dict[str, str]:
    """Hand a registry version to the fleet's vLLM (`--enable-lora`, runtime loading on): its peft
    directory is copied to `<evaluation.vllm_adapters_dir>/<registered name>/v<N>` (the volume vLLM
    mounts at the same path) and loaded as the LoRA module `probe_as`, replacing the adapter loaded
    under that name before. Errors name the URL, the status and vLLM's reply."""
    import shutil
    import tempfile

    import httpx

    from culturewatch.config.schema import ModelEndpoint
    from culturewatch.errors import CulturewatchError
    from culturewatch.retraining.registry import adapter_dir_of
    from culturewatch.retraining.tracking import configure

    spec = config.evaluation
    if config.endpoint.base_url is None or spec.vllm_adapters_dir is None:
        raise CulturewatchError(
            "loading into vLLM needs `endpoint.base_url` and `evaluation.vllm_adapters_dir`"
        )
    configure(paths, config.mlflow, config.base_model.name)
    target = spec.vllm_adapters_dir / registered_name / f"v{version}"
    if not (target / "adapter_config.json").is_file():
        with tempfile.TemporaryDirectory() as scratch:
            source = adapter_dir_of(registered_name, version, Path(scratch))
            shutil.copytree(source, target, dirs_exist_ok=True)
    endpoint = ModelEndpoint(
        name=probe_as(config), base_url=config.endpoint.base_url, api_key_env=config.endpoint.api_key_env
    )
    base_url = str(config.endpoint.base_url).rstrip("/")
    headers = {"Authorization": f"Bearer {endpoint.api_key()}"}
    name = probe_as(config)
    with httpx.Client(timeout=config.endpoint.timeout_s, headers=headers) as client:
        # a previous candidate served under the same module name is replaced (404/400: none loaded)
        unloaded = client.post(f"{base_url}/unload_lora_adapter", json={"lora_name": name})
        reply = client.post(
            f"{base_url}/load_lora_adapter", json={"lora_name": name, "lora_path": str(target)}
        )
    if reply.status_code >= 400:
        raise CulturewatchError(
            f"vLLM at {base_url}/load_lora_adapter refused {name}={target}: HTTP {reply.status_code}: "
            f"{reply.text[:300]}"
        )
    return {
        "lora_name": name,
        "lora_path": str(target),
        "unloaded_previous": str(unloaded.status_code < 400),
    }
