"""The alert ledger and the ops state (acknowledgements, mutes): append-only Parquet under
`<data dir>/alerts/`. A delivery in the ledger is never made again, so a retried or re-run
alerts task sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table, write_batch
from culturewatch.storage.schema import ALERT_LEDGER_SCHEMA, ALERT_STATE_SCHEMA

MUTED_CHANNEL = "*"


def ledger_dir(paths: DataPaths) -> Path:
    return paths.root / "alerts" / "ledger"


def state_dir(paths: DataPaths) -> Path:
    return paths.root / "alerts" / "state"


def read_ledger(paths: DataPaths) -> list[dict[str, object]]:
    return read_table(ledger_dir(paths), ALERT_LEDGER_SCHEMA).to_pylist()


def append_ledger(paths: DataPaths, rows: list[dict[str, object]]) -> None:
    if rows:
        write_batch(ledger_dir(paths), rows, ALERT_LEDGER_SCHEMA)


def delivered(paths: DataPaths) -> set[tuple[str, str]]:
    """(alert id, channel) pairs already in the ledger; channel `*` = the whole alert (muted)."""
    return {(str(row["alert_id"]), str(row["channel"])) for row in read_ledger(paths)}


@dataclass(frozen=True)
class Mute:
    model: str
    until: datetime
    actor: str | None
    reason: str | None


@dataclass(frozen=True)
class OpsState:
    acked: dict[str, dict[str, object]]
    mutes: dict[str, Mute]

    def muted(self, model: str, now: datetime) -> Mute | None:
        mute = self.mutes.get(model)
        return mute if mute is not None and mute.until > now else None


def read_state(paths: DataPaths) -> OpsState:
    """Acknowledged alert ids and each model's latest mute (an `unmute` ends it)."""
    rows = sorted(
        read_table(state_dir(paths), ALERT_STATE_SCHEMA).to_pylist(), key=lambda row: row["recorded_at"]
    )
    acked: dict[str, dict[str, object]] = {}
    mutes: dict[str, Mute] = {}
    for row in rows:
        target = str(row["target"])
        if row["action"] == "ack":
            acked.setdefault(target, row)
        elif row["action"] == "mute":
            mutes[target] = Mute(target, row["until"], row["actor"], row["reason"])
        elif row["action"] == "unmute":
            mutes.pop(target, None)
    return OpsState(acked, mutes)


def record_state(
    paths: DataPaths,
    action: str,
    target: str,
    *,
    until: datetime | None = None,
    actor: str | None = None,
    reason: str | None = None,
) -> None:
    write_batch(
        state_dir(paths),
        [
            {
                "action": action,
                "target": target,
                "until": until,
                "actor": actor,
                "reason": reason,
                "recorded_at": datetime.now(UTC),
            }
        ],
        ALERT_STATE_SCHEMA,
    )
