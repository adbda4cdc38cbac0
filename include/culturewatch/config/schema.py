"""Typed run configuration. Credentials are referenced by environment variable, never inline."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from culturewatch.alerts.channels import AlertsConfig
from culturewatch.config.styles import Style
from culturewatch.discovery.watch_sources import DiscoveryConfig
from culturewatch.errors import MissingCredential
from culturewatch.identifiers import INSTRUMENT_ID_PATTERN
from culturewatch.quality.thresholds import QualityThresholds
from culturewatch.redaction import redact_url

Setting = Literal["aligned", "english", "chinese", "full_grid"]
# `aware`: persona prompt (VSM's role prompt, CultureSPA's P1); `unaware`: no persona;
# `cross_culture`: CultureSPA's P2; `self_alignment`, `aware_self_alignment`,
# `cross_culture_self_alignment`: CultureSPA's baselines P3, P1+P3, P2+P3 (in-context examples
# with the target culture's answers). Which ones an instrument supports is checked when the
# grid is planned.
Strategy = Literal[
    "aware",
    "unaware",
    "cross_culture",
    "self_alignment",
    "aware_self_alignment",
    "cross_culture_self_alignment",
]
# `base`, `reversed_options`, a paraphrase the instrument defines (e.g. `paraphrase_1`), or for
# wvs_polarity `sample` / `all` / `tplTT-varV`; checked against the instrument when planned.
Variant = str

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SECRET_LOOKING = re.compile(r"^(sk-|Bearer\s)", re.IGNORECASE)


class ModelEndpoint(BaseModel):
    """One model to watch on an OpenAI-compatible endpoint."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, description="model name exactly as the endpoint serves it")
    base_url: HttpUrl
    api_key_env: str | None = Field(
        default=None, description="name of the environment variable holding the API key"
    )
    version: str = Field(
        default="auto",
        description="version identity; 'auto' derives a digest of what the endpoint reports",
    )
    usd_per_million_prompt_tokens: float | None = Field(
        default=None, ge=0, description="price, for the runs mart's cost; unset = cost unknown (null)"
    )
    usd_per_million_completion_tokens: float | None = Field(default=None, ge=0)
    # Scheduling (Airflow): self-hosted servers run their probe tasks on the `gpu` queue, hosted
    # APIs on the default queue; every endpoint gets its own pool (see airflow_pool()).
    hosted: bool = Field(
        default=False, description="a hosted API (default queue) rather than a self-hosted server (gpu queue)"
    )
    deterministic: bool = Field(
        default=False,
        description="the operator declares that this self-hosted server answers identical temperature-0 "
        "requests identically whatever else it is serving (see docs/gpu.md): at temperature 0 the probe "
        "then asks trials whose requests are identical once and records the others as sharing that "
        "answer (raw `answer_shared_from_trial`); never for a hosted API",
    )
    queue: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Airflow queue of its probe tasks (default: `gpu` when self-hosted, the default queue "
        "when hosted)",
    )
    pool: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Airflow pool of its probe tasks (default: one per endpoint, culturewatch_<host>_<port>)",
    )
    pool_size: int = Field(
        default=1, ge=1, le=1024, description="slots of the pool: probe tasks that may run against it at once"
    )
    pool_slots: int = Field(default=1, ge=1, le=1024, description="pool slots one probe task takes")
    # Budget caps, at the prices above: a probe stops cleanly (resumable) before exceeding them.
    max_usd_per_run: float | None = Field(default=None, gt=0, description="cap on one run's spend")
    max_usd_per_day: float | None = Field(
        default=None, gt=0, description="cap on this model's spend per UTC day, over all its runs"
    )
    quality: QualityThresholds = Field(
        default_factory=QualityThresholds,
        description="data-quality thresholds of this model's runs (parse rate per language; see "
        "expectations/README.md)",
    )

    @model_validator(mode="after")
    def _budget_needs_prices(self) -> ModelEndpoint:
        priced = (self.usd_per_million_prompt_tokens, self.usd_per_million_completion_tokens) != (None, None)
        if (self.max_usd_per_run or self.max_usd_per_day) and not priced:
            raise ValueError(
                f"model {self.name!r}: max_usd_per_run/max_usd_per_day need usd_per_million_*_tokens prices"
            )
        if self.deterministic and self.hosted:
            raise ValueError(
                f"model {self.name!r}: a hosted API is never declared deterministic (its serving stack is "
                "not ours to vouch for): ask each trial"
            )
        if self.pool_slots > self.pool_size:
            raise ValueError(
                f"model {self.name!r}: pool_slots ({self.pool_slots}) > pool_size ({self.pool_size})"
            )
        return self

    def airflow_queue(self) -> str | None:
        """The queue of this model's probe tasks; None = the executor's default queue."""
        if self.queue is not None:
            return self.queue
        return None if self.hosted else "gpu"

    def airflow_pool(self) -> str:
        """The pool of this model's probe tasks: configured, or one per endpoint (host and port)."""
        if self.pool is not None:
            return self.pool
        host = self.base_url.host or "endpoint"
        port = self.base_url.port or (443 if self.base_url.scheme == "https" else 80)
        return "culturewatch_" + re.sub(r"[^a-z0-9]+", "_", f"{host}_{port}".lower()).strip("_")

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        """What these tokens cost at the configured prices; None when no price is configured."""
        if self.usd_per_million_prompt_tokens is None and self.usd_per_million_completion_tokens is None:
            return None
        return (
            prompt_tokens * (self.usd_per_million_prompt_tokens or 0.0)
            + completion_tokens * (self.usd_per_million_completion_tokens or 0.0)
        ) / 1e6

    @field_validator("api_key_env")
    @classmethod
    def _env_reference(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if _SECRET_LOOKING.match(value) or not _ENV_NAME.match(value):
            raise ValueError(
                "must name an environment variable (e.g. OPENAI_API_KEY), never hold the key itself"
            )
        return value

    def api_key(self) -> str:
        """The key from the referenced variable; local servers without auth get a placeholder.
        An unset variable is an error naming it (never a value)."""
        if self.api_key_env is None:
            return "not-needed"
        key = os.environ.get(self.api_key_env)
        if not key:
            raise MissingCredential(
                f"model {self.name!r}: api_key_env names {self.api_key_env}, which is not set in the "
                "environment"
            )
        return key

    @property
    def display_url(self) -> str:
        """`base_url` as it may be written or logged: credentials redacted (culturewatch.redaction)."""
        return redact_url(str(self.base_url))


class ProbeGrid(BaseModel):
    """What to ask: instrument, countries × prompt languages (by setting), trials and sampling."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    instrument: str = Field(
        default="vsm2013",
        pattern=INSTRUMENT_ID_PATTERN,
        description="instrument id, found in the bundled or configured instrument directories (never a path)",
    )
    settings: list[Setting] = Field(default_factory=lambda: ["aligned"], min_length=1)
    countries: list[str] | Literal["all"] = "all"
    items: list[str] | Literal["all"] = Field(
        default="all", description="a subset of the instrument's item ids, for quick checks"
    )
    styles: list[Style] = Field(default_factory=lambda: ["classification"], min_length=1)
    strategies: list[Strategy] = Field(default_factory=lambda: ["aware"], min_length=1)
    variants: list[Variant] = Field(default_factory=lambda: ["base"], min_length=1)
    trials: int = Field(default=1, ge=1, le=100)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = 0
    max_tokens: int = Field(default=16, ge=1, le=4096)
    answer_distribution: Literal["parsed", "logprobs"] = Field(
        default="parsed",
        description="'logprobs': option probabilities from one call's top_logprobs (answer = expected "
        "value); falls back to the parsed answer where the backend or the item does not allow it",
    )
    top_logprobs: int = Field(default=20, ge=1, le=20)
    style_max_tokens: dict[Style, int] = Field(
        default_factory=lambda: {"cot": 384, "scenario": 384},
        description="max_tokens for the free-text styles (classification uses max_tokens)",
    )

    def max_tokens_for(self, style: str) -> int:
        return self.style_max_tokens.get(style, self.max_tokens)  # type: ignore[call-overload]


class ClientLimits(BaseModel):
    """How hard the probe may push an endpoint, and how it survives failures."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    concurrency: int = Field(default=2, ge=1, le=256)
    timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="deadline of one HTTP attempt, from sending to the last byte of the reply; a request "
        "with its retries and their waits never takes longer than timeout_s × (max_retries + 1)",
    )
    max_retries: int = Field(default=4, ge=0, le=20)
    batch_size: int = Field(default=24, ge=1, description="answers per raw Parquet file")
    max_reply_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="UTF-8 bytes of a reply's text that are kept, cached, parsed and language-identified; "
        "a longer reply is cut there and flagged (response_truncated)",
    )

    @property
    def request_deadline_s(self) -> float:
        """The longest one request may take, its retries and their waits included."""
        return self.timeout_s * (self.max_retries + 1)


