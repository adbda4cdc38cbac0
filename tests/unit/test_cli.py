"""The CLI wiring: probe → build over a data dir, and clear errors for bad input."""

from pathlib import Path

import pytest

from culturewatch.cli import main
from culturewatch.storage.warehouse import connect_warehouse
from tests.fake_openai_server import FakeOpenAIServer


def config_file(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"models:\n  - name: fake-model\n    base_url: {base_url}\n    version: v1\n"
        "grid:\n  settings: [english]\n  countries: [US, EG]\n"
    )
    return path


def test_probe_then_build_then_summary(paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAIServer() as server:
        assert main(["probe", "--config", str(config_file(tmp_path, server.base_url))]) == 0
    assert len(server.requests) == 48
    assert main(["build"]) == 0
    with connect_warehouse(paths) as con:
        scores = con.execute(
            "select country, pdi, ivr, n_valid from marts.vsm_country_scores order by 1"
        ).fetchall()
    # the fake server answers 3 to everything: the scale's midpoint scores 50 on every dimension
    assert scores == [("EG", 50.0, 50.0, 24), ("US", 50.0, 50.0, 24)]
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "Egypt" in out
    # the numbers explain themselves: direction and meaning, what a mean covers, why settings agree
    assert "deviation ratio (DR), higher is better: How far the country's Hofstede scores" in out
    assert "Deviation ratio, English prompts: " in out and " over 2 countries (higher is better)" in out
    assert "same prompts as language_average (en only)" in out  # US in English: one measurement


def test_malformed_config_exits_2_naming_file_and_field(
    paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - name: m\n    base_url: not a url\n")
    assert main(["probe", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "models.0.base_url" in err


def test_unreachable_endpoint_exits_2_naming_it(paths, tmp_path: Path, capsys) -> None:
    with FakeOpenAIServer() as server:
        url = server.base_url
    path = config_file(tmp_path, url).read_text().replace("version: v1", "version: auto")
    (tmp_path / "auto.yaml").write_text(path)
    assert main(["probe", "--config", str(tmp_path / "auto.yaml")]) == 2
    assert url.removesuffix("/v1") in capsys.readouterr().err


def test_build_without_raw_data_says_what_to_do(paths, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build"]) == 2
    assert "culturewatch probe" in capsys.readouterr().err


def test_a_missing_data_dir_is_a_one_line_error_in_every_command_that_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "no-such-dir")
    for command in (
        ["summary"],
        ["summary", "--run-id", "r"],
        ["report", "--run-id", "r"],
        ["validate", "--run-id", "r"],
        ["warehouse"],
        ["compact"],
        ["alerts", "list"],
        ["alerts", "ack", "regression:0"],
    ):
        assert main(["--data-dir", missing, *command]) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"data dir {missing} does not exist" in err, command
    assert not (tmp_path / "no-such-dir").exists()  # nothing was created on the way


def test_a_wrong_run_id_is_a_one_line_error_naming_the_runs_there(
    paths, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.dbt.raw_fixture import questionnaire, write_responses
    from tests.published import handmade_build

    write_responses(paths.root, "run-a", "part-0.parquet", questionnaire("run-a", "US", "en"))
    with handmade_build(paths) as con:
        con.execute("create schema marts")
        con.execute("create table marts.vsm_country_scores as select 'run-a' as run_id")
    for command in (["summary"], ["report"], ["validate"], ["compact"]):
        assert main([*command, "--run-id", "run-b"]) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "run 'run-b'" in err and "run-a" in err, (command, err)


def test_probe_progress_is_counted_per_answer_with_the_rate(paths, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from culturewatch.storage.progress import AnswerProgress, answers_in_progress, clear_progress

    caplog.set_level(logging.INFO, logger="culturewatch.storage.progress")
    first = AnswerProgress(paths, "m@v [en]", total=25, every=10)
    second = AnswerProgress(paths, "m@v [de]", total=5, every=10)
    for answered in range(1, 26):
        first(1)
        assert answers_in_progress(paths) == answered  # the demo's bar moves with every answer
    second(1)
    lines = [record.getMessage() for record in caplog.records]
    assert [line.split(":")[1].split(" answers")[0].strip() for line in lines] == ["10/25", "20/25", "25/25"]
    assert "m@v [en]: 10/25 answers (40%), " in lines[0] and " answers/s, ~" in lines[0]
    assert answers_in_progress(paths) == 26
    clear_progress(paths)
    assert answers_in_progress(paths) == 0


def test_ui_refuses_a_port_in_use_naming_it(tmp_path: Path) -> None:
    import socket

    from culturewatch.errors import CulturewatchError
    from culturewatch.local_ui import LocalUI
    from culturewatch.settings import DataPaths

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CulturewatchError, match=f"port {port} on 127.0.0.1 is in use"):
            LocalUI(DataPaths(tmp_path / "data"), port=port).start()
    assert not (tmp_path / "data").exists()  # refused before anything was written
