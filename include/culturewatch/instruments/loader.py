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
from culturewatch.instruments.schema import Instrument, InstrumentCore, LanguageTexts, completeness_problems
from culturewatch.instruments.scripts import in_script, script_counts
from culturewatch.reference.countries import load_countries
from culturewatch.reference.languages import languages_by_code
from culturewatch.yaml_files import load_model

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


@cache
def load_instrument(instrument_id: str, directory: Path = INSTRUMENTS_DIR) -> Instrument:
    """Load and validate an instrument with all its language files."""
    folder = instrument_dir(instrument_id, directory)
    core_path = folder / "instrument.yaml"
    core = load_model(core_path, InstrumentCore)
    if core.id != instrument_id:
        raise InputFileError(core_path, "id", f"is {core.id!r} but the folder is named {instrument_id!r}")
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
