"""The import rules of docs/architecture.md, checked on the library's source: only the Airflow
adapter (`culturewatch.orchestration`) imports Airflow or Cosmos, every other module imports with
both blocked, the library does not lean on the adapter, and no module imports one that imports it
back (lazy imports inside functions included: a cycle there is one refactoring away from an
import-time cycle). Instruments are data: they import nothing from probing (not even through
another module), and only the kind registry (`culturewatch.kinds`) tells instrument kinds apart."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import culturewatch

PACKAGE = Path(culturewatch.__file__).parent
ADAPTER = "culturewatch.orchestration"
INSTRUMENTS = "culturewatch.instruments"
PROBING = "culturewatch.probing"
KINDS = "culturewatch.kinds"
ADAPTER_USERS = {"culturewatch.demo", "culturewatch.local_ui", "culturewatch.cli.operations"}
"""The commands that drive Airflow (`demo`, `ui`, `airflow-init`): they run its CLI, not its code."""
BLOCKED = ("airflow", "cosmos")

_IMPORT_ALL_BLOCKED = """
import importlib, sys

BLOCKED = ("airflow", "cosmos")


class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked (not installed, as far as this test is concerned)")
        return None


assert not [name for name in sys.modules if name.split(".")[0] in BLOCKED], "imported at startup"
sys.meta_path.insert(0, Blocked())
failed = []
for module in sys.argv[1:]:
    try:
        importlib.import_module(module)
    except Exception as exc:
        failed.append(f"{module}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("culturewatch", *path.relative_to(PACKAGE).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = _modules()


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imported_names(module: str) -> Iterator[tuple[str, int]]:
    """Each module name an import statement of `module` names, absolute, with its line: `from
    a.b import c` names `a.b` and `a.b.c` (c may be a module or a name in a.b)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            yield from ((f"{base}.{alias.name}", node.lineno) for alias in node.names)


def _library_module(name: str) -> str | None:
    """The culturewatch module an imported name lies in (a name in a module: that module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module in MODULES:
        for name, _ in imported_names(module):
            target = _library_module(name) if _inside(name, "culturewatch") else None
            if target is not None and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def outside_the_adapter() -> list[str]:
    return [module for module in MODULES if not _inside(module, ADAPTER)]


def test_only_the_adapter_imports_airflow_or_cosmos() -> None:
    offenders = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: imports {name}"
        for module in outside_the_adapter()
        for name, line in imported_names(module)
        if name.split(".")[0] in BLOCKED
    ]
    assert offenders == [], "\n".join(sorted(set(offenders)))


def test_every_module_outside_the_adapter_imports_with_airflow_and_cosmos_blocked() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL_BLOCKED, *outside_the_adapter()],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_the_library_does_not_import_the_adapter() -> None:
    offenders = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: imports {name}"
        for module in outside_the_adapter()
        if module not in ADAPTER_USERS
        for name, line in imported_names(module)
        if _inside(name, ADAPTER)
    ]
    assert offenders == [], "\n".join(sorted(set(offenders)))


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(import_graph()) == []


def import_path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """The modules from `start` to the first module inside package `goal` it imports, directly or
    through others (breadth first), or None when it reaches none."""
    came_from: dict[str, str | None] = {start: None}
    queue = [start]
    for module in queue:
        if _inside(module, goal) and module != start:
            path = [module]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        for successor in sorted(graph[module] - came_from.keys()):
            came_from[successor] = module
            queue.append(successor)
    return None


def test_instruments_import_nothing_from_probing() -> None:
    """Data does not know its client: no instruments module reaches culturewatch.probing."""
    graph = import_graph()
    offenders = [
        " -> ".join(path)
        for module in MODULES
        if _inside(module, INSTRUMENTS)
        if (path := import_path(graph, module, PROBING)) is not None
    ]
    assert offenders == [], "\n".join(offenders)


def _instrument_class_checks(module: str) -> Iterator[tuple[int, str]]:
    """`isinstance(x, <...>Instrument)` calls of a module (a tuple of classes included)."""
    path = MODULES[module]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            classes = node.args[1:2]
            if classes and isinstance(classes[0], ast.Tuple):
                classes = classes[0].elts
            for target in classes:
                name = ast.unparse(target)
                if name.endswith("Instrument"):
                    yield node.lineno, name


def test_only_the_kind_registry_tells_instrument_kinds_apart() -> None:
    offenders = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: isinstance(..., {name})"
        for module in MODULES
        if not _inside(module, KINDS)
        for line, name in _instrument_class_checks(module)
    ]
    assert offenders == [], "\n".join(offenders)


def test_the_path_finder_names_the_modules_between() -> None:
    graph = {"a.x": {"b.y"}, "b.y": {"c.z"}, "c.z": set(), "d": {"a.x"}}
    assert import_path(graph, "d", "c") == ["d", "a.x", "b.y", "c.z"]
    assert import_path(graph, "c.z", "a") is None


def test_the_cycle_finder_finds_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c"]]
