"""Airflow's REST API as its clients use it (the local UI, the native-stack test): whether the
API server answers, and an httpx client signed in as a user of the simple auth manager."""

from __future__ import annotations

import httpx

PROJECT_TAG = "culturewatch"
"""The tag every DAG of the project carries (orchestration.dag_args), by which its clients find them."""


def api_is_healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/api/v2/monitor/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def api_client(base_url: str, username: str, password: str) -> httpx.Client:
    """A client whose requests carry a bearer token from `/auth/token` (the caller closes it)."""
    reply = httpx.post(
        f"{base_url}/auth/token", json={"username": username, "password": password}, timeout=30
    )
    reply.raise_for_status()
    token = reply.json()["access_token"]
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
