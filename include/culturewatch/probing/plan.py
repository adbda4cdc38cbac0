"""Plan a probe: which (country, prompt language) pairs, which cells, and one spec per mapped task."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from culturewatch.config.schema import ClientLimits, ModelEndpoint, ProbeConfig, ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.instruments.schema import Instrument
from culturewatch.reference.countries import countries_by_code, load_countries


@dataclass(frozen=True, order=True)
class ProbeCell:
    """One model call of the grid; its fields (with the run id) are the raw table's key."""

    instrument: str
    item_id: str
    country: str
    prompt_language: str
    style: str
    strategy: str
    variant: str
    trial: int


def country_languages(grid: ProbeGrid, instrument: Instrument) -> list[tuple[str, str]]:
    """The (country, prompt language) pairs the grid's settings ask for, in a stable order."""
    known = countries_by_code()
    codes = [c.country_code for c in load_countries()] if grid.countries == "all" else grid.countries
    all_languages = sorted({known[code].language_code for code in known})
    pairs: set[tuple[str, str]] = set()
    for setting in grid.settings:
        for code in codes:
            if setting == "aligned":
                pairs.add((code, known[code].language_code))
            elif setting == "english":
                pairs.add((code, "en"))
            elif setting == "chinese":
                pairs.add((code, "zh"))
            else:  # full_grid
                pairs.update((code, language) for language in all_languages)
    missing = sorted({language for _, language in pairs} - instrument.languages.keys())
    if missing:
        raise CulturewatchError(
            f"instrument {instrument.id!r} has no texts in prompt language(s) {missing} needed by "
            f"settings {grid.settings}; it has {sorted(instrument.languages)}"
        )
    return sorted(pairs)


def cells_for(grid: ProbeGrid, instrument: Instrument, pairs: list[tuple[str, str]]) -> list[ProbeCell]:
    """Every cell for these pairs, ordered so consecutive prompts share the longest prefix."""
    paraphrases = set(next(iter(instrument.languages.values())).paraphrases)
    unknown_variants = sorted(set(grid.variants) - {"base", "reversed_options"} - paraphrases)
    if unknown_variants:
        raise CulturewatchError(
            f"grid.variants: {unknown_variants} unknown; {instrument.id!r} has base, reversed_options"
            + "".join(f", {name}" for name in sorted(paraphrases))
        )
    items = instrument.items
    if grid.items != "all":
        unknown = sorted(set(grid.items) - {item.id for item in items})
        if unknown:
            raise CulturewatchError(f"grid.items: {unknown} are not items of {instrument.id!r}")
        items = [item for item in items if item.id in set(grid.items)]
    return [
        ProbeCell(instrument.id, item.id, country, language, style, grid.strategy, variant, trial)
        for country, language in pairs
        for style in grid.styles
        for variant in grid.variants
        for trial in range(grid.trials)
        for item in items
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def run_id_for(endpoint: ModelEndpoint, version: str, grid: ProbeGrid, instrument: Instrument) -> str:
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
    countries: list[str]
    grid: dict[str, object]
    client: dict[str, object] = field(default_factory=dict)
    judge: dict[str, object] | None = None
    judge_version: str | None = None

    @property
    def label(self) -> str:
        """Readable map-index name for the Airflow UI."""
        return f"{self.endpoint['name']}@{self.model_version} [{self.prompt_language}]"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ProbeSpec:
        return cls(**data)  # type: ignore[arg-type]

    def parsed(self) -> tuple[ModelEndpoint, ProbeGrid, ClientLimits]:
        return (
            ModelEndpoint.model_validate(self.endpoint),
            ProbeGrid.model_validate(self.grid),
            ClientLimits.model_validate(self.client),
        )


def build_specs(config: ProbeConfig, instrument: Instrument, versions: dict[str, str]) -> list[ProbeSpec]:
    """One spec per (model version × prompt language); `versions` maps model name to its version
    (and JUDGE_KEY to the judge's, when the config names a judge)."""
    pairs = country_languages(config.grid, instrument)
    languages = sorted({language for _, language in pairs})
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
