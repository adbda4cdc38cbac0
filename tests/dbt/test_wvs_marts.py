"""The WVS marts against a hand-made raw fixture: one `dbt build`, the numbers worked by hand.

Marts: cultural_alignment_score, cultural_alignment_matrix(_correlation),
value_polarity_alignment, distribution_similarity(_by_style), and self_consistency for
wvs_polarity. Ground truth is the real seeds; the seed values the arithmetic uses are quoted in
comments and checked against the seeds first (test_seed_values_used_by_the_arithmetic).

Seed values used (wvs_cultureSPA_questions / _majority / _answers, wvs_polarity):
    K (n_options): Q1 4, Q2 4, Q57 2, Q82 4, Q106 10, Q94 3 (codes 0..2; all others from 1)
    majority  Q1  Q2  Q57  Q106  Q94  Q82
      USA      1   1    2     1    0    .
      CHN      1   2    1     8    .    (none: not asked in China)
      GBR      1   1    2     8    .    .
    human shares (proportion_renormalised) USA Q1: .893174 .085229 .018511 .003085 (sum .999999)
                                           USA Q57: .397371 .602629
    polarity (output/ground_truth_all_countries.csv), topics e069_13 f120 f118 f121 e117:
      US .3080 .4036 .5741 .6021 .8553   GB .3622 .6121 .7160 .7413 .9290 (same order)
      NL .3403 .7602 .8981 .8344 .9588   (f121 below f118)
    global polarity (output/ground_truth_global.csv), same topics:
      .5404 .1986 .2325 .3399 .8766      (ranks 4 1 2 3 5)
"""

from __future__ import annotations

import csv
import math
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbt.raw_fixture import assert_same_rows
from tests.dbt.wvs_fixture import (
    DBT_PROJECT_DIR,
    build,
    fetch,
    judgements,
    response,
    run_dbt,
    stances,
    write_fixture,
)

pytestmark = pytest.mark.long(51)  # seconds, measured on 2 cores: handed out first

RUN = "run-wvs-1"
SHUFFLED = "run-wvs-2-shuffled"  # RUN's rows with trial labels swapped and in reverse order
POLARITY_RUN = "run-pol-1"
POLARITY_SHUFFLED = "run-pol-2-shuffled"  # variant labels tpl00/tpl01 swapped, reverse order
SEEDS = DBT_PROJECT_DIR / "seeds" / "ground_truth"
TOPICS = ("e069_13", "f120", "f118", "f121", "e117")


def _culturespa_rows(run_id: str) -> list[dict[str, object]]:
    def ask(item, country, strategy, answer=None, **kwargs):
        return response(
            run_id, "wvs_culturespa", item, country=country, strategy=strategy, answer=answer, **kwargs
        )

    return [
        # classification: US persona, two trials
        ask("Q1", "US", "aware", 2),
        ask("Q2", "US", "aware", 1),
        ask("Q57", "US", "aware", 1.7, probs=[0.3, 0.7]),  # argmax -> code 2
        ask("Q106", "US", "aware", 4),
        ask("Q94", "US", "aware", 0),
        ask("Q1", "US", "aware", 2.5, probs=[0.4, 0.0, 0.3, 0.3], trial=1),  # argmax code 1, not 2.5
        ask("Q2", "US", "aware", None, status="refusal", trial=1),
        ask("Q57", "US", "aware", 2, trial=1),
        ask("Q106", "US", "aware", 11, trial=1),  # 'ok' but outside Q106's codes 1..10
        ask("Q94", "US", "aware", 0, trial=1),
        # classification: China (Q82 has no Chinese majority), Germany (transport error only)
        ask("Q1", "CN", "aware", 1),
        ask("Q2", "CN", "aware", 2),
        ask("Q82", "CN", "aware", 1),
        ask("Q1", "DE", "aware", None, status="error"),
        # classification: persona-free and cross-culture thinking
        ask("Q1", None, "unaware", 1),
        ask("Q57", None, "unaware", 2),
        ask("Q106", None, "unaware", 8),
        ask("Q1", "US", "cross_culture", 1),
        # ten trials (more draws than one 32-bit value holds: the bootstrap's chunked draws)
        *[
            ask("Q3", "NG", "aware", code, trial=trial)
            for trial, code in enumerate((1, 2, 3, 1, 2, 3, 1, 2, 3, 1))
        ],
        # the self-alignment baselines: P3, P1+P3, P2+P3
        ask("Q1", "US", "self_alignment", 1),
        ask("Q57", "US", "self_alignment", 1),
        ask("Q106", "US", "self_alignment", 1),
        ask("Q1", "CN", "aware_self_alignment", 2),
        ask("Q2", "GB", "cross_culture_self_alignment", 1),
        # cot: three cultures answering exactly their WVS majorities on Q1 Q2 Q57 Q106
        *[
            ask(item, country, "aware", code, style="cot")
            for country, codes in (("US", (1, 1, 2, 1)), ("CN", (1, 2, 1, 8)), ("GB", (1, 1, 2, 8)))
            for item, code in zip(("Q1", "Q2", "Q57", "Q106"), codes, strict=True)
        ],
        # scenario: three cultures giving identical answers; one unparseable reply
        *[
            ask(item, country, "aware", 1, style="scenario")
            for country in ("US", "CN", "GB")
            for item in ("Q1", "Q2")
        ],
        ask("Q57", "US", "aware", None, status="unparseable", style="scenario"),
    ]


