"""Load the run configuration; errors name the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

from culturewatch.config.schema import ProbeConfig
from culturewatch.errors import CulturewatchError, InputFileError
from culturewatch.yaml_files import load_model

CONFIG_DIR = Path(__file__).resolve().parent


def bundled_config(name: str) -> Path:
    """A config shipped with the package, e.g. `embedded` for config/embedded.yaml."""
    return CONFIG_DIR / f"{name}.yaml"


def load_config(path: Path | str) -> ProbeConfig:
    """Load a config and plan its grid once against its instrument, so that a country, setting,
    strategy, style, variant or item the instrument does not have fails here, naming the file."""
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.probe_specs import cells_for, country_languages

    path = Path(path)
    config = load_model(path, ProbeConfig)
    try:
        instrument = load_instrument(config.grid.instrument)
        cells_for(config.grid, instrument, country_languages(config.grid, instrument))
    except CulturewatchError as exc:
        raise InputFileError(path, "grid", str(exc)) from exc
    return config
