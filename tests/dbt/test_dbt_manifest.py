"""The manifest the transform DAG renders from: writers at once leave one readable, current manifest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DBT_PROJECT_DIR
from culturewatch.transform.dbt_manifest import checked_manifest, current_manifest

WRITER = (
    "import sys; from pathlib import Path; from culturewatch.transform import dbt_manifest as m; "
    "print(m.current_manifest(Path(sys.argv[1])))"
)


def test_two_writers_at_once_leave_one_readable_current_manifest(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    with pytest.raises(CulturewatchError, match="no dbt manifest"):
        checked_manifest(project)

    # two test workers (or a deploy beside a test run) that both find it missing
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(project)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    assert [writer.wait(timeout=300) for writer in writers] == [0, 0]
    manifest = checked_manifest(project)
    assert "model.culturewatch.deviation_ratio" in json.loads(manifest.read_text())["nodes"]
    assert not list((project / "target").glob(".parse-*"))  # no half-written parse left behind

    # a changed model makes it stale; asking again refreshes it
    (project / "models" / "marts" / "deviation_ratio.sql").write_text(
        (project / "models" / "marts" / "deviation_ratio.sql").read_text() + "\n-- changed\n"
    )
    with pytest.raises(CulturewatchError, match="older than the dbt project"):
        checked_manifest(project)
    assert current_manifest(project) == manifest and checked_manifest(project) == manifest
