"""alignment_history and alignment_regressions against hand-made raw runs of three versions.

One `dbt build` for the module (plus one re-run of the regression models for reproducibility).
The fixture is one model, `fixture-model`, probed as three versions:

    v1  2026-01-01  instrument 2013.1.0 / 1.0.0, parser p1   vsm2013, wvs_culturespa, wvs_polarity
    v2  2026-02-01  same versions as v1                        the same three instruments
    v3  2026-03-01  parser p2                                  vsm2013 only (same answers as v2)

so (v1, v2) is a comparable pair for all three instruments (one BH family) and (v2, v3) is not
comparable for vsm2013 (parser_version p1 -> p2) and has no earlier comparable version.

Deviation ratio, ground truth = the real Hofstede seed. Global means (test_marts.py):
    pdi 1192/18, idv 676/18, mas 913/18, uai 1189/18, lto 51.55, ivr 34.25
Numerators, mean_d |GT_d - mean_c GT_d| over the six dimensions:
    US (40 91 62 46 26 68): (472 + 962 + 203 + 361)/18 + 25.55 + 33.75 = 111 + 59.3 = 170.3, / 6
    DE (35 67 66 65 83 40): (562 + 530 + 275 + 19)/18 + 31.45 + 5.75 = 77 + 37.2 = 114.2, / 6
Both numerator and denominator are means over the same six dimensions, so DR = sum / sum.

US, prompted in English (so both `aligned` and `english`), one trial:
    v1 answers 3 everywhere -> every score 50 -> sum |50 - GT| = 10 + 41 + 12 + 4 + 24 + 18 = 109
       DR_v1 = 170.3 / 109 = 1.562385...
    v2 answers every item at the extreme that puts its dimension farthest from the US truth:
       pdi 100 (|100-40| = 60), idv 0 (91), mas 0 (62), uai 100 (54), lto 100 (74), ivr 0 (68)
       sum = 409 -> DR_v2 = 170.3 / 409 = 0.416381...
    difference = 170.3/409 - 170.3/109 = 170.3 * (109 - 409) / (409 * 109) = -51090/44581 = -1.146004
    Every dimension is worse in v2 whatever items a replicate draws (both contrast pairs of every
    dimension sit at the extreme), so every replicate difference is < 0: p = 1 / (B + 1).
DE, prompted in German, one trial: v1 all 3 -> sum |50 - GT| = 15 + 17 + 16 + 15 + 33 + 10 = 106,
    DR_v1 = 114.2 / 106 = 1.077358; v2 answers m24 = 4 instead of 3: uai = 40*0 + 25(3 - 4) = -25
    -> score (-25 + 260) * 100 / 520 = 23500/520 = 45.1923, |45.1923 - 65| = 10300/520 = 19.8077
    instead of 15 -> sum = 91 + 10300/520 -> DR_v2 = 114.2 / 110.8077 = 1.030614,
    difference = -0.046744: smaller than the threshold 0.05 -> no_change whatever its q.
JP, prompted in Japanese, two trials (all 3; the hand questionnaire of test_marts.py), the same
    in v1 and v2: difference exactly 0, every replicate 0 -> p = 1.

CAS (wvs_culturespa, aware, classification/base), seed values (test_wvs_marts.py):
    K: Q1 4, Q2 4, Q57 2, Q106 10, Q94 3 (codes 0..2); US majorities Q1 1, Q2 1, Q57 2, Q106 1, Q94 0
    v1 US answers the majorities: sum (a - r)^2 = 0 -> CAS 100.
    v2 US answers Q1 4, Q2 4, Q57 1, Q106 10, Q94 2: (a - r)^2 = 9, 9, 1, 81, 4 = (K - 1)^2 of each
       question, so sqrt(104) / sqrt(104) = 1 -> CAS 0 on every draw of questions: difference -100.
    CN (Q1 1, Q2 2, Q57 1, Q106 8: its majorities) is 100 in both versions.
    cas_cross_culture, US: the other way round (v1 the worst codes, CAS 0; v2 the majorities, 100):
       difference +100 on every draw -> `improvement` (the mirror test), p_value = 1.
Polarity (en, 5 topics), identical replies in v1 and v2 -> difference 0 for each local country.

Like for like: a second model, `coverage-model`, versions c1 and c2, US and DE in English, all
answers 3, except that c2's US reply to m13 is unparseable: LTO is unscored, so the US deviation
ratio covers 6 dimensions in c1 and 5 in c2 (two different quantities: not comparable, never
alerted, out of the version mean), while DE (6 and 6, DR 114.2 / 106 both times) is compared and
is the version mean's only country.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from culturewatch.config.regression import (
    CONFIG_PATH,
    SEED_PATH,
    load_regression_config,
    render_seed,
)
from culturewatch.errors import InputFileError
from culturewatch.storage.schema import JUDGEMENT_SCHEMA, RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA
from tests.dbt import raw_fixture, wvs_fixture

MODEL = "fixture-model"
VERSIONS = {  # version -> (probe time, parser_version)
    "v1": (datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "p1"),
    "v2": (datetime(2026, 2, 1, 12, 0, tzinfo=UTC), "p1"),
    "v3": (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "p2"),
}
REPLICATES = 1000  # the default of var regression_bootstrap_replicates

# US v2: each dimension's four items at the extreme farthest from the US truth (see docstring)
US_WORST = {
    "m07": 5, "m02": 1, "m20": 5, "m23": 1,  # pdi -> 100
    "m04": 1, "m01": 5, "m09": 1, "m06": 5,  # idv -> 0
    "m05": 1, "m03": 5, "m08": 1, "m10": 5,  # mas -> 0
    "m18": 5, "m15": 1, "m21": 5, "m24": 1,  # uai -> 100
    "m13": 5, "m14": 1, "m19": 5, "m22": 1,  # lto -> 100
    "m12": 1, "m11": 5, "m17": 1, "m16": 5,  # ivr -> 0
}  # fmt: skip
JP_TRIAL_1 = {
    "m01": 2, "m02": 4, "m03": 1, "m04": 5, "m05": 3, "m06": 2, "m07": 1, "m08": 4,
    "m09": 5, "m10": 3, "m11": 2, "m12": 4, "m13": 4, "m14": 2, "m15": 3, "m16": 3,
    "m17": 2, "m18": 4, "m19": 5, "m20": 2, "m21": 3, "m22": 3, "m23": 2, "m24": 2,
}  # fmt: skip
US_DR_BEFORE = 170.3 / 109
US_DR_AFTER = 170.3 / 409
DE_DR_BEFORE = 114.2 / 106
DE_DR_AFTER = 114.2 / (91 + 10300 / 520)
POLARITY_TOPICS = {"e069_13": (1, 4), "f120": (3, 2), "f118": (2, 3), "f121": (4, 1), "e117": (5, 0)}


COVERAGE_MODEL = "coverage-model"
COVERAGE_VERSIONS = {
    "c1": datetime(2026, 1, 2, 12, 0, tzinfo=UTC),
    "c2": datetime(2026, 2, 2, 12, 0, tzinfo=UTC),
}


def _stamp(rows: list[dict[str, object]], version: str) -> list[dict[str, object]]:
    if version in COVERAGE_VERSIONS:
        probed_at, parser, model = COVERAGE_VERSIONS[version], "p1", COVERAGE_MODEL
    else:
        (probed_at, parser), model = VERSIONS[version], MODEL
    return [
        {**row, "model": model, "model_version": version, "parser_version": parser, "requested_at": probed_at}
        for row in rows
    ]


def _coverage_rows(run_id: str, version: str) -> list[dict[str, object]]:
    us = raw_fixture.questionnaire(run_id, "US", "en")
    if version == "c2":
        us = [
            {**row, "answer": None, "parse_status": "unparseable"} if row["item_id"] == "m13" else row
            for row in us
        ]
    return _stamp(us + raw_fixture.questionnaire(run_id, "DE", "en"), version)


def _vsm_rows(run_id: str, version: str) -> list[dict[str, object]]:
    worse = version != "v1"
    rows = raw_fixture.questionnaire(run_id, "US", "en", US_WORST if worse else None)
    rows += raw_fixture.questionnaire(run_id, "DE", "de", {"m24": 4} if worse else None)
    rows += raw_fixture.questionnaire(run_id, "JP", "ja")
    rows += raw_fixture.questionnaire(run_id, "JP", "ja", JP_TRIAL_1, trial=1)
    return _stamp(rows, version)


def _culturespa_rows(run_id: str, version: str) -> list[dict[str, object]]:
    us_codes = (4, 4, 1, 10, 2) if version == "v2" else (1, 1, 2, 1, 0)
    asked = [
        ("US", item, code) for item, code in zip(("Q1", "Q2", "Q57", "Q106", "Q94"), us_codes, strict=True)
    ]
    asked += [
        ("CN", item, code) for item, code in zip(("Q1", "Q2", "Q57", "Q106"), (1, 2, 1, 8), strict=True)
    ]
    rows = [
        wvs_fixture.response(run_id, "wvs_culturespa", item, country=country, strategy="aware", answer=code)
        for country, item, code in asked
    ]
    cross_codes = (1, 1, 2, 1, 0) if version == "v2" else (4, 4, 1, 10, 2)
    rows += [
        wvs_fixture.response(
            run_id, "wvs_culturespa", item, country="US", strategy="cross_culture", answer=code
        )
        for item, code in zip(("Q1", "Q2", "Q57", "Q106", "Q94"), cross_codes, strict=True)
    ]
    return _stamp(rows, version)


def _polarity_rows(run_id: str, version: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    replies, judged = [], []
    for topic, (n_pro, n_con) in POLARITY_TOPICS.items():
        reply = wvs_fixture.response(
            run_id, "wvs_polarity", topic, country=None, strategy="unaware", style="scenario",
            variant="tpl00-var0", language="en",
        )  # fmt: skip
        replies.append(reply)
        judged += wvs_fixture.judgements(reply, wvs_fixture.stances(n_pro, n_con))
    return _stamp(replies, version), judged


def _write_run(data_dir: Path, run_id: str, rows: list[dict[str, object]], judged=None) -> None:
    first = rows[0]
    folder = data_dir / "raw" / "responses" / f"run_id={run_id}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=RAW_RESPONSE_SCHEMA), folder / "part-0.parquet")
    event = {
        "run_id": run_id, "instrument": first["instrument"], "model": first["model"],
        "model_version": first["model_version"], "base_url": "http://localhost:0/v1",
        "prompt_language": None, "cells_planned": len(rows), "requests_sent": len(rows),
        "prompt_tokens": 10 * len(rows), "completion_tokens": 2 * len(rows), "cost_usd": None,
        "message": None,
    }  # fmt: skip
    events = [
        {**event, "event": "started", "cells_answered": 0, "recorded_at": first["requested_at"]},
        {**event, "event": "completed", "cells_answered": len(rows), "recorded_at": first["requested_at"]},
    ]
    folder = data_dir / "raw" / "runs" / f"run_id={run_id}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(events, schema=RUN_EVENT_SCHEMA), folder / "part-0.parquet")
    if judged:
        folder = data_dir / "raw" / "judgements" / f"run_id={run_id}"
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(judged, schema=JUDGEMENT_SCHEMA), folder / "part-0.parquet")


REGRESSIONS_SQL = "select * from marts.alignment_regressions order by regression_id"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("regressions")
    for version in ("v1", "v2"):
        _write_run(data, f"vsm-{version}", _vsm_rows(f"vsm-{version}", version))
        _write_run(data, f"spa-{version}", _culturespa_rows(f"spa-{version}", version))
        replies, judged = _polarity_rows(f"pol-{version}", version)
        _write_run(data, f"pol-{version}", replies, judged)
    _write_run(data, "vsm-v3", _vsm_rows("vsm-v3", "v3"))
    for version in COVERAGE_VERSIONS:
        _write_run(data, f"cov-{version}", _coverage_rows(f"cov-{version}", version))
    # only what the regression marts need (and its tests): the other marts have their own modules
    result = wvs_fixture.run_dbt(["build", "--select", "+alignment_regressions"], data, data / "dbt")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    return data


def _one(data_dir: Path, metric: str, country: str | None, version: str = "v2") -> dict[str, object]:
    rows = wvs_fixture.fetch(
        data_dir,
        "select * from marts.alignment_regressions where version = ? and metric = ?"
        " and country is not distinct from ?",
        [version, metric, country],
    )
    assert len(rows) == 1, rows
    return rows[0]


def _bh(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg q-values, written out independently of the SQL."""
    m = len(p_values)
    order = sorted(range(m), key=lambda index: p_values[index])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        q[index] = running
    return q


