"""Entry points shared by the CLI and the Airflow tasks: plan a probe, run one spec."""

from __future__ import annotations

from pathlib import Path

from culturewatch.config.loader import load_config
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.client import resolve_version
from culturewatch.probing.plan import JUDGE_KEY, ProbeSpec, build_specs


def plan_probe(config_path: Path | str) -> list[ProbeSpec]:
    """Validate the config and instrument, resolve each model's version, one spec per task."""
    config = load_config(config_path)
    instrument = load_instrument(config.grid.instrument)
    versions = {endpoint.name: resolve_version(endpoint) for endpoint in config.models}
    if config.judge is not None:
        versions[JUDGE_KEY] = resolve_version(config.judge)
    return build_specs(config, instrument, versions)
