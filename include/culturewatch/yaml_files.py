"""Load YAML files into typed pydantic models, turning every failure into an InputFileError."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from culturewatch.errors import InputFileError

ModelT = TypeVar("ModelT", bound=BaseModel)


def read_yaml(path: Path) -> object:
    """Parse a YAML file, naming the file and the line of a syntax error."""
    if not path.is_file():
        raise InputFileError(path, "<file>", "does not exist")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "<yaml>"
        raise InputFileError(path, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc


def load_model(path: Path, model: type[ModelT]) -> ModelT:
    """Validate a YAML file against `model`; the first error names the field path."""
    data = read_yaml(path)
    try:
        return model.model_validate(data, context={"path": path})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "<root>"
        problem = first["msg"]
        if len(exc.errors()) > 1:
            problem += f" (and {len(exc.errors()) - 1} more problem(s))"
        raise InputFileError(path, field, problem) from exc
