"""The WVS-based instruments: CultureSPA's seed questions (Xu et al.) and Rystrøm et al.'s
value-polarity prompts, checked against the shared ground-truth data they were imported from,
planned, rendered, and run end to end against a scripted OpenAI-compatible server."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from culturewatch.config.schema import ProbeConfig, ProbeGrid
from culturewatch.errors import CulturewatchError, InputFileError
from culturewatch.instruments.culturespa import read_questions
from culturewatch.instruments.import_wvs import import_wvs
from culturewatch.instruments.loader import INSTRUMENTS_DIR, load_instrument
from culturewatch.probing.client import ChatResult
from culturewatch.probing.interpret import read_reply, read_verdict
from culturewatch.probing.polarity_judge import read_stances
from culturewatch.probing.probe_specs import JUDGE_KEY, ProbeCell, build_specs, cells_for, country_languages
from culturewatch.probing.rendering import judge_question, render_messages
from culturewatch.probing.runner import run_probe
from culturewatch.settings import PROJECT_ROOT, DataPaths
from culturewatch.storage.parquet import read_table
from culturewatch.storage.schema import JUDGEMENT_SCHEMA
from tests.fake_openai_server import FakeOpenAIServer, Scripted

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
CULTURESPA = load_instrument("wvs_culturespa")
POLARITY = load_instrument("wvs_polarity")
needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"the shared ground-truth data is not at {SHARED_DATA}"
)


def _shared_rows(name: str) -> list[dict[str, str]]:
    with (SHARED_DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def spa_cell(item: str, strategy: str = "aware", country: str | None = "US", **kw: object) -> ProbeCell:
    fields = {"style": "classification", "variant": "base", "trial": 0, **kw}
    return ProbeCell("wvs_culturespa", item, country, "en", strategy=strategy, **fields)  # type: ignore[arg-type]


def reply(text: str | None) -> ChatResult:
    from datetime import UTC, datetime

    return ChatResult(text, 1, 1, 1.0, False, datetime.now(UTC))


# ---------------------------------------------------------------- data, faithful to the sources


@needs_shared
def test_packaged_item_files_are_what_the_importer_writes_from_the_shared_data(tmp_path: Path) -> None:
    for folder in ("wvs_culturespa", "wvs_polarity"):
        (tmp_path / folder).mkdir()
    written = import_wvs(SHARED_DATA, tmp_path)
    for path in written:
        packaged = INSTRUMENTS_DIR / path.parent.name / path.name
        assert path.read_bytes() == packaged.read_bytes(), f"{packaged} is stale: re-run the importer"


def test_culturespa_has_the_260_seed_questions_and_the_259_scored_ones() -> None:
    assert len(CULTURESPA.questions) == 260
    assert sum(question.in_eval for question in CULTURESPA.questions) == 259
    assert not CULTURESPA.question("Q223").in_eval  # party vote: no gold
    assert len(CULTURESPA.countries) == 18


def test_wvs_answer_codes_start_at_each_questions_own_base() -> None:
    q94 = CULTURESPA.question("Q94")  # "Don't belong" is code 0
    assert (q94.scale.min, q94.scale.max) == (0, 2)
    q106 = CULTURESPA.question("Q106")  # a 10-point card
    assert (q106.scale.min, q106.scale.max) == (1, 10)


@needs_shared
@pytest.mark.parametrize("strategy", ["unaware", "aware", "cross_culture"])
def test_system_prompts_are_the_repos_templates_filled_as_the_repo_fills_them(strategy: str) -> None:
    templates = {
        row["key"]: row["template"]
        for row in _shared_rows("cultureSPA_prompt_templates.csv")
        if row["variable"] == "system_prompt_dict"
    }
    countries = CULTURESPA.countries
    for code, country in countries.items():
        culture = country.culture
        similar = [countries[other].culture for other in country.similar]
        different = [countries[other].culture for other in country.different]
        expected = {
            "unaware": templates["en"],
            "aware": templates["en_culture_aware"].format(country.article, culture),
            "cross_culture": templates["en_cross_culture_thinking"].format(
                country.article, culture, culture, *similar, culture, *different
            ),
        }[strategy]
        cell = spa_cell("Q1", strategy, None if strategy == "unaware" else code)
        assert render_messages(CULTURESPA, cell)[0]["content"] == expected.strip()


@needs_shared
def test_every_question_is_asked_with_the_repos_template_and_option_string() -> None:
    template = next(
        row["template"]
        for row in _shared_rows("cultureSPA_prompt_templates.csv")
        if row["variable"] == "question_template_dict" and row["key"] == "en"
    )
    shared = {row["q_id"]: row for row in _shared_rows("wvs_cultureSPA_questions.csv")}
    for question in CULTURESPA.questions:
        row = shared[question.id]
        expected = template.format(row["question"], row["prompt_options_string"])
        assert render_messages(CULTURESPA, spa_cell(question.id))[1]["content"] == expected
        assert len(question.options) == int(row["n_options"])


@needs_shared
def test_table_11s_related_cultures_agree_with_the_released_similarity_matrix() -> None:
    """Table 11 (stored as data) against data/country_similarity.json: each culture's three similar
    cultures are among its four most similar, its three different among its four least (the
    matrix has near-ties, e.g. Germany's third most similar is Britain by 0.1 over the Netherlands)."""
    iso3 = {country.iso3: code for code, country in CULTURESPA.countries.items()}
    scores: dict[str, list[tuple[float, str]]] = {}
    for row in _shared_rows("cultureSPA_country_similarity.csv"):
        scores.setdefault(iso3[row["country_code"]], []).append(
            (float(row["similarity"]), iso3[row["other_country_code"]])
        )
    for code, country in CULTURESPA.countries.items():
        ranked = [other for _, other in sorted(scores[code], reverse=True)]
        assert set(country.similar) <= set(ranked[:4]), code
        assert set(country.different) <= set(ranked[-4:]), code


SELF_ALIGNMENT = {
    "self_alignment": "en",  # P3: Table 12 shows no system prompt; the repo sends the unaware one
    "aware_self_alignment": "en_culture_aware",  # P1+P3, Table 13
    "cross_culture_self_alignment": "en_cross_culture_thinking",  # P2+P3, Table 14
}


def _chrf_ranking() -> dict[str, list[str]]:
    """Independently of the importer: per seed question, the other evaluation questions of its
    topic ranked by sacrebleu's chrF++ to it (ties in question order)."""
    from sacrebleu.metrics import CHRF

    chrf = CHRF(word_order=2)
    ranking = {}
    for question in CULTURESPA.questions:
        others = [
            other
            for other in CULTURESPA.questions
            if other.topic == question.topic and other.in_eval and other.id != question.id
        ]
        scores = [chrf.sentence_score(question.text, [other.text]).score for other in others]
        order = sorted(range(len(others)), key=lambda index: (-scores[index], index))
        ranking[question.id] = [others[index].id for index in order]
    return ranking


@needs_shared
@pytest.mark.parametrize("strategy", sorted(SELF_ALIGNMENT))
def test_self_alignment_prompts_are_the_papers_templates_with_chrf_ranked_reference_answers(
    strategy: str,
) -> None:
    """P3, P1+P3, P2+P3 (Xu et al. Tables 12-14) as the repo fills them: its `en_self_alignment`
    and `example` templates, the five most chrF++-similar questions of the topic that have a
    majority answer for the culture, answered "<code>.<label>" with that WVS majority answer."""
    templates = {
        (row["variable"], row["key"]): row["template"]
        for row in _shared_rows("cultureSPA_prompt_templates.csv")
    }
    shared = {row["q_id"]: row for row in _shared_rows("wvs_cultureSPA_questions.csv")}
    majority = {
        (row["country_code"], row["q_id"]): row
        for row in _shared_rows("wvs_cultureSPA_majority.csv")
        if row["majority_option_code"]
    }
    ranking = _chrf_ranking()
    countries = CULTURESPA.countries
    for code in ("US", "CN", "NG"):  # CN lacks 37 majorities: examples are skipped, as in the repo
        country = countries[code]
        similar = [countries[other].culture for other in country.similar]
        different = [countries[other].culture for other in country.different]
        system = {
            "en": templates[("system_prompt_dict", "en")],
            "en_culture_aware": templates[("system_prompt_dict", "en_culture_aware")].format(
                country.article, country.culture
            ),
            "en_cross_culture_thinking": templates[
                ("system_prompt_dict", "en_cross_culture_thinking")
            ].format(
                country.article, country.culture, country.culture, *similar, country.culture, *different
            ),
        }[SELF_ALIGNMENT[strategy]]
        for question in CULTURESPA.questions:
            answered = [q for q in ranking[question.id] if (country.iso3, q) in majority][:5]
            answers = {
                q: f"{row['majority_option_code']}.{row['majority_option_label']}"
                for q in answered
                for row in [majority[(country.iso3, q)]]
            }
            example = templates[("question_template_dict", "example")]
            examples = "\n".join(
                example.format(shared[q]["question"], shared[q]["prompt_options_string"], answers[q])
                for q in answered
            )
            user = templates[("question_template_dict", "en_self_alignment")].format(
                examples, shared[question.id]["question"], shared[question.id]["prompt_options_string"]
            )
            messages = render_messages(CULTURESPA, spa_cell(question.id, strategy, code))
            assert messages == [{"role": "system", "content": system}, {"role": "user", "content": user}]
            assert len(answered) == 5 or code == "CN", question.id


def test_a_self_alignment_question_is_never_among_its_own_examples() -> None:
    """Leave-one-out: for every question and culture, the examples shown are other questions."""
    for code in CULTURESPA.countries:
        for question in CULTURESPA.questions:
            shown = CULTURESPA.self_alignment_examples(question.id, code, 5)
            assert question.id not in [item for item, _ in shown]
            user = render_messages(CULTURESPA, spa_cell(question.id, "self_alignment", code))[1]["content"]
            examples = user.split("\nBelow are the #Question")[0]
            assert f"Question: {question.text} Options:" not in examples


def test_a_ranking_file_that_lists_a_question_as_its_own_example_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "wvs_culturespa"
    shutil.copytree(INSTRUMENTS_DIR / "wvs_culturespa", folder)
    shutil.copytree(INSTRUMENTS_DIR / "vsm2013", tmp_path / "vsm2013")
    ranking = folder / "self_alignment_examples.csv"
    lines = ranking.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1].startswith("Q1,1,Q5,")
    lines[1] = lines[1].replace("Q1,1,Q5,", "Q1,1,Q1,")
    ranking.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(
        InputFileError, match=r"row 2: Q1 is ranked as its own example \(P3 is leave-one-out\)"
    ):
        load_instrument.__wrapped__("wvs_culturespa", tmp_path)


