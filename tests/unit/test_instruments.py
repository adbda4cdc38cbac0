import shutil
from pathlib import Path

import pytest
import yaml

from culturewatch.errors import InputFileError
from culturewatch.instruments.loader import INSTRUMENTS_DIR, load_instrument
from culturewatch.instruments.scripts import in_script
from culturewatch.kinds.language_check import misidentified
from culturewatch.reference.countries import load_countries
from culturewatch.reference.languages import load_languages

PROMPT_LANGUAGES = sorted(language.language_code for language in load_languages())


def test_vsm2013_has_24_items_on_a_five_point_scale() -> None:
    instrument = load_instrument("vsm2013")
    assert [item.id for item in instrument.items] == [f"m{n:02d}" for n in range(1, 25)]
    assert (instrument.scale.min, instrument.scale.max) == (1, 5)
    english = instrument.languages["en"]
    assert english.role_prompt == "Your role is an average person from {country}."
    assert english.review_status == "source"
    assert set(english.countries) == {country.country_code for country in load_countries()}


def test_twenty_countries_with_their_languages() -> None:
    countries = load_countries()
    assert len(countries) == 20
    assert {c.country_code: c.language_code for c in countries}["BD"] == "bn"
    assert sorted({c.language_code for c in countries}) == PROMPT_LANGUAGES


def test_every_translation_is_complete_and_records_its_source() -> None:
    instrument = load_instrument("vsm2013")
    assert sorted(instrument.languages) == PROMPT_LANGUAGES
    for code, texts in instrument.languages.items():
        assert len(texts.items) == 24, code
        assert texts.translation_source
        assert texts.review_status == ("source" if code == "en" else "unreviewed"), code


@pytest.mark.parametrize("language", PROMPT_LANGUAGES)
def test_every_prompt_is_identified_as_its_language(language: str) -> None:
    assert misidentified(load_instrument("vsm2013"), language) == []


@pytest.mark.parametrize(
    ("text", "script", "expected"),
    [
        ("একজন গড় মানুষ", "Bengali", True),
        ("普通人", "Han", True),
        ("普通の人", "Japanese", True),
        ("평범한 사람", "Hangul", True),
        ("Обычный человек {country}", "Cyrillic", True),
        ("شخص عادي", "Arabic", True),
        ("औसत व्यक्ति", "Devanagari", True),
        ("คนธรรมดา", "Thai", True),
        ("an average person", "Cyrillic", False),
        ("普通の人", "Han", False),  # kana is not Chinese
        ("Người bình thường", "Latin", True),
    ],
)
def test_script_detection(text: str, script: str, expected: bool) -> None:
    assert in_script(text, script) is expected


@pytest.fixture
def vsm_copy(tmp_path: Path) -> Path:
    shutil.copytree(INSTRUMENTS_DIR / "vsm2013", tmp_path / "vsm2013")
    return tmp_path


def edit(folder: Path, relative: str, change) -> Path:
    path = folder / "vsm2013" / relative
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def load(folder: Path) -> None:
    load_instrument.cache_clear()
    try:
        load_instrument("vsm2013", folder)
    finally:
        load_instrument.cache_clear()


def test_missing_translation_names_item_language_and_file(vsm_copy: Path) -> None:
    path = edit(vsm_copy, "languages/en.yaml", lambda doc: doc["items"].pop("m07"))
    with pytest.raises(InputFileError) as raised:
        load(vsm_copy)
    assert raised.value.path == str(path)
    assert raised.value.field == "items.m07" and "'en'" in raised.value.problem


def test_broken_placeholder_is_rejected(vsm_copy: Path) -> None:
    def change(doc: dict) -> None:
        doc["role_prompt"] = "Your role is an average person from {countyr}."

    path = edit(vsm_copy, "languages/en.yaml", change)
    with pytest.raises(InputFileError) as raised:
        load(vsm_copy)
    assert raised.value.path == str(path) and raised.value.field == "role_prompt"
    assert "countyr" in raised.value.problem


def test_wrong_script_names_the_text(vsm_copy: Path) -> None:

    def change(doc: dict) -> None:
        doc["items"]["m05"] = "have pleasant people to work with"

    edit(vsm_copy, "languages/ru.yaml", change)
    with pytest.raises(InputFileError) as raised:
        load(vsm_copy)
    assert raised.value.field == "items.m05" and "Cyrillic" in raised.value.problem


def test_duplicate_item_id_is_rejected(vsm_copy: Path) -> None:
    def change(doc: dict) -> None:
        doc["items"][1]["id"] = "m01"

    edit(vsm_copy, "instrument.yaml", change)
    with pytest.raises(InputFileError, match=r"duplicate item ids \['m01'\]"):
        load(vsm_copy)


def test_wrong_number_of_options_is_rejected(vsm_copy: Path) -> None:
    def change(doc: dict) -> None:
        doc["option_sets"]["health"] = ["good", "bad"]

    edit(vsm_copy, "languages/en.yaml", change)
    with pytest.raises(InputFileError, match="2 labels for a 5-point scale"):
        load(vsm_copy)


def test_missing_country_name_is_rejected(vsm_copy: Path) -> None:
    edit(vsm_copy, "languages/en.yaml", lambda doc: doc["countries"].pop("TZ"))
    with pytest.raises(InputFileError, match=r"no localised name for countries \['TZ'\]"):
        load(vsm_copy)


def test_file_named_after_another_language_is_rejected(vsm_copy: Path) -> None:
    languages = vsm_copy / "vsm2013/languages"
    shutil.copy(languages / "en.yaml", languages / "xx.yaml")
    with pytest.raises(InputFileError, match="file is named 'xx'"):
        load(vsm_copy)


def test_text_in_the_wrong_latin_language_is_caught_by_language_id() -> None:
    instrument = load_instrument("vsm2013")
    spanish_as_portuguese = instrument.model_copy(
        update={"languages": {**instrument.languages, "pt": instrument.languages["es"]}}
    )
    # 24 questions in 2 wordings, the system prompt, the chain-of-thought instruction, 10 scenarios
    assert len(misidentified(spanish_as_portuguese, "pt")) == 60


def test_a_language_without_the_others_paraphrases_is_named(vsm_copy: Path) -> None:
    path = edit(vsm_copy, "languages/de.yaml", lambda doc: doc.pop("paraphrases"))
    with pytest.raises(InputFileError) as raised:
        load(vsm_copy)
    assert raised.value.path == str(path) and raised.value.field == "paraphrases"


def test_number_words_must_cover_the_scale(vsm_copy: Path) -> None:
    edit(vsm_copy, "languages/en.yaml", lambda doc: doc["answer_words"]["numbers"].pop(5))
    with pytest.raises(InputFileError, match=r"needs a word for each of \[1, 2, 3, 4, 5\]"):
        load(vsm_copy)
