"""The comparison of benchmarks/marts_unchanged.py: what counts as a changed number."""

import pandas as pd

from benchmarks.marts_unchanged import compare_table

BEFORE = pd.DataFrame(
    {
        "run_id": ["r2", "r1", "r3"],
        "value": [0.1 + 0.2, 2.5, 0.0],
        "n": [3, 1, 2],
        "source_file": ["/a/x.parquet", "/a/y.parquet", "/a/z.parquet"],
    }
)


def test_the_same_numbers_in_another_row_order_and_another_place_are_unchanged() -> None:
    after = BEFORE.iloc[[2, 0, 1]].assign(source_file=["/b/z", "/b/x", "/b/y"])
    assert compare_table(BEFORE, after) == ([], 0.0, [])


def test_a_last_bit_is_measured_and_noise_around_zero_is_absolute() -> None:
    after = BEFORE.assign(value=[0.3, 2.5, -1.1e-16])  # 0.1 + 0.2 is 0.30000000000000004
    differences, worst, added = compare_table(BEFORE, after)
    assert differences == [] and added == []
    assert 1e-16 < worst < 1e-15  # one ulp of 0.3; the -1.1e-16 against 0 counts as 1.1e-16


def test_a_changed_value_a_lost_row_and_a_lost_column_are_changes() -> None:
    assert compare_table(BEFORE, BEFORE.assign(value=[0.3, 2.4, 0.0]))[1] > 0.03
    assert compare_table(BEFORE, BEFORE.iloc[:2])[0] == ["rows: 3 before, 2 after"]
    assert compare_table(BEFORE, BEFORE.drop(columns="n"))[0] == ["column removed: n"]
    assert compare_table(BEFORE, BEFORE.assign(n=[3, 1, 5]))[1] > 0.5
    assert compare_table(BEFORE, BEFORE.assign(run_id=["r2", "r1", "r4"]))[0] == ["run_id: values differ"]
    assert compare_table(BEFORE, BEFORE.assign(value=[0.3, None, 0.0]))[0] == [
        "value: null in one build, a number in the other"
    ]


def test_an_added_column_is_listed_not_a_change() -> None:
    assert compare_table(BEFORE, BEFORE.assign(contrast_1=1.0)) == ([], 0.0, ["contrast_1"])
