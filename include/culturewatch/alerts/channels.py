"""Typed alert configuration (the `alerts:` section of the run configuration).

Secrets stay out of the file: webhook URLs are read from the environment variable named here,
the SMTP server from an Airflow connection.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

Channel = Literal["slack", "email", "webhook"]
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"{value!r} must name an environment variable (e.g. CULTUREWATCH_SLACK_WEBHOOK)")
    return value


def is_address(value: str) -> bool:
    """An e-mail address (an owner like `@bob` is a chat handle: named, not mailed)."""
    return bool(_ADDRESS.match(value))


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"not an e-mail address: {value!r}")
    return value


EnvVarName = Annotated[str, AfterValidator(_env_name)]
EmailAddress = Annotated[str, AfterValidator(_address)]


class SlackChannel(BaseModel):
    """A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url_env: EnvVarName = Field(description="environment variable holding the webhook URL")
    channel: str | None = Field(default=None, description="channel override (honoured by Mattermost)")


class EmailChannel(BaseModel):
    """E-mail through an SMTP server named by an Airflow connection (SmtpNotifier)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    smtp_conn_id: str = Field(default="smtp_default", description="Airflow connection of the SMTP server")
    from_email: EmailAddress
    to: list[EmailAddress] = Field(min_length=1, description="recipients of every alert (owners are added)")


class WebhookChannel(BaseModel):
    """A generic JSON webhook: the alert as one JSON object, POSTed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url_env: EnvVarName = Field(description="environment variable holding the URL")


class Route(BaseModel):
    """Who hears about which models: the first route whose patterns match a model wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    models: list[str] = Field(min_length=1, description="model names or fnmatch patterns, e.g. 'qwen*'")
    owners: list[str] = Field(
        default_factory=list, description="named in the alert; e-mail addresses also receive it"
    )
    channels: list[Channel] | None = Field(default=None, description="default: every configured channel")
    slack_channel: str | None = None
    email_to: list[EmailAddress] = Field(
        default_factory=list, description="extra recipients for these models"
    )

    def matches(self, model: str) -> bool:
        return any(fnmatchcase(model, pattern) for pattern in self.models)


class AlertsConfig(BaseModel):
    """Regression alerts: each channel optional; routing per model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    slack: SlackChannel | None = None
    email: EmailChannel | None = None
    webhook: WebhookChannel | None = None
    routes: list[Route] = Field(default_factory=list)
    recovered_notices: bool = Field(
        default=True, description="send a 'recovered' notice when a regressed metric improves again"
    )
    airflow_ui_url: HttpUrl | None = Field(
        default=None,
        description="base URL of the Airflow UI for links to runs (default: $AIRFLOW__API__BASE_URL, "
        "else http://localhost:8080)",
    )

    @model_validator(mode="after")
    def _routes_use_configured_channels(self) -> AlertsConfig:
        configured = set(self.configured_channels())
        for index, route in enumerate(self.routes):
            missing = sorted(set(route.channels or []) - configured)
            if missing:
                raise ValueError(f"routes[{index}]: channel(s) {missing} are not configured under alerts:")
        return self

    def configured_channels(self) -> list[Channel]:
        return [name for name in ("slack", "email", "webhook") if getattr(self, name) is not None]

    def route_for(self, model: str) -> Route:
        """The first matching route; a model no route names goes to every configured channel."""
        for route in self.routes:
            if route.matches(model):
                return route
        return Route(models=[model])
