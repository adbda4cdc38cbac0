"""Poll an OpenAI-compatible server's `/v1/models` (vLLM, llama.cpp, hosted APIs).

The version identity of a served model is a digest of what the server reports about it, minus
the fields that change without the model changing: `created` (vLLM stamps every reply with the
current time) and `permission`/`permissions` (vLLM gives them a fresh random id each time).
What is left is e.g. vLLM's `root` (the weights path) and `max_model_len`, llama.cpp server's
`meta` (parameter count, vocabulary, size), the owner. A server that reports nothing about the
weights (llama-cpp-python's server reports only the alias) cannot show a new version this way:
pin `version:` in the config or register versions in the MLflow registry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import httpx

from culturewatch.errors import EndpointError
from culturewatch.redaction import install_log_redaction, redact_text, redact_url

VOLATILE_FIELDS = frozenset({"created", "permission", "permissions"})


@dataclass(frozen=True)
class ServedModel:
    """One entry of a server's model list."""

    base_url: str
    model: str
    version: str
    details: dict[str, object]


def stable_fields(entry: dict[str, object]) -> dict[str, object]:
    """The entry without the fields that change when nothing about the model did."""
    return {key: value for key, value in entry.items() if key not in VOLATILE_FIELDS}


def served_version(entry: dict[str, object]) -> str:
    """`digest-<12 hex>` of the entry's stable fields: the version identity of a served model."""
    canonical = json.dumps(stable_fields(entry), sort_keys=True, separators=(",", ":"), default=str)
    return f"digest-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"


def list_models(base_url: str, api_key: str, timeout_s: float = 30.0) -> list[dict[str, object]]:
    """The raw entries of `<base_url>/models`; errors name the URL (credentials redacted) and what
    was wrong."""
    install_log_redaction()
    url = base_url.rstrip("/") + "/models"
    shown = redact_url(url)
    try:
        reply = httpx.get(url, timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})
        reply.raise_for_status()
        payload = reply.json()
    except httpx.HTTPStatusError as exc:
        raise EndpointError(f"cannot list models at {shown}: HTTP {exc.response.status_code}") from exc
    except httpx.HTTPError as exc:
        raise EndpointError(
            f"cannot list models at {shown}: {type(exc).__name__}: {redact_text(str(exc))}"
        ) from exc
    except ValueError as exc:
        raise EndpointError(f"cannot list models at {shown}: the reply is not JSON ({exc})") from exc
    entries = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise EndpointError(
            f"cannot list models at {shown}: expected an object with a `data` list (OpenAI /v1/models), "
            f"got {json.dumps(payload)[:200]}"
        )
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise EndpointError(f"{shown}: data[{position}] has no model `id`: {json.dumps(entry)[:200]}")
    return entries


def poll_endpoint(base_url: str, api_key: str, timeout_s: float = 30.0) -> list[ServedModel]:
    """Every model the server lists, with its version identity."""
    return [
        ServedModel(base_url, str(entry["id"]), served_version(entry), stable_fields(entry))
        for entry in list_models(base_url, api_key, timeout_s)
    ]