def test_seed_is_the_rendering_of_the_yaml():
    assert SEED_PATH.read_text(encoding="utf-8") == render_seed(load_regression_config(CONFIG_PATH)), (
        "run: python -m culturewatch.config.regression"
    )


def test_config_rejects_a_bad_rule(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "metrics:\n  cas_aware:\n    description: x\n    metric: cas\n    same_coverage: false\n"
        "    threshold: -1\n"
        "    alpha: 0.05\n    measures:\n      {instrument: wvs_culturespa, strategy: aware,"
        " style: cot, variant: base}\n"
    )
    with pytest.raises(InputFileError, match="threshold"):
        load_regression_config(bad)
    bad.write_text(
        "metrics:\n  dr:\n    description: x\n    metric: deviation_ratio\n    same_coverage: true\n"
        "    threshold: 0.1\n"
        "    alpha: 0.05\n    measures: {instrument: vsm2013, strategy: aware, style: cot, variant: base}\n"
    )
    with pytest.raises(InputFileError, match="setting is required"):
        load_regression_config(bad)
    bad.write_text(  # a rule must measure a metric of metrics.yaml with a better direction
        "metrics:\n  dr:\n    description: x\n    metric: vsm_score\n    same_coverage: true\n"
        "    threshold: 0.1\n    alpha: 0.05\n"
        "    measures: {instrument: vsm2013, setting: english, strategy: aware, style: cot, variant: base}\n"
    )
    with pytest.raises(InputFileError, match="no better direction"):
        load_regression_config(bad)


