"""DAG files parsed into a DagBag against a fresh, migrated Airflow metadata DB of their own."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from culturewatch.orchestration.airflow_runs import airflow_env, init_airflow
from culturewatch.settings import PROJECT_ROOT, data_paths


@contextmanager
def parsed_dags(data_dir: Path, dag_folder: Path = PROJECT_ROOT / "dags") -> Iterator[object]:
    """A DagBag of `dag_folder` with Airflow pointed at `data_dir`'s migrated metadata DB. Airflow
    reads its settings once, at first import: when another test module imported it earlier (with
    other settings), its ORM is re-pointed here, so the result does not depend on test order."""
    paths = data_paths(data_dir)
    init_airflow(paths)  # migrates the DB; Cosmos caches its dbt listing in Airflow Variables
    saved = dict(os.environ)
    os.environ.update(airflow_env(paths))
    try:
        if "airflow.settings" in sys.modules:
            from airflow import settings

            settings.dispose_orm(do_log=False)
            settings.configure_vars()
            settings.configure_orm()
        from airflow.dag_processing.dagbag import DagBag

        yield DagBag(dag_folder=str(dag_folder))
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with parsed_dags(tmp_path_factory.mktemp("data")) as bag:
        yield bag