def _polarity_replies(run_id: str, swap_variants: bool = False) -> tuple[list[dict], list[dict]]:
    """Replies (scenario, unaware, no persona) and their judgements; (n_pro, n_con, n_null)."""
    first, second = ("tpl01-var0", "tpl00-var0") if swap_variants else ("tpl00-var0", "tpl01-var0")
    plan = [
        # en, two templates: pooled e069_13 2/10, f120 5/10, f118 4/10, f121 8/10, e117 8/10
        ("en", first, "e069_13", (1, 4, 1)),
        ("en", first, "f120", (3, 2, 0)),
        ("en", first, "f118", (2, 3, 0)),
        ("en", first, "f121", (4, 1, 0)),
        ("en", first, "e117", (5, 0, 0)),
        ("en", second, "e069_13", (1, 4, 0)),
        ("en", second, "f120", (2, 3, 0)),
        ("en", second, "f118", (2, 3, 2)),
        ("en", second, "f121", (4, 1, 0)),
        ("en", second, "e117", (3, 2, 0)),
        # nl, one template, ranks exactly the Dutch ones: .1 .3 .7 .5 .9
        ("nl", first, "e069_13", (1, 9, 0)),
        ("nl", first, "f120", (3, 7, 0)),
        ("nl", first, "f118", (7, 3, 0)),
        ("nl", first, "f121", (5, 5, 0)),
        ("nl", first, "e117", (9, 1, 0)),
        # pt: every topic 1/2 under both templates (constant vectors)
        *[("pt", variant, topic, (1, 1, 0)) for variant in (first, second) for topic in TOPICS],
        # da: only two topics
        ("da", first, "e069_13", (1, 3, 0)),
        ("da", first, "f120", (3, 1, 0)),
    ]
    replies, judged = [], []
    for language, variant, topic, counts in plan:
        reply = response(
            run_id, "wvs_polarity", topic, country=None, strategy="unaware", style="scenario",
            variant=variant, language=language,
        )  # fmt: skip
        replies.append(reply)
        judged += judgements(reply, stances(*counts))
    # excluded replies: all-null labels -> unparseable; a reply in another language (5 pro
    # would lift en f118 to 9/15 = .6 and change its rank)
    unparseable = response(
        run_id, "wvs_polarity", "e069_13", country=None, strategy="unaware", style="scenario",
        variant="tpl02-var0", status="unparseable",
    )  # fmt: skip
    wrong_language = response(
        run_id, "wvs_polarity", "f118", country=None, strategy="unaware", style="scenario",
        variant="tpl02-var0", in_prompt_language=False,
    )  # fmt: skip
    replies += [unparseable, wrong_language]
    judged += judgements(unparseable, stances(0, 0, 10)) + judgements(wrong_language, stances(5, 0))
    return replies, judged