def test_history_has_every_headline_metric_per_version(data_dir):
    rows = wvs_fixture.fetch(
        data_dir,
        "select model_version, metric, count(*) filter (where scope = 'country') as n_countries,"
        " count(*) filter (where scope = 'version_mean') as n_means"
        " from marts.alignment_history group by all order by all",
    )
    seen = {(row["model_version"], row["metric"]): (row["n_countries"], row["n_means"]) for row in rows}
    for version in ("v1", "v2"):
        assert seen[(version, "deviation_ratio_aligned")] == (3, 1)  # US, DE, JP
        assert seen[(version, "deviation_ratio_english")] == (1, 1)  # US
        assert seen[(version, "cas_aware")] == (2, 1)  # US, CN
        assert seen[(version, "cas_cross_culture")] == (1, 1)  # US
        assert seen[(version, "polarity_spearman")] == (7, 1)  # en: AU CA GB KE NZ US ZW
    assert seen[("v3", "deviation_ratio_aligned")] == (3, 1)
    us = wvs_fixture.fetch(
        data_dir,
        "select * from marts.alignment_history where metric = 'deviation_ratio_aligned' and country = 'US'"
        f" and model = '{MODEL}'"
        " order by model_version",
    )
    assert [row["value"] for row in us] == pytest.approx([US_DR_BEFORE, US_DR_AFTER, US_DR_AFTER])
    assert [row["parser_version"] for row in us] == ["p1", "p1", "p2"]
    assert {row["n"] for row in us} == {6}
    assert {row["ground_truth_version"] for row in us} == {"hofstede_2015"}
    mean = wvs_fixture.fetch(
        data_dir,
        "select value, n from marts.alignment_history where run_id = 'vsm-v1'"
        " and metric = 'deviation_ratio_aligned' and scope = 'version_mean'",
    )
    jp = wvs_fixture.fetch(
        data_dir,
        "select value from marts.alignment_history where run_id = 'vsm-v1' and country = 'JP'"
        " and metric = 'deviation_ratio_aligned'",
    )[0]["value"]
    assert mean[0]["n"] == 3
    assert mean[0]["value"] == pytest.approx((US_DR_BEFORE + DE_DR_BEFORE + jp) / 3)


