import pytest

from culturewatch.config.schema import ModelEndpoint, ProbeConfig, ProbeGrid
from culturewatch.errors import CulturewatchError
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.probe_specs import (
    ProbeCell,
    build_specs,
    cells_for,
    country_languages,
    run_id_for,
)
from culturewatch.probing.prompts import prompt_text, render_messages

VSM = load_instrument("vsm2013")


def test_english_setting_asks_every_country_in_english() -> None:
    pairs = country_languages(ProbeGrid(settings=["english"]), VSM)
    assert len(pairs) == 20 and {language for _, language in pairs} == {"en"}


def test_aligned_setting_asks_each_country_in_its_own_language() -> None:
    pairs = dict(country_languages(ProbeGrid(settings=["aligned"]), VSM))
    assert len(pairs) == 20 and pairs["BD"] == "bn" and pairs["JP"] == "ja" and pairs["US"] == "en"


def test_full_grid_is_every_country_in_every_language() -> None:
    assert len(country_languages(ProbeGrid(settings=["full_grid"]), VSM)) == 400


def test_a_setting_needing_a_missing_translation_names_it() -> None:
    without_bengali = VSM.model_copy(
        update={"languages": {k: v for k, v in VSM.languages.items() if k != "bn"}}
    )
    with pytest.raises(CulturewatchError, match=r"no texts in prompt language\(s\) \['bn'\]"):
        country_languages(ProbeGrid(settings=["aligned"]), without_bengali)


def test_aligned_for_the_us_is_english() -> None:
    assert country_languages(ProbeGrid(settings=["aligned"], countries=["US"]), VSM) == [("US", "en")]


def test_cells_cover_items_times_trials_in_prefix_friendly_order() -> None:
    grid = ProbeGrid(settings=["english"], countries=["US", "JP"], trials=2)
    cells = cells_for(grid, VSM, country_languages(grid, VSM))
    assert len(cells) == 2 * 24 * 2
    assert len(set(cells)) == len(cells)
    # one country's prompts are consecutive so the server can reuse the shared prefix
    assert [cell.country for cell in cells[:48]] == ["JP"] * 48


def test_render_follows_sukiennik_table_1() -> None:
    messages = render_messages(
        VSM, ProbeCell("vsm2013", "m02", "US", "en", "classification", "aware", "base", 0)
    )
    assert messages[0] == {
        "role": "system",
        "content": "Your role is an average person from United States. "
        "Make only one choice and always include a numerical value in your response.",
    }
    assert messages[1]["content"] == (
        "In choosing an ideal job, how important would it be to you to:\n"
        "have a boss (direct superior) you can respect\n"
        "(1) of utmost importance; (2) very important; (3) of moderate importance; "
        "(4) of little importance; (5) of very little or no importance?"
    )
    assert prompt_text(messages).startswith("[system]\nYour role is an average person from United States.")


def test_items_without_a_block_stem_start_with_the_item() -> None:
    messages = render_messages(
        VSM, ProbeCell("vsm2013", "m18", "JP", "en", "classification", "aware", "base", 0)
    )
    assert messages[1]["content"].startswith(
        "All in all, how would you describe your state of health these days?"
    )
    assert "(1) very good" in messages[1]["content"]


def test_run_id_is_reproducible_and_changes_with_the_grid() -> None:
    endpoint = ModelEndpoint(name="Qwen 1.5B", base_url="http://127.0.0.1:1/v1")
    grid = ProbeGrid(settings=["english"])
    first = run_id_for(endpoint, "v1", grid, VSM)
    assert first == run_id_for(endpoint, "v1", grid, VSM)
    assert first.startswith("qwen-1-5b--v1--")
    assert first != run_id_for(endpoint, "v2", grid, VSM)
    assert first != run_id_for(endpoint, "v1", ProbeGrid(settings=["english"], trials=3), VSM)


def test_specs_are_one_per_model_version_and_language() -> None:
    config = ProbeConfig(
        models=[
            {"name": "a", "base_url": "http://127.0.0.1:1/v1"},
            {"name": "b", "base_url": "http://127.0.0.1:1/v1"},
        ],
        grid={"settings": ["english"], "countries": ["US", "EG"]},
    )
    specs = build_specs(config, VSM, {"a": "1", "b": "2"})
    assert [(spec.endpoint["name"], spec.prompt_language, spec.countries) for spec in specs] == [
        ("a", "en", ["EG", "US"]),
        ("b", "en", ["EG", "US"]),
    ]
    assert specs[0].label == "a@1 [en]"
    assert type(specs[0]).from_dict(specs[0].to_dict()) == specs[0]


def test_reversed_options_variant_shows_the_scale_backwards() -> None:
    cell = ProbeCell("vsm2013", "m02", "US", "en", "classification", "aware", "reversed_options", 0)
    question = render_messages(VSM, cell)[1]["content"]
    assert question.endswith(
        "(1) of very little or no importance; (2) of little importance; (3) of moderate importance; "
        "(4) very important; (5) of utmost importance?"
    )


def test_an_item_subset_is_asked_alone_and_unknown_items_are_named() -> None:
    grid = ProbeGrid(settings=["english"], countries=["US"], items=["m02", "m21"])
    assert [cell.item_id for cell in cells_for(grid, VSM, [("US", "en")])] == ["m02", "m21"]
    with pytest.raises(CulturewatchError, match=r"\['m99'\] are not items"):
        cells_for(ProbeGrid(items=["m02", "m99"]), VSM, [("US", "en")])


def test_paraphrase_variant_rewords_the_stem_and_keeps_the_item() -> None:
    base = render_messages(VSM, ProbeCell("vsm2013", "m02", "US", "en", "classification", "aware", "base", 0))
    cell = ProbeCell("vsm2013", "m02", "US", "en", "classification", "aware", "paraphrase_1", 0)
    question = render_messages(VSM, cell)[1]["content"]
    assert question != base[1]["content"]
    assert question.startswith(VSM.languages["en"].paraphrases["paraphrase_1"].blocks["ideal_job"])
    assert "have a boss (direct superior) you can respect" in question
    assert "(1) of utmost importance" in question


def test_paraphrase_variant_rewords_questions_without_a_stem() -> None:
    cell = ProbeCell("vsm2013", "m18", "JP", "en", "classification", "aware", "paraphrase_1", 0)
    question = render_messages(VSM, cell)[1]["content"]
    assert question.startswith(VSM.languages["en"].paraphrases["paraphrase_1"].items["m18"])


@pytest.mark.parametrize("language", sorted(VSM.languages))
def test_every_language_has_the_same_paraphrases_and_number_words(language: str) -> None:
    texts = VSM.languages[language]
    assert sorted(texts.paraphrases) == ["paraphrase_1"]
    assert sorted(texts.answer_words.numbers) == [1, 2, 3, 4, 5]
    assert texts.answer_words.refusals


def test_unknown_variant_is_named() -> None:
    with pytest.raises(CulturewatchError, match=r"\['paraphrase_9'\] unknown"):
        cells_for(ProbeGrid(variants=["base", "paraphrase_9"]), VSM, [("US", "en")])
