"""The object store's credentials come from the standard AWS environment, for pyarrow and DuckDB alike."""

from __future__ import annotations

import pytest

from culturewatch.storage.store import Store, aws_credentials, s3_secret_sql

AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_temporary_credentials_reach_duckdb_and_pyarrow(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "it's-secret")
    aws_env.setenv("AWS_SESSION_TOKEN", "token-1")
    aws_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert aws_credentials() == {
        "key_id": "ASIAEXAMPLE",
        "secret": "it's-secret",
        "session_token": "token-1",
        "region": "eu-west-1",
    }
    sql = s3_secret_sql()
    assert "SESSION_TOKEN 'token-1'" in sql and "SECRET 'it''s-secret'" in sql  # quoted for SQL
    assert "REGION 'eu-west-1'" in sql
    filesystem = Store("s3://bucket/prefix").fs
    assert filesystem.region == "eu-west-1"


def test_no_keys_means_unsigned_requests_not_empty_keys(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")
    assert aws_credentials() == {"region": "us-east-1"}
    sql = s3_secret_sql()
    assert "KEY_ID" not in sql and "SECRET '" not in sql
    assert "ENDPOINT '127.0.0.1:8333'" in sql and "USE_SSL false" in sql
