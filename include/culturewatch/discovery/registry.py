"""Poll the MLflow model registry: registered versions and the aliases they hold.

The version identity of a registry version is `mlflow:<registered name>/v<version>`: the
registry's own number, stable for the life of the registry.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit, urlunsplit

from culturewatch.discovery.watch_sources import MlflowRegistry, RegisteredModel
from culturewatch.errors import CulturewatchError


@dataclass(frozen=True)
class RegistryVersion:
    """One version of a registered model, as the registry reports it."""

    registry: str
    name: str
    version: int
    aliases: tuple[str, ...]
    status: str
    run_id: str | None
    source: str | None
    tags: dict[str, str]

    @property
    def identity(self) -> str:
        return registry_identity(self.name, self.version)

    def details(self) -> dict[str, object]:
        """What a sighting records beside its own columns (registry, name, aliases): the rest, the
        name as `registered_model`."""
        details = {"registered_model": self.name} | asdict(self)
        for column in ("registry", "name", "aliases"):
            del details[column]
        return details


def registry_identity(name: str, version: int | str) -> str:
    return f"mlflow:{name}/v{version}"


def redact(uri: str) -> str:
    """The URI without user and password (a database tracking URI may carry them)."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def tracking_uri(registry: MlflowRegistry) -> str:
    chosen = registry.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not chosen:
        raise CulturewatchError(
            "discovery.mlflow: no tracking_uri configured and MLFLOW_TRACKING_URI is not set"
        )
    return chosen


def poll_registry(registry: MlflowRegistry) -> list[RegistryVersion]:
    """Every version of every configured registered model; an unknown model is an error."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    uri = tracking_uri(registry)
    client = MlflowClient(tracking_uri=uri, registry_uri=registry.registry_uri or uri)
    where = redact(registry.registry_uri or uri)
    versions: list[RegistryVersion] = []
    for watched in registry.models:
        try:
            registered = client.get_registered_model(watched.name)
            found = client.search_model_versions(f"name = '{_quoted(watched.name)}'")
        except MlflowException as exc:
            raise CulturewatchError(
                f"discovery.mlflow.models: cannot read registered model {watched.name!r} from {where}: "
                f"{exc.message if hasattr(exc, 'message') else exc}"
            ) from exc
        versions += [
            RegistryVersion(
                registry=where,
                name=watched.name,
                version=int(found_version.version),
                # search results carry no aliases: the registered model maps alias -> version
                aliases=tuple(
                    sorted(
                        alias
                        for alias, version in (registered.aliases or {}).items()
                        if str(version) == str(found_version.version)
                    )
                ),
                status=str(found_version.status),
                run_id=found_version.run_id or None,
                source=found_version.source or None,
                tags=dict(found_version.tags or {}),
            )
            for found_version in found
        ]
    return sorted(versions, key=lambda found: (found.name, found.version))


def _quoted(name: str) -> str:
    return name.replace("'", "\\'")


def versions_to_probe(watched: RegisteredModel, versions: list[RegistryVersion]) -> list[RegistryVersion]:
    """The versions of `watched` its endpoint serves: those holding one of its aliases, else the
    latest ready version (older versions are recorded, never probed: nothing serves them)."""
    ready = [found for found in versions if found.name == watched.name and found.status == "READY"]
    if watched.aliases:
        return [found for found in ready if set(found.aliases) & set(watched.aliases)]
    return [max(ready, key=lambda found: found.version)] if ready else []
