"""Read a reference CSV into typed rows, naming the file and line of a bad row."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from culturewatch.errors import InputFileError

RowT = TypeVar("RowT", bound=BaseModel)


def read_rows(path: Path, model: type[RowT], key: str) -> tuple[RowT, ...]:
    """Rows of `path` validated as `model`; duplicate values of `key` are rejected."""
    rows: list[RowT] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rows.append(model.model_validate(row))
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(part) for part in first["loc"])
                raise InputFileError(path, f"line {line_number}: {field}", first["msg"]) from exc
    keys = [getattr(row, key) for row in rows]
    duplicates = sorted({value for value in keys if keys.count(value) > 1})
    if duplicates:
        raise InputFileError(path, key, f"duplicate values {duplicates}")
    return tuple(rows)
