"""dbt's unit tests (the `unit_tests:` of the models' yml: hand-worked inputs and outputs of a
model's SQL) run here, all of them, once: the fixture builds of the other modules leave them out
(raw_fixture.run_dbt), since they check the SQL, not a fixture's data."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dbt.raw_fixture import dbt


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    data_dir, work_dir = tmp_path / "data", tmp_path / "dbt"
    data_dir.mkdir()
    # the models under test and everything upstream, built empty (dbt needs their columns), then
    # every unit test
    dbt(["build", "--select", "+test_type:unit", "--empty"], data_dir, work_dir, unit_tests=True)
    target = work_dir / "target"
    declared = set(json.loads((target / "manifest.json").read_text())["unit_tests"])
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {row["unique_id"]: row["status"] for row in results if row["unique_id"].startswith("unit_test.")}
    assert declared and set(ran) == declared
    assert set(ran.values()) == {"pass"}, ran
