"""Interaction styles (Bravansky et al.): chain-of-thought and open-ended scenarios, judged."""

import pytest

from culturewatch.config.schema import ProbeConfig
from culturewatch.instruments.loader import load_instrument
from culturewatch.probing.judge import judge_prompt, judged_option
from culturewatch.probing.parse import AnswerOptions, parse_final_answer
from culturewatch.probing.probe_specs import JUDGE_KEY, ProbeCell, build_specs
from culturewatch.probing.prompts import render_messages
from culturewatch.probing.runner import run_probe
from culturewatch.storage.parquet import read_table
from tests.fake_openai_server import FakeOpenAIServer, Scripted

VSM = load_instrument("vsm2013")
AGREE = ["strongly agree", "agree", "undecided", "disagree", "strongly disagree"]


def cell(style: str, trial: int = 0, language: str = "en") -> ProbeCell:
    return ProbeCell("vsm2013", "m02", "US", language, style, "aware", "base", trial)


def test_cot_asks_the_question_with_options_then_the_instruction() -> None:
    system, user = render_messages(VSM, cell("cot"))
    assert "(1) of utmost importance" in user["content"]
    assert user["content"].endswith('Put the answer on the last line as "Answer: <number>".')
    assert system["content"].startswith("Your role is an average person from United States.")


def test_scenario_embeds_the_bare_question_and_cycles_through_ten_scenarios() -> None:
    system, user = render_messages(VSM, cell("scenario", trial=0))
    assert system["content"] == "Your role is an average person from United States."
    assert user["content"] == (
        "During a phone survey, you're asked your opinion on: In choosing an ideal job, how important "
        "would it be to you to: have a boss (direct superior) you can respect. What do you say?"
    )
    assert "(1)" not in user["content"]
    assert render_messages(VSM, cell("scenario", trial=11))[1]["content"].startswith("You're tasked with")


@pytest.mark.parametrize("language", sorted(VSM.languages))
def test_every_language_has_cot_and_scenario_texts(language: str) -> None:
    styles = VSM.languages[language].styles
    assert len(styles.scenarios) == 10
    assert styles.final_answer_marker in styles.cot_instruction
    assert render_messages(VSM, cell("scenario", language=language))[1]["content"]


@pytest.mark.parametrize(
    ("text", "answer", "status"),
    [
        ("Options 1 and 2 both fit, but on balance...\nAnswer: 2", 2.0, "ok"),
        ("Answer: 1. On reflection...\nAnswer: 4", None, "unparseable"),  # two answers: never a guess
        ("Answer: 4\nI weighed it.\nAnswer: 4", 4.0, "ok"),  # answer lines that agree
        ("Answer: 1\nIt matters, but I agree only partly.", 1.0, "ok"),  # the answer line, not the reasoning
        ("Answer:\n3", 3.0, "ok"),  # the answer on the next line
        ("(5) strongly disagree.\nWrite your answer on the last line as 'Answer: <number>'.", 5.0, "ok"),
        ("I would pick 3 because it is balanced.", 3.0, "ok"),  # no marker: the whole reply
        ("It depends: 2 for some, 4 for others.", None, "unparseable"),
        ("answer: agree", 2.0, "ok"),
    ],
)
def test_final_answer_of_chain_of_thought(text: str, answer: float | None, status: str) -> None:
    parsed = parse_final_answer(text, "Answer:", AnswerOptions(1, 5, AGREE))
    assert (parsed.answer, parsed.status) == (answer, status)


@pytest.mark.parametrize(
    ("reply", "option"),
    [
        ('{"reasoning": "values a good boss", "classification": "2"}', 2),
        ('```json\n{"reasoning": "x", "classification": 3}\n```', 3),
        ('{"reasoning": "off topic", "classification": "0"}', None),  # unclassifiable
        ('{"reasoning": "x", "classification": "9"}', None),  # out of range
        ('Sure! "classification": "4" is my verdict', 4),
        ("no verdict at all", None),
    ],
)
def test_judge_verdicts(reply: str, option: int | None) -> None:
    assert judged_option(reply, 1, 5) == option


def test_judge_prompt_keeps_its_json_braces() -> None:
    [message] = judge_prompt().messages("Q?", "R.")
    assert '"classification": "OUTPUT ONLY THE NUMBER OF THE CHOSEN OPTION"' in message["content"]
    assert message["content"].endswith("Question: Q?\n\nResponse: R.")


