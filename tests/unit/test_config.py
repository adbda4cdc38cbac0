from pathlib import Path

import pytest

from culturewatch.config.loader import bundled_config, load_config
from culturewatch.errors import InputFileError, MissingCredential


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


VALID = """
models:
  - name: m
    base_url: http://127.0.0.1:9/v1
grid:
  settings: [english]
  countries: [US, EG]
"""


def test_bundled_embedded_config_is_valid() -> None:
    config = load_config(bundled_config("embedded"))
    assert config.models[0].name == "qwen2.5-coder-1.5b-instruct"
    assert config.grid.instrument == "vsm2013"


@pytest.mark.parametrize(("name", "cells"), [("culturespa", 260 + 2 * 18 * 260), ("polarity", 293 * 3 + 297)])
def test_bundled_wvs_configs_plan_the_papers_designs(name: str, cells: int) -> None:
    from culturewatch.instruments.loader import load_instrument
    from culturewatch.probing.probe_specs import cells_for, country_languages

    config = load_config(bundled_config(name))
    instrument = load_instrument(config.grid.instrument)
    assert len(cells_for(config.grid, instrument, country_languages(config.grid, instrument))) == cells


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.grid.countries == ["US", "EG"]
    assert config.grid.trials == 1 and config.client.concurrency >= 1


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "models:\n  - name: [unclosed\n")
    with pytest.raises(InputFileError) as raised:
        load_config(path)
    assert str(path) in str(raised.value) and "line" in raised.value.field


def test_missing_models_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as raised:
        load_config(write(tmp_path, "grid: {trials: 1}\n"))
    assert raised.value.field == "models"


def test_inline_api_key_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace(
        "base_url: http://127.0.0.1:9/v1", "base_url: http://x/v1\n    api_key_env: sk-abc123"
    )
    with pytest.raises(InputFileError) as raised:
        load_config(write(tmp_path, text))
    assert raised.value.field == "models.0.api_key_env"
    assert "environment variable" in raised.value.problem


def test_unknown_country_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as raised:
        load_config(write(tmp_path, VALID.replace("[US, EG]", "[US, XX]")))
    assert raised.value.field == "grid" and "grid.countries: ['XX']" in raised.value.problem


def test_bad_value_names_nested_field(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as raised:
        load_config(write(tmp_path, VALID + "client:\n  concurrency: 0\n"))
    assert raised.value.field == "client.concurrency"


def test_unknown_setting_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as raised:
        load_config(write(tmp_path, VALID.replace("[english]", "[klingon]")))
    assert raised.value.field == "grid.settings.0"


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_api_key_comes_from_the_referenced_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = VALID.replace("base_url: http://127.0.0.1:9/v1", "base_url: http://x/v1\n    api_key_env: MY_KEY")
    endpoint = load_config(write(tmp_path, text)).models[0]
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(MissingCredential, match="api_key_env names MY_KEY, which is not set"):
        endpoint.api_key()
    monkeypatch.setenv("MY_KEY", "secret")
    assert endpoint.api_key() == "secret"
