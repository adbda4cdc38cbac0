"""Typed discovery configuration (the `discovery:` section of the run configuration)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RegisteredModel(BaseModel):
    """One MLflow registered model whose versions are served through a configured endpoint."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, description="registered model name in the MLflow registry")
    probe_as: str = Field(
        min_length=1,
        description="name of the configured model (under `models:`) whose endpoint serves this model's "
        "versions; its probes are recorded under that name",
    )
    aliases: list[str] = Field(
        default_factory=list,
        description="probe the versions holding one of these aliases (e.g. [champion]); empty = probe "
        "the latest version only. Every version is recorded either way.",
    )


class MlflowRegistry(BaseModel):
    """Where the MLflow model registry is."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tracking_uri: str | None = Field(
        default=None, description="MLflow tracking URI (default: $MLFLOW_TRACKING_URI)"
    )
    registry_uri: str | None = Field(default=None, description="registry URI (default: the tracking URI)")
    models: list[RegisteredModel] = Field(min_length=1)


class DiscoveryConfig(BaseModel):
    """What the watch DAG polls besides every configured endpoint's /v1/models."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mlflow: MlflowRegistry | None = None
    timeout_s: float = Field(default=30.0, gt=0, description="timeout of one /v1/models request")
