"""The data plane's real services, one of each per test session: an S3-compatible object store
(SeaweedFS, tests/object_store.py) and PostgreSQL (tests/native_services.py), both on 127.0.0.1.

Each test gets a store prefix of its own in the one bucket (`s3_store_url`, with the AWS variables
set for it) and a database of its own (`postgres_url`). When the session ends both servers are
stopped by process group and no process of theirs may be left.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from tests.native_services import PostgresServer, processes_naming
from tests.object_store import SeaweedFS


def unique_name(hint: str) -> str:
    """A name for a test's own prefix or database: its test name, shortened, and a random tail."""
    return f"{re.sub(r'[^a-z0-9]+', '_', hint.lower()).strip('_')[:40]}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def object_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    try:
        yield server
    finally:
        server.stop()
    assert server.leftovers() == [], "weed processes outlived the session"


@pytest.fixture
def s3_store_url(object_store: SeaweedFS, monkeypatch: pytest.MonkeyPatch, request) -> str:
    """`s3://culturewatch/<prefix of this test>`, the AWS variables pointing at the server."""
    for name, value in object_store.env().items():
        monkeypatch.setenv(name, value)
    return object_store.store_url(unique_name(request.node.name).replace("_", "-"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    why_not = PostgresServer.available()
    if why_not is not None:  # CI installs it (make stack-deps): never skip the PostgreSQL claims quietly
        pytest.fail(f"cannot start PostgreSQL for the claims tests: {why_not}", pytrace=False)
    server = PostgresServer.in_temp_dir().start()
    try:
        yield server
    finally:
        server.stop()
    assert processes_naming(str(server.root)) == [], "postgres processes outlived the session"


@pytest.fixture
def postgres_url(postgres: PostgresServer, request) -> str:
    """A new database of the session's server, for this test alone."""
    return postgres.create_database(unique_name(request.node.name))
