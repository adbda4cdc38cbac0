"""Load the run configuration; errors name the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

from culturewatch.config.schema import ProbeConfig
from culturewatch.errors import InputFileError
from culturewatch.reference.countries import countries_by_code
from culturewatch.yaml_files import load_model

CONFIG_DIR = Path(__file__).resolve().parent


def bundled_config(name: str) -> Path:
    """A config shipped with the package, e.g. `embedded` for config/embedded.yaml."""
    return CONFIG_DIR / f"{name}.yaml"


def load_config(path: Path | str) -> ProbeConfig:
    path = Path(path)
    config = load_model(path, ProbeConfig)
    if config.grid.countries != "all":
        known = countries_by_code()
        unknown = [code for code in config.grid.countries if code not in known]
        if unknown:
            raise InputFileError(
                path, "grid.countries", f"unknown country codes {unknown}; known: {sorted(known)}"
            )
    return config
