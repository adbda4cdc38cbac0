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
    assert "Egypt" in capsys.readouterr().out


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
