"""Astronomer Cosmos configuration: each dbt model and test becomes an Airflow task."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import LoadMode, TestBehavior

from culturewatch.settings import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The `dbt` of this interpreter's environment (Cosmos needs it on PATH or named)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def project_config() -> ProjectConfig:
    return ProjectConfig(dbt_project_path=DBT_PROJECT_DIR)


def profile_config() -> ProfileConfig:
    return ProfileConfig(
        profile_name="culturewatch",
        target_name="dev",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def execution_config() -> ExecutionConfig:
    return ExecutionConfig(dbt_executable_path=dbt_executable())


def render_config() -> RenderConfig:
    # dbt ls at parse time (cached by Cosmos). One task per seed and model, then one task with
    # every dbt test. Per-node tests (AFTER_EACH/BUILD) run relationship tests before the
    # other side exists and start dbt ~110 times (10 minutes on 2 cores for a few runs).
    return RenderConfig(load_method=LoadMode.DBT_LS, test_behavior=TestBehavior.AFTER_ALL)
