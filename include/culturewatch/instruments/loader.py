"""Load an instrument: `<id>/instrument.yaml` plus every `<id>/languages/<code>.yaml`.

Each language file is checked against the core and the reference data when it is loaded:
every item, block, option set (with one label per scale point) and country name present,
placeholders intact, the file named after a known prompt language, and every text in that
language's writing system. Errors name the file, the field and the problem.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from culturewatch.errors import InputFileError
from culturewatch.instruments.culturespa import CultureSpaCore, CultureSpaInstrument, read_questions
from culturewatch.instruments.polarity import PolarityCore, PolarityInstrument, read_prompts
from culturewatch.instruments.schema import Instrument, InstrumentCore, LanguageTexts, completeness_problems
from culturewatch.instruments.scripts import in_script, script_counts
from culturewatch.reference.countries import load_countries
from culturewatch.reference.languages import languages_by_code
from culturewatch.yaml_files import load_model, read_yaml

AnyInstrument = Instrument | CultureSpaInstrument | PolarityInstrument

INSTRUMENTS_DIR = Path(__file__).resolve().parent


def instrument_dir(instrument_id: str, directory: Path = INSTRUMENTS_DIR) -> Path:
    return directory / instrument_id


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
def load_instrument(instrument_id: str, directory: Path = INSTRUMENTS_DIR) -> AnyInstrument:
    """Load and validate an instrument; `kind` in its instrument.yaml says which model it is
    (`vsm`, the default: items on one scale with texts per language; `culturespa`; `polarity`)."""
    core_path = instrument_dir(instrument_id, directory) / "instrument.yaml"
    raw = read_yaml(core_path)
    kind = raw.get("kind", "vsm") if isinstance(raw, dict) else "vsm"
    if kind == "culturespa":
        return _load_culturespa(instrument_id, directory)
    if kind == "polarity":
        return _load_polarity(instrument_id, directory)
    if kind != "vsm":
        raise InputFileError(core_path, "kind", f"{kind!r} is not one of vsm, culturespa, polarity")
    return load_vsm_instrument(instrument_id, directory)


def _load_culturespa(instrument_id: str, directory: Path) -> CultureSpaInstrument:
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
    return CultureSpaInstrument(
        **core.model_dump(), questions=questions, styles=styles, answer_words=answer_words
    )


def _load_polarity(instrument_id: str, directory: Path) -> PolarityInstrument:
    folder = instrument_dir(instrument_id, directory)
    core = load_model(folder / "instrument.yaml", PolarityCore)
    _check_id(folder / "instrument.yaml", core.id, instrument_id)
    prompts = read_prompts(folder / "prompts.csv", set(core.languages))
    return PolarityInstrument(**core.model_dump(), prompts=prompts)


@cache
def load_vsm_instrument(instrument_id: str, directory: Path = INSTRUMENTS_DIR) -> Instrument:
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


def instrument_languages(directory: Path = INSTRUMENTS_DIR) -> list[str]:
    """Every prompt language of every instrument in `directory`."""
    found: set[str] = set()
    for core in sorted(directory.glob("*/instrument.yaml")):
        found.update(load_instrument(core.parent.name, directory).languages)
    return sorted(found)