def test_clear_regression_is_flagged(data_dir):
    row = _one(data_dir, "deviation_ratio_aligned", "US")
    assert row["previous_version"] == "v1" and row["previous_run_id"] == "vsm-v1"
    assert row["run_id"] == "vsm-v2" and row["prompt_language"] == "en"
    assert row["value_before"] == pytest.approx(US_DR_BEFORE)  # 170.3 / 109 = 1.562385
    assert row["value_after"] == pytest.approx(US_DR_AFTER)  # 170.3 / 409 = 0.416381
    assert row["difference"] == pytest.approx(-51090 / 44581)  # -1.146004, negative = worse
    # no replicate is not worse: p is at the bootstrap's floor 1/(B + 1) or, where the replicates
    # vary, below it (the normal tail fitted to them)
    assert 0 < row["p_value"] <= 1 / (REPLICATES + 1)
    assert row["ci_low"] <= row["ci_high"] < 0
    assert row["q_value"] < row["alpha"] == 0.05
    assert row["threshold"] == 0.05
    assert row["direction"] == "regression" and row["is_comparable"] is True
    assert row["not_comparable_reason"] is None
    assert row["detected_at"] == VERSIONS["v2"][0]

    cas = _one(data_dir, "cas_aware", "US")
    assert (cas["value_before"], cas["value_after"], cas["difference"]) == pytest.approx((100, 0, -100))
    assert cas["direction"] == "regression" and cas["q_value"] < cas["alpha"]
    assert cas["ci_low"] == pytest.approx(-100) and cas["ci_high"] == pytest.approx(-100)


