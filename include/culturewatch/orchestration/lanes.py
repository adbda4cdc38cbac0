"""Where probe tasks run in Airflow: one lane (queue + pool) per endpoint of the fleet config.

Airflow decides a task's queue and pool when the DAG is parsed, so the probe DAG builds one
mapped `ask_<pool>` task per pool of the fleet configuration ($CULTUREWATCH_CONFIG, default
the embedded config) and routes every planned spec to its endpoint's lane; an endpoint the
fleet config does not know runs in the plain `ask` lane (default queue and pool). The pools
must exist: `culturewatch airflow-init` creates or resizes them (idempotent).

Every probe task gets an `execution_timeout` (`probe_task_timeout`), derived from the fleet
config's plan: a task can never outlive the worst case of its largest planned spec, so a hang
that slipped past every per-request deadline still ends.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from culturewatch.config.loader import bundled_config
from culturewatch.config.schema import ModelEndpoint, ProbeConfig
from culturewatch.yaml_files import load_model

CONFIG_ENV = "CULTUREWATCH_CONFIG"
DEFAULT_LANE = "ask"


def fleet_config_path() -> Path:
    """The configuration the DAGs are built for: $CULTUREWATCH_CONFIG, else the embedded one."""
    chosen = os.environ.get(CONFIG_ENV)
    return Path(chosen) if chosen else bundled_config("embedded")


def load_fleet(path: Path | None = None) -> ProbeConfig:
    """The fleet config, validated (no instrument loading: this runs when DAGs are parsed)."""
    return load_model(path or fleet_config_path(), ProbeConfig)


@dataclass(frozen=True)
class Lane:
    pool: str
    pool_size: int
    pool_slots: int
    queue: str | None

    @property
    def task_id(self) -> str:
        return f"{DEFAULT_LANE}_{self.pool}"

    def operator_args(self) -> dict[str, object]:
        args: dict[str, object] = {"pool": self.pool, "pool_slots": self.pool_slots}
        if self.queue is not None:
            args["queue"] = self.queue
        return args


def lane_for(endpoint: ModelEndpoint) -> Lane:
    return Lane(endpoint.airflow_pool(), endpoint.pool_size, endpoint.pool_slots, endpoint.airflow_queue())


def fleet_lanes(config: ProbeConfig) -> list[Lane]:
    """One lane per pool (the config guarantees one size, queue and slot count per pool)."""
    lanes: dict[str, Lane] = {}
    for endpoint in config.models:
        lanes.setdefault(endpoint.airflow_pool(), lane_for(endpoint))
    return sorted(lanes.values(), key=lambda lane: lane.pool)


def lane_task_id(endpoint: dict[str, object], lanes: list[Lane]) -> str:
    """The task a spec of `endpoint` runs in: its pool's lane (queue and slots as the fleet
    config has them), else the default lane."""
    pool = ModelEndpoint.model_validate(endpoint).airflow_pool()
    return next((lane.task_id for lane in lanes if lane.pool == pool), DEFAULT_LANE)


def pools_document(config: ProbeConfig) -> dict[str, dict[str, object]]:
    """The pools as `airflow pools import` reads them."""
    return {
        lane.pool: {
            "slots": lane.pool_size,
            "description": "culturewatch: probe tasks of one endpoint",
            "include_deferred": False,
        }
        for lane in fleet_lanes(config)
    }


TASK_ALLOWANCE_S = 600.0
"""Loading the instrument, reading what is on disk, writing batches and events."""
READING_S_PER_CELL = 1.0
"""The most that reading one reply may cost (parser, judge verdict, language identification on a
capped reply: well under this, see docs/benchmarks.md "Reply size")."""


def probe_task_timeout(config: ProbeConfig) -> timedelta:
    """The probe tasks' execution_timeout: the largest spec the config plans (cells of one prompt
    language), asked in waves of `concurrency` requests that each take their whole deadline
    (timeout_s × (max_retries + 1), retries and waits included; a judge call per cell doubles it),
    plus READING_S_PER_CELL per cell and TASK_ALLOWANCE_S."""
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.probe_specs import cells_for, country_languages

    instrument = load_instrument(config.grid.instrument)
    by_language: dict[str, list[tuple[str | None, str]]] = {}
    for pair in country_languages(config.grid, instrument):
        by_language.setdefault(pair[1], []).append(pair)
    largest = max(len(cells_for(config.grid, instrument, pairs)) for pairs in by_language.values())
    limits = config.client
    per_request = limits.request_deadline_s * (2 if config.judge is not None else 1)
    seconds = math.ceil(largest / limits.concurrency) * per_request + largest * READING_S_PER_CELL
    return timedelta(seconds=seconds + TASK_ALLOWANCE_S)
