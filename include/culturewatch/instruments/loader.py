"""Find and load instrument files from this package's data directory."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from culturewatch.errors import InputFileError
from culturewatch.instruments.schema import Instrument
from culturewatch.yaml_files import load_model

INSTRUMENTS_DIR = Path(__file__).resolve().parent


def instrument_path(instrument_id: str, directory: Path = INSTRUMENTS_DIR) -> Path:
    return directory / f"{instrument_id}.yaml"


@cache
def load_instrument(instrument_id: str, directory: Path = INSTRUMENTS_DIR) -> Instrument:
    """Load and validate `<directory>/<instrument_id>.yaml`."""
    path = instrument_path(instrument_id, directory)
    instrument = load_model(path, Instrument)
    if instrument.id != instrument_id:
        raise InputFileError(path, "id", f"is {instrument.id!r} but the file is named {instrument_id!r}")
    return instrument
