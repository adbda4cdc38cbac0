"""Credentials in endpoint URLs: redacted in URLs, text and log records; specs stored redacted
get their credentials back only from the config they were planned from."""

from __future__ import annotations

import logging

import pytest

from culturewatch.config.schema import ProbeConfig
from culturewatch.errors import InputFileError
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.orchestrate import with_credentials
from culturewatch.probing.probe_specs import build_specs
from culturewatch.redaction import RedactingFilter, redact_text, redact_url, url_secrets


@pytest.mark.parametrize(
    ("url", "shown", "secrets"),
    [
        ("http://127.0.0.1:8091/v1", "http://127.0.0.1:8091/v1", []),
        ("https://user:pw@host/v1", "https://***@host/v1", ["pw", "user"]),
        ("https://host/v1?api-key=k3y&region=eu", "https://host/v1?api-key=***&region=eu", ["k3y"]),
        (
            "https://host/v1?X-Amz-Signature=abc&token=t",
            "https://host/v1?X-Amz-Signature=***&token=***",
            ["abc", "t"],
        ),
        ("http://a%40b:p%3Aw@h/v1", "http://***@h/v1", ["a%40b", "a@b", "p%3Aw", "p:w"]),
    ],
)
def test_userinfo_and_key_like_parameters_are_redacted(url: str, shown: str, secrets: list[str]) -> None:
    assert redact_url(url) == shown
    assert url_secrets(url) == secrets
    assert redact_text(f"cannot reach {url}: boom") == f"cannot reach {shown}: boom"


def test_a_log_record_with_a_url_is_rewritten() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, "x", 1, 'HTTP Request: %s %s "%s"', ("POST", "http://u:pw@h/v1", "200"), None
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == 'HTTP Request: POST http://***@h/v1 "200"'


def test_a_spec_is_stored_redacted_and_gets_its_credentials_back_from_its_config(tmp_path) -> None:
    config = tmp_path / "probe.yaml"
    config.write_text(
        "models:\n  - {name: m, base_url: 'https://user:pw@host/v1', version: v1}\n"
        "grid: {settings: [english], countries: [US], items: [m01]}\n"
    )
    [spec] = build_specs(
        ProbeConfig.model_validate(
            {
                "models": [{"name": "m", "base_url": "https://user:pw@host/v1", "version": "v1"}],
                "grid": {"settings": ["english"], "countries": ["US"], "items": ["m01"]},
            }
        ),
        load_instrument("vsm2013"),
        {"m": "v1"},
    )
    stored = spec.redacted()
    assert stored.endpoint["base_url"] == "https://***@host/v1" and "pw" not in str(stored.to_dict())
    assert with_credentials(stored, config) == spec
    config.write_text(config.read_text().replace("host/v1", "other/v1"))
    with pytest.raises(InputFileError, match=r"no model 'm' at https://\*\*\*@host/v1 any more"):
        with_credentials(stored, config)
