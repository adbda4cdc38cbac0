"""Load YAML files into typed pydantic models, turning every failure into an InputFileError.

A key given twice in one mapping is an error naming the file, the line and the key (PyYAML
would keep the last value silently: a duplicated item text would reach the prompt). Merge keys
(`<<: *anchor`) still override as YAML defines.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from culturewatch.errors import InputFileError

ModelT = TypeVar("ModelT", bound=BaseModel)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                seen = first_line.get(key)
            except TypeError:  # an unhashable key: the base class says so
                continue
            if seen is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given at line {seen})", key_node.start_mark
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> object:
    """YAML text → data, refusing duplicate keys (yaml.YAMLError with the line on a problem)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def read_yaml(path: Path) -> object:
    """Parse a YAML file, naming the file and the line of a syntax error or a duplicate key."""
    if not path.is_file():
        raise InputFileError(path, "<file>", "does not exist")
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
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
