"""`make test`'s timing phase collects only its folders (Makefile: TIMING_TEST_PATHS); the other
phase collects all of tests/ and leaves the timing tests out (`-m "not timing"`). A module marked
`timing` anywhere else would never run in CI. This fails first."""

from __future__ import annotations

import re

from culturewatch.settings import PROJECT_ROOT

MARK = re.compile(r"pytest\.mark\.timing\b")


def _make_variable(name: str) -> list[str]:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    [value] = re.findall(rf"^{name} := (.+)$", makefile, flags=re.MULTILINE)
    return value.split()


def test_every_timing_module_is_in_the_timing_phases_folders() -> None:
    folders = _make_variable("TIMING_TEST_PATHS")
    marked = {
        module.relative_to(PROJECT_ROOT).as_posix()
        for module in sorted((PROJECT_ROOT / "tests").rglob("*.py"))
        if MARK.search(module.read_text(encoding="utf-8"))
    }
    assert marked  # the scan finds what the phase runs
    outside = [module for module in marked if not any(module.startswith(f"{folder}/") for folder in folders)]
    assert outside == [], f"marked timing outside {folders}: the phase would not collect {outside}"
