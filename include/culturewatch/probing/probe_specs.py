"""Plan a probe: which (country, prompt language) pairs, which cells (each asked of the instrument's
kind, `culturewatch.kinds`), and one spec per mapped task."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace

from culturewatch.config.schema import ClientLimits, ModelEndpoint, ProbeConfig, ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.identifiers import check_run_id
from culturewatch.instruments.loader import AnyInstrument
from culturewatch.kinds import kind_of
from culturewatch.probing.cells import Pair, ProbeCell
from culturewatch.redaction import redact_url

__all__ = [
    "JUDGE_KEY",
    "Pair",
    "ProbeCell",
    "ProbeSpec",
    "build_specs",
    "cells_for",
    "country_languages",
    "run_id_for",
]


def country_languages(grid: ProbeGrid, instrument: AnyInstrument) -> list[Pair]:
    """The (country, prompt language) pairs the grid's settings ask for, in a stable order."""
    pairs = kind_of(instrument).country_languages(grid, instrument)
    missing = sorted({language for _, language in pairs} - instrument.languages.keys())
    if missing:
        raise CulturewatchError(
            f"instrument {instrument.id!r} has no texts in prompt language(s) {missing} needed by "
            f"settings {grid.settings}; it has {sorted(instrument.languages)}"
        )
    return pairs


def cells_for(grid: ProbeGrid, instrument: AnyInstrument, pairs: list[Pair]) -> list[ProbeCell]:
    """Every cell for these pairs, ordered so consecutive prompts share the longest prefix."""
    return kind_of(instrument).cells(grid, instrument, pairs)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def run_id_for(endpoint: ModelEndpoint, version: str, grid: ProbeGrid, instrument: AnyInstrument) -> str:
    """A reproducible run id: the same model version probed with the same grid gets the same id."""
    grid_digest = hashlib.sha256(
        json.dumps(
            {"grid": grid.model_dump(mode="json"), "instrument_version": instrument.version},
            sort_keys=True,
        ).encode()
    ).hexdigest()[:8]
    return f"{_slug(endpoint.name)}--{_slug(version)}--{grid_digest}"


JUDGE_KEY = "<judge>"
"""Key of the judge's version in the `versions` mapping given to build_specs."""


@dataclass(frozen=True)
class ProbeSpec:
    """One mapped probe task: one model version asked in one prompt language."""

    run_id: str
    endpoint: dict[str, object]
    model_version: str
    prompt_language: str
    countries: list[str | None]
    grid: dict[str, object]
    client: dict[str, object] = field(default_factory=dict)
    judge: dict[str, object] | None = None
    judge_version: str | None = None
    # the Airflow DAG run asking it (recorded on the run's events, for links); not part of the run id
    airflow_dag_run_id: str | None = None

    def __post_init__(self) -> None:
        check_run_id(self.run_id)  # a spec from outside (XCom, a file) never names a path

    @property
    def label(self) -> str:
        """Readable map-index name for the Airflow UI."""
        return f"{self.endpoint['name']}@{self.model_version} [{self.prompt_language}]"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ProbeSpec:
        return cls(**data)  # type: ignore[arg-type]

    def redacted(self) -> ProbeSpec:
        """This spec as it may be stored outside the process (Airflow's XCom, rendered fields): the
        endpoints' base_url without credentials. `probing.orchestrate.with_credentials` gives them
        back from the config it was planned from."""
        return replace(
            self,
            endpoint=_redacted_endpoint(self.endpoint),
            judge=_redacted_endpoint(self.judge) if self.judge is not None else None,
        )

    def parsed(self) -> tuple[ModelEndpoint, ProbeGrid, ClientLimits]:
        return (
            ModelEndpoint.model_validate(self.endpoint),
            ProbeGrid.model_validate(self.grid),
            ClientLimits.model_validate(self.client),
        )


def _redacted_endpoint(endpoint: dict[str, object]) -> dict[str, object]:
    return {**endpoint, "base_url": redact_url(str(endpoint["base_url"]))}


def build_specs(config: ProbeConfig, instrument: AnyInstrument, versions: dict[str, str]) -> list[ProbeSpec]:
    """One spec per (model version × prompt language); `versions` maps model name to its version
    (and JUDGE_KEY to the judge's, when the config names a judge)."""
    pairs = country_languages(config.grid, instrument)
    # a language none of whose prompts the grid selects (a polarity sample lacks the chosen
    # topic wordings) gets no task, rather than an empty one
    by_language: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_language.setdefault(pair[1], []).append(pair)
    languages = sorted(
        language for language, chosen in by_language.items() if cells_for(config.grid, instrument, chosen)
    )
    if not languages:
        raise CulturewatchError(f"the grid selects no prompts of {instrument.id!r} in any language")
    specs = []
    for endpoint in config.models:
        version = versions[endpoint.name]
        run_id = run_id_for(endpoint, version, config.grid, instrument)
        for language in languages:
            specs.append(
                ProbeSpec(
                    run_id=run_id,
                    endpoint=endpoint.model_dump(mode="json"),
                    model_version=version,
                    prompt_language=language,
                    countries=[country for country, lang in pairs if lang == language],
                    grid=config.grid.model_dump(mode="json"),
                    client=config.client.model_dump(mode="json"),
                    judge=config.judge.model_dump(mode="json") if config.judge else None,
                    judge_version=versions.get(JUDGE_KEY),
                )
            )
    return specs