def test_self_alignment_strategies_name_the_culture_and_ask_classification_only() -> None:
    grid = ProbeGrid(
        instrument="wvs_culturespa",
        settings=["english"],
        countries=["US"],
        strategies=["unaware", "self_alignment", "aware_self_alignment", "cross_culture_self_alignment"],
        items=["Q1"],
    )
    cells = cells_for(grid, CULTURESPA, country_languages(grid, CULTURESPA))
    assert {(cell.country, cell.strategy) for cell in cells} == {
        (None, "unaware"),
        ("US", "self_alignment"),
        ("US", "aware_self_alignment"),
        ("US", "cross_culture_self_alignment"),
    }
    cot = ProbeGrid(
        instrument="wvs_culturespa", settings=["english"], strategies=["self_alignment"], styles=["cot"]
    )
    with pytest.raises(CulturewatchError, match=r"classification style only"):
        country_languages(cot, CULTURESPA)


@needs_shared
def test_english_polarity_sample_renders_exactly_the_repos_prompts() -> None:
    shipped = sorted(
        row["prompt_template"].format(topic=row["topic"])
        for row in _shared_rows("wvs_polarity_prompts.csv")
        if row["language_code"] == "en" and row["template_type"] == "survey_hypothetical"
    )
    grid = ProbeGrid(
        instrument="wvs_polarity", styles=["scenario"], strategies=["unaware"], variants=["sample"]
    )
    cells = cells_for(grid, POLARITY, [(None, "en")])
    rendered = sorted(render_messages(POLARITY, cell)[0]["content"] for cell in cells)
    assert rendered == sorted(set(shipped))  # the repo's sample drew 7 prompts twice
    assert len(cells) == 293


