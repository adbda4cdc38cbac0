"""Inputs are data, never paths: duplicate YAML keys are refused naming file, line and key;
instruments are chosen by id from the bundled and configured directories; run ids and
instrument ids are checked before any path is built."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from culturewatch.cli import main
from culturewatch.config.loader import load_config
from culturewatch.errors import CulturewatchError, InputFileError
from culturewatch.identifiers import InvalidIdentifier
from culturewatch.instruments.loader import (
    INSTRUMENTS_DIR,
    INSTRUMENTS_PATH_ENV,
    available_instruments,
    load_instrument,
)
from culturewatch.probing.probe_specs import ProbeSpec
from culturewatch.settings import data_paths
from culturewatch.yaml_files import read_yaml

CONFIG = """models:
  - name: fake-model
    base_url: http://127.0.0.1:9/v1
    version: v1
grid:
  settings: [english]
  countries: [US]
  settings: [aligned]
"""


def test_a_duplicate_key_in_a_config_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "probe.yaml"
    path.write_text(CONFIG)
    with pytest.raises(InputFileError) as raised:
        load_config(path)
    assert str(raised.value) == (
        f"{path}: line 8, column 3: invalid YAML: duplicate key 'settings' (first given at line 6)"
    )


def test_a_duplicated_item_text_in_a_translation_is_refused(tmp_path: Path) -> None:
    shutil.copytree(INSTRUMENTS_DIR / "vsm2013", tmp_path / "vsm2013")
    path = tmp_path / "vsm2013" / "languages" / "de.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(number for number, line in enumerate(lines) if line.lstrip().startswith("m07:"))
    lines.insert(first + 1, lines[first].replace(lines[first].split(":", 1)[1], " Doppelt gesagt\n"))
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(
        InputFileError, match=rf"line {first + 2}, .*duplicate key 'm07' \(first given at line {first + 1}\)"
    ):
        load_instrument.__wrapped__("vsm2013", tmp_path)


def test_merge_keys_still_override(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("base: &base {a: 1, b: 2}\nchild:\n  <<: *base\n  b: 3\n")
    assert read_yaml(path) == {"base": {"a": 1, "b": 2}, "child": {"a": 1, "b": 3}}


def test_every_bundled_yaml_file_has_unique_keys() -> None:
    from culturewatch.settings import PACKAGE_DIR

    for path in sorted(PACKAGE_DIR.rglob("*.yaml")):
        read_yaml(path)  # raises on a duplicate key


@pytest.mark.parametrize("instrument", ["../../x", "/etc", "vsm2013/../vsm2013", "VSM2013", ".hidden"])
def test_an_instrument_is_an_id_never_a_path(tmp_path: Path, instrument: str) -> None:
    path = tmp_path / "probe.yaml"
    path.write_text(CONFIG.replace("  settings: [aligned]\n", f"  instrument: {instrument!r}\n"))
    with pytest.raises(InputFileError, match=r"grid.instrument: String should match pattern"):
        load_config(path)
    with pytest.raises(InvalidIdentifier, match="is not an instrument id"):
        load_instrument.__wrapped__(instrument)


def test_instruments_come_from_the_bundled_and_the_configured_directories(tmp_path, monkeypatch) -> None:
    extra = tmp_path / "ours"
    shutil.copytree(INSTRUMENTS_DIR / "vsm2013", extra / "vsm_local")
    core = extra / "vsm_local" / "instrument.yaml"
    core.write_text(
        core.read_text(encoding="utf-8").replace("id: vsm2013", "id: vsm_local"), encoding="utf-8"
    )
    with pytest.raises(CulturewatchError, match=r"no instrument 'vsm_local' in the instrument directories"):
        load_instrument.__wrapped__("vsm_local")
    monkeypatch.setenv(INSTRUMENTS_PATH_ENV, str(extra))
    assert available_instruments()["vsm_local"] == extra / "vsm_local"
    assert load_instrument.__wrapped__("vsm_local").id == "vsm_local"
    shutil.copytree(INSTRUMENTS_DIR / "vsm2013", extra / "vsm2013")
    with pytest.raises(CulturewatchError, match=r"'vsm2013' is in two instrument directories"):
        load_instrument.__wrapped__("vsm2013")


@pytest.mark.parametrize("run_id", ["../../x", "a/b", "/tmp/x", ".", "..", "run_id=x"])
def test_a_run_id_is_refused_before_any_path_is_built(tmp_path: Path, capsys, run_id: str) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--data-dir", str(tmp_path), "validate", "--run-id", run_id])
    assert raised.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.endswith(
        f"argument --run-id: run id {run_id!r} is not a run id (letters, digits, '.', '_', "
        "'-'; starting with a letter or digit; at most 200 characters)"
    )
    with pytest.raises(InvalidIdentifier):
        data_paths(tmp_path).run_dir(run_id)
    with pytest.raises(InvalidIdentifier):
        ProbeSpec(run_id, {}, "v1", "en", ["US"], {})
    assert not (tmp_path / "raw").exists()
