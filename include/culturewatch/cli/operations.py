"""Operations commands of the `culturewatch` CLI: Airflow set-up (pools), one watch, alert state.

culturewatch airflow-init [--config C]       metadata DB + one pool per endpoint (idempotent)
culturewatch watch [--config C]              poll endpoints and registry once; list new versions
culturewatch alerts list                     alerts (one per regression event) sent/muted, acks, mutes
culturewatch alerts ack ALERT_ID [--by WHO] [--reason TEXT]
culturewatch alerts mute MODEL (--for 2d | --until 2026-12-01T00:00Z) [--by WHO] [--reason TEXT]
culturewatch alerts unmute MODEL
culturewatch dbt-manifest                    the dbt manifest the transform DAG renders from (setup, deploy)
culturewatch compact [--run-id RUN ...]      one raw file per run and table (default: every complete run)
culturewatch warehouse                       the published warehouse build: id, time, local file
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.settings import data_paths

_DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_until(duration: str | None, until: str | None, now: datetime) -> datetime:
    """The end of a mute from `--for 12h|3d|1w` or `--until ISO-8601` (UTC when no offset)."""
    if (duration is None) == (until is None):
        raise CulturewatchError("mute: give exactly one of --for (e.g. 12h, 3d, 1w) or --until (ISO 8601)")
    if duration is not None:
        match = _DURATION.match(duration.strip())
        if not match:
            raise CulturewatchError(f"mute --for {duration!r}: expected a number and m/h/d/w, e.g. 12h or 3d")
        return now + timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        end = datetime.fromisoformat(str(until))
    except ValueError as exc:
        raise CulturewatchError(f"mute --until {until!r}: not an ISO 8601 time ({exc})") from exc
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= now:
        raise CulturewatchError(f"mute --until {until!r} is in the past")
    return end


def _airflow_init(args: argparse.Namespace) -> None:
    from culturewatch.orchestration.airflow_runs import ensure_pools, init_airflow

    paths = data_paths(args.data_dir)
    init_airflow(paths)
    pools = ensure_pools(paths, Path(args.config) if args.config else None)
    for name, pool in pools.items():
        print(f"pool {name}: {pool['slots']} slot(s)")


def _watch(args: argparse.Namespace) -> None:
    import json

    from culturewatch.config.loader import bundled_config
    from culturewatch.discovery.watch import watch_once

    stamp = f"cli-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = watch_once(args.config or bundled_config("embedded"), data_paths(args.data_dir), stamp)
    print(json.dumps(result.summary(), indent=2))
    for target in result.to_probe:
        print(f"to probe: culturewatch probe --model {target.model} --version {target.version}")
    if result.errors:
        raise CulturewatchError("could not read: " + "; ".join(result.errors))


def _plain(value: object) -> str:
    """Ledger text (model names, versions) for a terminal: control characters as spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in str(value))


def alert_rows(paths) -> list[dict[str, object]]:
    """One row per alert (one regression event or recovery) in the ledger: what it covered,
    where it went and its ops state."""
    from culturewatch.alerts.ledger import read_ledger, read_state
    from culturewatch.alerts.outbox import DETAIL_SEPARATOR

    state = read_state(paths)
    alerts: dict[str, dict[str, object]] = {}
    for row in sorted(read_ledger(paths), key=lambda row: row["recorded_at"]):
        headline = (
            "all countries"
            if row["country"] is None and row["prompt_language"] is None
            else (f"{row['country'] or 'all'}/{row['prompt_language'] or 'all'}")
        )
        first = str(row["detail"] or "").split(DETAIL_SEPARATOR)[0]
        alert = alerts.setdefault(
            str(row["alert_id"]),
            {key: row[key] for key in ("alert_id", "kind", "model", "previous_version", "version", "metric")}
            | {
                "where": headline,
                "affected": first.removeprefix("affected: ") if first.startswith("affected: ") else headline,
                "channels": [],
            },
        )
        alert["channels"].append(row["channel"] if row["status"] == "sent" else "muted")  # type: ignore[union-attr]
        alert["first_at"] = alert.get("first_at") or row["recorded_at"]
    for alert_id, alert in alerts.items():
        ack = state.acked.get(alert_id)
        alert["acked"] = f"{ack['actor'] or '?'} at {ack['recorded_at']:%Y-%m-%d %H:%M}" if ack else None
    return list(alerts.values())


