"""Plan a probe: which (country, prompt language) pairs, which cells, and one spec per mapped task."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from culturewatch.config.schema import ClientLimits, ModelEndpoint, ProbeConfig, ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.instruments.culturespa import CultureSpaInstrument
from culturewatch.instruments.loader import AnyInstrument
from culturewatch.instruments.polarity import ALL, SAMPLE, VARIANT_PATTERN, PolarityInstrument
from culturewatch.instruments.schema import Instrument
from culturewatch.reference.countries import countries_by_code, load_countries


@dataclass(frozen=True)
class ProbeCell:
    """One model call of the grid; its fields (with the run id) are the raw table's key.
    `country` is None for persona-free prompts (strategy `unaware`)."""

    instrument: str
    item_id: str
    country: str | None
    prompt_language: str
    style: str
    strategy: str
    variant: str
    trial: int


Pair = tuple[str | None, str]
"""(persona country or None, prompt language)."""

_SETTING_LANGUAGE = {"english": "en", "chinese": "zh"}
_PERSONA_STRATEGIES = {"aware", "cross_culture"}


def _check_subset(what: str, asked: list[str], allowed: set[str], instrument_id: str) -> None:
    unknown = sorted(set(asked) - allowed)
    if unknown:
        raise CulturewatchError(
            f"grid.{what}: {unknown} not supported by instrument {instrument_id!r}; "
            f"it supports {sorted(allowed)}"
        )


def _vsm_pairs(grid: ProbeGrid, instrument: Instrument) -> list[Pair]:
    _check_subset("strategies", grid.strategies, {"aware"}, instrument.id)
    known = countries_by_code()
    codes = [c.country_code for c in load_countries()] if grid.countries == "all" else grid.countries
    _check_subset("countries", codes, set(known), instrument.id)
    all_languages = sorted({known[code].language_code for code in known})
    pairs: set[Pair] = set()
    for setting in grid.settings:
        for code in codes:
            if setting == "aligned":
                pairs.add((code, known[code].language_code))
            elif setting == "full_grid":
                pairs.update((code, language) for language in all_languages)
            else:
                pairs.add((code, _SETTING_LANGUAGE[setting]))
    return sorted(pairs)  # type: ignore[arg-type]


def _culturespa_pairs(grid: ProbeGrid, instrument: CultureSpaInstrument) -> list[Pair]:
    unknown_settings = sorted(set(grid.settings) - {"english"})
    if unknown_settings:
        raise CulturewatchError(
            f"grid.settings: {unknown_settings} not possible for {instrument.id!r}: its questions exist in "
            f"English only (settings: [english])"
        )
    codes = list(instrument.countries) if grid.countries == "all" else grid.countries
    _check_subset("countries", codes, set(instrument.countries), instrument.id)
    pairs: list[Pair] = []
    if "unaware" in grid.strategies:
        pairs.append((None, "en"))
    if _PERSONA_STRATEGIES & set(grid.strategies):
        pairs += [(code, "en") for code in sorted(codes)]
    return pairs


def _polarity_pairs(grid: ProbeGrid, instrument: PolarityInstrument) -> list[Pair]:
    _check_subset("strategies", grid.strategies, {"unaware"}, instrument.id)
    if grid.countries != "all":
        raise CulturewatchError(
            f"grid.countries: {instrument.id!r} asks no persona (the prompt language stands for the "
            f"culture); leave countries as 'all'"
        )
    languages: set[str] = set()
    for setting in grid.settings:
        if setting in ("aligned", "full_grid"):  # every language is its own culture's
            languages.update(instrument.languages)
        else:
            languages.add(_SETTING_LANGUAGE[setting])
    return [(None, language) for language in sorted(languages)]


def country_languages(grid: ProbeGrid, instrument: AnyInstrument) -> list[Pair]:
    """The (country, prompt language) pairs the grid's settings ask for, in a stable order."""
    if isinstance(instrument, CultureSpaInstrument):
        pairs = _culturespa_pairs(grid, instrument)
    elif isinstance(instrument, PolarityInstrument):
        pairs = _polarity_pairs(grid, instrument)
    else:
        pairs = _vsm_pairs(grid, instrument)
    missing = sorted({language for _, language in pairs} - instrument.languages.keys())
    if missing:
        raise CulturewatchError(
            f"instrument {instrument.id!r} has no texts in prompt language(s) {missing} needed by "
            f"settings {grid.settings}; it has {sorted(instrument.languages)}"
        )
    return pairs


def _chosen_items(grid: ProbeGrid, instrument: AnyInstrument) -> list[str] | None:
    """The grid's item subset (None = all), checked against the instrument."""
    if grid.items == "all":
        return None
    unknown = sorted(set(grid.items) - set(instrument.item_ids))
    if unknown:
        raise CulturewatchError(f"grid.items: {unknown} are not items of {instrument.id!r}")
    return list(grid.items)


def _option_variants(grid: ProbeGrid, instrument: Instrument | CultureSpaInstrument) -> list[str]:
    paraphrases = (
        set(next(iter(instrument.languages.values())).paraphrases)
        if isinstance(instrument, Instrument)
        else set()
    )
    unknown_variants = sorted(set(grid.variants) - {"base", "reversed_options"} - paraphrases)
    if unknown_variants:
        raise CulturewatchError(
            f"grid.variants: {unknown_variants} unknown; {instrument.id!r} has base, reversed_options"
            + "".join(f", {name}" for name in sorted(paraphrases))
        )
    return list(grid.variants)


def _polarity_cells(grid: ProbeGrid, instrument: PolarityInstrument, pairs: list[Pair]) -> list[ProbeCell]:
    _check_subset("styles", grid.styles, {"scenario"}, instrument.id)
    for variant in grid.variants:
        if variant not in (SAMPLE, ALL) and not VARIANT_PATTERN.match(variant):
            raise CulturewatchError(
                f"grid.variants: {variant!r} unknown for {instrument.id!r}; use {SAMPLE!r} (the paper's "
                f"sampled prompts), {ALL!r}, or prompt names like 'tpl00-var0'"
            )
    items = _chosen_items(grid, instrument)
    return [
        ProbeCell(instrument.id, prompt.item_id, None, language, "scenario", "unaware", prompt.variant, trial)
        for _, language in pairs
        for trial in range(grid.trials)
        for prompt in instrument.select(language, items, grid.variants)
    ]


def cells_for(grid: ProbeGrid, instrument: AnyInstrument, pairs: list[Pair]) -> list[ProbeCell]:
    """Every cell for these pairs, ordered so consecutive prompts share the longest prefix."""
    if isinstance(instrument, PolarityInstrument):
        return _polarity_cells(grid, instrument, pairs)
    variants = _option_variants(grid, instrument)
    chosen = _chosen_items(grid, instrument)
    items = [item for item in instrument.item_ids if chosen is None or item in chosen]
    return [
        ProbeCell(instrument.id, item, country, language, style, strategy, variant, trial)
        for country, language in pairs
        for strategy in grid.strategies
        if (strategy == "unaware") == (country is None)
        for style in grid.styles
        for variant in variants
        for trial in range(grid.trials)
        for item in items
    ]


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
