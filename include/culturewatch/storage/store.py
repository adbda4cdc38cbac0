"""The shared store: where every worker writes what others must read, on any filesystem URL.

A store is a local folder (the embedded default: the data dir) or an S3-compatible bucket prefix
(`s3://bucket/prefix`, production: workers on several hosts share it). The same code writes,
lists, reads and deletes on both, through pyarrow's filesystems; DuckDB (readers, dbt) reads the
same URIs, through its httpfs extension for S3 (`configure_duckdb`).

What lives in the store (docs/architecture.md draws it):

    raw/responses/run_id=<run>/*.parquet    probe answers (batches, then one compacted file)
    raw/runs/run_id=<run>/*.parquet         probe lifecycle events
    raw/judgements/run_id=<run>/*.parquet   LLM-as-judge stances
    raw/versions/*.parquet                  model version sightings (watch)
    quality/verdicts/run_id=<run>/*.parquet data-quality verdicts (raw gate, marts audit, ops)
    quality/plans/<run>.json                what each run planned (the raw gate checks against it)
    alerts/ledger/*.parquet, alerts/state/  alert deliveries, acks and mutes
    warehouse/published.json                the published build (a pointer, replaced atomically)
    warehouse/builds/<build>.duckdb         published warehouse files (immutable)

S3 settings come from the standard environment: `AWS_ENDPOINT_URL` (e.g. http://seaweedfs:8333 for
a self-hosted server; unset for AWS), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`
(temporary credentials), `AWS_REGION`.
Every write is atomic: a local file is written beside its target and renamed; an S3 object becomes
visible only when its upload completes.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from culturewatch.errors import CulturewatchError

ENDPOINT_ENV = "AWS_ENDPOINT_URL"
TEMP_SUFFIX = ".tmp"
_READ_ATTEMPTS = 20


@dataclass(frozen=True)
class StoredFile:
    """A file in the store: its path relative to the store root, size and modification time."""

    path: str
    size: int
    modified: datetime | None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def redacted_url(url: str) -> str:
    """A store URL without userinfo or query (credentials never leave the process)."""
    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) == 1:  # a local path (or a Windows drive)
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


class Store:
    """One store: a local folder or an S3-compatible bucket prefix (see the module docstring)."""

    def __init__(self, url: str | os.PathLike[str]) -> None:
        text = str(url)
        parts = urlsplit(text)
        if parts.scheme == "s3":
            if not parts.netloc:
                raise CulturewatchError(
                    f"store URL {redacted_url(text)!r} names no bucket (s3://bucket/prefix)"
                )
            if parts.username or parts.password or parts.query:
                raise CulturewatchError(
                    f"store URL {redacted_url(text)!r}: put S3 credentials in AWS_ACCESS_KEY_ID / "
                    "AWS_SECRET_ACCESS_KEY, not in the URL"
                )
            self.is_local = False
            self.bucket = parts.netloc
            self.base = f"{parts.netloc}/{parts.path.strip('/')}".rstrip("/")
            self.url = f"s3://{self.base}"
        elif parts.scheme in ("", "file") or len(parts.scheme) == 1:
            root = Path(parts.path if parts.scheme == "file" else text).expanduser().resolve()
            self.is_local = True
            self.bucket = None
            self.base = str(root)
            self.url = str(root)
        else:
            raise CulturewatchError(
                f"store URL {redacted_url(text)!r}: scheme {parts.scheme!r} is not supported "
                "(a local path or s3://bucket/prefix)"
            )

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Store) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    # ------------------------------------------------------------------ filesystem

    @cached_property
    def fs(self) -> pafs.FileSystem:
        if self.is_local:
            return pafs.LocalFileSystem()
        endpoint = os.environ.get(ENDPOINT_ENV)
        credentials = aws_credentials()
        options: dict[str, object] = {
            "access_key": credentials.get("key_id"),
            "secret_key": credentials.get("secret"),
            "session_token": credentials.get("session_token"),
            "region": credentials["region"],
            "connect_timeout": 10,
            "request_timeout": 60,
            "allow_bucket_creation": True,  # `ensure` creates a new store's bucket
        }
        if endpoint:
            parsed = urlsplit(endpoint)
            options["endpoint_override"] = parsed.netloc or parsed.path
            options["scheme"] = parsed.scheme or "https"
        return pafs.S3FileSystem(**{key: value for key, value in options.items() if value is not None})

    def fs_path(self, relative: str) -> str:
        """The pyarrow filesystem path of `relative` (a store-relative path with `/`)."""
        relative = relative.strip("/")
        return f"{self.base}/{relative}" if relative else self.base

    def uri(self, relative: str) -> str:
        """What DuckDB and people read: an absolute local path, or s3://bucket/prefix/relative."""
        path = self.fs_path(relative)
        return path if self.is_local else f"s3://{path}"

    def relative(self, path_or_uri: str) -> str:
        """The store-relative path of a filesystem path or URI inside this store."""
        text = path_or_uri.removeprefix("s3://")
        if not text.startswith(self.base + "/"):
            raise CulturewatchError(f"{path_or_uri!r} is not inside the store {self.url!r}")
        return text[len(self.base) + 1 :]

    def ensure(self) -> Store:
        """Create the store's root (and bucket) if missing; returns self."""
        try:
            self.fs.create_dir(self.base, recursive=True)
        except OSError as exc:
            raise CulturewatchError(f"store {self.url}: cannot create it: {exc}") from exc
        return self

    # ------------------------------------------------------------------ listing

    def list_files(self, folder: str, suffix: str | None = None) -> list[StoredFile]:
        """Every file under `folder` (recursive), sorted by path; an absent folder lists nothing."""
        selector = pafs.FileSelector(self.fs_path(folder), recursive=True, allow_not_found=True)
        try:
            infos = self.fs.get_file_info(selector)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise CulturewatchError(f"store {self.url}: cannot list {folder}: {exc}") from exc
        files = [
            StoredFile(self.relative(info.path), int(info.size or 0), _utc(info.mtime))
            for info in infos
            if info.type == pafs.FileType.File and (suffix is None or info.path.endswith(suffix))
        ]
        return sorted(files, key=lambda file: file.path)

    def exists(self, relative: str) -> bool:
        return self.fs.get_file_info(self.fs_path(relative)).type == pafs.FileType.File

    # ------------------------------------------------------------------ writing

    def write_parquet(
        self, folder: str, table: pa.Table, *, name: str | None = None, prefix: str = "part"
    ) -> str:
        """Write `table` as one new Parquet file in `folder`, atomically; returns its relative path."""
        if name is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            name = f"{prefix}-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
        target = f"{folder.strip('/')}/{name}"
        self._write_atomically(target, lambda sink: pq.write_table(table, sink, compression="zstd"))
        return target

    def write_rows(self, folder: str, rows: Iterable[dict[str, object]], schema: pa.Schema) -> str:
        return self.write_parquet(folder, pa.Table.from_pylist(list(rows), schema=schema))

    def put_bytes(self, relative: str, data: bytes) -> None:
        """Write (or replace) a small object atomically: readers see the old or the new, never half."""
        self._write_atomically(relative, lambda sink: sink.write(data))

    def upload(self, local: Path, relative: str) -> None:
        """Copy a local file into the store, atomically."""
        if self.is_local and Path(self.fs_path(relative)) == local.resolve():
            return

        def copy(sink: pa.NativeFile) -> None:
            with local.open("rb") as source:
                while chunk := source.read(8 << 20):
                    sink.write(chunk)

        self._write_atomically(relative, copy)

    def _write_atomically(self, relative: str, write) -> None:
        target = self.fs_path(relative)
        parent = target.rsplit("/", 1)[0]
        try:
            if self.is_local:
                self.fs.create_dir(parent, recursive=True)
                temporary = f"{target}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}"
                try:
                    with self.fs.open_output_stream(temporary) as sink:
                        write(sink)
                    self.fs.move(temporary, target)
                finally:
                    if self.fs.get_file_info(temporary).type == pafs.FileType.File:
                        self.fs.delete_file(temporary)
            else:
                with self.fs.open_output_stream(target) as sink:
                    write(sink)
        except OSError as exc:
            raise CulturewatchError(f"store {self.url}: cannot write {relative}: {exc}") from exc

    # ------------------------------------------------------------------ reading

    def get_bytes(self, relative: str) -> bytes | None:
        """The whole object, or None when it does not exist.

        Always one whole version of an object that writers replace (the published-build pointer,
        a run's plan). On S3, pyarrow learns an object's size with a HEAD request and then GETs
        that many bytes, so a replacement in between reads a cut or overlong version: a read
        whose size and time differ before and after is done again."""
        path = self.fs_path(relative)
        for _ in range(_READ_ATTEMPTS):
            before = None if self.is_local else self.fs.get_file_info(path)
            if before is not None and before.type != pafs.FileType.File:
                return None
            try:
                with self.fs.open_input_stream(path) as source:
                    data = source.read()
            except FileNotFoundError:
                return None
            except OSError as exc:
                if _not_found(exc):
                    return None
                raise CulturewatchError(f"store {self.url}: cannot read {relative}: {exc}") from exc
            if before is None:
                return data
            after = self.fs.get_file_info(path)
            if (after.type, after.size, after.mtime) == (before.type, len(data), before.mtime):
                return data
            time.sleep(0.05)  # replaced while it was read: read the new version
        raise CulturewatchError(
            f"store {self.url}: {relative} was replaced during each of {_READ_ATTEMPTS} reads; try again"
        )

    def download(self, relative: str, local: Path) -> Path:
        """Copy an object to a local file (atomically: a reader never sees half a file)."""
        local.parent.mkdir(parents=True, exist_ok=True)
        temporary = local.with_name(f"{local.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
        try:
            with self.fs.open_input_stream(self.fs_path(relative)) as source, temporary.open("wb") as sink:
                while chunk := source.read(8 << 20):
                    sink.write(chunk)
            os.replace(temporary, local)
        except OSError as exc:
            raise CulturewatchError(f"store {self.url}: cannot download {relative}: {exc}") from exc
        finally:
            temporary.unlink(missing_ok=True)
        return local

    def parquet_schema(self, relative: str) -> pa.Schema:
        with self.fs.open_input_file(self.fs_path(relative)) as source:
            return pq.read_schema(source)

    def read_parquet(
        self, files: Sequence[str], schema: pa.Schema, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """The rows of `files` (relative paths) read with `schema` (columns a file lacks are null)."""
        import pyarrow.dataset as ds

        if not files:
            empty = schema.empty_table()
            return empty.select(list(columns)) if columns else empty
        dataset = ds.dataset(
            [self.fs_path(file) for file in files], schema=schema, format="parquet", filesystem=self.fs
        )
        return dataset.to_table(columns=list(columns) if columns else None)

    # ------------------------------------------------------------------ removing

    def delete(self, relative: str) -> None:
        """Remove one file; an absent file is not an error."""
        try:
            self.fs.delete_file(self.fs_path(relative))
        except FileNotFoundError:
            pass
        except OSError as exc:
            if not _not_found(exc):
                raise CulturewatchError(f"store {self.url}: cannot delete {relative}: {exc}") from exc

    def remove_stale_temporaries(self, folder: str, older_than_s: float) -> list[str]:
        """Delete the `*.tmp` files a killed local writer left in `folder` (S3 writes leave none),
        those older than `older_than_s`: a live writer's temporary exists for milliseconds, and
        other lanes of the same run may be writing beside it."""
        if not self.is_local:
            return []
        cutoff = datetime.now(UTC).timestamp() - older_than_s
        stale = [
            file.path
            for file in self.list_files(folder, TEMP_SUFFIX)
            if file.modified is not None and file.modified.timestamp() < cutoff
        ]
        for path in stale:
            self.delete(path)
        return stale

    # ------------------------------------------------------------------ DuckDB

    def duckdb(self):
        """An in-memory DuckDB connection that reads this store's URIs."""
        import duckdb

        connection = duckdb.connect()
        self.configure_duckdb(connection)
        return connection

    def read_parquet_sql(self, files: Sequence[StoredFile]) -> str:
        """A DuckDB `read_parquet(...)` of `files` (at least one) with each row's `source_file`."""
        if not files:
            raise ValueError("read_parquet_sql needs at least one file")
        uris = ", ".join("'" + self.uri(file.path).replace("'", "''") + "'" for file in files)
        return (
            f"read_parquet([{uris}], hive_partitioning = false, union_by_name = true, "
            "filename = 'source_file')"
        )

    def configure_duckdb(self, connection) -> None:
        """Let a DuckDB connection read this store's URIs (httpfs + an S3 secret for an S3 store)."""
        if self.is_local:
            return
        load_httpfs(connection)
        connection.execute(s3_secret_sql())


def _not_found(error: OSError) -> bool:
    text = str(error).lower()
    return "not found" in text or "no such" in text


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def duckdb_extension_directory() -> str:
    """Where the PyPI packages `duckdb-ext-*` put DuckDB's extensions (loaded with no network)."""
    import duckdb_ext

    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


def load_httpfs(connection) -> None:
    connection.execute(f"set extension_directory = '{duckdb_extension_directory()}'")
    connection.execute("set autoinstall_known_extensions = false")
    connection.load_extension("httpfs")


def aws_credentials() -> dict[str, str]:
    """The standard AWS environment's credentials, as DuckDB's S3 secret names them: region always,
    key_id / secret / session_token only when set (none set: unsigned requests, e.g. a public bucket)."""
    found = {
        "key_id": os.environ.get("AWS_ACCESS_KEY_ID"),
        "secret": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "session_token": os.environ.get("AWS_SESSION_TOKEN"),
        "region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
    }
    return {key: value for key, value in found.items() if value}


def s3_secret_sql() -> str:
    """CREATE SECRET for DuckDB's httpfs from the standard AWS environment variables."""

    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    options = {"TYPE": "s3"} | {key.upper(): quoted(value) for key, value in aws_credentials().items()}
    endpoint = os.environ.get(ENDPOINT_ENV)
    if endpoint:
        parsed = urlsplit(endpoint)
        options["ENDPOINT"] = quoted(parsed.netloc or parsed.path)
        options["URL_STYLE"] = quoted("path")
        options["USE_SSL"] = "false" if parsed.scheme == "http" else "true"
    body = ", ".join(f"{key} {value}" for key, value in options.items())
    return f"CREATE OR REPLACE SECRET culturewatch_store ({body})"


@dataclass(frozen=True)
class Folder:
    """A folder of a store (e.g. one run's raw answers): where append-only Parquet files go."""

    store: Store
    path: str

    def __truediv__(self, name: str) -> Folder:
        return Folder(self.store, f"{self.path.rstrip('/')}/{name.strip('/')}")

    def __str__(self) -> str:
        return self.store.uri(self.path)

    def files(self, suffix: str | None = ".parquet") -> list[StoredFile]:
        return self.store.list_files(self.path, suffix)
