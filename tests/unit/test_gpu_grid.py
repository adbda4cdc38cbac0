"""benchmarks/gpu_grid.py is ready for a GPU: its dry run plans the full grid with the probe's
planner, and its measurement runs the probe against an OpenAI-compatible endpoint."""

import importlib.util

from culturewatch.settings import PROJECT_ROOT
from tests.fake_openai_server import FakeOpenAIServer


def gpu_grid():
    spec = importlib.util.spec_from_file_location("gpu_grid", PROJECT_ROOT / "benchmarks" / "gpu_grid.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_dry_run_plans_the_full_grid_and_derives_the_expected_time(capsys) -> None:
    result = gpu_grid().main(["--dry-run"])
    assert result["prompts"] == 28_800 and result["requests"] == 9_600
    assert 0 < result["share_new"] < 1
    # 9,600 forward passes at 240 prompts/s, less what a prefix cache reuses
    assert result["expected_s"] == 9_600 / 240 * result["share_new"]
    every_trial = gpu_grid().main(["--dry-run", "--every-trial"])
    assert every_trial["requests"] == 28_800
    assert "target 30 s" in capsys.readouterr().out


def test_the_measurement_runs_the_probe_against_an_endpoint(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        result = gpu_grid().main(
            ["--base-url", server.base_url, "--model", "fake-model", "--countries", "US", "JP"]
            + ["--languages", "ja", "--lanes", "1", "--data", str(tmp_path)]
        )
        asked = len(server.requests)
    assert result["prompts"] == 2 * 24 * 3 and result["requests"] == asked == 2 * 24
