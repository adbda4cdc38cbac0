"""Instrument kinds as plug-ins: each kind (VSM 2013, CultureSPA's WVS items, WVS polarity
scenarios) says how its instruments are loaded, planned into cells, rendered, read and checked by
the quality gates (`culturewatch.kinds.protocol.InstrumentKind`). Nothing outside this package
tells kinds apart: it asks `kind_of(instrument)`. A new kind is one module and one `register`.
"""

from __future__ import annotations

from culturewatch.kinds import culturespa, polarity, vsm
from culturewatch.kinds.protocol import InstrumentKind, ReplyReading
from culturewatch.kinds.registry import kind_named, kind_of, register, registered, unregister

for _builtin in (vsm.KIND, culturespa.KIND, polarity.KIND):
    register(_builtin)

__all__ = ["InstrumentKind", "ReplyReading", "kind_named", "kind_of", "register", "registered", "unregister"]
