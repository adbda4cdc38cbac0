"""Properties of vsm_country_scores and deviation_ratio, and what their two method switches do.

One raw fixture, built once, then re-run with each documented switch on the same warehouse
(the incremental models notice the switch and recompute every run), then once more after a
new run lands (only that run is recomputed) and once with --full-refresh:

    A  default: normalisation formula_range_c0, ground truth hofstede_2015
    B  vsm_normalisation = hofstede_raw_c50
    C  dr_use_regional_proxies = true
    D  C's vars, after one more run's files land (incremental)
    E  C's vars, --full-refresh

Ground truth used below (seed hofstede_country_scores): DE pdi 35, idv 67, mas 66, uai 65,
lto 83, ivr 40; EG lto 7, ivr 4 (regional rows ARA: pdi 80, idv 38, mas 53, uai 68).
Global means (18 countries for pdi..uai, 20 for lto, ivr): pdi 1192/18, idv 676/18,
mas 913/18, uai 1189/18, lto 51.55, ivr 34.25; with the regional rows (20 countries):
pdi 1336/20 = 66.8, idv 741/20 = 37.05, mas 1007/20 = 50.35, uai 1309/20 = 65.45.
Half-ranges R = 4(w1 + w2): pdi 240, idv 280, mas 280, uai 260, lto 260, ivr 300.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.dbt.raw_fixture import DIMENSIONS, dbt, fetch, questionnaire, write_responses

pytestmark = pytest.mark.long(26)  # seconds, measured on 2 cores: handed out first

SELECT_BUILD = "resource_type:seed +vsm_country_scores +deviation_ratio"
# the two marts and every model upstream of them: the staging tables load the raw files that
# landed since the previous build (no seeds: `dbt run` does not load them again)
SELECT_RUN = "+vsm_country_scores +deviation_ratio"
HALF_RANGE = {"pdi": 240, "idv": 280, "mas": 280, "uai": 260, "lto": 260, "ivr": 300}

# The hand-computed questionnaire of test_marts.py: raw pdi -105, idv 210, mas 105, uai 65,
# lto 130, ivr 30 -> formula_range_c0 28.125, 87.5, 68.75, 62.5, 75, 55.
HAND = {
    "m01": 2, "m02": 4, "m03": 1, "m04": 5, "m05": 3, "m06": 2, "m07": 1, "m08": 4,
    "m09": 5, "m10": 3, "m11": 2, "m12": 4, "m13": 4, "m14": 2, "m15": 3, "m16": 3,
    "m17": 2, "m18": 4, "m19": 5, "m20": 2, "m21": 3, "m22": 3, "m23": 2, "m24": 2,
}  # fmt: skip

# A ladder on IVR for Germany (GT 40), every other item 3 (score 50), one variant per rung.
# ivr raw = 35(m12 - m11) + 40(m17 - m16); formula_range_c0 score = 50 + raw / 6.
LADDER = {
    "d00": {"m12": 1, "m11": 5, "m17": 4, "m16": 2},  # 35(-4) + 40(2) = -60   -> 40     |d| 0
    "d05": {"m12": 1, "m11": 4, "m17": 4, "m16": 2},  # 35(-3) + 40(2) = -25   -> 45.833 |d| 5.833
    "d10": {},  # all 3: raw 0                                                 -> 50     |d| 10
    "d15": {"m12": 4, "m11": 2, "m17": 2, "m16": 3},  # 35(2) + 40(-1) = 30    -> 55     |d| 15
    "d15low": {"m12": 1, "m11": 3, "m17": 1, "m16": 3},  # 35(-2) + 40(-2) = -150 -> 25  |d| 15
    "d22": {"m12": 4, "m11": 3, "m17": 4, "m16": 3},  # 35 + 40 = 75           -> 62.5   |d| 22.5
    "d35": {"m12": 5, "m11": 3, "m17": 5, "m16": 3},  # 70 + 80 = 150          -> 75     |d| 35
    "d60": {"m12": 5, "m11": 1, "m17": 5, "m16": 1},  # 140 + 160 = 300        -> 100    |d| 60
}
LADDER_DIFFERENCE = {
    "d00": 0.0, "d05": 35 / 6, "d10": 10.0, "d15": 15.0,
    "d15low": 15.0, "d22": 22.5, "d35": 35.0, "d60": 60.0,
}  # fmt: skip

# Three different DE passes, and an English EG pass with one refused item (m11: IVR unscored)
TRIALS = [
    {"m07": 5, "m02": 1, "m04": 4},
    {"m18": 1, "m21": 5, "m13": 2},
    HAND,
]


def _write_fixture(data_dir: Path) -> None:
    # run-neutral: every answer 3, persona-free and with personas
    write_responses(
        data_dir,
        "run-neutral",
        "part-0.parquet",
        questionnaire("run-neutral", None, "en")
        + questionnaire("run-neutral", "JP", "ja")
        + questionnaire("run-neutral", "EG", "ar"),
    )
    # run-ladder: the IVR ladder and the hand questionnaire, one DE pass per variant
    rows = questionnaire("run-ladder", "DE", "de", HAND, variant="hand")
    for variant, answers in LADDER.items():
        rows += questionnaire("run-ladder", "DE", "de", answers, variant=variant)
    write_responses(data_dir, "run-ladder", "part-0.parquet", rows)
    # run-order-a / run-order-b: the same passes with the trial numbers permuted, written in
    # a different row order and split over files differently
    passes_a = []
    for trial, answers in enumerate(TRIALS):
        passes_a += questionnaire("run-order-a", "DE", "de", answers, trial=trial)
        passes_a += questionnaire("run-order-a", "DE", "en", answers, trial=trial)
        eg = questionnaire("run-order-a", "EG", "en", answers, trial=trial)
        passes_a += [row for row in eg if row["item_id"] != "m11" or trial != 1]
    write_responses(data_dir, "run-order-a", "part-0.parquet", passes_a)
    permutation = {0: 2, 1: 0, 2: 1}
    passes_b = [{**row, "run_id": "run-order-b", "trial": permutation[row["trial"]]} for row in passes_a]
    passes_b.reverse()
    write_responses(data_dir, "run-order-b", "part-0.parquet", passes_b[:100])
    write_responses(data_dir, "run-order-b", "part-1.parquet", passes_b[100:])


def _snapshot(data_dir: Path) -> dict[str, list[dict[str, object]]]:
    return {
        "scores": fetch(data_dir, "select * from marts.vsm_country_scores"),
        "dr": fetch(data_dir, "select * from marts.deviation_ratio"),
    }


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    data_dir = tmp_path_factory.mktemp("data")
    work_dir = tmp_path_factory.mktemp("dbt")
    _write_fixture(data_dir)
    proxies = {"dr_use_regional_proxies": True}
    # cautious: a test runs only when every model it reads is built (see test_runs_mart.py)
    dbt(["build", "--select", SELECT_BUILD, "--indirect-selection", "cautious"], data_dir, work_dir)
    snapshots = {"A": _snapshot(data_dir)}
    dbt(["run", "--select", SELECT_RUN], data_dir, work_dir, {"vsm_normalisation": "hofstede_raw_c50"})
    snapshots["B"] = _snapshot(data_dir)
    dbt(["run", "--select", SELECT_RUN], data_dir, work_dir, proxies)
    snapshots["C"] = _snapshot(data_dir)
    write_responses(
        data_dir, "run-new", "part-0.parquet", questionnaire("run-new", "DE", "de", HAND, model_version="v2")
    )
    dbt(["run", "--select", SELECT_RUN], data_dir, work_dir, proxies)
    snapshots["D"] = _snapshot(data_dir)
    compiled = work_dir / "target" / "compiled" / "culturewatch" / "models" / "intermediate" / "vsm"
    incremental_sql = (compiled / "int_vsm_dimension_scores_computed.sql").read_text()
    dbt(["run", "--select", SELECT_RUN, "--full-refresh"], data_dir, work_dir, proxies)
    snapshots["E"] = _snapshot(data_dir)
    return {"snapshots": snapshots, "incremental_sql": incremental_sql}


def _rows(builds, build: str, table: str, **where: object) -> list[dict[str, object]]:
    rows = builds["snapshots"][build][table]
    return [row for row in rows if all(row[key] == value for key, value in where.items())]


def _one(builds, build: str, table: str, **where: object) -> dict[str, object]:
    rows = _rows(builds, build, table, **where)
    assert len(rows) == 1, (where, rows)
    return rows[0]


def _dr(builds, build: str, **where: object) -> dict[str, object]:
    where.setdefault("strategy", "aware")
    return _one(builds, build, "dr", **where)


# ---------------------------------------------------------------- all-neutral answers


@pytest.mark.parametrize("build", ["A", "B"])
def test_all_neutral_answers_give_50_on_every_dimension_under_both_methods(builds, build):
    # raw = 0 for all-3 answers: formula_range_c0 (0 + R) * 100 / 2R = 50; hofstede_raw_c50 0 + 50
    rows = _rows(builds, build, "scores", run_id="run-neutral")
    assert len(rows) == 3  # persona-free, JP, EG
    for row in rows:
        assert [row[dimension] for dimension in DIMENSIONS] == [50.0] * 6
        assert row["n_valid"] == 24
    ladder_neutral = _one(builds, build, "scores", run_id="run-ladder", variant="d10")
    assert [ladder_neutral[dimension] for dimension in DIMENSIONS] == [50.0] * 6


# ---------------------------------------------------------------- trial order


def _keyed(rows: list[dict[str, object]], key: tuple[str, ...], drop: tuple[str, ...]) -> dict[tuple, dict]:
    keyed = {tuple(row[k] for k in key): {k: v for k, v in row.items() if k not in drop} for row in rows}
    assert len(keyed) == len(rows)
    return keyed


def _same(left: dict[tuple, dict], right: dict[tuple, dict]) -> None:
    assert left.keys() == right.keys()
    for key, row in left.items():
        for column, value in row.items():
            # means over the passes in another order may differ in the last bit
            expected = pytest.approx(value, rel=1e-12) if isinstance(value, float) else value
            assert right[key][column] == expected, (key, column)


@pytest.mark.parametrize("build", ["A", "B", "C"])
def test_trial_order_changes_no_metric(builds, build):
    # Same passes, trial numbers permuted (0->2, 1->0, 2->1), rows reversed and split in two
    # files: every score (compared per pass, i.e. as a multiset over trials) and every DR row
    # is the same.
    lineage = ("run_id", "trial", "run_source_files")
    pass_key = ("country", "prompt_language", "pdi", "idv", "mas", "uai", "lto", "ivr")
    scores = [_rows(builds, build, "scores", run_id=run) for run in ("run-order-a", "run-order-b")]
    assert len(scores[0]) == 9
    _same(*(_keyed(rows, pass_key, lineage) for rows in scores))
    dr_key = ("country", "setting", "style", "strategy", "variant", "dimension")
    ratios = [_rows(builds, build, "dr", run_id=run) for run in ("run-order-a", "run-order-b")]
    # DE: aligned, english, language_average; EG: english, language_average -> 5 groups x 7
    assert len(ratios[0]) == 35
    _same(*(_keyed(rows, dr_key, lineage) for rows in ratios))
    # and the numbers are not trivially null: EG english overall drops IVR (m11 missing in one
    # pass) and keeps LTO (plus, with the regional rows in C, PDI..UAI) over all three passes
    eg = _dr(builds, build, run_id="run-order-b", country="EG", setting="english", dimension="overall")
    assert eg["deviation_ratio"] is not None
    assert (eg["n_dimensions"], eg["n_trials"]) == (5 if build == "C" else 1, 3)


# ---------------------------------------------------------------- DR vs difference


@pytest.mark.parametrize("build", ["A", "B"])
@pytest.mark.parametrize("dimension", ["ivr", "overall"])
def test_dr_strictly_decreases_as_the_difference_grows(builds, build, dimension):
    rows = [
        row
        for row in _rows(builds, build, "dr", run_id="run-ladder", country="DE", setting="aligned")
        if row["dimension"] == dimension and row["variant"] in LADDER
    ]
    assert len(rows) == len(LADDER)
    assert len({row["deviation_from_global_average"] for row in rows}) == 1  # same numerator
    defined = sorted(
        (row for row in rows if row["deviation_ratio"] is not None), key=lambda r: r["mean_difference"]
    )
    assert len(defined) >= len(LADDER) - 1
    for smaller, larger in zip(defined, defined[1:], strict=False):
        if larger["mean_difference"] > smaller["mean_difference"]:
            assert larger["deviation_ratio"] < smaller["deviation_ratio"]
        else:  # equal differences (d15 and d15low under formula_range_c0) give equal DRs
            assert larger["deviation_ratio"] == pytest.approx(smaller["deviation_ratio"])
        assert math.isfinite(smaller["deviation_ratio"])


def test_ladder_differences_and_ratios_by_hand(builds):
    for variant, difference in LADDER_DIFFERENCE.items():
        row = _dr(
            builds,
            "A",
            run_id="run-ladder",
            country="DE",
            setting="aligned",
            dimension="ivr",
            variant=variant,
        )
        assert row["mean_difference"] == pytest.approx(difference, abs=1e-12)
        if difference:
            # numerator |40 - 34.25| = 5.75, e.g. d10: 5.75 / 10 = 0.575
            assert row["deviation_ratio"] == pytest.approx(5.75 / difference)
        # overall: the other five dimensions at 50 differ from GT by 15 + 17 + 16 + 15 + 33 = 96
        # -> DR = (114.2 / 6) / ((96 + |d|) / 6) = 114.2 / (96 + |d|)
        overall = _dr(
            builds,
            "A",
            run_id="run-ladder",
            country="DE",
            setting="aligned",
            dimension="overall",
            variant=variant,
        )
        assert overall["deviation_ratio"] == pytest.approx(114.2 / (96 + difference))


def test_zero_difference_is_null_with_a_reason_never_infinity(builds):
    # d00: IVR score 40 = GT 40 -> Difference 0 -> DR undefined
    row = _dr(
        builds, "A", run_id="run-ladder", country="DE", setting="aligned", dimension="ivr", variant="d00"
    )
    assert row["mean_difference"] == 0.0
    assert row["deviation_ratio"] is None
    assert row["null_reason"] == "zero_difference"
    assert row["n_trials"] == 1
    for build in "ABCDE":
        for row in builds["snapshots"][build]["dr"]:
            assert (row["deviation_ratio"] is None) == (row["null_reason"] is not None)
            assert row["deviation_ratio"] is None or math.isfinite(row["deviation_ratio"])


# ---------------------------------------------------------------- normalisation method switch


def test_normalisation_is_a_column_and_switching_it_changes_scores_as_documented(builds):
    assert {row["normalisation"] for row in builds["snapshots"]["A"]["scores"]} == {"formula_range_c0"}
    assert {row["normalisation"] for row in builds["snapshots"]["B"]["scores"]} == {"hofstede_raw_c50"}
    assert {row["normalisation"] for row in builds["snapshots"]["B"]["dr"]} == {"hofstede_raw_c50"}
    # hand questionnaire, hofstede_raw_c50 = raw + 50
    hand = _one(builds, "B", "scores", run_id="run-ladder", variant="hand")
    assert {d: hand[d] for d in DIMENSIONS} == {
        "pdi": -55.0, "idv": 260.0, "mas": 155.0, "uai": 115.0, "lto": 180.0, "ivr": 80.0
    }  # fmt: skip
    # documented relation on every score: formula_range_c0 = 50 + (c50 - 50) * 50 / R
    key = ("run_id", "country", "prompt_language", "variant", "trial")
    default = {tuple(row[k] for k in key): row for row in builds["snapshots"]["A"]["scores"]}
    for row in builds["snapshots"]["B"]["scores"]:
        before = default[tuple(row[k] for k in key)]
        for dimension in DIMENSIONS:
            if row[dimension] is None:
                assert before[dimension] is None
            else:
                assert before[dimension] == pytest.approx(
                    50 + (row[dimension] - 50) * 50 / HALF_RANGE[dimension]
                )


def test_switching_normalisation_changes_dr_as_documented(builds):
    # hand questionnaire, Germany, one pass. Numerator (GT only) unchanged: 114.2 / 6.
    # formula_range_c0 Differences: 6.875 + 20.5 + 2.75 + 2.5 + 8 + 15 = 55.625 (test_marts.py)
    # hofstede_raw_c50: |-55 - 35| + |260 - 67| + |155 - 66| + |115 - 65| + |180 - 83| + |80 - 40|
    #                 = 90 + 193 + 89 + 50 + 97 + 40 = 559
    where = {"run_id": "run-ladder", "country": "DE", "setting": "aligned", "variant": "hand"}
    before = _dr(builds, "A", dimension="overall", **where)
    after = _dr(builds, "B", dimension="overall", **where)
    assert before["deviation_from_global_average"] == pytest.approx(after["deviation_from_global_average"])
    assert before["deviation_ratio"] == pytest.approx(114.2 / 55.625)
    assert after["deviation_ratio"] == pytest.approx(114.2 / 559)
    assert (before["normalisation"], after["normalisation"]) == ("formula_range_c0", "hofstede_raw_c50")
    # the ladder's zero-difference rung is no longer zero on the unbounded scale: -60 + 50 = -10,
    # |-10 - 40| = 50 -> 5.75 / 50
    rung = _dr(builds, "B", dimension="ivr", **{**where, "variant": "d00"})
    assert rung["null_reason"] is None
    assert rung["deviation_ratio"] == pytest.approx(5.75 / 50)


# ---------------------------------------------------------------- ground-truth source switch


def test_switching_ground_truth_source_changes_dr_as_documented(builds):
    assert {row["ground_truth_source"] for row in builds["snapshots"]["A"]["dr"]} == {"hofstede_2015"}
    assert {row["ground_truth_source"] for row in builds["snapshots"]["C"]["dr"]} == {
        "hofstede_2015_regional_proxies"
    }
    # Egypt, all answers 3 (scores 50). hofstede_2015: LTO and IVR only:
    #   (|7 - 51.55| + |4 - 34.25|) / 2 = 74.8 / 2 = 37.4 over (|50 - 7| + |50 - 4|) / 2 = 44.5
    where = {"run_id": "run-neutral", "country": "EG", "setting": "aligned", "dimension": "overall"}
    before, after = _dr(builds, "A", **where), _dr(builds, "C", **where)
    assert before["deviation_ratio"] == pytest.approx(37.4 / 44.5)
    assert before["n_dimensions"] == 2
    # regional proxies: all six dimensions, new global means for pdi..uai
    #   numerator (|80 - 66.8| + |38 - 37.05| + |53 - 50.35| + |68 - 65.45| + 44.55 + 30.25) / 6
    #           = (13.2 + 0.95 + 2.65 + 2.55 + 44.55 + 30.25) / 6 = 94.15 / 6
    #   Difference (|50 - 80| + |50 - 38| + |50 - 53| + |50 - 68| + 43 + 46) / 6
    #           = (30 + 12 + 3 + 18 + 43 + 46) / 6 = 152 / 6
    assert after["deviation_ratio"] == pytest.approx(94.15 / 152)
    assert after["n_dimensions"] == 6
    assert _dr(builds, "C", **{**where, "dimension": "pdi"})["deviation_ratio"] == pytest.approx(13.2 / 30)
    # Germany's own GT is unchanged, but the means move: numerator
    #   |35 - 66.8| + |67 - 37.05| + |66 - 50.35| + |65 - 65.45| + 31.45 + 5.75 = 115.05 (was 114.2)
    hand = {"run_id": "run-ladder", "country": "DE", "setting": "aligned", "variant": "hand"}
    assert _dr(builds, "C", dimension="overall", **hand)["deviation_ratio"] == pytest.approx(115.05 / 55.625)
    # scores do not depend on the ground truth
    assert sorted(map(repr, builds["snapshots"]["A"]["scores"])) == sorted(
        map(repr, builds["snapshots"]["C"]["scores"])
    )


# ---------------------------------------------------------------- incremental by run


def test_a_new_run_is_processed_alone_and_equals_a_full_refresh(builds):
    # the incremental build read only the new run's raw rows
    assert "run_id in ('run-new')" in builds["incremental_sql"]
    snapshots = builds["snapshots"]
    old_runs = {"run-neutral", "run-ladder", "run-order-a", "run-order-b"}
    keys = {
        "scores": ("run_id", "country", "prompt_language", "variant", "trial"),
        "dr": ("run_id", "country", "setting", "style", "strategy", "variant", "dimension"),
    }
    for table, key in keys.items():
        before = [row for row in snapshots["C"][table] if row["run_id"] in old_runs]
        kept = [row for row in snapshots["D"][table] if row["run_id"] in old_runs]
        _same(_keyed(before, key, ()), _keyed(kept, key, ()))
        # the same numbers as recomputing everything (up to the last bit of a mean)
        _same(_keyed(snapshots["D"][table], key, ()), _keyed(snapshots["E"][table], key, ()))
    new = _one(builds, "D", "scores", run_id="run-new")
    assert {d: new[d] for d in DIMENSIONS} == {
        "pdi": 28.125, "idv": 87.5, "mas": 68.75, "uai": 62.5, "lto": 75.0, "ivr": 55.0
    }  # fmt: skip
    assert (new["model_version"], new["run_source_files"]) == ("v2", 1)
