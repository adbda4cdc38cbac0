"""Load an instrument: `<id>/instrument.yaml` plus every `<id>/languages/<code>.yaml`.

Each language file is checked against the core and the reference data when it is loaded:
every item, block, option set (with one label per scale point) and country name present,
placeholders intact, the file named after a known prompt language, and every text in that
language's writing system. Errors name the file, the field and the problem.

Instruments are chosen by id, never by path: an id (checked by `check_instrument_id` before any
path is built) names a folder in one of the instrument directories, the bundled one
(`INSTRUMENTS_DIR`) and those listed in $CULTUREWATCH_INSTRUMENTS_PATH (separated like PATH).
An id found in two of them is an error naming both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from culturewatch.errors import CulturewatchError, InputFileError
from culturewatch.identifiers import check_instrument_id
from culturewatch.instruments.culturespa import (
    CultureSpaCore,
    CultureSpaInstrument,
    read_example_rankings,
    read_questions,
    read_reference_answers,
)
from culturewatch.instruments.polarity import PolarityCore, PolarityInstrument, read_prompts
from culturewatch.instruments.schema import Instrument, InstrumentCore, LanguageTexts, completeness_problems
from culturewatch.instruments.scripts import in_script, script_counts
from culturewatch.reference.countries import load_countries
from culturewatch.reference.languages import languages_by_code
from culturewatch.settings import DBT_PROJECT_DIR
from culturewatch.yaml_files import load_model, read_yaml

AnyInstrument = Instrument | CultureSpaInstrument | PolarityInstrument

INSTRUMENTS_DIR = Path(__file__).resolve().parent
# CultureSPA's P3 shows the target culture's WVS majority answers: the seed the CAS mart scores
# against (one source of truth; provenance in seeds/ground_truth/_wvs__seeds.yml).
WVS_MAJORITY_CSV = DBT_PROJECT_DIR / "seeds" / "ground_truth" / "wvs_cultureSPA_majority.csv"
INSTRUMENTS_PATH_ENV = "CULTUREWATCH_INSTRUMENTS_PATH"


def instrument_directories() -> list[Path]:
    """The bundled instruments, then the configured directories ($CULTUREWATCH_INSTRUMENTS_PATH)."""
    configured = os.environ.get(INSTRUMENTS_PATH_ENV, "")
    extra = [Path(entry).expanduser().resolve() for entry in configured.split(os.pathsep) if entry]
    return list(dict.fromkeys([INSTRUMENTS_DIR, *extra]))


def available_instruments(directory: Path | None = None) -> dict[str, Path]:
    """Every instrument id with its folder: in `directory`, else in the instrument directories."""
    found: dict[str, Path] = {}
    for folder in [directory] if directory is not None else instrument_directories():
        for core in sorted(folder.glob("*/instrument.yaml")):
            instrument_id = core.parent.name
            if instrument_id in found:
                raise CulturewatchError(
                    f"instrument {instrument_id!r} is in two instrument directories: {found[instrument_id]} "
                    f"and {core.parent} (${INSTRUMENTS_PATH_ENV}); rename one"
                )
            found[instrument_id] = core.parent
    return found


def instrument_dir(instrument_id: str, directory: Path | None = None) -> Path:
    """The folder of an instrument id: in `directory` when given, else found by id in the
    instrument directories. The id is checked first, so it never climbs out of them."""
    check_instrument_id(instrument_id)
    if directory is not None:
        return directory / instrument_id
    available = available_instruments()
    if instrument_id not in available:
        raise CulturewatchError(
            f"no instrument {instrument_id!r} in the instrument directories; available: {sorted(available)}"
        )
    return available[instrument_id]


def _check_language(path: Path, core: InstrumentCore, texts: LanguageTexts) -> None:
    known = languages_by_code()
    if texts.language != path.stem:
        raise InputFileError(path, "language", f"is {texts.language!r} but the file is named {path.stem!r}")
    if texts.language not in known:
        raise InputFileError(path, "language", f"{texts.language!r} is not a prompt language {sorted(known)}")
    countries = {country.country_code for country in load_countries()}
    problems = completeness_problems(core, texts, countries)
    if problems:
        field, problem = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputFileError(path, field, f"language {texts.language!r}: {problem}{more}")
    expected = known[texts.language].script
    for field, text in texts.texts().items():
        if not in_script(text, expected):
            found = dict(script_counts(text).most_common(3))
            raise InputFileError(
                path,
                field,
                f"language {texts.language!r}: text is not in {expected} script (letters: {found})",
            )


def _check_id(path: Path, found: str, instrument_id: str) -> None:
    if found != instrument_id:
        raise InputFileError(path, "id", f"is {found!r} but the folder is named {instrument_id!r}")


@cache
def load_instrument(instrument_id: str, directory: Path | None = None) -> AnyInstrument:
    """Load and validate an instrument; `kind` in its instrument.yaml says which model it is
    (`vsm`, the default: items on one scale with texts per language; `culturespa`; `polarity`; or
    a kind registered with `culturewatch.kinds.register`) and so which loader reads it.
    `directory`: look only there (default: the instrument directories)."""
    core_path = instrument_dir(instrument_id, directory) / "instrument.yaml"
    raw = read_yaml(core_path)
    kind = raw.get("kind", "vsm") if isinstance(raw, dict) else "vsm"
    if kind not in _LOADERS:
        raise InputFileError(core_path, "kind", f"{kind!r} is not one of {', '.join(_LOADERS)}")
    return _LOADERS[kind](instrument_id, directory)


def load_culturespa_instrument(instrument_id: str, directory: Path | None) -> CultureSpaInstrument:
    folder = instrument_dir(instrument_id, directory)
    core = load_model(folder / "instrument.yaml", CultureSpaCore)
    _check_id(folder / "instrument.yaml", core.id, instrument_id)
    styles, answer_words = {}, {}
    for language, texts in core.languages.items():
        shared = load_vsm_instrument(texts.shared_texts_from, directory)
        if language not in shared.languages:
            raise InputFileError(
                folder / "instrument.yaml",
                f"languages.{language}.shared_texts_from",
                f"{texts.shared_texts_from!r} has no texts in {language!r}",
            )
        styles[language] = shared.languages[language].styles
        answer_words[language] = shared.languages[language].answer_words.model_copy(
            update={"numbers": texts.number_words}
        )
    questions = read_questions(folder / "questions.csv")
    for language, texts in core.languages.items():
        needed = {
            value for question in questions for value in range(question.scale.min, question.scale.max + 1)
        }
        missing = sorted(needed - texts.number_words.keys())
        if missing:
            raise InputFileError(
                folder / "instrument.yaml", f"languages.{language}.number_words", f"no word for {missing}"
            )
    iso3_to_country = {country.iso3: code for code, country in core.countries.items()}
    return CultureSpaInstrument(
        **core.model_dump(),
        questions=questions,
        styles=styles,
        answer_words=answer_words,
        example_rankings=read_example_rankings(folder / "self_alignment_examples.csv", questions),
        reference_answers=read_reference_answers(WVS_MAJORITY_CSV, questions, iso3_to_country),
    )


def load_polarity_instrument(instrument_id: str, directory: Path | None) -> PolarityInstrument:
    folder = instrument_dir(instrument_id, directory)
    core = load_model(folder / "instrument.yaml", PolarityCore)
    _check_id(folder / "instrument.yaml", core.id, instrument_id)
    prompts = read_prompts(folder / "prompts.csv", set(core.languages))
    return PolarityInstrument(**core.model_dump(), prompts=prompts)


@cache
def load_vsm_instrument(instrument_id: str, directory: Path | None = None) -> Instrument:
    """Load and validate a VSM-kind instrument with all its language files."""
    folder = instrument_dir(instrument_id, directory)
    core_path = folder / "instrument.yaml"
    core = load_model(core_path, InstrumentCore)
    _check_id(core_path, core.id, instrument_id)
    languages: dict[str, LanguageTexts] = {}
    for path in sorted((folder / "languages").glob("*.yaml")):
        texts = load_model(path, LanguageTexts)
        _check_language(path, core, texts)
        languages[texts.language] = texts
    if not languages:
        raise InputFileError(folder / "languages", "<files>", "no language files")
    # a paraphrase variant is asked in every language of a grid: each file must define the same ones
    names = {code: sorted(texts.paraphrases) for code, texts in languages.items()}
    reference = next(iter(names.values()))
    for code, found in names.items():
        if found != reference:
            raise InputFileError(
                folder / "languages" / f"{code}.yaml",
                "paraphrases",
                f"defines {found}, other languages define {reference}",
            )
    return Instrument(**core.model_dump(), languages=languages)


Loader = Callable[[str, Path | None], Any]
"""Reads an instrument of one kind: (instrument id, directory or None) → the validated instrument."""

_LOADERS: dict[str, Loader] = {
    "vsm": load_vsm_instrument,
    "culturespa": load_culturespa_instrument,
    "polarity": load_polarity_instrument,
}
"""The loader of each instrument kind (`kind` in instrument.yaml); the built-in kinds' here, a plug-in
kind's added by `culturewatch.kinds.register`."""


def register_loader(kind: str, loader: Loader) -> None:
    """Read instruments of `kind` with `loader` (called by `culturewatch.kinds.register`)."""
    _LOADERS[kind] = loader
    load_instrument.cache_clear()


def unregister_loader(kind: str) -> None:
    _LOADERS.pop(kind, None)
    load_instrument.cache_clear()


def instrument_languages(directory: Path | None = None) -> list[str]:
    """Every prompt language of every instrument in `directory` (default: the instrument directories)."""
    found: set[str] = set()
    for instrument_id in available_instruments(directory):
        found.update(load_instrument(instrument_id, directory).languages)
    return sorted(found)
