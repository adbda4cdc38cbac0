from pathlib import Path

import pytest
import yaml

from culturewatch.errors import InputFileError
from culturewatch.instruments.loader import INSTRUMENTS_DIR, load_instrument
from culturewatch.reference.countries import load_countries


def test_vsm2013_has_24_items_on_a_five_point_scale() -> None:
    instrument = load_instrument("vsm2013")
    assert [item.id for item in instrument.items] == [f"m{n:02d}" for n in range(1, 25)]
    assert (instrument.scale.min, instrument.scale.max) == (1, 5)
    english = instrument.languages["en"]
    assert english.role_prompt == "Your role is an average person from {country}."
    assert set(english.countries) == {country.country_code for country in load_countries()}


def test_twenty_countries_with_their_languages() -> None:
    countries = load_countries()
    assert len(countries) == 20
    assert {c.country_code: c.language_code for c in countries}["BD"] == "bn"


@pytest.fixture
def vsm_doc() -> dict:
    return yaml.safe_load((INSTRUMENTS_DIR / "vsm2013.yaml").read_text())


def load_variant(tmp_path: Path, doc: dict) -> None:
    (tmp_path / "vsm2013.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    load_instrument.cache_clear()
    try:
        load_instrument("vsm2013", tmp_path)
    finally:
        load_instrument.cache_clear()


def test_missing_item_text_names_item_and_language(tmp_path: Path, vsm_doc: dict) -> None:
    del vsm_doc["languages"]["en"]["items"]["m07"]
    with pytest.raises(InputFileError) as raised:
        load_variant(tmp_path, vsm_doc)
    assert "m07" in raised.value.problem and "'en'" in raised.value.problem
    assert str(tmp_path / "vsm2013.yaml") == raised.value.path


def test_broken_placeholder_is_rejected(tmp_path: Path, vsm_doc: dict) -> None:
    vsm_doc["languages"]["en"]["role_prompt"] = "Your role is an average person from {countyr}."
    with pytest.raises(InputFileError) as raised:
        load_variant(tmp_path, vsm_doc)
    assert raised.value.field == "languages.en.role_prompt"
    assert "countyr" in raised.value.problem


def test_duplicate_item_id_is_rejected(tmp_path: Path, vsm_doc: dict) -> None:
    vsm_doc["items"][1]["id"] = "m01"
    with pytest.raises(InputFileError, match=r"duplicate item ids \['m01'\]"):
        load_variant(tmp_path, vsm_doc)


def test_wrong_number_of_options_is_rejected(tmp_path: Path, vsm_doc: dict) -> None:
    vsm_doc["languages"]["en"]["option_sets"]["health"] = ["good", "bad"]
    with pytest.raises(InputFileError, match="2 labels for a 5-point scale"):
        load_variant(tmp_path, vsm_doc)


def test_missing_country_name_is_rejected(tmp_path: Path, vsm_doc: dict) -> None:
    del vsm_doc["languages"]["en"]["countries"]["TZ"]
    with pytest.raises(InputFileError, match=r"no localised name for countries \['TZ'\]"):
        load_variant(tmp_path, vsm_doc)
