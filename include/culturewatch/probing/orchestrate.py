"""Entry points shared by the CLI and the Airflow tasks: plan a probe, run one spec."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from culturewatch.config.loader import load_config
from culturewatch.config.schema import ModelEndpoint, ProbeConfig
from culturewatch.errors import CulturewatchError, InputFileError
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.client import resolve_version
from culturewatch.probing.probe_specs import JUDGE_KEY, ProbeSpec, build_specs
from culturewatch.yaml_files import load_model


def _one_model(config: ProbeConfig, config_path: Path | str, model: str) -> ProbeConfig:
    chosen = [endpoint for endpoint in config.models if endpoint.name == model]
    if not chosen:
        raise InputFileError(
            config_path, "models", f"no model named {model!r}; it has {[e.name for e in config.models]}"
        )
    return config.model_copy(update={"models": chosen})


def _check_served(config: ProbeConfig, version: str) -> None:
    """A digest version (from discovery) must still be what the endpoint serves: probing another
    version under its name would mislabel every answer."""
    [endpoint] = config.models
    if endpoint.version != "auto" or not version.startswith("digest-"):
        return
    now = resolve_version(endpoint)
    if now != version:
        raise CulturewatchError(
            f"model {endpoint.name!r} at {endpoint.display_url} now serves version {now}, not {version}: "
            f"not probing (the watch will see {now} as a new version)"
        )


def plan_probe(
    config_path: Path | str, model: str | None = None, version: str | None = None
) -> list[ProbeSpec]:
    """Validate the config and instrument, resolve each model's version, one spec per task.

    `model` restricts the probe to one configured model; `version` (with `model`) probes it as
    that version identity instead of resolving it (the watch DAG passes what it discovered)."""
    config = load_config(config_path)
    if version is not None and model is None:
        raise CulturewatchError("a version needs a model: name the model to probe as that version")
    if model is not None:
        config = _one_model(config, config_path, model)
    for endpoint in [*config.models, *([config.judge] if config.judge else [])]:
        endpoint.api_key()  # an unset api_key_env fails here, naming it, before anything is asked or written
    instrument = load_instrument(config.grid.instrument)
    if version is not None:
        _check_served(config, version)
        versions = {config.models[0].name: version}
    else:
        versions = {endpoint.name: resolve_version(endpoint) for endpoint in config.models}
    if config.judge is not None:
        versions[JUDGE_KEY] = resolve_version(config.judge)
    return build_specs(config, instrument, versions)


def _real_endpoint(
    stored: dict[str, object], candidates: list[ModelEndpoint], config_path: Path | str
) -> dict[str, object]:
    shown = ModelEndpoint.model_validate(stored).display_url
    for endpoint in candidates:
        if endpoint.name == stored["name"] and endpoint.display_url == shown:
            return {**stored, "base_url": str(endpoint.base_url)}
    raise InputFileError(
        config_path,
        "models",
        f"no model {stored['name']!r} at {shown} any more (the probe was planned with it)",
    )


def with_credentials(spec: ProbeSpec, config_path: Path | str) -> ProbeSpec:
    """A spec stored redacted (ProbeSpec.redacted) with its endpoints' real base_url back from the
    config it was planned from, inside the process that asks."""
    config = load_model(Path(config_path), ProbeConfig)
    endpoints = [*config.models, *([config.judge] if config.judge else [])]
    return replace(
        spec,
        endpoint=_real_endpoint(spec.endpoint, endpoints, config_path),
        judge=_real_endpoint(spec.judge, endpoints, config_path) if spec.judge is not None else None,
    )