def config_for(url: str, styles: list[str], judge: bool = True) -> ProbeConfig:
    return ProbeConfig(
        models=[{"name": "fake-model", "base_url": url, "version": "v1"}],
        judge={"name": "judge-model", "base_url": url, "version": "j1"} if judge else None,
        grid={"settings": ["english"], "countries": ["US"], "items": ["m02"], "styles": styles},
        client={"max_retries": 0},
    )


def test_scenario_without_a_judge_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a `judge`"):
        config_for("http://127.0.0.1:1/v1", ["scenario"], judge=False)


def test_scenario_replies_are_classified_by_the_judge(paths) -> None:
    with FakeOpenAIServer() as server:
        server.by_model = {
            "fake-model": Scripted(200, "Honestly, a boss I can respect matters a great deal to me."),
            "judge-model": Scripted(200, '{"reasoning": "strong preference", "classification": "2"}'),
        }
        config = config_for(server.base_url, ["classification", "cot", "scenario"])
        [spec] = build_specs(config, VSM, {"fake-model": "v1", JUDGE_KEY: "j1"})
        run_probe(spec, paths)
    rows = {row["style"]: row for row in read_table(paths.run_dir(spec.run_id)).to_pylist()}
    scenario = rows["scenario"]
    assert (scenario["answer"], scenario["answer_method"], scenario["parse_status"]) == (2.0, "judge", "ok")
    assert scenario["judge_model"] == "judge-model" and '"classification": "2"' in scenario["judge_response"]
    # the reply has no number and no final-answer line: the cot row is judged too;
    # classification is never judged (its unparseable reply stays unparseable)
    assert rows["cot"]["answer_method"] == "judge"
    assert (rows["classification"]["answer_method"], rows["classification"]["parse_status"]) == (
        "parsed",
        "unparseable",
    )
    # cot and scenario give the judge the same question and reply: an identical request, asked
    # once and then answered from the cache unless both were in flight at the same moment
    assert 1 <= [r["model"] for r in server.requests].count("judge-model") <= 2
    assert rows["cot"]["max_tokens"] == 384 and rows["classification"]["max_tokens"] == 16


def test_cot_with_a_final_answer_needs_no_judge(paths) -> None:
    with FakeOpenAIServer() as server:
        server.by_model = {"fake-model": Scripted(200, "Bosses matter; 1 or 2 fit.\nAnswer: 2")}
        config = config_for(server.base_url, ["cot"])
        [spec] = build_specs(config, VSM, {"fake-model": "v1", JUDGE_KEY: "j1"})
        run_probe(spec, paths)
    [row] = read_table(paths.run_dir(spec.run_id)).to_pylist()
    assert (row["answer"], row["answer_method"], row["judge_model"]) == (2.0, "parsed", None)
    assert all(r["model"] == "fake-model" for r in server.requests)


@pytest.mark.parametrize("text", ["Réponse : 3", "Réponse: 3", "réponse\u00a0: 3", "RÉPONSE :3"])
def test_final_answer_marker_tolerates_spacing_around_the_colon(text: str) -> None:
    assert parse_final_answer(f"Je réfléchis.\n{text}", "Réponse :", AnswerOptions(1, 5, AGREE)).answer == 3.0


def test_full_width_colon_marker() -> None:
    assert parse_final_answer("我认为……\n答案：4", "答案：", AnswerOptions(1, 5, AGREE)).answer == 4.0


ZH_WORDS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五"}
TH_WORDS = {1: "หนึ่ง", 2: "สอง", 3: "สาม", 4: "สี่", 5: "ห้า"}


@pytest.mark.parametrize(
    ("text", "marker", "words", "answer"),
    [
        ("答案：三\n理由：这对我来说不算特别关键。", "答案：", ZH_WORDS, 3.0),
        ("答案：三，因为这对我来说不算特别关键。", "答案：", ZH_WORDS, 3.0),
        ("答案：「二」。", "答案：", ZH_WORDS, 2.0),
        ("答案：三个方面都要考虑。", "答案：", ZH_WORDS, None),  # 三个 (three aspects) is no answer
        ("คำตอบ: สาม เพราะว่างานนี้ก็มีความสำคัญอยู่บ้าง", "คำตอบ:", TH_WORDS, 3.0),
        ("คำตอบ: สามารถเลือกได้หลายข้อ", "คำตอบ:", TH_WORDS, None),  # สาม inside สามารถ (can)
    ],
)
def test_a_number_word_opening_the_answer_line_in_a_script_without_spaces(
    text, marker, words, answer
) -> None:
    assert parse_final_answer(text, marker, AnswerOptions(1, 5, ["非常重要"], words)).answer == answer
