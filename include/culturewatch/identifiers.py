"""Ids are data, never paths: run ids and instrument ids are checked before any path is built.

A run id (`<model slug>--<version slug>--<grid digest>`, see probing.probe_specs.run_id_for) and an
instrument id (`vsm2013`, `wvs_culturespa`) name one folder each; an id that could climb out of
it (`../x`, `a/b`, an absolute path) or hide in it (`.`, a leading dot) is refused with an
error naming what was given.
"""

from __future__ import annotations

import re

from culturewatch.errors import CulturewatchError

RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
INSTRUMENT_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class InvalidIdentifier(CulturewatchError):
    """An id that is not of its kind's form (and so could not safely name a folder)."""


def check_run_id(run_id: str, what: str = "run id") -> str:
    """A run id (or another id of the same form: `what` names it, e.g. a build id)."""
    if not isinstance(run_id, str) or not re.fullmatch(RUN_ID_PATTERN, run_id):
        raise InvalidIdentifier(
            f"{what} {run_id!r} is not a {what} (letters, digits, '.', '_', '-'; starting with a "
            f"letter or digit; at most 200 characters)"
        )
    return run_id


def check_instrument_id(instrument_id: str) -> str:
    if not isinstance(instrument_id, str) or not re.fullmatch(INSTRUMENT_ID_PATTERN, instrument_id):
        raise InvalidIdentifier(
            f"instrument id {instrument_id!r} is not an instrument id (lower-case letters, digits and "
            f"'_', starting with a letter; e.g. 'vsm2013')"
        )
    return instrument_id