def test_polarity_prompts_cover_the_papers_35_topics_in_english_with_every_template() -> None:
    english = POLARITY.prompts["en"]
    assert len({item for item, _ in english}) == 35
    assert {variant.split("-")[0] for _, variant in english} == {f"tpl{n:02d}" for n in range(11)} - {
        "tpl07",
        "tpl09",  # the repo's template list repeats templates 3 and 5 verbatim
    }


# ---------------------------------------------------------------- bad input


def test_a_questions_file_with_a_duplicate_id_is_rejected_naming_it(tmp_path: Path) -> None:
    source = INSTRUMENTS_DIR / "wvs_culturespa" / "questions.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "questions.csv"
    broken.write_text("".join([*lines, lines[1]]), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"duplicate item ids \['Q1'\]"):
        read_questions(broken)


def test_a_culturespa_template_with_a_broken_placeholder_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "wvs_culturespa"
    shutil.copytree(INSTRUMENTS_DIR / "wvs_culturespa", folder)
    shutil.copytree(INSTRUMENTS_DIR / "vsm2013", tmp_path / "vsm2013")
    core = folder / "instrument.yaml"
    core.write_text(core.read_text().replace("{culture} cultural background. Please", "{cultur} cultural"))
    with pytest.raises(InputFileError, match=r"system_prompts.aware must use exactly the placeholders"):
        load_instrument.__wrapped__("wvs_culturespa", tmp_path)