def _alerts(args: argparse.Namespace) -> None:
    from culturewatch.alerts.ledger import read_state, record_state

    paths = data_paths(args.data_dir)
    now = datetime.now(UTC)
    if args.alerts_command == "list":
        rows = alert_rows(paths)
        for row in rows:
            acked = f"  acked by {row['acked']}" if row["acked"] else ""
            print(
                f"{row['first_at']:%Y-%m-%d %H:%M}  {row['alert_id']}\n"
                + _plain(
                    f"    {row['kind']} {row['model']} {row['previous_version']} -> {row['version']} "
                    f"{row['metric']} {row['where']}  [{', '.join(row['channels'])}]{acked}"  # type: ignore[arg-type]
                )
                + "\n"
                + _plain(f"    affected: {row['affected']}")
            )
        if not rows:
            print("no alerts in the ledger")
        for mute in read_state(paths).mutes.values():
            if mute.until > now:
                print(
                    _plain(
                        f"muted: {mute.model} until {mute.until:%Y-%m-%d %H:%M} UTC "
                        f"by {mute.actor or '?'}: {mute.reason or ''}"
                    )
                )
    elif args.alerts_command == "ack":
        known = {str(row["alert_id"]) for row in alert_rows(paths)}
        if args.alert_id not in known:
            raise CulturewatchError(
                f"alerts ack: no alert {args.alert_id!r} in the ledger (see `alerts list`)"
            )
        record_state(paths, "ack", args.alert_id, actor=args.by, reason=args.reason)
        print(f"acknowledged {args.alert_id}")
    elif args.alerts_command == "mute":
        until = parse_until(args.duration, args.until, now)
        record_state(paths, "mute", args.model, until=until, actor=args.by, reason=args.reason)
        print(f"muted {args.model} until {until:%Y-%m-%d %H:%M} UTC")
    elif args.alerts_command == "unmute":
        record_state(paths, "unmute", args.model, actor=args.by, reason=args.reason)
        print(f"unmuted {args.model}")


def _dbt_manifest(args: argparse.Namespace) -> None:
    from culturewatch.transform.dbt_manifest import write_manifest

    print(f"dbt manifest: {write_manifest()}")


def _compact(args: argparse.Namespace) -> None:
    from culturewatch.storage.compaction import compact_runs
    from culturewatch.storage.raw_runs import require_raw_run

    paths = data_paths(args.data_dir)
    for run_id in args.run_id or []:
        require_raw_run(paths, run_id)
    done = compact_runs(paths, args.run_id or None)
    for run_id, tables in done.items():
        files = [table for table, written in tables.items() if written]
        print(f"{run_id}: {'compacted ' + ', '.join(files) if files else 'already compact'}")
    print(f"{len(done)} run(s) checked")


def _warehouse(args: argparse.Namespace) -> None:
    from culturewatch.storage.warehouse import published_file

    paths = data_paths(args.data_dir)
    build, local = published_file(paths)
    print(
        f"published build {build.build_id} at {build.published_at} ({build.runs} runs, "
        f"{build.set_aside_files} raw files set aside)"
    )
    print(f"store file: {paths.store.uri(build.file)}")
    print(f"read it:    duckdb -readonly {paths.warehouse}   (-> {local})")


def add_ops_commands(commands: argparse._SubParsersAction) -> None:
    manifest = commands.add_parser(
        "dbt-manifest", help="write the dbt manifest the transform DAG renders from"
    )
    manifest.set_defaults(handler=_dbt_manifest)

    compact = commands.add_parser("compact", help="rewrite complete runs' raw files as one file per table")
    compact.add_argument(
        "--run-id", action="append", help="a run to compact (repeatable; default: every complete run)"
    )
    compact.set_defaults(handler=_compact)

    warehouse = commands.add_parser("warehouse", help="the published warehouse build and where to read it")
    warehouse.set_defaults(handler=_warehouse)

    init = commands.add_parser(
        "airflow-init", help="Airflow metadata DB and one pool per endpoint (idempotent)"
    )
    init.add_argument("--config", help="fleet config (default: $CULTUREWATCH_CONFIG, else the embedded one)")
    init.set_defaults(handler=_airflow_init)

    watch = commands.add_parser("watch", help="poll endpoints and the registry once; list new versions")
    watch.add_argument("--config", help="run configuration YAML (default: the embedded default)")
    watch.set_defaults(handler=_watch)

    alerts = commands.add_parser("alerts", help="regression alerts: list, acknowledge, mute a model")
    sub = alerts.add_subparsers(dest="alerts_command", required=True)
    sub.add_parser("list", help="alerts in the ledger, acknowledgements and active mutes")
    ack = sub.add_parser("ack", help="acknowledge an alert (it is not delivered again on any channel)")
    ack.add_argument("alert_id")
    mute = sub.add_parser("mute", help="send no alerts for a model for a period")
    mute.add_argument("model")
    mute.add_argument("--for", dest="duration", help="e.g. 12h, 3d, 1w")
    mute.add_argument("--until", help="ISO 8601 time (UTC unless it has an offset)")
    unmute = sub.add_parser("unmute", help="end a model's mute now")
    unmute.add_argument("model")
    for command in (ack, mute, unmute):
        command.add_argument("--by", help="who (recorded)")
        command.add_argument("--reason", help="why (recorded)")
    alerts.set_defaults(handler=_alerts)
