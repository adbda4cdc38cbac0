"""MLflow for retraining: a local sqlite store under the data dir with an explicit artifact
location (never ./mlruns of the working directory), or a tracking server named in the config.
One experiment per base model; the registry holds one version per adapter."""

from __future__ import annotations

import re
from pathlib import Path

from culturewatch.retraining.retrain_config import MlflowSpec
from culturewatch.settings import DataPaths

CANDIDATE_ALIAS = "candidate"
CHAMPION_ALIAS = "champion"


def mlflow_dir(paths: DataPaths) -> Path:
    return paths.root / "mlflow"


def tracking_uri(paths: DataPaths, spec: MlflowSpec) -> str:
    if spec.tracking_uri:
        return spec.tracking_uri
    mlflow_dir(paths).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{mlflow_dir(paths) / 'mlflow.db'}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def experiment_name(spec: MlflowSpec, base_model: str) -> str:
    return f"{spec.experiment_prefix}/{base_model}"


def registered_model_name(spec: MlflowSpec, base_model: str) -> str:
    return _slug(f"{spec.registered_model_prefix}-{base_model}")


def configure(paths: DataPaths, spec: MlflowSpec, base_model: str) -> str:
    """Point mlflow at the store and return the base model's experiment id (created on first use
    with its artifact location under the data dir when the store is local)."""
    import mlflow

    uri = tracking_uri(paths, spec)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    name = experiment_name(spec, base_model)
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if spec.tracking_uri is None:
        directory = mlflow_dir(paths) / "artifacts" / _slug(name)
        directory.mkdir(parents=True, exist_ok=True)
        location = directory.as_uri()
    return mlflow.create_experiment(name, artifact_location=location)