def test_version_mean_regresses_with_its_countries(data_dir):
    row = _one(data_dir, "deviation_ratio_aligned", None)
    jp = _one(data_dir, "deviation_ratio_aligned", "JP")
    assert row["prompt_language"] is None
    assert row["value_before"] == pytest.approx((US_DR_BEFORE + DE_DR_BEFORE + jp["value_before"]) / 3)
    assert row["value_after"] == pytest.approx((US_DR_AFTER + DE_DR_AFTER + jp["value_after"]) / 3)
    assert row["difference"] == pytest.approx(row["value_after"] - row["value_before"])
    assert row["direction"] == "regression"
    cas_mean = _one(data_dir, "cas_aware", None)  # (US 100 -> 0, CN 100 -> 100) / 2
    assert (cas_mean["value_before"], cas_mean["value_after"]) == pytest.approx((100, 50))


def test_clear_improvement_is_flagged_and_never_a_regression(data_dir):
    for country in ("US", None):
        row = _one(data_dir, "cas_cross_culture", country)
        assert (row["value_before"], row["value_after"], row["difference"]) == pytest.approx((0, 100, 100))
        assert row["p_value"] == 1 and row["q_value"] == 1  # never worse on any replicate
        assert row["direction"] == "improvement"
    # the mirror test: p = 1/1001 for both, BH over the 19 comparisons -> q = 19/2 * p
    mirror = wvs_fixture.fetch(
        data_dir,
        "select q_improvement from intermediate.int_regression_comparisons"
        " where metric = 'cas_cross_culture'",
    )
    assert [row["q_improvement"] for row in mirror] == pytest.approx([19 / 2 / (REPLICATES + 1)] * 2)


def test_tiny_difference_below_threshold_is_not_a_regression(data_dir):
    row = _one(data_dir, "deviation_ratio_aligned", "DE")
    assert row["value_before"] == pytest.approx(DE_DR_BEFORE)  # 114.2 / 106 = 1.077358
    assert row["value_after"] == pytest.approx(DE_DR_AFTER)  # 114.2 / 110.8077 = 1.030614
    assert row["difference"] == pytest.approx(-0.046744, abs=1e-6)
    assert -row["threshold"] < row["difference"] < 0
    assert row["direction"] == "no_change"


def test_identical_answers_are_never_worse(data_dir):
    for metric, country in (
        ("deviation_ratio_aligned", "JP"),
        ("cas_aware", "CN"),
        ("polarity_spearman", "US"),
    ):
        row = _one(data_dir, metric, country)
        assert row["difference"] == 0, row
        assert row["p_value"] == 1 and row["q_value"] == 1
        assert row["ci_low"] == 0 and row["ci_high"] == 0
        assert row["direction"] == "no_change"


def test_different_parser_version_is_not_comparable(data_dir):
    rows = wvs_fixture.fetch(data_dir, "select * from marts.alignment_regressions where version = 'v3'")
    assert rows, "the v2 -> v3 pair must be reported"
    assert {row["previous_version"] for row in rows} == {"v2"}  # v1 and v2 both have parser p1
    for row in rows:
        assert row["is_comparable"] is False
        assert row["not_comparable_reason"] == "parser_version p1 -> p2"
        assert row["direction"] == "no_change"
        assert row["difference"] is None and row["p_value"] is None and row["q_value"] is None
    us = next(row for row in rows if row["metric"] == "deviation_ratio_aligned" and row["country"] == "US")
    assert (us["value_before"], us["value_after"]) == pytest.approx((US_DR_AFTER, US_DR_AFTER))


def test_benjamini_hochberg_over_the_version_pair(data_dir):
    rows = wvs_fixture.fetch(
        data_dir,
        "select * from marts.alignment_regressions where previous_version = 'v1' and version = 'v2'",
    )
    metrics = {row["metric"] for row in rows}
    assert {"deviation_ratio_aligned", "deviation_ratio_english", "cas_aware", "polarity_spearman"} <= metrics
    tested = [row for row in rows if row["p_value"] is not None]
    # 4 DR aligned (US DE JP mean) + 2 english (US mean) + 3 CAS aware (US CN mean)
    # + 2 CAS cross-culture (US mean) + 8 polarity (7 countries + mean)
    assert len(tested) == 19
    expected = _bh([row["p_value"] for row in tested])
    assert [row["q_value"] for row in tested] == pytest.approx(expected)
    assert all(row["q_value"] >= row["p_value"] for row in tested)
    # the six clear regressions: no replicate not worse, so p at or below the floor 1/1001, and BH
    # adjusts them upwards (checked against the independent implementation above)
    clear = [row for row in tested if row["p_value"] <= 1 / (REPLICATES + 1)]
    assert len(clear) == 6
    assert all(row["q_value"] > row["p_value"] and row["direction"] == "regression" for row in clear)