class ProbeConfig(BaseModel):
    """The whole run configuration file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    models: list[ModelEndpoint] = Field(min_length=1)
    grid: ProbeGrid = Field(default_factory=ProbeGrid)
    client: ClientLimits = Field(default_factory=ClientLimits)
    judge: ModelEndpoint | None = Field(
        default=None,
        description="LLM-as-judge that classifies free-text answers (scenario style, and chain-of-"
        "thought replies without a final answer line); any OpenAI-compatible model",
    )
    discovery: DiscoveryConfig = Field(
        default_factory=DiscoveryConfig,
        description="what the watch DAG polls besides the endpoints: the MLflow model registry",
    )
    alerts: AlertsConfig = Field(
        default_factory=AlertsConfig, description="regression alerts: channels, routing per model"
    )

    @model_validator(mode="after")
    def _scenario_needs_a_judge(self) -> ProbeConfig:
        if "scenario" in self.grid.styles and self.judge is None:
            raise ValueError("style 'scenario' needs a `judge` model to classify its free-text answers")
        return self

    @field_validator("models")
    @classmethod
    def _unique_names(cls, models: list[ModelEndpoint]) -> list[ModelEndpoint]:
        keys = [(str(model.base_url), model.name) for model in models]
        if len(set(keys)) != len(keys):
            raise ValueError("the same model is listed twice on one endpoint")
        return models

    @field_validator("models")
    @classmethod
    def _one_lane_per_pool(cls, models: list[ModelEndpoint]) -> list[ModelEndpoint]:
        lanes: dict[str, tuple[int, int, str | None]] = {}
        for model in models:
            pool, lane = model.airflow_pool(), (model.pool_size, model.pool_slots, model.airflow_queue())
            if lanes.setdefault(pool, lane) != lane:
                raise ValueError(
                    f"pool {pool!r}: models sharing it must agree on pool_size, pool_slots and queue; "
                    f"got {lanes[pool]} and {lane}"
                )
        return models

    @model_validator(mode="after")
    def _registry_models_are_configured(self) -> ProbeConfig:
        names = {model.name for model in self.models}
        for watched in self.discovery.mlflow.models if self.discovery.mlflow else []:
            if watched.probe_as not in names:
                raise ValueError(
                    f"discovery.mlflow.models: {watched.name!r} is probed as {watched.probe_as!r}, which is "
                    f"not one of the configured models {sorted(names)}"
                )
        return self