def test_a_polarity_prompt_without_its_topic_slot_is_rejected_naming_the_row(tmp_path: Path) -> None:
    folder = tmp_path / "wvs_polarity"
    shutil.copytree(INSTRUMENTS_DIR / "wvs_polarity", folder)
    prompts = folder / "prompts.csv"
    lines = prompts.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("{topic}", "the topic")
    prompts.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"prompts.csv: row 4: .*placeholders \['topic'\]"):
        load_instrument.__wrapped__("wvs_polarity", tmp_path)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        (ProbeGrid(instrument="wvs_culturespa", settings=["aligned"]), "English only"),
        (ProbeGrid(instrument="wvs_culturespa", settings=["english"], countries=["JP"]), "countries: ['JP']"),
        (ProbeGrid(instrument="vsm2013", strategies=["unaware"]), "strategies: ['unaware']"),
        (ProbeGrid(instrument="wvs_polarity", strategies=["aware"]), "strategies: ['aware']"),
        (ProbeGrid(instrument="wvs_polarity", strategies=["unaware"], countries=["US"]), "asks no persona"),
    ],
)
def test_grids_an_instrument_cannot_ask_fail_when_planned(grid: ProbeGrid, message: str) -> None:
    instrument = load_instrument(grid.instrument)
    with pytest.raises(CulturewatchError, match=message.replace("[", r"\[").replace("]", r"\]")):
        cells_for(grid, instrument, country_languages(grid, instrument))


def test_polarity_needs_the_scenario_style_and_its_own_variants() -> None:
    pairs = [(None, "en")]
    with pytest.raises(CulturewatchError, match=r"styles: \['classification'\]"):
        cells_for(ProbeGrid(instrument="wvs_polarity", strategies=["unaware"]), POLARITY, pairs)
    grid = ProbeGrid(instrument="wvs_polarity", strategies=["unaware"], styles=["scenario"])
    with pytest.raises(CulturewatchError, match=r"'base' unknown for 'wvs_polarity'; use 'sample'"):
        cells_for(grid, POLARITY, pairs)


# ---------------------------------------------------------------- planning and reading answers


def test_culturespa_plan_asks_unaware_once_and_each_persona_strategy_per_country() -> None:
    grid = ProbeGrid(
        instrument="wvs_culturespa",
        settings=["english"],
        countries=["US", "CN"],
        strategies=["unaware", "aware", "cross_culture"],
        items=["Q1", "Q94"],
    )
    pairs = country_languages(grid, CULTURESPA)
    assert pairs == [(None, "en"), ("CN", "en"), ("US", "en")]
    cells = cells_for(grid, CULTURESPA, pairs)
    assert len(cells) == 2 + 2 * 2 * 2
    assert {cell.country for cell in cells if cell.strategy == "unaware"} == {None}
    assert {(cell.country, cell.strategy) for cell in cells if cell.country} == {
        (country, strategy) for country in ("US", "CN") for strategy in ("aware", "cross_culture")
    }


def test_reversed_options_show_the_same_codes_and_map_answers_back_to_wvs_codes() -> None:
    cell = spa_cell("Q94", variant="reversed_options")
    user = render_messages(CULTURESPA, cell)[1]["content"]
    assert "#Options: 0.Active member 1.Inactive member 2.Don't belong" in user
    # shown code 0 is "Active member", WVS code 2
    assert read_reply(CULTURESPA, cell, reply("0"), use_logprobs=False).answer == 2.0
    assert read_reply(CULTURESPA, spa_cell("Q94"), reply("0"), use_logprobs=False).answer == 0.0
    assert read_reply(CULTURESPA, spa_cell("Q1"), reply("5"), use_logprobs=False).status == "unparseable"