def _shuffled(rows: list[dict[str, object]], run_id: str) -> list[dict[str, object]]:
    """Same answers, another run: trial labels 0 <-> 1 swapped, rows in reverse order."""
    return [{**row, "run_id": run_id, "trial": 1 - int(row["trial"])} for row in reversed(rows)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("data")
    culturespa = _culturespa_rows(RUN)
    replies, judged = _polarity_replies(POLARITY_RUN)
    shuffled_replies, shuffled_judged = _polarity_replies(POLARITY_SHUFFLED, swap_variants=True)
    write_fixture(
        data,
        culturespa + _shuffled(culturespa, SHUFFLED) + replies + shuffled_replies[::-1],
        judged + shuffled_judged[::-1],
    )
    build(data, tmp_path_factory.mktemp("dbt"))
    yield data


def _one(data_dir: Path, sql: str, *parameters: object) -> dict[str, object]:
    rows = fetch(data_dir, sql, parameters)
    assert len(rows) == 1, rows
    return rows[0]


def _cas(data_dir: Path, country: str, strategy: str = "aware", style: str = "classification") -> dict:
    return _one(
        data_dir,
        """select * from marts.cultural_alignment_score
        where run_id = ? and country = ? and strategy = ? and style = ?""",
        RUN, country, strategy, style,
    )  # fmt: skip


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_seed_values_used_by_the_arithmetic(data_dir):
    majority = {
        (row["country_code"], row["q_id"]): row["majority_option_code"]
        for row in _seed("wvs_cultureSPA_majority")
    }
    expected = {
        "USA": ("1", "1", "2", "1", "0"),
        "CHN": ("1", "2", "1", "8", ""),
        "GBR": ("1", "1", "2", "8", ""),
    }
    for country, codes in expected.items():
        for item, code in zip(("Q1", "Q2", "Q57", "Q106", "Q94"), codes, strict=True):
            if code:
                assert majority[(country, item)] == code, (country, item)
    assert majority[("CHN", "Q82")] == ""
    options = {
        row["q_id"]: (row["n_options"], row["option_code_base"]) for row in _seed("wvs_cultureSPA_questions")
    }
    assert [options[q] for q in ("Q1", "Q2", "Q57", "Q82", "Q106", "Q94")] == [
        ("4", "1"), ("4", "1"), ("2", "1"), ("4", "1"), ("10", "1"), ("3", "0"),
    ]  # fmt: skip


# ---------------------------------------------------------------- cultural_alignment_score


def test_cas_hand_computed_over_two_trials(data_dir):
    # trial 0, (a - r)^2: Q1 (1 - 2)^2 = 1, Q2 0, Q57 argmax code 2 vs 2: 0, Q106 (1 - 4)^2 = 9,
    #   Q94 0 -> 10; max_distance^2 = 3^2 + 3^2 + 1^2 + 9^2 + 2^2 = 104
    #   S0 = (1 - sqrt(10) / sqrt(104)) * 100 = 68.99...
    # trial 1: Q1 argmax code 1 vs 1: 0 (the expected value 2.5 is not the code), Q2 refused,
    #   Q57 0, Q106 = 11 outside 1..10 (not scored), Q94 0 -> 0 over max 9 + 1 + 4 -> S1 = 100
    s0 = (1 - math.sqrt(10) / math.sqrt(104)) * 100
    row = _cas(data_dir, "US")
    assert row["cas"] == pytest.approx((s0 + 100) / 2)  # 84.49...
    assert row["cas_trial_stddev"] == pytest.approx((100 - s0) / math.sqrt(2))
    assert (row["n_questions"], row["n_scored_answers"], row["n_trials"], row["n_trials_scored"]) == (
        5,
        8,
        2,
        2,
    )
    assert (row["n_answers"], row["n_invalid"], row["n_unparseable_or_refusal"], row["n_out_of_range"]) == (
        10, 2, 1, 1,
    )  # fmt: skip
    assert (row["n_error"], row["n_no_majority"], row["null_reason"]) == (0, 0, None)
    assert (row["is_persona_free"], row["in_paper_18"]) == (False, True)


def test_question_without_majority_is_skipped_not_scored(data_dir):
    # CN: Q1 1 vs 1, Q2 2 vs 2 -> S = 100; Q82 (valid answer, no Chinese majority) is left out of
    # both sums (counting it would add (K - 1)^2 = 9 to max_distance and move S below 100)
    row = _cas(data_dir, "CN")
    assert row["cas"] == pytest.approx(100.0)
    assert (row["n_questions"], row["n_no_majority"], row["n_invalid"]) == (2, 1, 0)


def test_no_valid_answer_gives_null_with_reason(data_dir):
    row = _cas(data_dir, "DE")
    assert row["cas"] is None
    assert row["null_reason"] == "no_valid_answer"
    assert (row["n_answers"], row["n_error"], row["n_invalid"], row["n_questions"]) == (1, 1, 1, 0)


def test_unaware_answers_are_scored_against_every_country(data_dir):
    rows = fetch(
        data_dir,
        "select * from marts.cultural_alignment_score where run_id = ? and strategy = 'unaware'",
        [RUN],
    )
    assert len(rows) == 19  # the 19 CultureSPA countries (the paper's 18 + Mexico)
    assert sum(not row["in_paper_18"] for row in rows) == 1
    by_country = {row["country"]: row for row in rows}
    # answers Q1 1, Q57 2, Q106 8; max_distance^2 = 9 + 1 + 81 = 91
    # US majority 1, 2, 1: (1 - 8)^2 = 49 -> (1 - 7 / sqrt(91)) * 100 = 26.62...
    # CN majority 1, 1, 8: (1 - 2)^2 = 1  -> (1 - 1 / sqrt(91)) * 100 = 89.52...
    # GB majority 1, 2, 8: 0             -> 100
    assert by_country["US"]["cas"] == pytest.approx((1 - 7 / math.sqrt(91)) * 100)
    assert by_country["CN"]["cas"] == pytest.approx((1 - 1 / math.sqrt(91)) * 100)
    assert by_country["GB"]["cas"] == pytest.approx(100.0)
    assert all(
        row["is_persona_free"] and row["n_questions"] == 3 for row in (by_country["US"], by_country["GB"])
    )
    assert _cas(data_dir, "US", strategy="cross_culture")["cas"] == pytest.approx(100.0)


def test_each_row_carries_its_slices_mean_over_the_countries_with_a_score(data_dir):
    rows = fetch(data_dir, "select * from marts.cultural_alignment_score where run_id = ?", [RUN])
    slices: dict[tuple[object, ...], list[dict]] = {}
    for row in rows:
        slices.setdefault((row["prompt_language"], row["style"], row["strategy"], row["variant"]), []).append(
            row
        )
    for key, members in slices.items():
        scored = [row["cas"] for row in members if row["cas"] is not None]
        for row in members:
            assert row["n_countries_scored"] == len(scored), key
            assert row["cas_mean_over_countries"] == (
                pytest.approx(sum(scored) / len(scored)) if scored else None
            )
    # the aware classification slice: US (S0 + 100) / 2, CN 100; DE has no valid answer
    aware = slices[("en", "classification", "aware", "base")]
    assert {row["country"] for row in aware if row["cas"] is None} >= {"DE"}


def test_cas_is_reported_per_self_alignment_strategy_against_the_examples_culture(data_dir):
    # P3, US: Q1 1 vs 1, Q57 1 vs 2, Q106 1 vs 1 -> 1 over max 9 + 1 + 81 = 91
    p3 = _cas(data_dir, "US", strategy="self_alignment")
    assert p3["cas"] == pytest.approx((1 - 1 / math.sqrt(91)) * 100)
    assert (p3["n_questions"], p3["is_persona_free"], p3["null_reason"]) == (3, False, None)
    # P1+P3, China: Q1 2 vs 1 -> 1 over 9; P2+P3, Britain: Q2 1 vs 1 -> 100
    assert _cas(data_dir, "CN", strategy="aware_self_alignment")["cas"] == pytest.approx(200 / 3)
    assert _cas(data_dir, "GB", strategy="cross_culture_self_alignment")["cas"] == pytest.approx(100.0)
    # scored only against the culture whose answers the examples show, never against the others
    rows = fetch(
        data_dir,
        """select country from marts.cultural_alignment_score
        where run_id = ? and strategy like '%self_alignment'""",
        [RUN],
    )
    assert sorted(row["country"] for row in rows) == ["CN", "GB", "US"]
    [leaderboard] = fetch(data_dir, "select * from marts.model_leaderboard")
    assert leaderboard["mean_cas_self_alignment"] == pytest.approx((1 - 1 / math.sqrt(91)) * 100)
    assert leaderboard["mean_cas_aware_self_alignment"] == pytest.approx(200 / 3)
    assert leaderboard["mean_cas_cross_culture_self_alignment"] == pytest.approx(100.0)


# ---------------------------------------------------------------- cultural_alignment_matrix


def _reference_s(culture_i: str, culture_j: str) -> float:
    """S(A_ci, A_cj) recomputed from the seed CSVs (evaluation questions with both majorities)."""
    questions = {row["q_id"]: int(row["n_options"]) for row in _seed("wvs_cultureSPA_questions")}
    eval_set = {row["q_id"] for row in _seed("wvs_cultureSPA_questions") if row["in_culturespa_eval"] == "1"}
    majority = {
        (row["country_code"], row["q_id"]): int(row["majority_option_code"])
        for row in _seed("wvs_cultureSPA_majority")
        if row["majority_option_code"]
    }
    shared = [q for q in eval_set if (culture_i, q) in majority and (culture_j, q) in majority]
    squared = sum((majority[(culture_i, q)] - majority[(culture_j, q)]) ** 2 for q in shared)
    return (1 - math.sqrt(squared) / math.sqrt(sum((questions[q] - 1) ** 2 for q in shared))) * 100


def _matrix(data_dir: Path, style: str) -> dict[tuple[str, str], dict[str, object]]:
    rows = fetch(
        data_dir,
        "select * from marts.cultural_alignment_matrix where run_id = ? and style = ? and strategy = 'aware'",
        [RUN, style],
    )
    return {(row["culture_i"], row["culture_j"]): row for row in rows}


def test_matrix_hand_computed(data_dir):
    matrix = _matrix(data_dir, "cot")
    assert len(matrix) == 9  # 3 cultures, ordered pairs with the diagonal
    # the cultures answer their own majorities on Q1 Q2 Q57 Q106: max_distance^2 = 9 + 9 + 1 + 81 = 100
    # US-CN: 0 + (1 - 2)^2 + (2 - 1)^2 + (1 - 8)^2 = 51 -> (1 - sqrt(51) / 10) * 100 = 28.59...
    # US-GB: (1 - 8)^2 = 49 -> (1 - 7 / 10) * 100 = 30;  CN-GB: 1 + 1 = 2 -> (1 - sqrt(2) / 10) * 100
    expected = {
        ("US", "CN"): (1 - math.sqrt(51) / 10) * 100,
        ("US", "GB"): 30.0,
        ("CN", "GB"): (1 - math.sqrt(2) / 10) * 100,
    }
    for (culture_i, culture_j), s in expected.items():
        for pair in ((culture_i, culture_j), (culture_j, culture_i)):  # symmetric
            row = matrix[pair]
            assert row["s_model_model"] == pytest.approx(s)
            # R_ci = A_ci on these questions, so S(R_ci, A_cj) is the same number
            assert row["s_model_wvs"] == pytest.approx(s)
            assert row["s_wvs_reference"] == pytest.approx(_reference_s(_iso3(pair[0]), _iso3(pair[1])))
            assert (row["n_questions_model_model"], row["n_trials_model_model"]) == (4, 1)
    for culture in ("US", "CN", "GB"):
        diagonal = matrix[(culture, culture)]
        assert diagonal["is_diagonal"]
        assert diagonal["s_model_model"] == pytest.approx(100.0)
        assert diagonal["s_wvs_reference"] == pytest.approx(100.0)


def _iso3(alpha2: str) -> str:
    return {"US": "USA", "CN": "CHN", "GB": "GBR"}[alpha2]


def test_matrix_correlation_with_wvs_reference(data_dir):
    row = _one(
        data_dir,
        """select * from marts.cultural_alignment_matrix_correlation
        where run_id = ? and style = 'cot' and comparison = 'model_vs_model'""",
        RUN,
    )
    # off-diagonal pairs (each unordered pair twice, which leaves Pearson unchanged)
    pairs = [("US", "CN"), ("US", "GB"), ("CN", "GB")]
    model = [(1 - math.sqrt(51) / 10) * 100, 30.0, (1 - math.sqrt(2) / 10) * 100]
    reference = [_reference_s(_iso3(a), _iso3(b)) for a, b in pairs]
    assert row["pearson"] == pytest.approx(statistics.correlation(model, reference))
    assert (row["n_pairs"], row["n_cultures"], row["null_reason"]) == (6, 3, None)


def test_constant_matrix_gives_null_correlation_not_one(data_dir):
    # scenario: the three cultures give identical answers -> S(R_ci, R_cj) = 100 everywhere
    matrix = _matrix(data_dir, "scenario")
    assert {row["s_model_model"] for row in matrix.values()} == {100.0}
    rows = {
        row["comparison"]: row
        for row in fetch(
            data_dir,
            """select * from marts.cultural_alignment_matrix_correlation
            where run_id = ? and style = 'scenario'""",
            [RUN],
        )
    }
    assert rows["model_vs_model"]["pearson"] is None
    assert rows["model_vs_model"]["null_reason"] == "constant_vector"
    # scored against each other's majorities the same answers do vary (CN's Q2 majority is 2)
    assert rows["model_vs_wvs"]["null_reason"] is None
    assert -1 <= rows["model_vs_wvs"]["pearson"] <= 1


# ---------------------------------------------------------------- value_polarity_alignment


def _polarity(data_dir: Path, language: str, level: str, code: str, run_id: str = POLARITY_RUN) -> dict:
    return _one(
        data_dir,
        """select * from marts.value_polarity_alignment
        where run_id = ? and prompt_language = ? and reference_level = ? and reference_code = ?""",
        run_id, language, level, code,
    )  # fmt: skip


def test_polarity_seed_values_used(data_dir):
    truth = {
        (row["country_code"], row["question_key"]): float(row["pro_score"])
        for row in _seed("wvs_polarity")
        if row["source_file"] == "output/ground_truth_all_countries.csv"
    }
    for country in ("US", "GB", "NL"):
        order = sorted(TOPICS, key=lambda topic: truth[(country, topic)])
        expected = ["e069_13", "f120", "f121", "f118", "e117"] if country == "NL" else list(TOPICS)
        assert order == expected, country


def test_spearman_hand_computed_with_ties(data_dir):
    # en topic polarity pooled over both templates (and not the excluded replies):
    #   e069_13 (1+1)/(5+5) = .2, f120 (3+2)/10 = .5, f118 (2+2)/10 = .4, f121 8/10, e117 8/10
    # model ranks (e069_13 f118 f120 f121 e117): 1 2 3 4.5 4.5; US ranks: 1 3 2 4 5
    # deviations from 3: x -2 -1 0 1.5 1.5, y -2 0 -1 1 2
    # sum xy = 4 + 0 + 0 + 1.5 + 3 = 8.5; sum x^2 = 9.5; sum y^2 = 10 -> rho = 8.5 / sqrt(95)
    rho = 8.5 / math.sqrt(95)
    us = _polarity(data_dir, "en", "country", "US")
    assert us["spearman"] == pytest.approx(rho)  # 0.872
    assert (us["n_topics"], us["null_reason"], us["is_local"]) == (5, None, True)
    assert us["ground_truth_source_file"] == "output/ground_truth_all_countries.csv"
    assert (us["us_centric_bias"], us["us_centric_bias_null_reason"]) == (None, "reference_is_us")
    # 10 templated replies + 1 unparseable + 1 in another language
    assert (us["n_replies"], us["n_valid_replies"]) == (12, 10)
    # GB orders the topics as the US does: same rho, no US-centric bias
    gb = _polarity(data_dir, "en", "country", "GB")
    assert gb["spearman"] == pytest.approx(rho)
    assert gb["us_centric_bias"] == pytest.approx(0.0)
    # language level: output/ground_truth.csv, en = the US values
    language = _polarity(data_dir, "en", "language", "en")
    assert language["spearman"] == pytest.approx(rho)
    assert language["ground_truth_source_file"] == "output/ground_truth.csv"


def test_us_centric_bias_hand_computed(data_dir):
    # nl polarities .1 .3 .7 .5 .9 (e069_13 f120 f118 f121 e117) rank exactly as NL -> rho_NL = 1
    # against the US (ranks e069_13 1, f120 2, f121 4, f118 3, e117 5, taken in NL's order):
    #   x = 1 2 3 4 5, y = 1 2 4 3 5: sum dxdy = 4 + 1 + 0 + 0 + 4 = 9, sum dx^2 = sum dy^2 = 10 -> .9
    # bias = rho_US - rho_NL = .9 - 1 = -.1 (closer to Dutch than to US values)
    nl = _polarity(data_dir, "nl", "country", "NL")
    assert nl["spearman"] == pytest.approx(1.0)
    assert nl["spearman_us"] == pytest.approx(0.9)
    assert nl["us_centric_bias"] == pytest.approx(-0.1)
    assert nl["is_local"] is True
    # a non-local country gets no bias
    assert _polarity(data_dir, "nl", "country", "GB")["us_centric_bias_null_reason"] == "not_a_local_country"


def test_constant_polarity_vector_gives_null_correlation(data_dir):
    rows = fetch(
        data_dir,
        "select * from marts.value_polarity_alignment where run_id = ? and prompt_language = 'pt'",
        [POLARITY_RUN],
    )
    assert len(rows) == 11 + 4 + 1  # every country and language reference, and the global one
    for row in rows:
        assert row["spearman"] is None  # not 0, not 1
        assert row["null_reason"] == "constant_vector"
    local = [row for row in rows if row["is_local"] and row["reference_level"] == "country"]
    assert sorted(row["reference_code"] for row in local) == ["BR", "PT"]
    assert {row["us_centric_bias_null_reason"] for row in local} == {"alignment_undefined"}


def test_global_level_hand_computed(data_dir):
    # en model ranks (e069_13 f120 f118 f121 e117) 1 3 2 4.5 4.5; global ranks 4 1 2 3 5
    #   dx -2 0 -1 1.5 1.5, dy 1 -2 -1 0 2: sum dxdy = -2 + 0 + 1 + 0 + 3 = 2 -> rho = 2 / sqrt(9.5 * 10)
    en = _polarity(data_dir, "en", "global", "global")
    assert en["spearman"] == pytest.approx(2 / math.sqrt(95))  # 0.205
    assert en["ground_truth_source_file"] == "output/ground_truth_global.csv"
    assert (en["n_topics"], en["is_local"], en["reference_language"]) == (5, False, None)
    assert (en["us_centric_bias"], en["us_centric_bias_null_reason"]) == (None, "not_a_local_country")
    # nl ranks 1 2 4 3 5 against 4 1 2 3 5: dx -2 -1 1 0 2, dy 1 -2 -1 0 2 -> 3 / 10
    assert _polarity(data_dir, "nl", "global", "global")["spearman"] == pytest.approx(0.3)


def test_global_seed_values_used(data_dir):
    truth = {
        row["question_key"]: float(row["pro_score"])
        for row in _seed("wvs_polarity")
        if row["level"] == "global" and row["source_file"] == "output/ground_truth_global.csv"
    }
    assert sorted(TOPICS, key=truth.__getitem__) == ["f120", "f118", "f121", "e069_13", "e117"]


def test_too_few_topics_gives_null(data_dir):
    row = _polarity(data_dir, "da", "country", "DK")
    assert (row["spearman"], row["null_reason"], row["n_topics"]) == (None, "too_few_points", 2)


# ---------------------------------------------------------------- self_consistency (wvs_polarity)


def _polarity_consistency(data_dir: Path, language: str, run_id: str = POLARITY_RUN) -> dict:
    return _one(
        data_dir,
        """select * from marts.self_consistency
        where run_id = ? and instrument = 'wvs_polarity' and prompt_language = ?""",
        run_id, language,
    )  # fmt: skip


def test_polarity_self_consistency_between_templates(data_dir):
    # template vectors over e069_13 f118 f120 f121 e117:
    #   tpl00 .2 .4 .6 .8 1.0 (mean .6), tpl01 .2 .4 .4 .8 .6 (mean .48)
    #   dx -.4 -.2 0 .2 .4; dy -.28 -.08 -.08 .32 .12
    #   sum dxdy = .112 + .016 + 0 + .064 + .048 = .24; sum dx^2 = .4; sum dy^2 = .208
    #   r = .24 / sqrt(.4 * .208) = .832
    row = _polarity_consistency(data_dir, "en")
    assert row["self_consistency"] == pytest.approx(0.24 / math.sqrt(0.4 * 0.208))
    assert (row["basis"], row["method"], row["variant"], row["country"]) == (
        "variants", "mean_pairwise_pearson", None, None,
    )  # fmt: skip
    # tpl02-var0 has no valid reply, so two units and one pair
    assert (row["n_units"], row["n_pairs"], row["n_pairs_undefined"], row["null_reason"]) == (2, 1, 0, None)
    humans = [
        float(r["gt_self_consistency"])
        for r in _seed("wvs_polarity_self_consistency")
        if r["language_code"] == "en"
    ]
    assert row["human_reference"] == pytest.approx(statistics.mean(humans))
    assert row["human_reference_countries"] == "AU,CA,GB,KE,NG,NIR,NZ,SG,US"


def test_polarity_self_consistency_nulls(data_dir):
    nl = _polarity_consistency(data_dir, "nl")
    assert (nl["self_consistency"], nl["null_reason"]) == (None, "fewer_than_two_variants")
    pt = _polarity_consistency(data_dir, "pt")  # both template vectors constant at .5
    assert (pt["self_consistency"], pt["null_reason"], pt["n_pairs_undefined"]) == (
        None,
        "constant_vector",
        1,
    )


# ---------------------------------------------------------------- distribution_similarity


def _similarity(data_dir: Path, item: str, country: str = "US", style: str = "classification") -> dict:
    return _one(
        data_dir,
        """select * from marts.distribution_similarity
        where run_id = ? and item_id = ? and country = ? and style = ? and strategy = 'aware'""",
        RUN, item, country, style,
    )  # fmt: skip


def test_similarity_hand_computed_mixing_logprobs_and_parsed(data_dir):
    # Q1: model = mean([0, 1, 0, 0] (parsed code 2), [.4, 0, .3, .3] (logprobs)) = [.2 .5 .15 .15]
    #     CDF .2 .7 .85; human USA shares / .999999: CDF .893174 .978403 .996914 (/ .999999)
    #     W = (|.2 - .893175| + |.7 - .978404| + |.85 - .996915|) / 3 = 1.118494 / 3 = .372831
    total = 0.893174 + 0.085229 + 0.018511 + 0.003085
    human_cdf = [0.893174 / total, (0.893174 + 0.085229) / total, (0.893174 + 0.085229 + 0.018511) / total]
    w = sum(abs(m - h) for m, h in zip((0.2, 0.7, 0.85), human_cdf, strict=True)) / 3
    q1 = _similarity(data_dir, "Q1")
    assert q1["wasserstein"] == pytest.approx(w)
    assert q1["similarity"] == pytest.approx(1 - w)  # .627
    assert (q1["n_answers"], q1["n_valid"], q1["n_unclassifiable"], q1["null_reason"]) == (2, 2, 0, None)
    # Q57: model mean([.3, .7], [0, 1]) = [.15, .85], human [.397371, .602629]
    #      W = |.15 - .397371| / 1 = .247371 -> similarity .752629
    q57 = _similarity(data_dir, "Q57")
    assert q57["similarity"] == pytest.approx(1 - 0.247371)


def test_bootstrap_interval_hand_derived(data_dir):
    # Q57 has two answers A = [0, 1], B = [.3, .7]; a replicate draws two of them:
    #   AA -> [0, 1]: W = .397371; AB -> [.15, .85]: .247371; BB -> [.3, .7]: .097371
    # so replicate similarities lie in {.602629, .752629, .902629} with chances 1/4, 1/2, 1/4, and
    # the 2.5 % / 97.5 % percentiles of 1000 replicates (about 250 at each extreme) are the extremes
    q57 = _similarity(data_dir, "Q57")
    assert q57["similarity_ci_low"] == pytest.approx(1 - 0.397371)
    assert q57["similarity_ci_high"] == pytest.approx(1 - 0.097371)
    assert (q57["n_bootstrap"], q57["ci_level"], q57["bootstrap_seed"]) == (1000, 0.95, 20250101)
    # a single valid answer (Q2: the other trial refused) cannot vary: the interval is the point
    q2 = _similarity(data_dir, "Q2")
    assert q2["similarity_ci_low"] == pytest.approx(q2["similarity"])
    assert q2["similarity_ci_high"] == pytest.approx(q2["similarity"])
    assert (q2["n_valid"], q2["n_unclassifiable"]) == (1, 1)


def test_a_style_whose_answers_cannot_vary_has_its_mean_as_interval(data_dir):
    # cot, China: one answer per question, so every replicate is the point estimate
    row = _one(
        data_dir,
        """select * from marts.distribution_similarity_by_style
        where run_id = ? and country = 'CN' and style = 'cot' and strategy = 'aware'""",
        RUN,
    )
    assert row["n_items_scored"] == 4
    assert row["similarity_ci_low"] == row["mean_similarity"] == row["similarity_ci_high"]
    assert row["n_bootstrap"] == 1000


def test_similarity_nulls_and_unclassifiable_rates(data_dir):
    # CN Q82 was not asked in China: no human distribution
    q82 = _similarity(data_dir, "Q82", country="CN")
    assert (q82["similarity"], q82["null_reason"]) == (None, "no_human_distribution")
    # DE: only a transport error -> no valid answer; errors are not model output, no rate
    de = _similarity(data_dir, "Q1", country="DE")
    assert (de["similarity"], de["null_reason"], de["n_error"], de["unclassifiable_rate"]) == (
        None, "no_valid_answer", 1, None,
    )  # fmt: skip
    styles = {
        (row["country"], row["style"]): row
        for row in fetch(
            data_dir,
            """select * from marts.distribution_similarity_by_style
            where run_id = ? and strategy = 'aware'""",
            [RUN],
        )
    }
    # US classification: 10 answers, refusal (Q2) + out of range (Q106) -> 2 / 10
    assert styles[("US", "classification")]["unclassifiable_rate"] == pytest.approx(0.2)
    assert styles[("US", "classification")]["n_items"] == 5
    # US scenario: Q1, Q2 and an unparseable Q57 -> 1 / 3; cot: none
    assert styles[("US", "scenario")]["unclassifiable_rate"] == pytest.approx(1 / 3)
    assert styles[("US", "cot")]["unclassifiable_rate"] == 0.0
    assert styles[("DE", "classification")]["null_reason"] == "no_scored_item"


def test_style_mean_is_the_mean_over_questions(data_dir):
    items = fetch(
        data_dir,
        """select similarity from marts.distribution_similarity
        where run_id = ? and country = 'US' and style = 'classification' and strategy = 'aware'""",
        [RUN],
    )
    row = _one(
        data_dir,
        """select * from marts.distribution_similarity_by_style
        where run_id = ? and country = 'US' and style = 'classification' and strategy = 'aware'""",
        RUN,
    )
    assert row["mean_similarity"] == pytest.approx(statistics.mean(r["similarity"] for r in items))
    assert row["n_items_scored"] == 5
    assert row["similarity_ci_low"] <= row["mean_similarity"] <= row["similarity_ci_high"]


# ---------------------------------------------------------------- properties


MART_ORDER = {
    "cultural_alignment_score": "country, strategy, style, variant",
    "cultural_alignment_matrix": "strategy, style, variant, culture_i, culture_j",
    "cultural_alignment_matrix_correlation": "strategy, style, variant, comparison",
    "distribution_similarity": "country, strategy, style, variant, item_id",
    "distribution_similarity_by_style": "country, strategy, style, variant",
}


@pytest.mark.parametrize("mart", sorted(MART_ORDER))
def test_trial_order_changes_no_metric(data_dir, mart):
    # SHUFFLED has RUN's answers with trial 0 and 1 swapped and the rows written in reverse order
    def rows(run_id: str) -> list[dict[str, object]]:
        return [
            {key: value for key, value in row.items() if key != "run_id"}
            for row in fetch(
                data_dir, f"select * from marts.{mart} where run_id = ? order by {MART_ORDER[mart]}", [run_id]
            )
        ]

    original = rows(RUN)
    assert original  # the comparison is not vacuous
    assert_same_rows(rows(SHUFFLED), original)


@pytest.mark.parametrize("mart", ["value_polarity_alignment", "self_consistency"])
def test_variant_labels_and_row_order_change_no_polarity_metric(data_dir, mart):
    def rows(run_id: str) -> list[dict[str, object]]:
        return [
            {key: value for key, value in row.items() if key != "run_id"}
            for row in fetch(
                data_dir,
                f"select * exclude (run_id) from marts.{mart} where run_id = ? order by all",
                [run_id],
            )
        ]

    original = rows(POLARITY_RUN)
    assert original
    assert_same_rows(rows(POLARITY_SHUFFLED), original)


EXPANDED_REPLICATES = """
    select distances.*, drawn.replicate
    from intermediate.int_wvs_culturespa_distributions_bootstrapped as distances,
        unnest(range(1, distances.n_replicates + 1)) as drawn(replicate)
    where distances.n_contents = 1
    union all by name
    select distances.*, replicates.replicate
    from intermediate.int_wvs_culturespa_distributions_bootstrapped as distances
    inner join intermediate.int_wvs_culturespa_distribution_replicates as replicates
        using (group_id, weights_key)
    where distances.n_contents > 1"""
"""Every bootstrap replicate 1..B of every question and compared country, one row each."""


def _replicates(data_dir: Path) -> list[tuple]:
    """Every replicate of every question, expanded from the weights: (keys, replicate, similarity),
    replicate 0 being the point estimate."""
    return [
        tuple(row.values())
        for row in fetch(
            data_dir,
            f"""with expanded as ({EXPANDED_REPLICATES})
            select run_id, strategy, country, style, item_id, reference_country, 0 as replicate, similarity
            from intermediate.int_wvs_culturespa_distributions_bootstrapped where is_point_estimate
            union all
            select run_id, strategy, country, style, item_id, reference_country, replicate, similarity
            from expanded
            order by all""",
        )
    ]


def test_bootstrap_is_reproducible_and_seeded(data_dir, tmp_path):
    before = _replicates(data_dir)
    assert len({row[6] for row in before}) == 1001  # replicate 0 + 1000 (the default)
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    select = ["run", "--select", "int_wvs_culturespa_distribution_answers+"]
    same = run_dbt(select, copy, tmp_path / "same")
    assert same.returncode == 0, same.stdout[-4000:]
    assert _replicates(copy) == before  # same seed -> the same numbers, bit for bit
    other = run_dbt(select, copy, tmp_path / "other", dbt_vars="{distribution_bootstrap_seed: 7}")
    assert other.returncode == 0, other.stdout[-4000:]
    reseeded = _replicates(copy)
    assert [row[:7] for row in reseeded] == [row[:7] for row in before]
    assert [row[7] for row in reseeded if row[6] == 0] == [row[7] for row in before if row[6] == 0]
    assert reseeded != before  # another seed -> other draws
    assert fetch(copy, "select distinct bootstrap_seed from marts.distribution_similarity") == [
        {"bootstrap_seed": 7}
    ]


def test_bootstrap_size_is_a_var(data_dir, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    select = ["run", "--select", "int_wvs_culturespa_distribution_answers+"]
    result = run_dbt(select, copy, tmp_path / "b200", dbt_vars="{distribution_bootstrap_replicates: 200}")
    assert result.returncode == 0, result.stdout[-4000:]
    assert len({row[6] for row in _replicates(copy)}) == 201
    q57 = _similarity(copy, "Q57")  # the hand-derived interval holds at B = 200 too
    assert (q57["n_bootstrap"], q57["similarity_ci_low"], q57["similarity_ci_high"]) == (
        200, pytest.approx(1 - 0.397371), pytest.approx(1 - 0.097371),
    )  # fmt: skip
    styles = fetch(
        copy,
        "select distinct n_bootstrap from marts.distribution_similarity_by_style where n_items_scored > 0",
    )
    assert styles == [{"n_bootstrap": 200}]


def test_weights_are_a_resample_of_the_answers(data_dir):
    """Per group: one point-estimate vector weighing each answer once; the replicates' vectors
    weigh n answers in all and partition the replicates 1..B; a group with one content draws
    nothing."""
    groups = fetch(
        data_dir,
        """select group_id, any_value(n_contents) as contents,
            count(*) filter (where is_point_estimate) as n_points,
            bool_and(weight_sum = n_valid) as weigh_n,
            sum(n_replicates) as n_replicates
        from (
            select *, (select sum(entry.weight) from unnest(weights) as entries(entry)) as weight_sum
            from intermediate.int_wvs_culturespa_distribution_weights
        )
        group by group_id""",
    )
    drawn = {
        row["group_id"]: row["replicates"]
        for row in fetch(
            data_dir,
            """select group_id, list(replicate order by replicate) as replicates
            from intermediate.int_wvs_culturespa_distribution_replicates group by group_id""",
        )
    }
    assert groups
    for group in groups:
        assert (group["n_points"], group["weigh_n"], group["n_replicates"]) == (1, True, 1000), group
        if group["contents"] == 1:
            assert group["group_id"] not in drawn
        else:
            assert drawn[group["group_id"]] == list(range(1, 1001))
    # the point estimate weighs every answer once: Q3 (NG) has codes 1 x4, 2 x3, 3 x3
    point = _one(
        data_dir,
        """select contents, weights from intermediate.int_wvs_culturespa_distribution_weights
        where run_id = ? and item_id = 'Q3' and country = 'NG' and is_point_estimate""",
        RUN,
    )
    codes = [content["model_code"] for content in point["contents"]]
    assert [(codes[entry["content_id"] - 1], entry["weight"]) for entry in point["weights"]] == [
        (1, 4), (2, 3), (3, 3),
    ]  # fmt: skip


def test_draws_are_uniform_over_the_answers(data_dir):
    """Q57 (US, two answers A and B): replicates draw AA, AB, BB with chances 1/4, 1/2, 1/4; the
    seeded draws give counts within four standard deviations of 250, 500, 250. Q3 (NG, ten
    answers: the chunked draws): each content's mean weight over the replicates is its share."""
    rows = fetch(
        data_dir,
        """select weights, n_replicates from intermediate.int_wvs_culturespa_distribution_weights
        where run_id = ? and item_id = 'Q57' and country = 'US' and style = 'classification'""",
        [RUN],
    )
    counts = {
        tuple((entry["content_id"], entry["weight"]) for entry in row["weights"]): row["n_replicates"]
        for row in rows
    }
    aa, ab, bb = counts.get(((1, 2),), 0), counts.get(((1, 1), (2, 1)), 0), counts.get(((2, 2),), 0)
    assert aa + ab + bb == 1000
    assert abs(ab - 500) <= 4 * math.sqrt(1000 * 0.25) and abs(aa - 250) <= 4 * math.sqrt(1000 * 0.1875)
    assert abs(bb - 250) <= 4 * math.sqrt(1000 * 0.1875)
    q3 = fetch(
        data_dir,
        """select contents, weights, n_replicates from intermediate.int_wvs_culturespa_distribution_weights
        where run_id = ? and item_id = 'Q3' and country = 'NG'""",
        [RUN],
    )
    mean_weight = {code: 0.0 for code in (1, 2, 3)}
    for row in q3:
        for entry in row["weights"]:
            code = row["contents"][entry["content_id"] - 1]["model_code"]
            mean_weight[code] += entry["weight"] * row["n_replicates"] / 1000
    # a content's weight in one replicate is Binomial(10, share): sd of the mean over 1000 <= 0.05
    assert mean_weight[1] == pytest.approx(4, abs=0.25) and mean_weight[2] == pytest.approx(3, abs=0.25)
    assert len(q3) > 30  # ten draws: many distinct weight vectors


def test_intervals_are_the_percentiles_of_the_expanded_replicates(data_dir):
    """The marts' percentile intervals, computed from the weight vectors' counts, equal
    quantile_cont over the B replicates expanded one by one (to the last bit on DuckDB 1.4; 2.0's
    quantile_cont rounds its interpolation differently), at the marts' levels: (1 -+ 0.95) / 2 in
    floating point, as the models render them."""
    low, high = (1 - 0.95) / 2, (1 + 0.95) / 2
    expanded = EXPANDED_REPLICATES
    per_item = fetch(
        data_dir,
        f"""with expanded as ({expanded})
        select marts.run_id, marts.country, marts.strategy, marts.style, marts.item_id,
            marts.similarity_ci_low, marts.similarity_ci_high,
            quantile_cont(expanded.similarity, {low}) as low,
            quantile_cont(expanded.similarity, {high}) as high,
            count(*) as n
        from marts.distribution_similarity as marts
        inner join expanded
            on marts.run_id = expanded.run_id and marts.item_id = expanded.item_id
            and marts.strategy = expanded.strategy and marts.style = expanded.style
            and marts.variant = expanded.variant and marts.country = expanded.reference_country
            and marts.country is not distinct from coalesce(expanded.country, expanded.reference_country)
        group by all""",
    )
    assert len(per_item) > 50
    for row in per_item:
        assert row["n"] == 1000
        assert row["similarity_ci_low"] == pytest.approx(row["low"], rel=1e-15, abs=1e-15)
        assert row["similarity_ci_high"] == pytest.approx(row["high"], rel=1e-15, abs=1e-15)
    by_style = fetch(
        data_dir,
        f"""with expanded as ({expanded}),
        means as (
            select run_id, reference_country, strategy, style, variant, replicate,
                avg(similarity) as mean_similarity
            from expanded group by all
        )
        select marts.run_id, marts.country, marts.strategy, marts.style,
            marts.similarity_ci_low, marts.similarity_ci_high,
            quantile_cont(means.mean_similarity, {low}) as low,
            quantile_cont(means.mean_similarity, {high}) as high
        from marts.distribution_similarity_by_style as marts
        inner join means
            on marts.run_id = means.run_id and marts.country = means.reference_country
            and marts.strategy = means.strategy and marts.style = means.style
            and marts.variant = means.variant
        group by all""",
    )
    assert len(by_style) > 10
    for row in by_style:  # the replicate means are sums in another order: equal to rounding
        assert row["similarity_ci_low"] == pytest.approx(row["low"], rel=1e-12)
        assert row["similarity_ci_high"] == pytest.approx(row["high"], rel=1e-12)


# ---------------------------------------------------------------- answer_distributions


def test_answer_distributions_are_what_distribution_similarity_compares(data_dir):
    """The figure data (Bravansky's model-vs-human distributions) and the metric agree: for every
    question and population, 1 - W computed from the mart's shares is the mart's similarity."""
    shares = fetch(
        data_dir,
        """select run_id, country, prompt_language, style, strategy, variant, item_id,
                  list(model_share order by option_position) as model,
                  list(human_share order by option_position) as human
           from marts.answer_distributions group by all""",
    )
    assert shares, "no distributions"
    similarity = {
        (
            r["run_id"],
            r["country"],
            r["prompt_language"],
            r["style"],
            r["strategy"],
            r["variant"],
            r["item_id"],
        ): r
        for r in fetch(data_dir, "select * from marts.distribution_similarity where similarity is not null")
    }
    for row in shares:
        assert sum(row["model"]) == pytest.approx(1) and sum(row["human"]) == pytest.approx(1)
        cumulative_model = cumulative_human = distance = 0.0
        for model, human in list(zip(row["model"], row["human"], strict=True))[:-1]:
            cumulative_model += model
            cumulative_human += human
            distance += abs(cumulative_model - cumulative_human)
        key = tuple(
            row[name]
            for name in ("run_id", "country", "prompt_language", "style", "strategy", "variant", "item_id")
        )
        expected = similarity[key]["similarity"]
        assert 1 - distance / (len(row["model"]) - 1) == pytest.approx(expected, abs=1e-8), key
    # Q1, US (hand-computed above): model [.2 .5 .15 .15]
    q1 = [
        r
        for r in shares
        if r["run_id"] == RUN
        and r["item_id"] == "Q1"
        and r["country"] == "US"
        and r["style"] == "classification"
        and r["strategy"] == "aware"
    ]
    assert q1[0]["model"] == pytest.approx([0.2, 0.5, 0.15, 0.15])
