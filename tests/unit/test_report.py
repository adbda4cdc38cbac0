"""`culturewatch report`: figures and page from a small hand-built warehouse (duckdb, no dbt)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from culturewatch.cli import main
from culturewatch.reporting.report import write_report
from culturewatch.reporting.report_data import ReportOptions, UnknownRunError, load_report_data
from culturewatch.settings import DATA_DIR_ENV, DataPaths, data_paths
from tests.published import handmade_build

EVIL_MODEL = "evil<script>alert(1)</script>"

COUNTRIES = [
    ("US", "USA", "United States", "en", "English"),
    ("JP", "JPN", "Japan", "ja", "Japanese"),
    ("EG", "EGY", "Egypt", "ar", "Arabic"),
]
# Hofstede 2015 values of the real seed; Egypt has only LTO and IVR.
GROUND_TRUTH = [
    ("United States", "USA", 40, 91, 62, 46, 26, 68),
    ("Japan", "JPN", 54, 46, 95, 92, 88, 42),
    ("Egypt", "EGY", None, None, None, None, 7, 4),
]
SLICE = ("classification", "aware", "base")
NORMALISATION = "formula_range_c0"


def _score_row(run: str, model: str, country: str, language: str, trial: int, pdi: float) -> tuple:
    """A vsm_country_scores row: PDI given, IDV..LTO 50, IVR 50 (null for Egypt)."""
    ivr = None if country == "EG" else 50.0
    head = (run, model, "v1", "1.0", "1", country, language, *SLICE, trial)
    return (*head, pdi, 50.0, 50.0, 50.0, 50.0, ivr, 24, 24, NORMALISATION)


def _dr_row(
    run: str, model: str, country: str, setting: str, dim: str, ratio: float | None, reason: str | None = None
) -> tuple:
    """A deviation_ratio row (numerator, denominator and counts are placeholders the report does not show)."""
    parts = None if ratio is None else 1.0
    head = (run, model, "v1", country, setting, *SLICE, dim, ratio, parts, parts, 2, 1, 6, reason)
    return (*head, "hofstede_2015", NORMALISATION)


def build_warehouse(paths: DataPaths, *, cas: bool = True) -> None:
    """Marts and seeds with the real column names (docs/metrics.md, the marts' yml, the seeds' csv)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with handmade_build(paths) as con:
        con.execute("create schema marts")
        con.execute("create schema reference")
        con.execute(
            "create table reference.countries (country_code varchar, iso3 varchar, country_name varchar, "
            "language_code varchar, language_name varchar)"
        )
        con.executemany("insert into reference.countries values (?, ?, ?, ?, ?)", COUNTRIES)
        con.execute(
            "create table reference.hofstede_country_scores (country varchar, iso3 varchar, "
            "language_code varchar, paper_language_code varchar, hofstede_ctr varchar, "
            "hofstede_country_name varchar, pdi double, idv double, mas double, uai double, lto double, "
            "ivr double, n_missing integer, notes varchar)"
        )
        con.executemany(
            "insert into reference.hofstede_country_scores "
            "values (?, ?, null, null, null, null, ?, ?, ?, ?, ?, ?, 0, null)",
            GROUND_TRUTH,
        )
        con.execute(
            "create table marts.vsm_country_scores (run_id varchar, model varchar, model_version varchar, "
            "instrument_version varchar, parser_version varchar, country varchar, prompt_language varchar, "
            "style varchar, strategy varchar, variant varchar, trial integer, pdi double, idv double, "
            "mas double, uai double, lto double, ivr double, n_valid integer, n_items_expected integer, "
            "normalisation varchar)"
        )
        con.executemany(
            "insert into marts.vsm_country_scores values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                # r1, aligned: US PDI mean over two trials (50 + 30) / 2 = 40; the German-prompt US
                # pass (99) is not aligned and must not enter the mean.
                _score_row("r1", EVIL_MODEL, "US", "en", 0, 50.0),
                _score_row("r1", EVIL_MODEL, "US", "en", 1, 30.0),
                _score_row("r1", EVIL_MODEL, "US", "de", 0, 99.0),
                _score_row("r1", EVIL_MODEL, "JP", "ja", 0, 61.0),
                _score_row("r1", EVIL_MODEL, "EG", "ar", 0, 45.0),  # IVR null (unscored)
                _score_row("r0", "base-model", "US", "en", 0, 50.0),
            ],
        )
        con.execute(
            "create table marts.deviation_ratio (run_id varchar, model varchar, model_version varchar, "
            "country varchar, setting varchar, style varchar, strategy varchar, variant varchar, "
            "dimension varchar, deviation_ratio double, deviation_from_global_average double, "
            "mean_difference double, n_trials integer, n_prompt_languages integer, n_dimensions integer, "
            "null_reason varchar, ground_truth_source varchar, normalisation varchar)"
        )
        con.executemany(
            "insert into marts.deviation_ratio values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                # aligned: US 1.875 > JP 0.812 > EG null; english: JP 1.5 > US 0.9 (another order)
                _dr_row("r1", EVIL_MODEL, "JP", "aligned", "overall", 0.8125),
                _dr_row("r1", EVIL_MODEL, "EG", "aligned", "overall", None, "zero_difference"),
                _dr_row("r1", EVIL_MODEL, "US", "aligned", "overall", 1.875),
                _dr_row("r1", EVIL_MODEL, "US", "english", "overall", 0.9),
                _dr_row("r1", EVIL_MODEL, "JP", "english", "overall", 1.5),
                _dr_row("r1", EVIL_MODEL, "US", "aligned", "pdi", 2.5),
                _dr_row("r1", EVIL_MODEL, "EG", "aligned", "pdi", None, "no_ground_truth"),
                _dr_row("r0", "base-model", "US", "aligned", "overall", 1.5),
            ],
        )
        if cas:
            # the mart's documented columns plus those the mart adds (prompt_language, null_reason,
            # the run's mean over the slice's countries: r1 (70.5 + 60.5) / 2, r0 US alone)
            con.execute(
                "create table marts.cultural_alignment_score (run_id varchar, model varchar, "
                "model_version varchar, country varchar, strategy varchar, prompt_language varchar, "
                "style varchar, variant varchar, cas double, n_questions integer, null_reason varchar, "
                "cas_mean_over_countries double)"
            )
            con.executemany(
                "insert into marts.cultural_alignment_score "
                "values (?, ?, 'v1', ?, 'aware', 'en', 'classification', 'base', ?, ?, ?, ?)",
                [
                    ("r1", EVIL_MODEL, "US", 70.5, 80, None, 65.5),
                    ("r1", EVIL_MODEL, "JP", 60.5, 80, None, 65.5),
                    ("r0", "base-model", "US", 65.0, 80, None, 65.0),
                    ("r0", "base-model", "JP", None, 0, "no_valid_answer", 65.0),
                ],
            )


