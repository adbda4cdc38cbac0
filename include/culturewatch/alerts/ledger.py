"""The alert ledger and the ops state (acknowledgements, mutes): append-only Parquet under
`alerts/` of the shared store. A delivery in the ledger is never made again, so a retried or
re-run alerts task, on any worker, sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from culturewatch.settings import DataPaths
from culturewatch.storage.parquet import read_table, write_batch
from culturewatch.storage.schema import ALERT_LEDGER_SCHEMA, ALERT_STATE_SCHEMA

MUTED_CHANNEL = "*"


def read_ledger(paths: DataPaths) -> list[dict[str, object]]:
    return read_table(paths.alert_ledger, ALERT_LEDGER_SCHEMA).to_pylist()


def append_ledger(paths: DataPaths, rows: list[dict[str, object]]) -> None:
    if rows:
        write_batch(paths.alert_ledger, rows, ALERT_LEDGER_SCHEMA)


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
        read_table(paths.alert_state, ALERT_STATE_SCHEMA).to_pylist(), key=lambda row: row["recorded_at"]
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
        paths.alert_state,
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
