"""Write–audit–publish: one warehouse build, from the published state to the next published state.

    claim the build ─▶ candidate = copy of the builder's last published state (or empty)
                   ─▶ raw manifest: list and check the store's raw files (storage.manifest)
                   ─▶ dbt build into the candidate (seeds, staging, intermediate, marts, tests)
                   ─▶ audit: the Great Expectations marts checkpoints of the runs not audited yet;
                      a run that fails is quarantined (verdict in the store) and every mart row
                      made of it leaves the candidate (each mart declares its run columns)
                   ─▶ publish: the readers' file (marts, reference, raw_manifest) goes to the
                      store and the pointer moves to it in one write (storage.warehouse)
                   ─▶ the candidate becomes the builder's state for the next build

Nothing a reader opens changes before the last step, and a build that fails anywhere leaves the
published warehouse and the next build's inputs as they were: its candidate is thrown away (kept
as `build/failed.duckdb` for diagnosis), so no row it loaded survives. One build runs at a time
across all hosts (a claim on `__warehouse__`). The builder's state is a cache: a host without it
(or with one that does not match the published build) builds from the raw files alone.

The CLI runs dbt in-process (`build_marts`); the transform DAG's Cosmos producer runs the same
`WarehouseBuild` around its own single `dbt build` (culturewatch.orchestration.cosmos_setup).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, STATE_DB_ENV, STORE_ENV, DataPaths
from culturewatch.storage import manifest
from culturewatch.storage.claims import Claim, Claims
from culturewatch.storage.warehouse import (
    PUBLISHED_SCHEMAS,
    PublishedBuild,
    build_file,
    new_build_id,
    publish,
    published,
)
from culturewatch.transform.dbt_manifest import BUILD_DATABASE_NAME, seed_partial_parse

log = logging.getLogger(__name__)

BUILD_DATABASE_ENV = "CULTUREWATCH_BUILD_DATABASE"
BUILD_CLAIM = ("__warehouse__", "build")
BUILD_WAIT_ENV = "CULTUREWATCH_BUILD_WAIT_S"
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
BUILD_FLAGS = ["--exclude-resource-type", "unit_test"]
"""What every published build adds to `dbt build`: dbt's unit tests check a model's SQL on fixed
inputs, not the data, so they run in CI (tests/dbt/test_dbt_unit_tests.py), as dbt recommends,
and a build is audited by the data tests and the GX suites alone."""


class BuildFailed(CulturewatchError):
    """A build failed before publishing: what readers see did not change."""


@dataclass(frozen=True)
class MartQuarantine:
    """How a mart drops a quarantined run: the columns naming the runs a row is made of (a run id
    or a list of run ids), and `delete` (the row goes), `mark` (runs: status set to quarantined)
    or `keep` (model_versions: a sighting is not a measurement)."""

    mart: str
    run_columns: tuple[str, ...]
    action: str = "delete"


def mart_quarantines(marts_dir: Path = MARTS_DIR) -> list[MartQuarantine]:
    """Every mart's `meta.quarantine`, read from the marts' yml (the one declaration)."""
    declared = []
    for path in sorted(marts_dir.glob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            meta = ((model.get("config") or {}).get("meta") or {}).get("quarantine")
            if meta is None:
                raise CulturewatchError(f"{path}: mart {model['name']} declares no config.meta.quarantine")
            declared.append(
                MartQuarantine(model["name"], tuple(meta["run_columns"]), meta.get("action", "delete"))
            )
    return declared


@dataclass
class BuildOutcome:
    build_id: str
    published: PublishedBuild | None
    verdicts: list[dict[str, object]] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    dbt_nodes: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (WarehouseBuild.timed)

    def quarantined(self) -> list[dict[str, object]]:
        return [verdict for verdict in self.verdicts if verdict.get("status") == "quarantined"]

    def summary(self) -> str:
        lines = [f"build {self.build_id}: published" if self.published else f"build {self.build_id}"]
        lines += [f"  set aside: {line}" for line in self.set_aside]
        lines += [
            f"  run {verdict['run_id']}: {verdict['status']} at the marts audit ({verdict['reason']})"
            for verdict in self.verdicts
        ]
        return "\n".join(lines)


def dbt_environment(paths: DataPaths, database: Path) -> dict[str, str]:
    """What dbt needs: where to build, the data dir, the store, and target/logs kept out of the
    source tree (one fixed target folder per data dir: dbt's partial parse is reused)."""
    environment = {
        BUILD_DATABASE_ENV: str(database),
        DATA_DIR_ENV: str(paths.root),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(paths.root / "dbt" / "target"),
        "DBT_LOG_PATH": str(paths.root / "dbt" / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if paths.store_url:
        environment[STORE_ENV] = paths.store.url  # resolved: dbt may run from another folder
    if paths.state_db_url:
        environment[STATE_DB_ENV] = paths.state_db_url
    return environment


def write_raw_manifest(
    paths: DataPaths, database: Path, known: dict[tuple[str, int], manifest.RawFile] | None = None
) -> list[manifest.RawFile]:
    """Scan the store's raw files (storage.manifest) into `database`'s `raw_manifest.files`, what
    the staging models read. A build does it before dbt runs; so does a development build by hand
    (`culturewatch build --dev-database FILE` then dbt with CULTUREWATCH_BUILD_DATABASE=FILE)."""
    files = manifest.scan(paths.store, known)
    database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema if not exists raw_manifest")
        connection.register("scanned", manifest.as_table(files))
        connection.execute("create or replace table raw_manifest.files as select * from scanned")
    return files


def release_dbt_connections() -> None:
    """Close the DuckDB handle dbt-duckdb keeps open in this process after an in-process run, so
    the candidate file can be audited, copied and moved."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


class WarehouseBuild:
    """One write–audit–publish build (see the module docstring). A context manager:

    with WarehouseBuild(paths) as build:
        ... run dbt with build.environment() ...
        outcome = build.finish()
    """

    def __init__(self, paths: DataPaths, *, from_raw: bool = False) -> None:
        self.paths = paths
        self.from_raw = from_raw
        self.folder = paths.builds
        self.candidate = self.folder / BUILD_DATABASE_NAME
        self.state = self.folder / "state.duckdb"
        self.state_record = self.folder / "state.json"
        self.build_id = new_build_id()
        self.base: PublishedBuild | None = None
        self.files: list[manifest.RawFile] = []
        self.timings: dict[str, float] = {}
        self._claim: Claim | None = None

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Count the block's time to `phase` in `timings` (logged when the build publishes)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

    def timings_line(self) -> str:
        return ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in self.timings.items())

    # ------------------------------------------------------------------ write

    def __enter__(self) -> WarehouseBuild:
        wait_s = float(os.environ.get(BUILD_WAIT_ENV, 1800))
        self._claim = Claims(self.paths.state_db).claim(*BUILD_CLAIM, wait_s=wait_s).__enter__()
        try:
            self._prepare()
        except BaseException:
            self._claim.__exit__(None, None, None)
            raise
        return self

    def _prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.candidate.unlink(missing_ok=True)
        self.base = published(self.paths)
        known: dict[tuple[str, int], manifest.RawFile] = {}
        if self.base is not None and not self.from_raw and self._state_matches(self.base):
            with self.timed("state copy"):
                shutil.copyfile(self.state, self.candidate)
            with self.timed("raw manifest"):
                known = self._previous_manifest()
            log.info("build %s starts from published build %s", self.build_id, self.base.build_id)
        else:
            log.info(
                "build %s starts from the raw files alone (no builder state for the published build)",
                self.build_id,
            )
        with self.timed("raw manifest"):
            self.files = write_raw_manifest(self.paths, self.candidate, known)
        for file in self.set_aside():
            log.warning("raw file set aside: %s", file)

    def _state_matches(self, base: PublishedBuild) -> bool:
        if not (self.state.is_file() and self.state_record.is_file()):
            return False
        try:
            return json.loads(self.state_record.read_text()).get("build_id") == base.build_id
        except ValueError:
            return False

    def _previous_manifest(self) -> dict[tuple[str, int], manifest.RawFile]:
        with duckdb.connect(str(self.candidate), read_only=True) as connection:
            exists = connection.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'raw_manifest' and table_name = 'files'"
            ).fetchone()
            if not exists or not exists[0]:
                return {}
            return manifest.from_table(
                connection.execute("select * from raw_manifest.files").fetch_arrow_table()
            )

    def set_aside(self) -> list[str]:
        return [file.line for file in self.files if file.status == manifest.SET_ASIDE]

    def environment(self) -> dict[str, str]:
        return dbt_environment(self.paths, self.candidate)

    @contextmanager
    def dbt_in_this_process(self) -> Iterator[None]:
        """dbt's environment for a run in this process, from the builds folder, which names the
        candidate and the data dir relative to it: the profile and the sources then render the
        same in every data dir, so a data dir's first build starts from the partial-parse state
        published at setup (dbt_manifest.BUILD_DATABASE_NAME) instead of parsing the whole
        project (seconds). Cosmos runs dbt from a copy of the project: its producer keeps the
        absolute paths (`environment`)."""
        environment = {
            **self.environment(),
            BUILD_DATABASE_ENV: BUILD_DATABASE_NAME,
            DATA_DIR_ENV: os.path.relpath(self.paths.root, self.folder),  # BUILD_DATA_DIR
        }
        seed_partial_parse(Path(environment["DBT_TARGET_PATH"]))
        try:
            working: str | None = os.getcwd()
        except FileNotFoundError:  # started in a folder deleted since: nothing to return to
            working = None
        with _environment(environment):
            os.chdir(self.folder)
            try:
                yield
            finally:
                if working is not None:
                    os.chdir(working)

    # ------------------------------------------------------------------ audit and publish

    def finish(self) -> BuildOutcome:
        """After a successful dbt build: audit, publish, keep the candidate as the next base."""
        release_dbt_connections()
        readers = self.folder / f"publish-{self.build_id}.duckdb"
        with duckdb.connect(str(self.candidate)) as connection:
            with self.timed("audit"):
                from culturewatch.quality.gates import audit_marts, quarantined

                verdicts = audit_marts(self.paths, connection)
                bad = sorted(str(verdict["run_id"]) for verdict in quarantined(verdicts))
                if bad:
                    log.warning(
                        "marts audit quarantined %s: they leave this build before it is published", bad
                    )
                    drop_runs(connection, bad, reason={str(v["run_id"]): str(v["reason"]) for v in verdicts})
            runs = connection.execute("select count(*) from marts.runs").fetchone()[0]
            with self.timed("export"):
                export_for_readers(connection, readers)
        build = PublishedBuild(
            build_id=self.build_id,
            file=build_file(self.build_id),
            published_at=datetime.now(UTC).isoformat(timespec="seconds"),
            based_on=self.base.build_id if self.base else None,
            runs=int(runs),
            set_aside_files=len(self.set_aside()),
        )
        with self.timed("publish"):
            publish(self.paths, readers, build)
            os.replace(self.candidate, self.state)
            self.state_record.write_text(json.dumps({"build_id": self.build_id}))
        log.info("published build %s (%d runs): %s", self.build_id, build.runs, self.timings_line())
        return BuildOutcome(self.build_id, build, verdicts, self.set_aside(), timings=self.timings)

    def __exit__(self, kind, value, traceback) -> None:
        try:
            release_dbt_connections()
            if self.candidate.exists():  # not published: keep it for diagnosis, never as a base
                os.replace(self.candidate, self.folder / "failed.duckdb")
                log.warning(
                    "build %s failed; its database is kept at %s",
                    self.build_id,
                    self.folder / "failed.duckdb",
                )
            for leftover in self.folder.glob(f"publish-{self.build_id}.duckdb"):
                leftover.unlink(missing_ok=True)
        finally:
            if self._claim is not None:
                self._claim.__exit__(kind, value, traceback)


def drop_runs(connection: duckdb.DuckDBPyConnection, run_ids: Sequence[str], reason: dict[str, str]) -> None:
    """Take `run_ids` out of every mart of the build (each mart's declared run columns)."""
    for declared in mart_quarantines():
        if declared.action == "keep":
            continue
        for column in declared.run_columns:
            is_list = connection.execute(
                "select data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? and column_name = ?",
                [declared.mart, column],
            ).fetchone()
            if is_list is None:
                raise CulturewatchError(
                    f"mart {declared.mart} declares run column {column!r}, which it lacks"
                )
            matches = (
                f"list_has_any({column}, ?::varchar[])"
                if is_list[0].endswith("[]")
                else f"{column} in (select unnest(?::varchar[]))"
            )
            if declared.action == "mark":
                for run_id in run_ids:
                    connection.execute(
                        f"update marts.{declared.mart} set status = 'quarantined', status_reason = ?"
                        f" where {column} = ?",
                        [reason.get(run_id, "quarantined at the marts audit"), run_id],
                    )
            else:
                connection.execute(f"delete from marts.{declared.mart} where {matches}", [list(run_ids)])


def export_for_readers(connection: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Copy what readers see (PUBLISHED_SCHEMAS' tables, with their comments) into a new file."""
    target.unlink(missing_ok=True)
    connection.execute(f"attach '{target}' as published")
    try:
        tables = connection.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where database_name = current_database() and schema_name in (select unnest(?::varchar[])) "
            "order by schema_name, table_name",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        for schema in sorted({schema for schema, _, _ in tables}):
            connection.execute(f'create schema published."{schema}"')
        for schema, table, comment in tables:
            connection.execute(f'create table published."{schema}"."{table}" as from "{schema}"."{table}"')
            if comment:
                connection.execute(f'comment on table published."{schema}"."{table}" is {_literal(comment)}')
        for schema, table, column, comment in connection.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where database_name = current_database() and schema_name in (select unnest(?::varchar[])) "
            "and comment is not null",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall():
            connection.execute(
                f'comment on column published."{schema}"."{table}"."{column}" is {_literal(comment)}'
            )
    finally:
        connection.execute("detach published")


def _literal(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameters): quotes doubled, nothing else special."""
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_marts(paths: DataPaths, select: str | None = None, *, from_raw: bool = False) -> BuildOutcome:
    """`dbt build` of the marts over the store's raw files, audited, then published (or nothing
    changes for readers, and BuildFailed says why). `from_raw`: ignore the builder's state and
    build everything from the raw files (after a seed change)."""
    from culturewatch.transform.dbt_build import run_dbt

    with WarehouseBuild(paths, from_raw=from_raw) as build:
        if not any(file.table_name == "responses" for file in build.files):
            raise BuildFailed(
                f"no raw responses in {paths.store.uri('raw/responses')}: run `culturewatch probe` first "
                f"(or point {DATA_DIR_ENV} / {STORE_ENV} at the data that has them)"
            )
        args = ["build", *BUILD_FLAGS] + (["--select", select] if select else [])
        with build.dbt_in_this_process(), build.timed("dbt"):
            result = run_dbt(args)
        if not result.success:
            raise BuildFailed(
                "dbt build failed; the published warehouse is unchanged:\n  "
                + "\n  ".join(result.failures or ["see dbt logs"])
            )
        outcome = build.finish()
        outcome.dbt_nodes = result.nodes
        return outcome
