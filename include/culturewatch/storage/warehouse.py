"""The published warehouse: immutable DuckDB files, one per build, and a pointer to the current one.

A build (culturewatch.transform.warehouse_build) writes a new file and, only after every check
passed, publishes it: the file goes to `warehouse/builds/<build id>.duckdb` in the shared store,
then the pointer `warehouse/published.json` is replaced in one write. Readers — the Alignment
view, `culturewatch report`, the alerts, the promotion step, analysts — open the file the pointer
names, read-only, so they never wait on a build, never see part of one, and never hold a lock
a build needs. A reader on another host downloads a published file once into its data dir
(`cache/warehouse/`). `<data dir>/warehouse.duckdb` is a symlink to the current file, swapped
atomically, for people: `duckdb -readonly data/warehouse.duckdb`.

The published file holds what readers need: schema `marts` (every mart), `reference` (the seeds:
countries, ground truth, thresholds) and `raw_manifest` (which raw files the build read, which it
set aside and why). The builder's own working copy (staging, intermediate models) stays with it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from culturewatch.errors import CulturewatchError
from culturewatch.identifiers import check_run_id
from culturewatch.settings import DataPaths

log = logging.getLogger(__name__)

POINTER = "warehouse/published.json"
BUILDS = "warehouse/builds"
KEEP_BUILDS = 3
PUBLISHED_SCHEMAS = ("marts", "reference", "raw_manifest")


class WarehouseNotPublished(CulturewatchError):
    """No build has been published yet."""


@dataclass(frozen=True)
class PublishedBuild:
    """What the pointer says: the build, its file in the store, when, and what it was built from."""

    build_id: str
    file: str
    published_at: str
    based_on: str | None = None
    runs: int | None = None
    set_aside_files: int | None = None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode()


def new_build_id() -> str:
    """A sortable, unique build id: UTC time to the microsecond plus a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + os.urandom(3).hex()


def build_file(build_id: str) -> str:
    return f"{BUILDS}/{check_run_id(build_id, 'build id')}.duckdb"


def published(paths: DataPaths) -> PublishedBuild | None:
    """The currently published build, or None before the first publication."""
    stored = paths.store.get_bytes(POINTER)
    if stored is None:
        return None
    try:
        return PublishedBuild(**json.loads(stored))
    except (ValueError, TypeError) as exc:
        raise CulturewatchError(f"{paths.store.uri(POINTER)}: not a published-build pointer: {exc}") from exc


def local_file(paths: DataPaths, build: PublishedBuild) -> Path:
    """A local path of the build's file: in place for a local store, else a downloaded copy."""
    if paths.store.is_local:
        return Path(paths.store.fs_path(build.file))
    cached = paths.root / "cache" / "warehouse" / f"{check_run_id(build.build_id, 'build id')}.duckdb"
    if not cached.is_file():
        log.info("downloading published warehouse build %s", build.build_id)
        paths.store.download(build.file, cached)
        _prune_cache(cached.parent, keep=cached.name)
    return cached


def _prune_cache(folder: Path, keep: str) -> None:
    copies = sorted(folder.glob("*.duckdb"), key=lambda path: path.name)
    for old in copies[:-KEEP_BUILDS]:
        if old.name != keep:
            old.unlink(missing_ok=True)


def link_published(paths: DataPaths, target: Path) -> None:
    """Point `<data dir>/warehouse.duckdb` at `target` (a symlink, swapped atomically)."""
    link = paths.warehouse
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        # a warehouse file from before published builds: keep it aside, never delete data
        link.rename(link.with_name(f"warehouse.pre-publish-{datetime.now(UTC):%Y%m%dT%H%M%S}.duckdb"))
    temporary = link.with_name(f".warehouse-{os.getpid()}-{os.urandom(3).hex()}.link")
    temporary.symlink_to(target)
    os.replace(temporary, link)


def published_file(paths: DataPaths) -> tuple[PublishedBuild, Path]:
    build = published(paths)
    if build is None:
        raise WarehouseNotPublished(
            f"no warehouse is published in {paths.store.url} yet: run `culturewatch build` "
            "(or the culturewatch_transform DAG) after a probe"
        )
    path = local_file(paths, build)
    if not paths.warehouse.is_symlink() or os.readlink(paths.warehouse) != str(path):
        link_published(paths, path)
    return build, path


def is_published(paths: DataPaths) -> bool:
    """Whether any build has been published (readers with nothing to read say so instead of failing)."""
    return published(paths) is not None


def connect_warehouse(paths: DataPaths) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (schema `marts` for the marts). It never
    waits on a build and never sees part of one: builds write other files."""
    _, path = published_file(paths)
    return duckdb.connect(str(path), read_only=True)


def publish(paths: DataPaths, readers_file: Path, build: PublishedBuild) -> PublishedBuild:
    """Make `readers_file` the published warehouse: store it under its build id, then replace the
    pointer (the one atomic step readers see), then swap the local symlink and drop old builds."""
    store = paths.store
    if store.is_local:
        target = Path(store.fs_path(build.file))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(readers_file, target)
    else:
        store.upload(readers_file, build.file)
        cached = paths.root / "cache" / "warehouse" / f"{build.build_id}.duckdb"
        cached.parent.mkdir(parents=True, exist_ok=True)
        os.replace(readers_file, cached)
        target = cached
    store.put_bytes(POINTER, build.to_json())
    link_published(paths, target)
    _prune_store(paths, current=build.file)
    return build


def _prune_store(paths: DataPaths, current: str) -> None:
    """Keep the newest KEEP_BUILDS published files (a reader that opened an older one keeps its
    open file on a local disk; a remote reader works on its downloaded copy)."""
    files = [file for file in paths.store.list_files(BUILDS, ".duckdb")]
    for old in files[:-KEEP_BUILDS]:
        if old.path != current:
            paths.store.delete(old.path)
