"""Credentials in endpoint URLs never leave the process.

A `base_url` may carry credentials (`https://user:pw@host/v1`, `?api-key=...`). Everywhere a URL
is written or logged it goes through `redact_url` (or `redact_text` for a message that may
contain one): the userinfo becomes `***@` and the value of every key-like query parameter
(a name containing key, token, secret, password, signature, credential, auth, ...) becomes
`***`. The HTTP libraries' own log lines (`HTTP Request: POST http://user:pw@host/...`) are
redacted by a logging filter (`install_log_redaction`); Airflow tasks also register the
secrets themselves with Airflow's masker (`url_secrets`).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urlsplit, urlunsplit

REDACTED = "***"
_KEY_LIKE = re.compile(r"key|token|secret|passw|pwd|signature|sig$|credential|auth|session", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{0,15}://[^\s'\"<>`]*[^\s'\"<>`:,.;)\]]")
LOGGERS = ("httpx", "httpx2", "httpcore", "openai")


def _key_like(name: str) -> bool:
    return bool(_KEY_LIKE.search(unquote(name)))


def redact_url(url: str) -> str:
    """`url` without its userinfo and without the values of key-like query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = "&".join(
        f"{pair.split('=', 1)[0]}={REDACTED}" if "=" in pair and _key_like(pair.split("=", 1)[0]) else pair
        for pair in parts.query.split("&")
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted (error messages, log lines)."""
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group()), text)


def url_secrets(url: str) -> list[str]:
    """The credentials in `url` (as written and percent-decoded), for a secrets masker."""
    parts = urlsplit(url)
    found: list[str] = []
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        found += [piece for piece in userinfo.split(":", 1) if piece]
    found += [
        value
        for pair in parts.query.split("&")
        if "=" in pair and _key_like(pair.split("=", 1)[0])
        for value in [pair.split("=", 1)[1]]
        if value
    ]
    return sorted({form for secret in found for form in (secret, unquote(secret))})


class RedactingFilter(logging.Filter):
    """Rewrites a log record whose message contains a URL with credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_FILTER = RedactingFilter()


def install_log_redaction(names: tuple[str, ...] = LOGGERS) -> None:
    """Redact URLs in the records of the HTTP libraries' loggers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