def _section(html: str, heading: str) -> str:
    """The page from an <h2>/<h3> heading to the next heading of any level."""
    start = html.index(f">{heading}</h")
    following = re.search(r"<h[23]>", html[start:])
    return html[start : start + following.start()] if following else html[start:]


def _row(table_html: str, label: str) -> str:
    start = table_html.index(label)
    return table_html[table_html.rindex("<tr>", 0, start) : table_html.index("</tr>", start)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One report for the tests that only read it (rendering its figures takes seconds)."""
    root = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(DATA_DIR_ENV, str(root / "data"))
        paths = data_paths(root / "data")
        build_warehouse(paths)
        files = write_report(paths, ReportOptions(run_id="r1", compare_run_id="r0"), root / "out")
    return root / "out", files.html.read_text(encoding="utf-8")


def test_writes_vector_and_300_dpi_figures_and_both_pages(report: tuple[Path, str]) -> None:
    from PIL import Image

    out, html = report
    # (the leaderboard page's figures need marts.model_leaderboard and runs: tests/dbt/test_report_figures.py)
    stems = ["cas", "dr_dimensions", "dr_ranking", "dr_scatter", "radar"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(f"{stem}.{kind}" for stem in stems for kind in ("svg", "png")), "report.html", "leaderboard.html"]
    )
    for stem in stems:
        png = out / f"{stem}.png"
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert Image.open(png).info["dpi"] == pytest.approx((300, 300), abs=0.01)
        svg = (out / f"{stem}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<text" in svg  # vector, its text kept as text
    # the page is self-contained (every figure inlined as SVG) and links each figure's files
    assert html.count('src="data:image/svg+xml;base64,') == 5
    assert not re.search(r'src="(?!data:)', html)
    assert 'href="dr_ranking.svg"' in html and 'href="dr_ranking.png"' in html
    assert 'href="leaderboard.html"' in html


def test_no_text_falls_outside_any_figure(paths: DataPaths) -> None:
    """Every title, label, legend and colour-bar label of every figure lies inside it, also with
    long model names (the worst case for titles and legends)."""
    from culturewatch.reporting.figure_files import clipped_texts
    from culturewatch.reporting.figures import report_figures
    from culturewatch.reporting.paper_data import load_paper_data
    from culturewatch.storage.warehouse import connect_warehouse

    build_warehouse(paths)
    long_name = "an-extremely-long-model-name-served-by-a-hosted-endpoint-" * 3
    with handmade_build(paths) as con:
        for table in ("vsm_country_scores", "deviation_ratio", "cultural_alignment_score"):
            con.execute(f"update marts.{table} set model = ?", [long_name])
    data = load_report_data(paths, ReportOptions(run_id="r1", compare_run_id="r0"))
    with connect_warehouse(paths) as con:
        paper = load_paper_data(con, "r1", data.slice)
    figures = report_figures(data, paper)
    assert len(figures) >= 5
    for stem, figure in figures.items():
        assert clipped_texts(figure) == [], stem


def test_a_clipped_text_is_caught() -> None:
    from matplotlib.figure import Figure

    from culturewatch.reporting.figure_files import clipped_texts

    figure = Figure(figsize=(4, 3))
    figure.subplots_adjust(left=0.2, bottom=0.2, top=0.8)
    axes = figure.add_subplot(1, 1, 1)
    figure.suptitle("a title far too long to fit in a figure three inches wide, so it runs off both sides")
    axes.set_xlim(0, 1)
    axes.text(0.5, 0.5, "inside")
    axes.text(2.0, 0.5, "beyond the axes")  # clipped by its axes
    assert sorted(clipped_texts(figure)) == sorted(
        [
            "a title far too long to fit in a figure three inches wide, so it runs off both sides",
            "beyond the axes",
        ]
    )


def test_the_radar_leaves_no_country_out_by_default(paths: DataPaths, tmp_path: Path) -> None:
    """China asked in English only, the others in their own languages: China still gets its panel,
    in English, and the page says which language each country was asked in."""
    build_warehouse(paths)
    with handmade_build(paths) as con:
        con.execute("insert into reference.countries values ('CN', 'CHN', 'China', 'zh', 'Chinese')")
        con.execute(
            "insert into marts.vsm_country_scores values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _score_row("r1", EVIL_MODEL, "CN", "en", 0, 70.0),
        )
    data = load_report_data(paths, ReportOptions(run_id="r1"))
    assert data.profile_setting == "aligned|en"
    languages = {profile.country: profile.prompt_language for profile in data.profiles}
    assert languages == {"US": "en", "JP": "ja", "EG": "ar", "CN": "en"}
    html = write_report(paths, ReportOptions(run_id="r1"), tmp_path / "out").html.read_text(encoding="utf-8")
    radar = _section(html, "VSM 2013 dimensions vs Hofstede ground truth")
    assert "China (CN)" in _row(radar, "China (CN)") and "<td>en</td>" in _row(radar, "China (CN)")


def test_ranking_follows_the_deviation_ratio_per_setting_and_nulls_stay_null(
    report: tuple[Path, str],
) -> None:
    _, html = report
    aligned = _section(html, "aligned")
    assert aligned.index("United States (US)") < aligned.index("Japan (JP)") < aligned.index("Egypt (EG)")
    assert "1.875" in _row(aligned, "United States (US)")
    assert "0.812" in _row(aligned, "Japan (JP)")
    egypt = _row(aligned, "Egypt (EG)")
    assert "null (zero_difference)" in egypt and "0.000" not in egypt
    english = _section(html, "english")
    assert english.index("Japan (JP)") < english.index("United States (US)")
    # compared with r0: US 1.875 - 1.5; Japan has no row in r0
    assert "+0.375" in _row(aligned, "United States (US)")
    assert "absent" in _row(aligned, "Japan (JP)")


def test_per_dimension_table_shows_values_and_null_reasons(report: tuple[Path, str]) -> None:
    _, html = report
    dimensions = _section(html[html.index("Deviation ratio per dimension") :], "aligned")
    assert "2.500" in _row(dimensions, "United States (US)")
    assert "null (no_ground_truth)" in _row(dimensions, "Egypt (EG)")


def test_radar_table_is_the_aligned_mean_over_trials_next_to_ground_truth(report: tuple[Path, str]) -> None:
    _, html = report
    radar = _section(html, "VSM 2013 dimensions vs Hofstede ground truth")
    # PDI (50 + 30) / 2 = 40.0 against Hofstede 40; the German-prompt pass (99) is excluded
    assert '40.0 / <span class="gt">40</span>' in _row(radar, "United States (US)")
    egypt = _row(radar, "Egypt (EG)")
    assert "null (0/1 trials scored)" in egypt  # IVR unscored: null, not 0
    assert "no GT" in egypt


def test_cas_before_after_per_country(report: tuple[Path, str]) -> None:
    _, html = report
    cas = _section(html, "strategy=aware, style=classification, variant=base, prompt_language=en")
    this_run = _row(cas, "r1 (")
    assert "70.50" in this_run and "60.50" in this_run and "65.50" in this_run  # Avg: the mart's mean
    assert "65.00" in _row(cas, "r0 (")  # its Avg: US alone (JP has no value)
    delta = _row(cas, "Δ (this run − compare run)")
    assert "+5.50" in delta  # US 70.5 - 65.0; Japan null in r0 -> no difference
    assert "+0.50" in delta  # Δ Avg: 65.5 - 65.0
    assert "null (no_valid_answer)" in _row(cas, "r0 (")


def test_cas_with_only_the_design_columns(paths: DataPaths, tmp_path: Path) -> None:
    build_warehouse(paths, cas=False)
    with handmade_build(paths) as con:
        con.execute(
            "create table marts.cultural_alignment_score (run_id varchar, model varchar, "
            "model_version varchar, country varchar, strategy varchar, style varchar, variant varchar, "
            "cas double, n_questions integer)"
        )
        con.execute(
            "insert into marts.cultural_alignment_score values "
            "('r1', 'm', 'v1', 'US', 'unaware', 'classification', 'base', 55.25, 80)"
        )
    html = write_report(paths, ReportOptions(run_id="r1"), tmp_path / "out").html.read_text(encoding="utf-8")
    cas = _section(html, "strategy=unaware, style=classification, variant=base")
    assert "55.25" in _row(cas, "r1 (")
    assert "No --compare-run given" in html


def test_model_names_are_escaped(report: tuple[Path, str]) -> None:
    _, html = report
    assert "<script>" not in html
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_absent_cas_mart_is_reported_not_fatal(paths: DataPaths, tmp_path: Path) -> None:
    build_warehouse(paths, cas=False)
    files = write_report(paths, ReportOptions(run_id="r1"), tmp_path / "out")
    html = files.html.read_text(encoding="utf-8")
    assert "marts.cultural_alignment_score is not in the warehouse" in html
    assert not (tmp_path / "out" / "cas.png").exists()


def test_cas_rows_absent_for_the_compare_run_are_reported(paths: DataPaths) -> None:
    build_warehouse(paths)
    with handmade_build(paths) as con:
        con.execute("delete from marts.cultural_alignment_score where run_id = 'r0'")
    data = load_report_data(paths, ReportOptions(run_id="r1", compare_run_id="r0"))
    assert data.cas.notes == ("run r0 has no rows in marts.cultural_alignment_score.",)


def test_unknown_run_names_it_and_lists_known_runs(
    paths: DataPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    build_warehouse(paths)
    with pytest.raises(UnknownRunError) as raised:
        load_report_data(paths, ReportOptions(run_id="r1", compare_run_id="nope"))
    assert raised.value.known == ("r0", "r1")
    assert main(["report", "--run-id", "missing-run"]) == 2
    err = capsys.readouterr().err
    assert "'missing-run'" in err and "known runs: r0, r1" in err


def test_unknown_prompt_language_lists_the_ones_present(paths: DataPaths) -> None:
    build_warehouse(paths)
    with pytest.raises(Exception, match=r"no VSM scores in prompt language 'xx'.*en \(1 countries\)"):
        load_report_data(paths, ReportOptions(run_id="r1", language="xx"))


def test_cli_writes_the_report_and_leaves_the_warehouse_untouched(
    paths: DataPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build_warehouse(paths, cas=False)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))  # --data-dir after `report` must win
    before = hashlib.sha256(paths.warehouse.read_bytes()).hexdigest()
    out = tmp_path / "cli-out"
    args = ["report", "--run-id", "r1", "--data-dir", str(paths.root), "--out", str(out), "--language", "en"]
    assert main(args) == 0
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Setting: prompt language en." in html
    # in English only the US was asked (two trials and the aligned US rows): PDI (50 + 30) / 2
    radar = _section(html, "VSM 2013 dimensions vs Hofstede ground truth")
    assert '40.0 / <span class="gt">40</span>' in _row(radar, "United States (US)")
    assert "Japan (JP)" not in radar
    assert hashlib.sha256(paths.warehouse.read_bytes()).hexdigest() == before
