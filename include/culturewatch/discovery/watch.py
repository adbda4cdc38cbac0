"""One watch: poll every configured endpoint and the MLflow registry, record every sighting,
and say which versions to probe — those with no complete run yet.

A version that disappears and comes back is not probed twice: "probed" is read from the raw
run events, not from whether the version was seen in the previous poll.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from culturewatch.config.loader import load_config
from culturewatch.config.schema import ModelEndpoint, ProbeConfig
from culturewatch.discovery.endpoints import poll_endpoint
from culturewatch.discovery.probed import counts_as_probed, run_states
from culturewatch.discovery.registry import poll_registry, versions_to_probe
from culturewatch.discovery.sightings import record_sightings
from culturewatch.errors import CulturewatchError
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import run_id_for
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)

PROBE_RUN_PREFIX = "probe__"
IN_PROGRESS_GRACE = timedelta(hours=6)
"""A run with a slice `started` this recently (and not finished) counts as in progress."""


def probe_dag_run_id(run_id: str) -> str:
    """The Airflow run id of the probe DAG run that probes data run `run_id`: deterministic, so
    a second trigger of the same version finds the first instead of duplicating it."""
    return f"{PROBE_RUN_PREFIX}{run_id}"


@dataclass(frozen=True)
class ProbeTarget:
    """A version to probe: the configured model it is probed as, and its identity."""

    model: str
    version: str
    source: str
    run_id: str

    @property
    def dag_run_id(self) -> str:
        return probe_dag_run_id(self.run_id)

    @property
    def label(self) -> str:
        return f"{self.model}@{self.version}"

    def conf(self, config_path: Path | str) -> dict[str, object]:
        """The probe DAG's params for this version."""
        return {"config": str(config_path), "model": self.model, "version": self.version}


@dataclass
class WatchResult:
    sightings: list[dict[str, object]] = field(default_factory=list)
    to_probe: list[ProbeTarget] = field(default_factory=list)
    already_probed: list[ProbeTarget] = field(default_factory=list)
    in_progress: list[ProbeTarget] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "sightings": len(self.sightings),
            "to_probe": [target.label for target in self.to_probe],
            "already_probed": [target.label for target in self.already_probed],
            "in_progress": [target.label for target in self.in_progress],
            "errors": self.errors,
        }

    def to_dict(self) -> dict[str, object]:
        return {**self.summary(), "targets": [asdict(target) for target in self.to_probe]}


def _sighting(
    watch_id: str,
    now: datetime,
    source: str,
    location: str,
    model: str,
    version: str,
    probe_model: str | None,
    details: dict[str, object],
    aliases: tuple[str, ...] = (),
) -> dict[str, object]:
    return {
        "watch_id": watch_id,
        "sighted_at": now,
        "source": source,
        "location": location,
        "model": model,
        "model_version": version,
        "probe_model": probe_model,
        "aliases": list(aliases),
        "details": json.dumps(details, sort_keys=True, default=str),
    }


def _poll_endpoints(
    config: ProbeConfig, watch_id: str, now: datetime, result: WatchResult
) -> list[tuple[ModelEndpoint, str, str]]:
    """Sightings of everything each endpoint serves; (configured model, version, source) found."""
    by_url: dict[str, list[ModelEndpoint]] = defaultdict(list)
    for endpoint in config.models:
        by_url[str(endpoint.base_url)].append(endpoint)
    # an endpoint a registry entry probes as serves registry versions (e.g. vLLM's LoRA module of
    # the registered candidate): the registry names its versions, so its own digest is recorded as
    # a sighting but not probed again under a second label
    registry_served = (
        {watched.probe_as for watched in config.discovery.mlflow.models} if config.discovery.mlflow else set()
    )
    found: list[tuple[ModelEndpoint, str, str]] = []
    for base_url, endpoints in by_url.items():
        shown = endpoints[0].display_url  # credentials redacted: what sightings and errors record
        try:
            served = poll_endpoint(base_url, endpoints[0].api_key(), config.discovery.timeout_s)
        except CulturewatchError as exc:
            result.errors.append(f"endpoint {shown} ({', '.join(e.name for e in endpoints)}): {exc}")
            continue
        configured = {endpoint.name: endpoint for endpoint in endpoints}
        for entry in served:
            endpoint = configured.get(entry.model)
            pinned = endpoint is not None and endpoint.version != "auto"
            version = endpoint.version if endpoint is not None and pinned else entry.version
            result.sightings.append(
                _sighting(
                    watch_id,
                    now,
                    "endpoint",
                    shown,
                    entry.model,
                    version,
                    endpoint.name if endpoint else None,
                    {**entry.details, **({"served_digest": entry.version} if pinned else {})},
                )
            )
            if endpoint is not None and (pinned or endpoint.name not in registry_served):
                found.append((endpoint, version, "endpoint"))
        missing = sorted(set(configured) - {entry.model for entry in served})
        if missing:
            result.errors.append(
                f"endpoint {shown}: configured model(s) {missing} not served; it serves "
                f"{sorted(entry.model for entry in served)}"
            )
    return found


def _poll_registry(
    config: ProbeConfig, watch_id: str, now: datetime, result: WatchResult
) -> list[tuple[ModelEndpoint, str, str]]:
    registry = config.discovery.mlflow
    if registry is None:
        return []
    try:
        versions = poll_registry(registry)
    except CulturewatchError as exc:
        result.errors.append(f"mlflow registry: {exc}")
        return []
    endpoints = {endpoint.name: endpoint for endpoint in config.models}
    found: list[tuple[ModelEndpoint, str, str]] = []
    for watched in registry.models:
        mine = [version for version in versions if version.name == watched.name]
        for version in mine:
            result.sightings.append(
                _sighting(
                    watch_id,
                    now,
                    "mlflow",
                    version.registry,
                    version.name,
                    version.identity,
                    watched.probe_as,
                    version.details(),
                    version.aliases,
                )
            )
        found += [
            (endpoints[watched.probe_as], version.identity, "mlflow")
            for version in versions_to_probe(watched, mine)
        ]
    return found


def watch_once(
    config_path: Path | str, paths: DataPaths, watch_id: str, now: datetime | None = None
) -> WatchResult:
    """Poll, record every sighting, and sort the watched versions into to-probe / probed / in
    progress. Endpoint and registry failures are collected in `errors` (the others still count)."""
    now = now or datetime.now(UTC)
    config = load_config(config_path)
    instrument = load_instrument(config.grid.instrument)
    result = WatchResult()
    found = _poll_endpoints(config, watch_id, now, result) + _poll_registry(config, watch_id, now, result)
    record_sightings(paths, result.sightings, now)

    states = run_states(paths)
    probed = {(s.model, s.model_version) for s in states if counts_as_probed(s, instrument.id)}
    running = {s.run_id for s in states if s.running and now - s.last_event_at < IN_PROGRESS_GRACE}
    seen: set[tuple[str, str]] = set()
    for endpoint, version, source in found:
        if (endpoint.name, version) in seen:
            continue
        seen.add((endpoint.name, version))
        run_id = run_id_for(endpoint, version, config.grid, instrument)
        target = ProbeTarget(endpoint.name, version, source, run_id)
        if (endpoint.name, version) in probed:
            result.already_probed.append(target)
        elif target.run_id in running:
            result.in_progress.append(target)
        else:
            result.to_probe.append(target)
    log.info("watch %s: %s", watch_id, result.summary())
    return result