def test_the_option_judge_numbers_options_from_one_so_its_0_never_means_code_0() -> None:
    cell = spa_cell("Q94", style="scenario")
    assert "#Options: 1.Don't belong 2.Inactive member 3.Active member" in judge_question(CULTURESPA, cell)
    chose_first = read_verdict(CULTURESPA, cell, reply('{"classification": "1"}'))
    assert (chose_first.answer, chose_first.status) == (0.0, "ok")  # position 1 = WVS code 0
    none = read_verdict(CULTURESPA, cell, reply('{"classification": "0"}'))
    assert (none.answer, none.status) == (None, "unparseable")


@pytest.mark.parametrize(
    ("judge_reply", "stances"),
    [
        ('{"language": "en", "opinions": ["pro", "con", "NULL", "pro"]}', ["pro", "con", "null", "pro"]),
        ('```json\n{"language": "da", "opinions": ["Pro", "con"]}\n```', ["pro", "con"]),
        ('{"language": "en", "opinions": ["pro", "con"', ["pro", "con"]),  # cut off: the list is read
        ('{"language": "en", "opinions": ["pro", "maybe"]}', None),  # an unknown label: never guessed
        ('{"language": "en"}', None),
        ("no idea", None),
        (None, None),
    ],
)
def test_judge_stances_are_read_strictly(judge_reply: str | None, stances: list[str] | None) -> None:
    assert read_stances(judge_reply) == stances


# ---------------------------------------------------------------- probing end to end (scripted server)

TEN_INTERVIEWS = "\n".join(f"{n}. Citizen {n} thinks divorce is sometimes justified." for n in range(1, 11))


def _config(server: FakeOpenAIServer, grid: dict[str, object]) -> ProbeConfig:
    return ProbeConfig.model_validate(
        {
            "models": [{"name": "fake-model", "base_url": server.base_url, "version": "v1"}],
            "judge": {"name": "fake-judge", "base_url": server.base_url, "version": "j1"},
            "grid": grid,
            "client": {"concurrency": 2, "batch_size": 4},
        }
    )


def _polarity_spec(server: FakeOpenAIServer, judge_reply: str, variants: list[str], items: list[str]):
    """The probe spec of an English scenario run of wvs_polarity against `server`, where the model
    tells of ten interviews and the judge replies `judge_reply`."""
    server.by_model = {
        "fake-model": Scripted(content=TEN_INTERVIEWS),
        "fake-judge": Scripted(content=judge_reply),
    }
    grid = {
        "instrument": "wvs_polarity",
        "settings": ["english"],
        "strategies": ["unaware"],
        "styles": ["scenario"],
    }
    config = _config(server, {**grid, "variants": variants, "items": items})
    [spec] = build_specs(config, POLARITY, {"fake-model": "v1", JUDGE_KEY: "j1"})
    return spec


