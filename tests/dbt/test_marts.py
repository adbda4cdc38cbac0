"""The dbt marts against a hand-made raw fixture: one `dbt build`, every number worked by hand.

The fixture is one probe run written the way the probe writes it (Parquet with the one Arrow
schema, hive-partitioned by run_id, two part files). Ground truth is the real seed
(Hofstede 2015). Means over the seed used below, from hofstede_country_scores.csv:
    pdi 1192 / 18, idv 676 / 18, mas 913 / 18, uai 1189 / 18  (Egypt, Tanzania have none)
    lto 1031 / 20 = 51.55, ivr 685 / 20 = 34.25
Score ranges (formula_range_c0): score = (raw + R) * 100 / 2R with R = (w1 + w2) * 4:
    pdi R = 240, idv 280, mas 280, uai 260, lto 260, ivr 300.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from culturewatch.storage.schema import RAW_RESPONSE_SCHEMA, RUN_EVENT_SCHEMA
from tests.dbt import raw_fixture

pytestmark = pytest.mark.long(35)  # seconds, measured on 2 cores: handed out first

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

RUN_ID = "run-fixture-1"
MODEL, MODEL_VERSION = raw_fixture.MODEL, raw_fixture.MODEL_VERSION
ITEMS = [f"m{number:02d}" for number in range(1, 25)]
DIMENSIONS = ("pdi", "idv", "mas", "uai", "lto", "ivr")
REQUESTED_AT = raw_fixture.REQUESTED_AT

# Global means of the seed (see module docstring).
MEAN = {
    "pdi": 1192 / 18,
    "idv": 676 / 18,
    "mas": 913 / 18,
    "uai": 1189 / 18,
    "lto": 51.55,
    "ivr": 34.25,
}

# A hand-computed questionnaire (the same as the dbt unit test):
#   pdi = 35(m07 - m02) + 25(m20 - m23) = 35(1 - 4) + 25(2 - 2) = -105 -> 135 * 100 / 480 = 28.125
#   idv = 35(m04 - m01) + 35(m09 - m06) = 35 * 3 + 35 * 3 = 210      -> 490 * 100 / 560 = 87.5
#   mas = 35(m05 - m03) + 35(m08 - m10) = 35 * 2 + 35 * 1 = 105      -> 385 * 100 / 560 = 68.75
#   uai = 40(m18 - m15) + 25(m21 - m24) = 40 * 1 + 25 * 1 = 65       -> 325 * 100 / 520 = 62.5
#   lto = 40(m13 - m14) + 25(m19 - m22) = 40 * 2 + 25 * 2 = 130      -> 390 * 100 / 520 = 75
#   ivr = 35(m12 - m11) + 40(m17 - m16) = 35 * 2 + 40 * (-1) = 30    -> 330 * 100 / 600 = 55
HAND_ANSWERS = {
    "m01": 2, "m02": 4, "m03": 1, "m04": 5, "m05": 3, "m06": 2, "m07": 1, "m08": 4,
    "m09": 5, "m10": 3, "m11": 2, "m12": 4, "m13": 4, "m14": 2, "m15": 3, "m16": 3,
    "m17": 2, "m18": 4, "m19": 5, "m20": 2, "m21": 3, "m22": 3, "m23": 2, "m24": 2,
}  # fmt: skip
HAND_SCORES = {"pdi": 28.125, "idv": 87.5, "mas": 68.75, "uai": 62.5, "lto": 75.0, "ivr": 55.0}

# Pakistan: IVR at its minimum, ivr = 35(1 - 5) + 40(1 - 5) = -300 -> 0 * 100 / 600 = 0,
# which equals Pakistan's ground truth IVR 0; MAS 50 (all 3) equals its ground truth MAS 50.
PK_ANSWERS = {"m11": 5, "m12": 1, "m16": 5, "m17": 1}

# Japan: one item refused in each dimension (pdi m02, idv m01, mas m03, uai m15, lto m13,
# ivr m11) -> 18 valid answers but every dimension null.
JP_REFUSED = ("m01", "m02", "m03", "m11", "m13", "m15")


def _response(
    country: str | None,
    language: str,
    trial: int,
    item_id: str,
    answer: float | None,
    *,
    status: str = "ok",
    strategy: str = "aware",
    instrument: str = "vsm2013",
) -> dict[str, object]:
    return raw_fixture.response(
        RUN_ID,
        country,
        language,
        item_id,
        answer,
        trial=trial,
        strategy=strategy,
        instrument=instrument,
        prompt=f"{instrument} {item_id} for {country} in {language}",
        parse_status=status,
        seed=7,
        latency_ms=1.0,
    )


def _questionnaire(
    country: str | None,
    language: str,
    trial: int = 0,
    answers: dict[str, float] | None = None,
    refused: tuple[str, ...] = (),
    strategy: str = "aware",
) -> list[dict[str, object]]:
    """All 24 items answered 3 unless `answers` says otherwise; `refused` items get no answer."""
    answers = answers or {}
    return [
        _response(country, language, trial, item, None, status="refusal", strategy=strategy)
        if item in refused
        else _response(country, language, trial, item, answers.get(item, 3), strategy=strategy)
        for item in ITEMS
    ]


def _write_fixture(data_dir: Path) -> None:
    first_batch = (
        _questionnaire("US", "en", trial=0)
        + _questionnaire("US", "en", trial=1)
        + _questionnaire(None, "en", strategy="unaware")
        + _questionnaire("DE", "de", answers=HAND_ANSWERS)
        + [_response("US", "en", 0, "Q1", 2, instrument="wvs_culturespa")]
    )
    second_batch = (
        _questionnaire("EG", "ar")
        + _questionnaire("EG", "en")
        + _questionnaire("PK", "ur", answers=PK_ANSWERS)
        + _questionnaire("FR", "fr", refused=("m02",))
        + _questionnaire("JP", "ja", refused=JP_REFUSED)
    )
    run_dir = data_dir / "raw" / "responses" / f"run_id={RUN_ID}"
    run_dir.mkdir(parents=True)
    for number, rows in enumerate((first_batch, second_batch)):
        table = pa.Table.from_pylist(rows, schema=RAW_RESPONSE_SCHEMA)
        pq.write_table(table, run_dir / f"part-{number}.parquet")

    events_dir = data_dir / "raw" / "runs" / f"run_id={RUN_ID}"
    events_dir.mkdir(parents=True)
    event = {
        "run_id": RUN_ID,
        "model": MODEL,
        "model_version": MODEL_VERSION,
        "base_url": "http://localhost:0/v1",
        "prompt_language": None,
        "cells_planned": 217,
        "requests_sent": 217,
        "prompt_tokens": 2170,
        "completion_tokens": 434,
        "recorded_at": REQUESTED_AT,
        "message": None,
    }
    events = [
        {**event, "event": "started", "cells_answered": 0},
        {**event, "event": "completed", "cells_answered": 217},
    ]
    pq.write_table(pa.Table.from_pylist(events, schema=RUN_EVENT_SCHEMA), events_dir / "part-0.parquet")


def _dbt(command: str, data_dir: Path, work_dir: Path, scan: bool = True) -> subprocess.CompletedProcess[str]:
    return raw_fixture.run_dbt([command], data_dir, work_dir, scan=scan)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    data_dir = tmp_path_factory.mktemp("data")
    _write_fixture(data_dir)
    result = _dbt("build", data_dir, tmp_path_factory.mktemp("dbt"))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    connection = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    yield connection
    connection.close()


def _scores(warehouse: duckdb.DuckDBPyConnection, where: str) -> list[dict[str, object]]:
    cursor = warehouse.execute(f"select * from marts.vsm_country_scores where {where}")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _dr(
    warehouse: duckdb.DuckDBPyConnection,
    country: str,
    setting: str,
    dimension: str,
    strategy: str = "aware",
) -> dict[str, object]:
    cursor = warehouse.execute(
        """
        select * from marts.deviation_ratio
        where country = ? and setting = ? and dimension = ? and strategy = ?
        """,
        [country, setting, dimension, strategy],
    )
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert len(rows) == 1, rows
    return rows[0]


# ---------------------------------------------------------------- vsm_country_scores


def test_one_row_per_vsm_pass_and_other_instruments_ignored(warehouse):
    # 9 questionnaires: US en t0, t1; persona-free en; DE; EG ar, en; PK; FR; JP.
    # The WVS row adds none.
    assert warehouse.execute("select count(*) from marts.vsm_country_scores").fetchone() == (9,)


def test_neutral_answers_score_exactly_50(warehouse):
    # all 3 -> raw 0 -> (0 + R) * 100 / 2R = 50 on every dimension
    rows = _scores(warehouse, "country in ('US', 'EG') or country is null")
    assert len(rows) == 5  # US t0, US t1, EG ar, EG en, persona-free
    for row in rows:
        assert [row[dimension] for dimension in DIMENSIONS] == [50.0] * 6
        assert (row["n_valid"], row["n_items_expected"]) == (24, 24)
        assert row["normalisation"] == "formula_range_c0"
        assert (row["model"], row["model_version"]) == (MODEL, MODEL_VERSION)


def test_hand_computed_scores(warehouse):
    (row,) = _scores(warehouse, "country = 'DE'")
    assert {dimension: row[dimension] for dimension in DIMENSIONS} == HAND_SCORES


def test_extreme_answers_reach_the_end_of_the_range(warehouse):
    (row,) = _scores(warehouse, "country = 'PK'")
    assert row["ivr"] == 0.0
    assert [row[dimension] for dimension in DIMENSIONS[:5]] == [50.0] * 5


def test_missing_item_makes_its_dimension_null(warehouse):
    # m02 refused -> PDI (m07, m02, m20, m23) is null; 23 valid items
    (row,) = _scores(warehouse, "country = 'FR'")
    assert row["pdi"] is None
    assert [row[dimension] for dimension in DIMENSIONS[1:]] == [50.0] * 5
    assert row["n_valid"] == 23


def test_one_missing_item_per_dimension_nulls_every_dimension(warehouse):
    (row,) = _scores(warehouse, "country = 'JP'")
    assert [row[dimension] for dimension in DIMENSIONS] == [None] * 6
    assert row["n_valid"] == 18


# ---------------------------------------------------------------- deviation_ratio


def test_every_group_has_overall_and_six_dimensions(warehouse):
    counts = warehouse.execute(
        """
        select distinct count(*) from marts.deviation_ratio
        group by run_id, country, setting, style, strategy, variant
        """
    ).fetchall()
    assert counts == [(7,)]


def test_settings_follow_the_prompt_language(warehouse):
    settings = warehouse.execute(
        """
        select country, list(distinct setting order by setting)
        from marts.deviation_ratio where strategy = 'aware'
        group by country order by country
        """
    ).fetchall()
    # US prompted in English: aligned and english; EG in Arabic (aligned) and English;
    # nothing was asked in Chinese; every country has language_average.
    assert settings == [
        ("DE", ["aligned", "language_average"]),
        ("EG", ["aligned", "english", "language_average"]),
        ("FR", ["aligned", "language_average"]),
        ("JP", ["aligned", "language_average"]),
        ("PK", ["aligned", "language_average"]),
        ("US", ["aligned", "english", "language_average"]),
    ]


def test_hand_computed_dr_overall(warehouse):
    # DE ground truth: pdi 35, idv 67, mas 66, uai 65, lto 83, ivr 40.
    # numerator = mean |GT - mean_c GT|:
    #   |35 - 66.222| = 31.222, |67 - 37.556| = 29.444, |66 - 50.722| = 15.278,
    #   |65 - 66.056| = 1.056, |83 - 51.55| = 31.45, |40 - 34.25| = 5.75 -> sum 114.2, / 6
    numerator = (
        (1192 / 18 - 35) + (67 - 676 / 18) + (66 - 913 / 18) + (1189 / 18 - 65)
        + (83 - 51.55) + (40 - 34.25)
    ) / 6  # fmt: skip
    assert numerator == pytest.approx(114.2 / 6)
    # one trial: |28.125 - 35| + |87.5 - 67| + |68.75 - 66| + |62.5 - 65| + |75 - 83| + |55 - 40|
    #          = 6.875 + 20.5 + 2.75 + 2.5 + 8 + 15 = 55.625, / 6
    denominator = 55.625 / 6
    row = _dr(warehouse, "DE", "aligned", "overall")
    assert row["deviation_from_global_average"] == pytest.approx(numerator)
    assert row["mean_difference"] == pytest.approx(denominator)
    assert row["deviation_ratio"] == pytest.approx(114.2 / 55.625)  # 2.0530...
    assert (row["n_trials"], row["n_prompt_languages"], row["n_dimensions"]) == (1, 1, 6)
    assert row["null_reason"] is None
    assert row["ground_truth_source"] == "hofstede_2015"
    assert row["normalisation"] == "formula_range_c0"
    # per dimension, e.g. IVR: |40 - 34.25| / |55 - 40| = 5.75 / 15
    assert _dr(warehouse, "DE", "aligned", "ivr")["deviation_ratio"] == pytest.approx(5.75 / 15)


def test_dr_averages_the_denominator_over_trials(warehouse):
    # US (GT pdi 40, idv 91, mas 62, uai 46, lto 26, ivr 68), two all-3 trials in English.
    # numerator: (66.222 - 40) + (91 - 37.556) + (62 - 50.722) + (66.056 - 46) + (51.55 - 26)
    #            + (68 - 34.25), / 6
    numerator = (
        (1192 / 18 - 40) + (91 - 676 / 18) + (62 - 913 / 18) + (1189 / 18 - 46)
        + (51.55 - 26) + (68 - 34.25)
    ) / 6  # fmt: skip
    # each trial: |50 - 40| + |50 - 91| + |50 - 62| + |50 - 46| + |50 - 26| + |50 - 68|
    #           = 10 + 41 + 12 + 4 + 24 + 18 = 109, / 6; the mean of two equal trials is the same
    for setting in ("aligned", "english", "language_average"):
        row = _dr(warehouse, "US", setting, "overall")
        assert row["deviation_ratio"] == pytest.approx(numerator / (109 / 6))
        assert row["n_trials"] == 2


def test_egypt_uses_only_lto_and_ivr(warehouse):
    # numerator: (|7 - 51.55| + |4 - 34.25|) / 2 = (44.55 + 30.25) / 2 = 37.4
    # denominator (all 3 -> 50): (|50 - 7| + |50 - 4|) / 2 = (43 + 46) / 2 = 44.5
    for setting in ("aligned", "english"):
        row = _dr(warehouse, "EG", setting, "overall")
        assert row["deviation_ratio"] == pytest.approx(37.4 / 44.5)  # 0.8404...
        assert (row["n_dimensions"], row["n_trials"], row["n_prompt_languages"]) == (2, 1, 1)
    # language_average pools the Arabic and the English pass: same Differences, 2 trials
    pooled = _dr(warehouse, "EG", "language_average", "overall")
    assert pooled["deviation_ratio"] == pytest.approx(37.4 / 44.5)
    assert (pooled["n_trials"], pooled["n_prompt_languages"]) == (2, 2)
    # the dimensions without ground truth are rows with a reason
    for dimension in ("pdi", "idv", "mas", "uai"):
        row = _dr(warehouse, "EG", "aligned", dimension)
        assert row["deviation_ratio"] is None
        assert row["null_reason"] == "no_ground_truth"
        assert row["n_dimensions"] == 0
    # LTO alone: |7 - 51.55| / |50 - 7| = 44.55 / 43
    assert _dr(warehouse, "EG", "aligned", "lto")["deviation_ratio"] == pytest.approx(44.55 / 43)


def test_zero_difference_gives_null_with_reason(warehouse):
    # PK: MAS 50 = GT 50 and IVR 0 = GT 0 -> denominators exactly 0 -> DR undefined
    for dimension in ("mas", "ivr"):
        row = _dr(warehouse, "PK", "aligned", dimension)
        assert row["deviation_ratio"] is None
        assert row["null_reason"] == "zero_difference"
        assert row["mean_difference"] == 0.0
        assert row["n_trials"] == 1
    # overall is still defined.
    # numerator: (66.222 - 55) + (37.556 - 14) + (50.722 - 50) + (70 - 66.056) + (51.55 - 50)
    #            + (34.25 - 0) = 75.244, / 6
    # denominator: |50 - 55| + |50 - 14| + |50 - 50| + |50 - 70| + |50 - 50| + |0 - 0| = 61, / 6
    numerator = (
        (1192 / 18 - 55) + (676 / 18 - 14) + (913 / 18 - 50) + (70 - 1189 / 18)
        + (51.55 - 50) + 34.25
    )  # fmt: skip
    assert _dr(warehouse, "PK", "aligned", "overall")["deviation_ratio"] == pytest.approx(numerator / 61)


def test_overall_drops_an_unscored_dimension_not_the_trial(warehouse):
    # FR (GT pdi 68, idv 71, mas 43, uai 86, lto 63, ivr 48): m02 refused -> PDI unscored in
    # the only pass; overall uses the 5 other dimensions, still over that pass.
    # numerator: |71 - 37.556| + |43 - 50.722| + |86 - 66.056| + |63 - 51.55| + |48 - 34.25|
    #          = 33.444 + 7.722 + 19.944 + 11.45 + 13.75 = 86.311, / 5 = 17.262
    numerator = (
        (71 - 676 / 18) + (913 / 18 - 43) + (86 - 1189 / 18) + (63 - 51.55) + (48 - 34.25)
    ) / 5  # fmt: skip
    assert numerator == pytest.approx(86.3111 / 5, abs=1e-4)
    # denominator (all 3 -> 50): |50 - 71| + |50 - 43| + |50 - 86| + |50 - 63| + |50 - 48|
    #                          = 21 + 7 + 36 + 13 + 2 = 79, / 5 = 15.8
    # DR = 86.311 / 79 = 1.0926
    for setting in ("aligned", "language_average"):
        row = _dr(warehouse, "FR", setting, "overall")
        assert row["deviation_from_global_average"] == pytest.approx(numerator)
        assert row["mean_difference"] == pytest.approx(15.8)
        assert row["deviation_ratio"] == pytest.approx(numerator / 15.8)
        assert row["deviation_ratio"] == pytest.approx(1.0926, abs=1e-4)
        assert (row["n_dimensions"], row["n_trials"], row["n_prompt_languages"]) == (5, 1, 1)
        assert row["null_reason"] is None
    # PDI alone has no scored pass: |68 - 66.222| = 1.778 over nothing
    row = _dr(warehouse, "FR", "aligned", "pdi")
    assert row["deviation_ratio"] is None
    assert row["null_reason"] == "no_scored_trial"
    assert row["deviation_from_global_average"] == pytest.approx(68 - 1192 / 18)
    assert (row["n_trials"], row["n_dimensions"]) == (0, 1)
    # IDV is defined: |71 - 37.556| / |50 - 71| = 33.444 / 21
    row = _dr(warehouse, "FR", "aligned", "idv")
    assert row["deviation_ratio"] == pytest.approx((71 - 676 / 18) / 21)


def test_no_dimension_scored_in_every_pass_gives_no_scored_dimension(warehouse):
    # JP: one item refused in each dimension -> no dimension with ground truth is scored
    for setting in ("aligned", "language_average"):
        row = _dr(warehouse, "JP", setting, "overall")
        assert row["deviation_ratio"] is None
        assert row["null_reason"] == "no_scored_dimension"
        assert row["deviation_from_global_average"] is None
        assert row["mean_difference"] is None
        assert (row["n_dimensions"], row["n_trials"], row["n_prompt_languages"]) == (0, 0, 0)
    # every dimension has ground truth (numerator kept) but no scored pass
    for dimension in DIMENSIONS:
        row = _dr(warehouse, "JP", "aligned", dimension)
        assert row["deviation_ratio"] is None
        assert row["null_reason"] == "no_scored_trial"
        assert row["deviation_from_global_average"] is not None
        assert (row["n_dimensions"], row["n_trials"]) == (1, 0)
    # the persona-free pass, scored against JP, is complete: JP overall is defined there
    unaware = _dr(warehouse, "JP", "language_average", "overall", strategy="unaware")
    assert unaware["null_reason"] is None
    assert unaware["n_dimensions"] == 6


def test_persona_free_pass_is_scored_against_every_country(warehouse):
    countries = warehouse.execute(
        "select count(distinct country) from marts.deviation_ratio where strategy = 'unaware'"
    ).fetchone()
    assert countries == (20,)
    # the persona-free English pass is all 3, like the US persona trials
    unaware = _dr(warehouse, "US", "english", "overall", strategy="unaware")
    aware = _dr(warehouse, "US", "english", "overall")
    assert unaware["deviation_ratio"] == pytest.approx(aware["deviation_ratio"])
    assert unaware["n_trials"] == 1


def test_null_iff_reason_and_positive(warehouse):
    assert warehouse.execute(
        """
        select count(*) from marts.deviation_ratio
        where (deviation_ratio is null) != (null_reason is not null) or deviation_ratio <= 0
        """
    ).fetchone() == (0,)


# ---------------------------------------------------------------- parse without data


def test_parse_needs_no_data(tmp_path):
    data_dir = tmp_path / "empty"
    data_dir.mkdir()
    result = _dbt("parse", data_dir, tmp_path, scan=False)
    assert result.returncode == 0, result.stdout[-4000:]
    assert not any(data_dir.iterdir())  # no warehouse created, nothing read
