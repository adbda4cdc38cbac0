"""The dbt manifest the transform DAG renders from, produced at setup or deploy time, never at parse.

Cosmos turns the dbt project into Airflow tasks. Listing the project with `dbt ls` while the DAG
file is parsed takes ~30 s on 2 cores, past Airflow's import timeout, so the DAG renders from
`dbt_project/target/manifest.json` instead (LoadMode.DBT_MANIFEST), which `culturewatch
dbt-manifest` writes (`make setup` and the Docker image run it). Beside it, `manifest.digest`
records a digest of the project files it was made from: a DAG parse compares it (milliseconds)
and refuses a stale manifest with a one-line error saying how to refresh it.

Writers take a lock and replace the files whole: two at once (parallel test workers, a deploy
beside a test run) used to interleave their writes into one manifest no DAG could read, while the
digest still said it was current.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, STORE_ENV

MANIFEST = "manifest.json"
DIGEST = "manifest.digest"
PARTIAL_PARSE = "partial_parse.msgpack"
BUILD_DATABASE_NAME = "candidate.duckdb"
BUILD_DATA_DIR = ".."
"""The build database and the data dir as every parse here and every in-process build name them
(relative to the builds folder, `<data dir>/build`: culturewatch.transform.warehouse_build): dbt
keeps its partial-parse state only for the same profile values, and parses a file again when an
env var it reads changed, so the same names everywhere make the state published here valid, as it
is, in every data dir."""
# what a parse leaves that is read later: the manifest (Cosmos) and the partial-parse state (a
# parse after a small change takes ~7 s with it, ~18 s without; a data dir's first build starts
# from it); the digest goes last, so a reader that sees the new digest sees the new manifest
_PUBLISHED = (PARTIAL_PARSE, MANIFEST, DIGEST)
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


def write_manifest(project: Path = DBT_PROJECT_DIR) -> Path:
    """`dbt parse` (no database is opened), then the manifest and its digest replaced whole."""
    with _writer_lock(project):
        return _parse_and_replace(project)


def current_manifest(project: Path = DBT_PROJECT_DIR) -> Path:
    """The manifest, made first when it is missing or older than the project (one writer at a time:
    a process that waited for another's parse finds it current)."""
    with _writer_lock(project):
        try:
            return checked_manifest(project)
        except CulturewatchError:
            return _parse_and_replace(project)


def checked_manifest(project: Path = DBT_PROJECT_DIR) -> Path:
    """The manifest, if it exists and matches the project files; else a one-line error."""
    manifest, digest = project / "target" / MANIFEST, project / "target" / DIGEST
    if not manifest.is_file() or not digest.is_file():
        raise CulturewatchError(
            f"no dbt manifest at {manifest}: run `culturewatch dbt-manifest` (make setup does)"
        )
    if digest.read_text().strip() != project_digest(project):
        raise CulturewatchError(
            f"the dbt manifest {manifest} is older than the dbt project: run `culturewatch dbt-manifest`"
        )
    return manifest


def seed_partial_parse(target: Path, project: Path = DBT_PROJECT_DIR) -> None:
    """Give a dbt target folder that has no partial-parse state the one published beside the
    manifest, so that a data dir's first build does not parse the whole project (dbt checks the
    state itself: it parses again whatever changed since, or everything when its version, the
    profile or the --vars differ)."""
    seed, state = project / "target" / PARTIAL_PARSE, target / PARTIAL_PARSE
    if state.exists() or not seed.is_file():
        return
    target.mkdir(parents=True, exist_ok=True)
    copying = state.with_name(f".{PARTIAL_PARSE}.{os.getpid()}")
    shutil.copyfile(seed, copying)  # the published file is replaced whole, never written in place
    os.replace(copying, state)


@contextmanager
def _writer_lock(project: Path) -> Iterator[None]:
    """One manifest writer at a time, across processes."""
    (project / "target").mkdir(parents=True, exist_ok=True)
    with (project / "target" / "manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _parse_and_replace(project: Path) -> Path:
    published = project / "target"
    digest = project_digest(project)  # before the parse: a file changed meanwhile leaves it stale
    with tempfile.TemporaryDirectory(dir=published, prefix=".parse-") as scratch:
        target = Path(scratch) / "target"
        target.mkdir()
        if (previous := published / PARTIAL_PARSE).is_file():
            shutil.copy2(previous, target / previous.name)
        env = {
            **os.environ,
            # parse renders the profile but opens nothing; the name every build gives it, so that
            # this parse's state serves them (and the next parse here)
            "CULTUREWATCH_BUILD_DATABASE": BUILD_DATABASE_NAME,
            DATA_DIR_ENV: BUILD_DATA_DIR,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_LOG_PATH": scratch,
        }
        command = [
            sys.executable, "-m", "dbt.cli.main", "parse",
            "--project-dir", str(project), "--profiles-dir", str(project), "--target-path", str(target),
        ]  # fmt: skip
        env.pop(STORE_ENV, None)  # a build of the data dir's own store reads the data dir
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CulturewatchError("dbt parse failed:\n" + (result.stdout + result.stderr)[-3000:])
        (target / DIGEST).write_text(digest + "\n")
        for name in _PUBLISHED:
            os.replace(target / name, published / name)
    return published / MANIFEST
