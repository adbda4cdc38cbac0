"""The dbt manifest the transform DAG renders from, produced at setup or deploy time, never at parse.

Cosmos turns the dbt project into Airflow tasks. Listing the project with `dbt ls` while the DAG
file is parsed takes ~30 s on 2 cores, past Airflow's import timeout, so the DAG renders from
`dbt_project/target/manifest.json` instead (LoadMode.DBT_MANIFEST), which `culturewatch
dbt-manifest` writes (`make setup` and the Docker image run it). Beside it, `manifest.digest`
records a digest of the project files it was made from: a DAG parse compares it (milliseconds)
and refuses a stale manifest with a one-line error saying how to refresh it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DBT_PROJECT_DIR

MANIFEST_DIR = DBT_PROJECT_DIR / "target"
MANIFEST = MANIFEST_DIR / "manifest.json"
DIGEST = MANIFEST_DIR / "manifest.digest"
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def project_digest(project: Path = DBT_PROJECT_DIR) -> str:
    """sha256 over the path and bytes of every file dbt parses."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        root = project / name
        files = [root] if root.is_file() else sorted(path for path in root.rglob("*") if path.is_file())
        for path in files:
            digest.update(str(path.relative_to(project)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def write_manifest() -> Path:
    """`dbt parse` into dbt_project/target (no database is opened), then record the digest."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            # parse renders the profile but opens nothing: any path will do
            "CULTUREWATCH_BUILD_DATABASE": str(Path(scratch) / "parse-only.duckdb"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_LOG_PATH": scratch,
        }
        command = [
            sys.executable, "-m", "dbt.cli.main", "parse",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(MANIFEST_DIR),
        ]  # fmt: skip
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CulturewatchError("dbt parse failed:\n" + (result.stdout + result.stderr)[-3000:])
    DIGEST.write_text(project_digest() + "\n")
    return MANIFEST


def checked_manifest() -> Path:
    """The manifest, if it exists and matches the project files; else a one-line error."""
    if not MANIFEST.is_file() or not DIGEST.is_file():
        raise CulturewatchError(
            f"no dbt manifest at {MANIFEST}: run `culturewatch dbt-manifest` (make setup does)"
        )
    if DIGEST.read_text().strip() != project_digest():
        raise CulturewatchError(
            f"the dbt manifest {MANIFEST} is older than the dbt project: run `culturewatch dbt-manifest`"
        )
    return MANIFEST
