"""The dry pieces of benchmarks/embedded_server_work.py: its arms, their configs, the comparison."""

from benchmarks.embedded_server_work import ArmResult, agreement, arm_config, arms, report
from culturewatch.serving.engine_work import EngineWork


def test_old_arms_run_first_and_last_with_the_stock_server_and_8_tokens() -> None:
    planned = arms(new_max_tokens=3)
    assert [arm.name for arm in planned] == ["old greedy", "new greedy", "new logprobs", "old logprobs"]
    assert {(arm.engine, arm.max_tokens) for arm in planned if arm.name.startswith("old")} == {("stock", 8)}
    assert {(arm.engine, arm.max_tokens) for arm in planned if arm.name.startswith("new")} == {("lean", 3)}
    assert [arm.answer_distribution for arm in planned] == ["parsed", "parsed", "logprobs", "logprobs"]


def test_an_arm_probes_a_subset_of_the_demo_with_its_settings() -> None:
    config = arm_config(arms(3)[2], ["EG", "JP"], port=8151)
    assert str(config.models[0].base_url) == "http://127.0.0.1:8151/v1"
    assert config.grid.countries == ["EG", "JP"] and config.grid.settings == ["english"]
    assert (config.grid.max_tokens, config.grid.answer_distribution) == (3, "logprobs")


def _result(name: str, seconds: float, readings: dict, prompt_ms: float = 8000.0) -> ArmResult:
    [arm] = [arm for arm in arms(3) if arm.name == name]
    return ArmResult(arm, seconds, EngineWork(48, 2400, prompt_ms, 96, 2000.0), readings, 96)


CELLS = {
    ("EG", "m01", "base", 0): (1.0, "ok", "parsed"),
    ("JP", "m01", "base", 0): (None, "unparseable", "parsed"),
}


def test_agreement_counts_cells_read_alike() -> None:
    a, b = _result("new greedy", 1, CELLS), _result("old greedy", 1, CELLS)
    assert agreement(a, b) == 2
    changed = {**CELLS, ("EG", "m01", "base", 0): (2.0, "ok", "parsed")}
    assert agreement(a, _result("old greedy", 1, changed)) == 1
    logprobs = {cell: (answer, status, "logprobs") for cell, (answer, status, _) in CELLS.items()}
    assert agreement(a, _result("new logprobs", 1, logprobs)) == 0
    close = {**logprobs, ("EG", "m01", "base", 0): (1.0004, "ok", "logprobs")}
    assert agreement(_result("new logprobs", 1, logprobs), _result("old logprobs", 1, close)) == 2


def test_the_report_puts_each_arm_against_the_new_greedy_floor() -> None:
    results = [
        _result("old greedy", 15.0, CELLS, prompt_ms=11000.0),
        _result("new greedy", 10.4, CELLS),
        _result("new logprobs", 10.0, CELLS),
        _result("old logprobs", 20.0, CELLS, prompt_ms=11000.0),
    ]
    text = report(results, ((0.5, 0.4, 0.3), (0.6, 0.5, 0.4)))
    assert "floor (new greedy's tokens at its rates): 10.0 s" in text
    rows = {line.split("  ")[0]: line for line in text.splitlines()}
    assert " 0.667 " in rows["old greedy"] and " 0.962 " in rows["new greedy"]
    assert "speed-up new vs old greedy: 1.44x" in text
    assert "new logprobs vs new greedy: 1.04x" in text
    assert "readings equal, new vs old greedy: 2/2" in text
