"""Two processes that fetch llama.cpp's converter into one tools dir at once (two retrainings, or
two test workers, sharing `make`'s tools/): the one that finishes its extraction second finds the
converter already in place and uses it, instead of failing on the taken folder name."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from culturewatch.errors import CulturewatchError
from culturewatch.retraining import converter
from culturewatch.retraining.converter import TOOLS_DIR_ENV, converter_dir
from culturewatch.settings import DataPaths

VERSION = "0.0.1"
PREFIX = f"llama_cpp_python-{VERSION}/vendor/llama.cpp/"


def write_sdist(path: Path, script: str) -> None:
    """A llama-cpp-python sdist with only its vendored converter script in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        data = script.encode()
        member = tarfile.TarInfo(PREFIX + "convert_lora_to_gguf.py")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))


def test_the_second_extraction_uses_the_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tools = tmp_path / "tools"
    monkeypatch.setenv(TOOLS_DIR_ENV, str(tools))
    write_sdist(tools / f"llama_cpp_python-{VERSION}.tar.gz", "# this process's copy\n")
    target = tools / f"llama.cpp-{VERSION}"
    extract = tarfile.TarFile.extractall

    def the_other_process_finishes_first(archive: tarfile.TarFile, *args, **kwargs) -> None:
        extract(archive, *args, **kwargs)
        target.mkdir()
        (target / "convert_lora_to_gguf.py").write_text("# the other process's copy\n")

    monkeypatch.setattr(converter.tarfile.TarFile, "extractall", the_other_process_finishes_first)
    found = converter_dir(DataPaths(tmp_path / "data"), VERSION)

    assert found == target
    assert (found / "convert_lora_to_gguf.py").read_text() == "# the other process's copy\n"
    assert sorted(path.name for path in tools.iterdir()) == [
        target.name,
        f"llama_cpp_python-{VERSION}.tar.gz",
    ]


def test_a_taken_name_without_a_converter_still_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "tools"
    monkeypatch.setenv(TOOLS_DIR_ENV, str(tools))
    write_sdist(tools / f"llama_cpp_python-{VERSION}.tar.gz", "# the converter\n")
    (tools / f"llama.cpp-{VERSION}" / "something-else").mkdir(parents=True)  # not a converter

    with pytest.raises(CulturewatchError, match=r"llama\.cpp-0\.0\.1: in the way of llama\.cpp's converter"):
        converter_dir(DataPaths(tmp_path / "data"), VERSION)