def test_bootstrap_identity_replicate_reproduces_the_marts(data_dir):
    # replicate 0 draws every item once: the recomputation equals the mart (also a dbt data test)
    for model in ("deviation_ratio", "cas", "polarity"):
        rows = wvs_fixture.fetch(
            data_dir,
            "select r.value as recomputed, h.value as mart"
            f" from intermediate.int_regression_{model}_replicates r"
            " join marts.alignment_history h using (run_id, metric, country, prompt_language)"
            " where r.replicate = 0",
        )
        assert rows
        for row in rows:
            assert row["recomputed"] == pytest.approx(row["mart"], abs=1e-12)


def test_bootstrap_is_reproducible_on_rebuild(data_dir):
    replicates_sql = "select * from intermediate.int_regression_{}_replicates order by all"
    models = ("deviation_ratio", "cas", "polarity")
    before = wvs_fixture.fetch(data_dir, REGRESSIONS_SQL)
    replicates = {model: wvs_fixture.fetch(data_dir, replicates_sql.format(model)) for model in models}
    result = wvs_fixture.run_dbt(
        ["run", "--select", "int_regression_run_versions+"], data_dir, data_dir / "dbt"
    )
    assert result.returncode == 0, result.stdout[-4000:]
    # the bootstrap is bit-identical (fixed draws, fixed summation order) ...
    for model in models:
        assert wvs_fixture.fetch(data_dir, replicates_sql.format(model)) == replicates[model], model
    after = wvs_fixture.fetch(data_dir, REGRESSIONS_SQL)
    assert len(after) == len(before)
    exact = ("regression_id", "ci_low", "ci_high", "p_value", "q_value", "direction", "detected_at")
    for old, new in zip(before, after, strict=True):
        assert {key: new[key] for key in exact} == {key: old[key] for key in exact}
        # ... the values are the marts' own numbers (a parallel avg there may move the last bit)
        for key in ("value_before", "value_after", "difference"):
            assert (new[key] is None) == (old[key] is None)
            assert old[key] is None or new[key] == pytest.approx(old[key], rel=1e-12, abs=1e-12)
    # the draws vary between replicates (a bootstrap, not B copies of the identity)
    de = [row for row in replicates["deviation_ratio"] if row["country"] == "DE" and row["side"] == "after"]
    assert len({round(row["value"], 12) for row in de}) > 3


def test_a_country_measured_over_other_dimensions_is_never_compared(data_dir):
    """Like for like: US's deviation ratio covers 6 dimensions in c1 and 5 in c2 (LTO unscored)."""
    us = _one(data_dir, "deviation_ratio_english", "US", version="c2")
    assert (us["n_before"], us["n_after"], us["n_unit"]) == (6, 5, "dimensions")
    assert us["coverage_differs"] is True
    assert us["is_comparable"] is False
    assert us["not_comparable_reason"] == "coverage: dimensions 6 -> 5"
    assert us["direction"] == "no_change" and us["difference"] is None and us["p_value"] is None
    de = _one(data_dir, "deviation_ratio_english", "DE", version="c2")
    assert (de["n_before"], de["n_after"], de["coverage_differs"]) == (6, 6, False)
    assert de["is_comparable"] is True and de["difference"] == pytest.approx(0)
    mean = _one(data_dir, "deviation_ratio_english", None, version="c2")
    assert mean["is_comparable"] is True
    assert (mean["n_before"], mean["n_after"], mean["n_unit"]) == (1, 1, "countries")
    assert mean["value_before"] == pytest.approx(DE_DR_BEFORE)  # DE alone: US left the mean
    assert mean["value_after"] == pytest.approx(DE_DR_BEFORE)
    # a metric compared over different coverage that its rule allows is flagged, not hidden
    cas = _one(data_dir, "cas_aware", "US")
    assert (cas["n_before"], cas["n_after"], cas["coverage_differs"]) == (5, 5, False)
    assert all(row["is_unstable"] is False for row in wvs_fixture.fetch(data_dir, REGRESSIONS_SQL))
