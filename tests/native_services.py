"""Services that tests and benchmarks start natively on 127.0.0.1 (no Docker): the process helpers
every one of them uses (culturewatch.service_processes, shared with `culturewatch ui`), and
PostgreSQL (Debian's postgresql-15, installed by `make stack-deps`).

Every service is started in its own session (setsid) and stopped by process group, so nothing it
forked outlives it; `processes_naming` finds any process that still names a service's folder.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from culturewatch.service_processes import Process, free_port, spawn, wait_for

__all__ = ["PostgresServer", "Process", "free_port", "processes_naming", "spawn", "wait_for"]

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def processes_naming(text: str) -> list[str]:
    """`pid: command line` of every live process whose command line contains `text` (a service's
    own folder names it: what is left of a service after it was stopped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # it ended meanwhile
            continue
        command = " ".join(part.decode(errors="replace") for part in argv if part)
        if text in command and state != "Z":
            found.append(f"{entry.name}: {command}")
    return found


def as_postgres_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run `argv` as the `postgres` user."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in `root` on 127.0.0.1:`port`, one password-protected superuser."""

    root: Path
    user: str = "culturewatch"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    port: int = field(default_factory=free_port)
    log: Path | None = None
    process: Process | None = None

    @classmethod
    def in_temp_dir(cls, **options: object) -> PostgresServer:
        """A server in a new folder of its own under the system temp dir (readable by the
        postgres user, which pytest's 0700 temp dirs are not); `stop()` removes it."""
        root = Path(tempfile.mkdtemp(prefix="culturewatch-postgres-"))
        root.chmod(0o755)
        return cls(root=root, **options)  # type: ignore[arg-type]

    @staticmethod
    def available() -> str | None:
        """None when PostgreSQL 15 can be started here, else why not (one line)."""
        if not (POSTGRES_BIN / "postgres").is_file():
            return f"PostgreSQL 15 is not installed ({POSTGRES_BIN}/postgres): run `make stack-deps`"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root without a `postgres` user to run PostgreSQL as"
        return None

    def start(self) -> PostgresServer:
        """initdb, start, and wait until it accepts connections."""
        self.root.mkdir(parents=True, exist_ok=True)
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.root, password_file):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        initdb = as_postgres_user(
            [
                str(POSTGRES_BIN / "initdb"),
                "-D", str(self.root / "data"),
                "-U", self.user,
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-E", "UTF8",
                "--locale=C",
            ]
        )  # fmt: skip
        subprocess.run(initdb, check=True, capture_output=True, cwd=self.root)
        self.process = spawn(
            "postgres",
            as_postgres_user(
                [
                    str(POSTGRES_BIN / "postgres"),
                    "-D", str(self.root / "data"),
                    "-h", "127.0.0.1",
                    "-p", str(self.port),
                    "-k", str(self.root),
                    "-c", "fsync=off",
                    "-c", "max_connections=200",
                ]
            ),
            self.log or self.root / "postgres.log",
            cwd=self.root,
        )  # fmt: skip
        ready = [str(POSTGRES_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user]

        def accepting() -> bool:
            if not self.process.alive():
                raise RuntimeError(f"postgres exited {self.process.popen.returncode}:\n{self.process.tail()}")
            return subprocess.run(ready, capture_output=True).returncode == 0

        wait_for("postgres", accepting, 60, 0.3)
        return self

    def psql(self, sql: str, database: str = "postgres") -> None:
        command = [str(POSTGRES_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user]
        subprocess.run(
            [*command, "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True,
            capture_output=True,
            env={**os.environ, "PGPASSWORD": self.password},
        )

    def create_database(self, name: str) -> str:
        """A new database; its URL."""
        self.psql(f'create database "{name}"')
        return self.url(name)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def stop(self, remove: bool = True) -> None:
        if self.process is not None:
            self.process.stop(first=signal.SIGINT)  # PostgreSQL's fast shutdown
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)
