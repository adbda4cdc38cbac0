"""The embedded default end to end: local model → probe DAG → transform DAG → summary.

Ctrl-C (or SIGTERM) stops it cleanly: the probe task writes the answers that arrived and says
it was interrupted, the `airflow` process group and the model server are stopped, and running
the demo again asks only what is missing."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from culturewatch.config.loader import bundled_config, load_config
from culturewatch.discovery.probed import run_states
from culturewatch.instruments.loader import load_instrument
from culturewatch.marts import run_ids
from culturewatch.orchestration.airflow_runs import PROBE_DAG, TRANSFORM_DAG, init_airflow, run_dag_test
from culturewatch.probing.probe_specs import cells_for, country_languages
from culturewatch.reporting.summary import deviation_ratio_table
from culturewatch.serving.llama_server import LocalModelServer
from culturewatch.serving.model_files import assemble
from culturewatch.settings import DataPaths
from culturewatch.storage.progress import answers_in_progress, clear_progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoResult:
    run_ids: list[str]
    summary: str
    seconds: float


def planned_cells(config_path: Path) -> int:
    config = load_config(config_path)
    instrument = load_instrument(config.grid.instrument)
    pairs = country_languages(config.grid, instrument)
    return len(cells_for(config.grid, instrument, pairs)) * len(config.models)


def run_demo(paths: DataPaths, config_path: Path | None = None, port: int = 8091) -> DemoResult:
    """Serve the config's model locally, run both DAGs with `airflow dags test`, summarise."""
    started = time.monotonic()
    config_path = config_path or bundled_config("embedded")
    config = load_config(config_path)
    model_name = config.models[0].name
    model_path = assemble(model_name, paths.models)
    init_airflow(paths)
    total = planned_cells(config_path)
    server = LocalModelServer(
        model_name, model_path, port=port, log_path=paths.logs / f"model-server-{port}.log"
    )
    clear_progress(paths)
    with server, tqdm(total=total, desc="probe answers", unit="answer") as bar:

        def show_progress() -> None:  # the probe tasks count every answer (storage.progress)
            bar.n = min(total, answers_in_progress(paths))
            bar.refresh()

        def probes_settled() -> bool:
            return not any(state.running for state in run_states(paths))

        run_dag_test(
            paths,
            PROBE_DAG,
            {"config": str(config_path)},
            while_running=show_progress,
            settled=probes_settled,
        )
    print("transforming with dbt (Cosmos task group) ...", flush=True)
    run_dag_test(paths, TRANSFORM_DAG)
    runs = run_ids(paths)
    summary = "\n\n".join(deviation_ratio_table(paths, run_id) for run_id in runs)
    return DemoResult(runs, summary, time.monotonic() - started)
