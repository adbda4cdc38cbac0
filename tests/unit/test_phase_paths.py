"""`make test`'s timing and end-to-end phases collect only their folders (Makefile:
TIMING_TEST_PATHS, SLOW_TEST_PATHS): a module marked `timing` or `slow` anywhere else would never
run in CI. This fails first."""

from __future__ import annotations

import re

from culturewatch.settings import PROJECT_ROOT

MARK = re.compile(r"pytest\.mark\.(slow|timing)\b")


def _make_variable(name: str) -> list[str]:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    [value] = re.findall(rf"^{name} := (.+)$", makefile, flags=re.MULTILINE)
    return value.split()


def test_every_slow_or_timing_module_is_in_its_phases_folders() -> None:
    folders = {"slow": _make_variable("SLOW_TEST_PATHS"), "timing": _make_variable("TIMING_TEST_PATHS")}
    marked: dict[str, set[str]] = {"slow": set(), "timing": set()}
    for module in sorted((PROJECT_ROOT / "tests").rglob("*.py")):
        relative = module.relative_to(PROJECT_ROOT).as_posix()
        for mark in MARK.findall(module.read_text(encoding="utf-8")):
            marked[mark].add(relative)
    assert marked["slow"] and marked["timing"]  # the scan finds what the phases run
    for mark, modules in marked.items():
        outside = [m for m in modules if not any(m.startswith(f"{folder}/") for folder in folders[mark])]
        assert outside == [], f"marked {mark} outside {folders[mark]}: the phase would not collect {outside}"
