"""Errors that name what is wrong and where, so bad input fails fast and clearly."""

from __future__ import annotations

from pathlib import Path


class CulturewatchError(Exception):
    """Base class for errors the CLI reports without a traceback."""


class InputFileError(CulturewatchError):
    """A config, instrument or data file is malformed: names the file, the field and the problem."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.path}: {field}: {problem}")


class EndpointError(CulturewatchError):
    """A model endpoint could not be reached or kept failing after its retries."""


class MissingCredential(CulturewatchError):
    """An endpoint's api_key_env names a variable that is not set (the message never holds a value)."""


def first_problem(exc: Exception) -> str:
    """One line for an exception: a pydantic validation error's first field and message."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return f"{field}: {first['msg']}" if field else first["msg"]
    return f"{type(exc).__name__}: {exc}"