def test_polarity_run_writes_each_reply_and_one_judged_stance_per_respondent(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    labels = json.dumps({"language": "en", "opinions": ["pro"] * 6 + ["con"] * 3 + ["NULL"]})
    with FakeOpenAIServer() as server:
        spec = _polarity_spec(server, labels, ["tpl00-var0", "tpl01-var1"], ["f121", "e069_13"])
        outcome = run_probe(spec, paths)
        judged = [request for request in server.requests if request["model"] == "fake-judge"]
    assert outcome.cells_answered == 4
    assert all(request["response_format"] == {"type": "json_object"} for request in judged)
    assert json.loads(judged[0]["messages"][1]["content"])["response"] == TEN_INTERVIEWS
    responses = read_table(paths.run_dir(spec.run_id)).to_pylist()
    assert {(row["item_id"], row["variant"]) for row in responses} == {
        (item, variant) for item in ("f121", "e069_13") for variant in ("tpl00-var0", "tpl01-var1")
    }
    assert {row["parse_status"] for row in responses} == {"ok"}
    assert {row["country"] for row in responses} == {None}
    assert all(row["answer"] is None and row["answer_method"] == "judge" for row in responses)
    judgements = read_table(paths.run_folder("judgements", spec.run_id), JUDGEMENT_SCHEMA).to_pylist()
    assert len(judgements) == 4 * 10
    first = sorted(
        (row for row in judgements if row["item_id"] == "f121" and row["variant"] == "tpl00-var0"),
        key=lambda row: row["respondent"],
    )
    assert [row["stance"] for row in first] == ["pro"] * 6 + ["con"] * 3 + ["null"]
    assert {(row["judge_model"], row["judge_version"]) for row in first} == {("fake-judge", "j1")}


def test_polarity_reply_the_judge_cannot_label_is_unparseable_with_no_stances(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    with FakeOpenAIServer() as server:
        spec = _polarity_spec(server, '{"opinions": ["NULL"]}', ["tpl00-var0"], ["f121"])
        run_probe(spec, paths)
    [row] = read_table(paths.run_dir(spec.run_id)).to_pylist()
    assert row["parse_status"] == "unparseable"
    judgements = read_table(paths.run_folder("judgements", spec.run_id), JUDGEMENT_SCHEMA).to_pylist()
    assert [row["stance"] for row in judgements] == ["null"]


def test_culturespa_run_records_wvs_codes_per_strategy(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    with FakeOpenAIServer(default=Scripted(content="1")) as server:
        config = _config(
            server,
            {
                "instrument": "wvs_culturespa",
                "settings": ["english"],
                "countries": ["NG"],
                "strategies": ["unaware", "cross_culture"],
                "items": ["Q94", "Q1"],
                "variants": ["base", "reversed_options"],
            },
        )
        [spec] = build_specs(config, CULTURESPA, {"fake-model": "v1", JUDGE_KEY: "j1"})
        run_probe(spec, paths)
        systems = {request["messages"][0]["content"] for request in server.requests}
    rows = read_table(paths.run_dir(spec.run_id)).to_pylist()
    answers = {
        (row["country"], row["strategy"], row["item_id"], row["variant"]): row["answer"] for row in rows
    }
    assert answers == {
        (country, strategy, item, variant): answer
        for country, strategy in ((None, "unaware"), ("NG", "cross_culture"))
        for item, variant, answer in (
            ("Q94", "base", 1.0),
            ("Q94", "reversed_options", 1.0),  # the middle of three codes maps to itself
            ("Q1", "base", 1.0),
            ("Q1", "reversed_options", 4.0),  # shown "1" = "Not at all important" = WVS code 4
        )
    }
    assert any("Nigerian culture is similar to Zimbabwean, Ethiopian, and Kenyan" in text for text in systems)
    assert {row["instrument_version"] for row in rows} == {CULTURESPA.version}


@pytest.mark.parametrize(
    ("instrument_id", "language"),
    [("wvs_culturespa", "en")] + [("wvs_polarity", code) for code in ("en", "da", "nl", "pt")],
)
def test_every_prompt_is_identified_as_its_language(instrument_id: str, language: str) -> None:
    from culturewatch.kinds.language_check import misidentified

    assert misidentified(load_instrument(instrument_id), language) == []


def test_languages_whose_prompts_the_grid_does_not_select_get_no_task() -> None:
    grid = {
        "instrument": "wvs_polarity",
        "settings": ["aligned"],
        "strategies": ["unaware"],
        "styles": ["scenario"],
        "items": ["f121"],
        "variants": ["tpl00-var0"],
    }
    config = ProbeConfig.model_validate(
        {
            "models": [{"name": "m", "base_url": "http://127.0.0.1:1/v1", "version": "v1"}],
            "judge": {"name": "j", "base_url": "http://127.0.0.1:1/v1", "version": "j1"},
            "grid": grid,
        }
    )
    specs = build_specs(config, POLARITY, {"m": "v1", JUDGE_KEY: "j1"})
    # Danish numbers its own sample's wordings, and tpl00-var0 of f121 is among them; the Dutch and
    # Portuguese samples (aligned with the English one) did not draw it
    assert [spec.prompt_language for spec in specs] == ["da", "en"]
    nothing = config.model_copy(
        update={"grid": config.grid.model_copy(update={"items": ["f121"], "variants": ["tpl10-var9"]})}
    )
    with pytest.raises(CulturewatchError, match="selects no prompts"):
        build_specs(nothing, POLARITY, {"m": "v1", JUDGE_KEY: "j1"})
