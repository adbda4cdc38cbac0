"""The instrument kinds, by name: the only place that tells instruments of one kind from another.

Planning, rendering, reading, language checks and quality gates ask `kind_of(instrument)`;
`register` adds a kind (its loader too, so `load_instrument` reads instruments of that kind).
"""

from __future__ import annotations

from typing import Any

from culturewatch.errors import CulturewatchError
from culturewatch.instruments.loader import register_loader, unregister_loader
from culturewatch.kinds.protocol import InstrumentKind

_KINDS: dict[str, InstrumentKind] = {}


def register(kind: InstrumentKind) -> InstrumentKind:
    """Make `kind` known by its name (replacing a kind of the same name)."""
    _KINDS[kind.name] = kind
    register_loader(kind.name, kind.load)
    return kind


def unregister(name: str) -> None:
    _KINDS.pop(name, None)
    unregister_loader(name)


def registered() -> list[str]:
    return list(_KINDS)


def kind_named(name: str) -> InstrumentKind:
    if name not in _KINDS:
        raise CulturewatchError(f"no instrument kind {name!r} is registered; registered: {registered()}")
    return _KINDS[name]


def kind_of(instrument: Any) -> InstrumentKind:
    """The kind of a loaded instrument (its `kind` field)."""
    return kind_named(instrument.kind)
