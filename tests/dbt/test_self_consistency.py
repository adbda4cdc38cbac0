"""self_consistency for VSM 2013 against a hand-made raw fixture (one `dbt build`).

The fixture has no wvs_polarity run, hence no `raw/judgements/` folder at all: the build must
still work (stg_raw__judgements reads an empty relation). Polarity self-consistency is tested
in test_wvs_marts.py, whose fixture has judgements.

Answer vectors over m01..m24 (1..5 scale):
    BASE   m01..m12 = 2, m13..m24 = 4             (mean 3, deviations -1 / +1, sum dx^2 = 24)
    FLIP4  BASE with m01, m02 -> 4 and m13, m14 -> 2
           deviations still +-1 (sum dy^2 = 24); 20 items agree (+1), 4 disagree (-1)
           r(BASE, FLIP4) = (20 - 4) / 24 = 2/3
    REVERSED = 6 - BASE  (r(BASE, REVERSED) = -1)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbt.raw_fixture import assert_same_rows
from tests.dbt.wvs_fixture import build, fetch, response, write_fixture

RUN = "run-sc-1"
SHUFFLED = "run-sc-2-shuffled"  # RUN's rows with trial labels permuted and in reverse order
ITEMS = [f"m{number:02d}" for number in range(1, 25)]
BASE = {item: 2 if number < 12 else 4 for number, item in enumerate(ITEMS)}
FLIP4 = {**BASE, "m01": 4, "m02": 4, "m13": 2, "m14": 2}
REVERSED = {item: 6 - answer for item, answer in BASE.items()}
CONSTANT = dict.fromkeys(ITEMS, 3)


def _pass(run_id, country, language, answers, *, trial=0, variant="base", temperature=0.7, refused=()):
    return [
        response(
            run_id,
            "vsm2013",
            item,
            country=country,
            strategy="aware",
            language=language,
            trial=trial,
            variant=variant,
            temperature=temperature,
            answer=None if item in refused else float(answer),
            status="refusal" if item in refused else "ok",
        )
        for item, answer in answers.items()
    ]


def _rows(run_id: str, trial_label=lambda trial: trial) -> list[dict[str, object]]:
    return [
        # US: three sampled trials BASE, BASE, REVERSED -> pairs 1, -1, -1; and a reversed_options
        # variant answering BASE
        *_pass(run_id, "US", "en", BASE, trial=trial_label(0)),
        *_pass(run_id, "US", "en", BASE, trial=trial_label(1)),
        *_pass(run_id, "US", "en", REVERSED, trial=trial_label(2)),
        *_pass(run_id, "US", "en", BASE, variant="reversed_options", trial=trial_label(0)),
        # DE: two sampled trials BASE, FLIP4 (m24 refused in the second: 23 common items)
        *_pass(run_id, "DE", "de", BASE, trial=trial_label(0)),
        *_pass(run_id, "DE", "de", FLIP4, trial=trial_label(1), refused=("m24",)),
        # JP: two trials at temperature 0 (identical by construction)
        *_pass(run_id, "JP", "ja", BASE, trial=trial_label(0), temperature=0.0),
        *_pass(run_id, "JP", "ja", BASE, trial=trial_label(1), temperature=0.0),
        # FR: sampled, but one trial answers 3 everywhere (a constant vector)
        *_pass(run_id, "FR", "fr", CONSTANT, trial=trial_label(0)),
        *_pass(run_id, "FR", "fr", BASE, trial=trial_label(1)),
        # PK: a single trial
        *_pass(run_id, "PK", "ur", BASE, trial=trial_label(0)),
    ]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("data")
    permuted = {0: 2, 1: 0, 2: 1}
    write_fixture(data, _rows(RUN) + _rows(SHUFFLED, permuted.__getitem__)[::-1])
    assert not (data / "raw" / "judgements").exists()
    build(data, tmp_path_factory.mktemp("dbt"))
    yield data


def _row(data_dir: Path, country: str, basis: str) -> dict[str, object]:
    # basis trials: the `base` variant's trials; basis variants: variant is null
    rows = fetch(
        data_dir,
        """select * from marts.self_consistency
        where run_id = ? and country = ? and basis = ? and variant is not distinct from ?""",
        [RUN, country, basis, "base" if basis == "trials" else None],
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_build_works_without_judgement_files(data_dir):
    assert fetch(data_dir, "select count(*) as n from staging.stg_raw__judgements") == [{"n": 0}]
    assert fetch(data_dir, "select count(*) as n from marts.value_polarity_alignment") == [{"n": 0}]


def test_mean_pairwise_pearson_between_trials(data_dir):
    # pairs (t0, t1) = r(BASE, BASE) = 1, (t0, t2) = (t1, t2) = r(BASE, 6 - BASE) = -1
    # mean = (1 - 1 - 1) / 3 = -1/3
    row = _row(data_dir, "US", "trials")
    assert row["self_consistency"] == pytest.approx(-1 / 3)
    assert (row["instrument"], row["variant"], row["method"]) == ("vsm2013", "base", "mean_pairwise_pearson")
    assert (row["n_units"], row["n_pairs"], row["n_pairs_undefined"]) == (3, 3, 0)
    assert row["min_points_per_pair"] == 24
    assert (row["null_reason"], row["max_temperature"], row["human_reference"]) == (None, 0.7, None)


def test_pearson_hand_computed_on_common_items(data_dir):
    # DE: m24 refused in trial 1 -> the pair uses the 23 common items m01..m23.
    # x: twos at m01..m12 (12), fours at m13..m23 (11); y: twos at m03..m14 (12), fours at
    #   m01, m02, m15..m23 (11). Both have mean (12*2 + 11*4) / 23 = 68/23 and the same spread:
    #   sum dx^2 = sum dy^2 = 12 * (2 - 68/23)^2 + 11 * (4 - 68/23)^2 = 12 * (22/23)^2 + 11 * (24/23)^2
    #   = (5808 + 6336) / 529 = 12144 / 529
    #   sum dxdy: both two (m03..m12, 10 items): (22/23)^2 each; both four (m15..m23, 9): (24/23)^2;
    #   x two / y four (m01, m02) and x four / y two (m13, m14): -(22/23)(24/23) each (4 items)
    #   = (10 * 484 + 9 * 576 - 4 * 528) / 529 = (4840 + 5184 - 2112) / 529 = 7912 / 529
    #   r = 7912 / 12144 = 0.6515...
    row = _row(data_dir, "DE", "trials")
    assert row["self_consistency"] == pytest.approx(7912 / 12144)
    assert (row["n_pairs"], row["min_points_per_pair"]) == (1, 23)


def test_deterministic_trials_give_null_not_one(data_dir):
    row = _row(data_dir, "JP", "trials")  # identical at T = 0: r would be 1, by construction
    assert row["self_consistency"] is None
    assert row["null_reason"] == "deterministic_trials"
    assert row["max_temperature"] == 0.0


def test_constant_vector_gives_null_not_zero(data_dir):
    row = _row(data_dir, "FR", "trials")
    assert row["self_consistency"] is None
    assert row["null_reason"] == "constant_vector"
    assert (row["n_pairs"], row["n_pairs_undefined"]) == (0, 1)


def test_single_trial_or_variant_gives_null(data_dir):
    assert _row(data_dir, "PK", "trials")["null_reason"] == "fewer_than_two_trials"
    assert _row(data_dir, "PK", "variants")["null_reason"] == "fewer_than_two_variants"
    # US reversed_options was asked once
    (row,) = fetch(
        data_dir,
        "select * from marts.self_consistency where run_id = ? and variant = 'reversed_options'",
        [RUN],
    )
    assert (row["self_consistency"], row["null_reason"], row["n_units"]) == (None, "fewer_than_two_trials", 1)


def test_variants_compare_trial_means(data_dir):
    # US variant base: item means over its trials (BASE + BASE + 6 - BASE) / 3 = (BASE + 6) / 3,
    # a linear function of BASE; reversed_options answers BASE -> r = 1 over 24 items (sampled
    # answers, so a real 1, not a construction)
    row = _row(data_dir, "US", "variants")
    assert row["self_consistency"] == pytest.approx(1.0)
    assert (row["variant"], row["n_units"], row["n_pairs"], row["null_reason"]) == (None, 2, 1, None)


def test_trial_order_changes_no_metric(data_dir):
    def rows(run_id: str) -> list[dict[str, object]]:
        return fetch(
            data_dir,
            "select * exclude (run_id) from marts.self_consistency where run_id = ? order by all",
            [run_id],
        )

    original, shuffled = rows(RUN), rows(SHUFFLED)
    assert len(original) == 11  # 5 countries x (trials, variants) + US reversed_options trials
    assert_same_rows(shuffled, original)
