"""DAG files are wiring only: a schedule, tasks, and each task body a call into the Airflow adapter
(`culturewatch.orchestration`), in at most 50 lines."""

from __future__ import annotations

import ast

import pytest

from culturewatch.settings import PROJECT_ROOT

MAX_LINES = 50
DAG_FILES = sorted((PROJECT_ROOT / "dags").glob("*.py"))


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda path: path.name)
def test_each_dag_file_is_at_most_50_lines(dag_file) -> None:
    lines = len(dag_file.read_text().splitlines())
    assert lines <= MAX_LINES, f"{dag_file.name} has {lines} lines"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda path: path.name)
def test_dag_files_reach_the_library_through_the_adapter_only(dag_file) -> None:
    imported = {
        node.module or ""
        for node in ast.walk(ast.parse(dag_file.read_text()))
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(ast.parse(dag_file.read_text()))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    library = {name for name in imported if name.split(".")[0] == "culturewatch"}
    assert library and all(name.startswith("culturewatch.orchestration") for name in library), library
