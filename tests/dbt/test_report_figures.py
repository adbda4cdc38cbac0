"""`culturewatch report` on marts dbt built and published from hand-made raw runs: the seed papers'
figures (Sukiennik Fig. 2 and Table 3 across models, CultureSPA Fig. 5, Bravansky's distributions
per question and style), bootstrap intervals drawn as error bars, the leaderboard page, vector and
300-dpi files, and no text outside any figure.

Raw runs: `model-a` v1 (every answer 3) and v2 (the US at the far end of every dimension), and
`model-b` v1, each asking the US, Japan and China in English; one CultureSPA run of
`fixture-model` (tests/dbt/test_wvs_marts.py's answers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from matplotlib.collections import LineCollection

from culturewatch.reporting.figure_files import clipped_texts
from culturewatch.reporting.figures import report_figures
from culturewatch.reporting.paper_data import load_paper_data
from culturewatch.reporting.paper_figures import CHANGES, DISTRIBUTIONS, MATRIX, SCATTER, STYLES
from culturewatch.reporting.report import write_report
from culturewatch.reporting.report_data import ReportOptions, load_report_data
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse
from culturewatch.transform.warehouse_build import build_marts
from tests.dbt.raw_fixture import fetch, questionnaire, write_events, write_responses
from tests.dbt.test_wvs_marts import _culturespa_rows
from tests.dbt.wvs_fixture import write_fixture
from tests.stack.dashboard_fixture import US_EXTREME

pytestmark = pytest.mark.long(49)  # seconds, measured on 2 cores: handed out first

SPA_RUN = "spa-run"
VSM_RUNS = {  # run -> (model, version, hour, US answers)
    "a-v1": ("model-a", "v1", 10, None),
    "a-v2": ("model-a", "v2", 11, US_EXTREME),
    "b-v1": ("model-b", "v1", 12, {"m07": 4, "m13": 2}),
}


def _events(data_dir: Path, run_id: str, model: str, version: str, hour: int, n: int) -> None:
    event = {
        "run_id": run_id, "instrument": "vsm2013", "model": model, "model_version": version,
        "base_url": "http://localhost:0/v1", "prompt_language": "en", "requests_sent": n,
        "prompt_tokens": 10 * n, "completion_tokens": 2 * n, "cost_usd": None, "message": None,
        "airflow_dag_run_id": None, "cells_planned": n,
    }  # fmt: skip
    at = datetime(2026, 1, 1, hour, tzinfo=UTC)
    write_events(
        data_dir,
        run_id,
        "events.parquet",
        [
            {**event, "event": "started", "cells_answered": 0, "recorded_at": at},
            {**event, "event": "completed", "cells_answered": n, "recorded_at": at.replace(minute=5)},
        ],
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    data_dir = tmp_path_factory.mktemp("report-figures")
    write_fixture(data_dir, _culturespa_rows(SPA_RUN))
    for run_id, (model, version, hour, us) in VSM_RUNS.items():
        rows = []
        for country, answers in (("US", us), ("JP", None), ("CN", None)):
            rows += questionnaire(run_id, country, "en", answers, model_version=version)
        rows = [
            {**row, "model": model, "requested_at": datetime(2026, 1, 1, hour, tzinfo=UTC)} for row in rows
        ]
        write_responses(data_dir, run_id, "part-0.parquet", rows)
        _events(data_dir, run_id, model, version, hour, len(rows))
    paths = DataPaths(data_dir)
    build_marts(paths)
    return paths


def _figures(paths: DataPaths, run_id: str, compare: str | None = None):
    data = load_report_data(paths, ReportOptions(run_id=run_id, compare_run_id=compare))
    with connect_warehouse(paths) as con:
        paper = load_paper_data(con, run_id, data.slice)
    return data, paper, report_figures(data, paper)


def test_vsm_report_draws_fig2_table3_and_the_change_with_error_bars(
    built: DataPaths, tmp_path: Path
) -> None:
    files = write_report(built, ReportOptions(run_id="a-v2", compare_run_id="a-v1"), tmp_path / "out")
    names = {path.name for path in files.images}
    for stem in (
        "radar",
        "dr_ranking",
        "dr_dimensions",
        "dr_scatter",
        "changes",
        "headlines_models",
        "table3_models",
    ):
        assert {f"{stem}.svg", f"{stem}.png"} <= names, stem
    _, paper, figures = _figures(built, "a-v2", "a-v1")
    for stem, figure in figures.items():
        assert clipped_texts(figure) == [], stem

    # Fig. 2: one point per country and setting, at (denominator, numerator) of the mart
    marts = {
        (row["country"], row["setting"]): row
        for row in fetch(
            built.root,
            "select * from marts.deviation_ratio where run_id = 'a-v2' and dimension = 'overall'",
        )
    }
    scatter = figures[SCATTER]
    drawn = {
        (round(float(x), 6), round(float(y), 6))
        for axes in scatter.axes
        for collection in axes.collections
        for x, y in collection.get_offsets()
    }
    expected = {
        (round(r["mean_difference"], 6), round(r["deviation_from_global_average"], 6)) for r in marts.values()
    }
    assert drawn == expected

    # the change from v1: bars with the mart's paired-bootstrap intervals as error bars
    changes = {(row.metric, row.country): row for row in paper.changes if row.difference is not None}
    assert changes, "no comparison of a-v1 and a-v2"
    spans = set()
    for axes in figures[CHANGES].axes:
        for collection in axes.collections:
            if isinstance(collection, LineCollection):
                spans |= {(round(seg[0][0], 9), round(seg[1][0], 9)) for seg in collection.get_segments()}
    assert spans == {(round(row.ci_low, 9), round(row.ci_high, 9)) for row in changes.values()}

    # Table 3 across models: each model's latest version side by side, with ranks
    leaderboard = files.leaderboard.read_text(encoding="utf-8")
    assert "model-a v2" in leaderboard and "model-b v1" in leaderboard and "model-a v1" not in leaderboard
    assert "(#1)" in leaderboard and "Sukiennik Table 3" in leaderboard
    assert "higher is better" in leaderboard and "over 3 countries" in leaderboard


def test_culturespa_report_draws_fig5_and_distributions_with_error_bars(
    built: DataPaths, tmp_path: Path
) -> None:
    files = write_report(built, ReportOptions(run_id=SPA_RUN), tmp_path / "out")
    names = {path.name for path in files.images}
    for stem in ("cas", "culturespa_matrix", "similarity_styles", "distributions"):
        assert {f"{stem}.svg", f"{stem}.png"} <= names, stem
    _, paper, figures = _figures(built, SPA_RUN)
    for stem, figure in figures.items():
        assert clipped_texts(figure) == [], stem
    # Fig. 5: the WVS reference and the model matrices, per strategy
    assert len(figures[MATRIX].axes) == 2 * len({cell.strategy for cell in paper.matrix}) + 1  # + colour bar
    # similarity per style: error bars are the mart's bootstrap interval
    spans = set()
    for axes in figures[STYLES].axes:
        for collection in axes.collections:
            if isinstance(collection, LineCollection):
                spans |= {(round(seg[0][1], 9), round(seg[1][1], 9)) for seg in collection.get_segments()}
    expected = {
        (round(row.ci_low, 9), round(row.ci_high, 9))
        for row in paper.styles
        if row.mean_similarity is not None and row.ci_low is not None
    }
    assert spans == expected and expected
    # the distributions: one panel per question and population, the human bars the WVS shares
    panels = {(d.item_id, d.country) for d in paper.distributions}
    assert len(figures[DISTRIBUTIONS].axes) == len(panels)
    us_q1 = [
        d for d in paper.distributions if (d.item_id, d.country, d.style) == ("Q1", "US", "classification")
    ]
    assert us_q1 and us_q1[0].model == pytest.approx((0.2, 0.5, 0.15, 0.15))  # test_wvs_marts' hand value
    html = files.html.read_text(encoding="utf-8")
    assert "Model vs human answer distributions" in html and "CultureSPA Fig. 5" in html
