"""`make setup` fetches llama.cpp's LoRA converter once (`culturewatch fetch-converter`), where
retraining looks for it: the Makefile's target is the file `converter_dir` returns, so a set-up
checkout never downloads it again (not at setup, not during a retraining). A download that fails
says so in one line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from culturewatch.cli import main
from culturewatch.retraining.converter import TOOLS_DIR_ENV, converter_dir, llama_cpp_python_version
from culturewatch.settings import PROJECT_ROOT, DataPaths


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tools dir that already holds the locked version's converter (no download can happen)."""
    folder = tmp_path / "tools"
    script = folder / f"llama.cpp-{llama_cpp_python_version()}" / "convert_lora_to_gguf.py"
    script.parent.mkdir(parents=True)
    script.write_text("# the converter\n")
    monkeypatch.setenv(TOOLS_DIR_ENV, str(folder))
    return folder


def test_a_fetched_converter_is_reused(tools: Path, tmp_path: Path, capsys) -> None:
    assert main(["--data-dir", str(tmp_path / "data"), "fetch-converter"]) == 0
    expected = converter_dir(DataPaths(tmp_path / "data"))
    assert capsys.readouterr().out.strip() == str(expected) and expected.parent == tools
    assert not (tmp_path / "data" / "cache").exists()  # the tools dir, not the data dir's cache


def test_setup_targets_the_file_retraining_looks_for(tools: Path) -> None:
    def setup_fetches() -> bool:
        dry_run = subprocess.run(
            ["make", "-n", "setup", f"{TOOLS_DIR_ENV}={tools}"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return "fetch-converter" in dry_run.stdout

    assert not setup_fetches()
    (converter_dir(DataPaths(tools)) / "convert_lora_to_gguf.py").unlink()
    assert setup_fetches()


def test_a_failed_download_is_one_line_naming_the_sdist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    tools, links = tmp_path / "tools", tmp_path / "no-packages"
    links.mkdir()
    monkeypatch.setenv(TOOLS_DIR_ENV, str(tools))
    for name, value in {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(links),
    }.items():
        monkeypatch.setenv(name, value)  # pip finds nothing, without the network

    assert main(["--data-dir", str(tmp_path / "data"), "fetch-converter"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(
        f"error: could not download the llama-cpp-python {llama_cpp_python_version()} sdist"
    )
    assert str(tools) in line and "No matching distribution" in line
    assert [path.name for path in tools.iterdir()] == []  # no converter, no partial sdist
