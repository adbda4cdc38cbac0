"""The `culturewatch` command line: probe, build, demo, serve-model, summary, report, fetch-model,
retrain."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.settings import data_paths

INTERRUPTED = (
    "interrupted: stopped cleanly; every answer that arrived is kept (run the same command again to ask "
    "only what is missing)"
)


def _probe(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from culturewatch.config.loader import bundled_config
    from culturewatch.probing.orchestrate import plan_probe
    from culturewatch.probing.runner import pending_cells, run_probe
    from culturewatch.storage.compaction import compact_runs

    paths = data_paths(args.data_dir)
    specs = plan_probe(args.config or bundled_config("embedded"), model=args.model, version=args.version)
    for spec in specs:
        todo, _ = pending_cells(spec, paths)
        with tqdm(total=len(todo), desc=spec.label, unit="prompt") as bar:
            outcome = run_probe(spec, paths, progress=bar.update)
        print(
            f"{spec.label}: {outcome.cells_answered} answered now, "
            f"{outcome.cells_already_done} already on disk, {outcome.requests_sent} requests sent"
        )
    compact_runs(paths, sorted({spec.run_id for spec in specs}))  # every slice done: one file per table
    print(f"raw responses: {paths.raw_responses}")


def _build(args: argparse.Namespace) -> None:
    from culturewatch.transform.warehouse_build import build_marts, write_raw_manifest

    paths = data_paths(args.data_dir)
    if args.dev_database:
        database = Path(args.dev_database)
        files = write_raw_manifest(paths, database)
        print(
            f"raw manifest of {len(files)} files in {database}; now run dbt with "
            f"CULTUREWATCH_BUILD_DATABASE={database} (a scratch build: nothing is published)"
        )
        return
    outcome = build_marts(paths, args.select, from_raw=args.full_refresh)
    print(f"dbt build: {outcome.dbt_nodes} nodes ok; audited and published")
    print(outcome.summary())
    print(f"warehouse: {paths.warehouse} (read-only; marts in schema `marts`)")


def _summary(args: argparse.Namespace) -> None:
    from culturewatch.marts import run_ids
    from culturewatch.reporting.summary import deviation_ratio_table, require_run

    paths = data_paths(args.data_dir)
    if args.run_id:
        require_run(paths, args.run_id)
    chosen = [args.run_id] if args.run_id else run_ids(paths)
    if not chosen:
        raise CulturewatchError(f"the published warehouse {paths.warehouse} has no VSM run yet")
    for run_id in chosen:
        print(deviation_ratio_table(paths, run_id))
        print()


def _report(args: argparse.Namespace) -> None:
    from culturewatch.reporting.report import write_report
    from culturewatch.reporting.report_data import ReportOptions

    options = ReportOptions(
        run_id=args.run_id,
        compare_run_id=args.compare_run,
        language=args.language,
        style=args.style,
        strategy=args.strategy,
        variant=args.variant,
        airflow_url=args.airflow_url,
    )
    files = write_report(data_paths(args.data_dir), options, Path(args.out) if args.out else None)
    print(f"report: {files.html}")
    print(f"leaderboard: {files.leaderboard}")
    for image in files.images:
        print(f"figure: {image}")


def _demo(args: argparse.Namespace) -> None:
    from culturewatch.demo import run_demo

    paths = data_paths(args.data_dir)
    result = run_demo(paths, Path(args.config) if args.config else None, port=args.port)
    print(result.summary)
    print(f"\nwarehouse: {paths.warehouse}  (marts in schema `marts`)")
    print(f"raw responses: {paths.raw_responses}")
    print(f"demo finished in {result.seconds / 60:.1f} min")


def _ui(args: argparse.Namespace) -> None:
    from culturewatch.local_ui import LocalUI

    ui = LocalUI(data_paths(args.data_dir), port=args.port, config=Path(args.config) if args.config else None)
    print(f"starting Airflow on 127.0.0.1:{args.port} (data dir {ui.paths.root}) ...", flush=True)
    ui.start()
    print(ui.banner(), flush=True)
    ui.serve_until_stopped()
    print("Airflow stopped")


def _instruments(args: argparse.Namespace) -> None:
    from culturewatch.errors import CulturewatchError
    from culturewatch.instruments.loader import available_instruments, load_instrument
    from culturewatch.kinds.language_check import misidentified

    ids = args.ids or sorted(available_instruments())
    failures = 0
    for instrument_id in ids:
        instrument = load_instrument(instrument_id)  # structure, placeholders, scripts
        print(
            f"{instrument.id} {instrument.version}: {len(instrument.item_ids)} items × "
            f"{len(instrument.languages)} languages, structure and scripts ok"
        )
        for code, texts in instrument.languages.items():
            wrong = [] if args.skip_language_id else misidentified(instrument, code)
            failures += len(wrong)
            verdict = "language ok" if not wrong else f"{len(wrong)} prompt(s) identified as another language"
            print(f"  {code}  {texts.review_status:<10} {verdict}")
            for miss in wrong:
                print(f"      {miss.what}: detected {miss.detected}: {miss.text[:80]!r}")
    if failures:
        raise CulturewatchError(f"{failures} prompt(s) are not in their language")


def _validate(args: argparse.Namespace) -> None:
    from culturewatch.quality import gates
    from culturewatch.quality.notify import message
    from culturewatch.storage.raw_runs import require_raw_run

    paths = data_paths(args.data_dir)
    require_raw_run(paths, args.run_id)
    if args.release:
        verdict = gates.release(paths, args.run_id, args.reason or "")
        print(f"run {args.run_id}: released by hand ({verdict['reason']})")
        return
    plan = None
    if args.config:
        from culturewatch.probing.orchestrate import plan_probe
        from culturewatch.quality.run_plan import RunPlan

        plans = [
            found for found in RunPlan.from_specs(plan_probe(args.config)) if found.run_id == args.run_id
        ]
        if not plans:
            raise CulturewatchError(f"{args.config} does not plan run {args.run_id!r}")
        plan = plans[0]
    [verdict] = gates.revalidate(paths, args.run_id, plan)
    print(f"run {args.run_id}: {verdict['status']} ({verdict['reason']})")
    print(f"Data Docs: {verdict['data_docs_url']}")
    if verdict["status"] == "quarantined":
        print(message([verdict]))
        raise CulturewatchError(f"run {args.run_id} stays quarantined")


def _fetch_model(args: argparse.Namespace) -> None:
    from culturewatch.serving.model_files import assemble

    print(assemble(args.model, data_paths(args.data_dir).models))


def _fetch_converter(args: argparse.Namespace) -> None:
    from culturewatch.retraining.converter import converter_dir

    print(converter_dir(data_paths(args.data_dir)))


def _serve_model(args: argparse.Namespace) -> None:
    from culturewatch.serving.llama_server import LocalModelServer, stop_from_pidfile
    from culturewatch.serving.model_files import assemble

    paths = data_paths(args.data_dir)
    pidfile = paths.root / "run" / f"model-server-{args.port}.json"
    if args.stop:
        print("stopped" if stop_from_pidfile(pidfile) else f"no server recorded in {pidfile}")
        return
    server = LocalModelServer(
        args.model,
        assemble(args.model, paths.models),
        port=args.port,
        log_path=paths.logs / f"model-server-{args.port}.log",
    ).start()
    print(f"serving {args.model} at {server.base_url} (log {server.log_path})", flush=True)
    if args.background:
        server.write_pidfile(pidfile)
        print(f"stop it with: culturewatch serve-model --stop --port {args.port}")
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _serve_candidate(args: argparse.Namespace) -> None:
    """Serve a registry version of the config's registered model (base GGUF + its GGUF adapter from
    MLflow) until interrupted, with a fleet config that lets the watch find and probe it."""
    from culturewatch.retraining.candidate_server import (
        candidate_fleet_config,
        serve_registered_adapter,
    )
    from culturewatch.retraining.retrain_config import DEFAULT_RETRAIN_CONFIG, load_retrain_config
    from culturewatch.retraining.tracking import registered_model_name

    paths = data_paths(args.data_dir)
    config = load_retrain_config(args.config or DEFAULT_RETRAIN_CONFIG)
    name = registered_model_name(config.mlflow, config.base_model.name)
    folder = paths.root / "retrain" / "served" / name
    with serve_registered_adapter(paths, config, name, args.serve, port=args.port, workdir=folder) as served:
        fleet = candidate_fleet_config(folder / "fleet.yaml", served, paths, config)
        print(
            f"serving {served.probe_as}@{served.identity} at {served.base_url} "
            f"(adapter {served.adapter_gguf})"
        )
        print(f"watch it: culturewatch watch --config {fleet}   (Ctrl-C stops the server)", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


def _retrain(args: argparse.Namespace) -> None:
    from culturewatch.retraining import pipeline
    from culturewatch.retraining.retrain_config import DEFAULT_RETRAIN_CONFIG

    if args.serve:
        _serve_candidate(args)
        return
    paths = data_paths(args.data_dir)
    state = pipeline.run_all(
        args.config or DEFAULT_RETRAIN_CONFIG, paths, evaluate_candidate=not args.no_evaluate
    )
    training, registered = state.get("training", {}), state.get("registered", {})
    print(f"retraining {state['retrain_id']}: {paths.root / 'retrain' / state['retrain_id']}")
    print(f"training: {training}")
    print(
        f"registered: {registered.get('name')} v{registered.get('version')} (alias candidate), probed as "
        f"{registered.get('probe_as')}@{registered.get('model_version')}"
    )
    if "evaluation" in state:
        print(f"evaluation: {state['evaluation']}")
        promotion = state.get("promotion") or {}
        if promotion:
            print(f"promotion: {promotion.get('decision')}: {'; '.join(promotion.get('reasons', []))}")
        else:
            print(f"promotion: waiting: {state.get('promotion_waiting')}")


def _run_id(value: str) -> str:
    """An argparse type: a run id, refused before any path is built from it."""
    from culturewatch.identifiers import InvalidIdentifier, check_run_id

    try:
        return check_run_id(value)
    except InvalidIdentifier as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="culturewatch", description=__doc__)
    root.add_argument("--data-dir", help="default: $CULTUREWATCH_DATA_DIR or ./data")
    root.add_argument("-v", "--verbose", action="store_true")
    commands = root.add_subparsers(dest="command", required=True)

    probe = commands.add_parser("probe", help="ask the configured grid; resumes what is missing")
    probe.add_argument("--config", help="run configuration YAML (default: the embedded default)")
    probe.add_argument("--model", help="probe only this configured model")
    probe.add_argument("--version", help="as this version identity (with --model; default: resolve it now)")
    probe.set_defaults(handler=_probe)

    build = commands.add_parser(
        "build", help="write-audit-publish: dbt build of the marts over the raw data, audited, then published"
    )
    build.add_argument("--select", help="dbt selection, e.g. marts.deviation_ratio+")
    build.add_argument(
        "--full-refresh", action="store_true", help="build from the raw files alone (after a seed change)"
    )
    build.add_argument(
        "--dev-database",
        metavar="FILE",
        help="instead: only scan the raw manifest into FILE, for a development dbt run by hand",
    )
    build.set_defaults(handler=_build)

    summary = commands.add_parser("summary", help="per-country deviation-ratio table")
    summary.add_argument("--run-id", type=_run_id)
    summary.set_defaults(handler=_summary)

    report = commands.add_parser(
        "report", help="paper-style figures of a run and a leaderboard across models: HTML, SVG, 300-dpi PNG"
    )
    report.add_argument("--run-id", required=True, type=_run_id)
    report.add_argument(
        "--compare-run", type=_run_id, help="a run to compare with (e.g. the base model of a candidate)"
    )
    report.add_argument("--data-dir", default=argparse.SUPPRESS, help="as the global --data-dir")
    report.add_argument("--out", help="output folder (default: <data dir>/reports/<run id>)")
    report.add_argument(
        "--language",
        help="radar chart setting: `aligned` or a prompt language code (default: aligned when most "
        "countries were asked in their own language, else the language most countries were asked in)",
    )
    report.add_argument("--style", help="default: classification when present")
    report.add_argument("--strategy", help="default: aware when present")
    report.add_argument("--variant", help="default: base when present")
    report.add_argument(
        "--airflow-url",
        help="the Airflow UI that run links point into (default: $AIRFLOW__API__BASE_URL, else "
        "http://localhost:8080)",
    )
    report.set_defaults(handler=_report)

    demo = commands.add_parser("demo", help="the embedded default end to end through Airflow")
    demo.add_argument("--config", help="run configuration YAML (default: the embedded default)")
    demo.add_argument("--port", type=int, default=8091)
    demo.set_defaults(handler=_demo)

    ui = commands.add_parser(
        "ui", help="the Airflow UI locally: the project's DAGs unpaused, the Alignment view; Ctrl-C stops it"
    )
    ui.add_argument("--port", type=int, default=8080)
    ui.add_argument(
        "--config", help="fleet config for the DAGs (default: $CULTUREWATCH_CONFIG, else embedded)"
    )
    ui.set_defaults(handler=_ui)

    serve = commands.add_parser("serve-model", help="serve a bundled GGUF model on 127.0.0.1")
    serve.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    serve.add_argument("--port", type=int, default=8091)
    serve.add_argument("--background", action="store_true")
    serve.add_argument("--stop", action="store_true")
    serve.set_defaults(handler=_serve_model)

    instruments = commands.add_parser(
        "instruments", help="validate instrument files: completeness, placeholders, scripts, language"
    )
    instruments.add_argument("ids", nargs="*", help="instrument ids (default: all)")
    instruments.add_argument("--skip-language-id", action="store_true")
    instruments.set_defaults(handler=_instruments)

    validate = commands.add_parser(
        "validate",
        help="re-run a run's data-quality checkpoints (raw, and marts when built); a quarantined run "
        "that passes is released",
    )
    validate.add_argument("--run-id", required=True, type=_run_id)
    validate.add_argument(
        "--config",
        help="the run configuration it was probed with (default: the plan recorded by the probe DAG)",
    )
    validate.add_argument("--release", action="store_true", help="release the run by hand, without checks")
    validate.add_argument("--reason", help="why it is released by hand (required with --release)")
    validate.set_defaults(handler=_validate)

    fetch = commands.add_parser("fetch-model", help="assemble and verify a bundled GGUF model")
    fetch.add_argument("model", nargs="?", default="qwen2.5-coder-1.5b-instruct")
    fetch.set_defaults(handler=_fetch_model)

    converter = commands.add_parser(
        "fetch-converter",
        help="download llama.cpp's LoRA-to-GGUF converter (retraining) into the tools dir, once",
    )
    converter.set_defaults(handler=_fetch_converter)

    retrain = commands.add_parser(
        "retrain", help="CultureSPA retraining: generate, select, LoRA-train, register, evaluate, promote"
    )
    retrain.add_argument("--config", help="retraining YAML (default: config/retrain.yaml)")
    retrain.add_argument(
        "--no-evaluate", action="store_true", help="stop after registration (no probe, marts or promotion)"
    )
    retrain.add_argument(
        "--serve",
        metavar="ALIAS_OR_VERSION",
        help="instead: serve that registry version (e.g. candidate, champion, 3) with its adapter on "
        "the local llama.cpp server until interrupted, and write a fleet config the watch can use",
    )
    retrain.add_argument("--port", type=int, help="with --serve: the port (default evaluation.port)")
    retrain.set_defaults(handler=_retrain)

    from culturewatch.cli.operations import add_ops_commands

    add_ops_commands(commands)
    return root


# Commands that read what a data dir already holds: a data dir that does not exist is a typo or a
# wrong $CULTUREWATCH_DATA_DIR, never an empty result (the others create it).
READS_EXISTING_DATA = frozenset({"summary", "report", "validate", "alerts", "warehouse", "compact"})


def require_data_dir(args: argparse.Namespace) -> None:
    """A one-line error when a reading command names a local data dir that does not exist. Run ids
    given as arguments are checked first: a bad id is the error to report, whatever the data dir."""
    from culturewatch.identifiers import check_run_id

    given = getattr(args, "run_id", None)
    for run_id in [given] if isinstance(given, str) else given or []:
        check_run_id(run_id)
    if args.command not in READS_EXISTING_DATA:
        return
    paths = data_paths(args.data_dir)
    if paths.store.is_local and not Path(paths.store.base).is_dir():
        where = "data dir" if paths.store_url is None else "store ($CULTUREWATCH_STORE)"
        raise CulturewatchError(
            f"{where} {paths.store.base} does not exist (set --data-dir or $CULTUREWATCH_DATA_DIR to the "
            "folder `culturewatch probe` and `build` wrote)"
        )


def _sigterm_as_interrupt(*_: object) -> None:
    """SIGTERM takes the Ctrl-C path (asyncio cancels the probe's requests, the answers that
    arrived are written, child processes and the model server are stopped). Also when SIGINT is
    ignored, as in a job a non-interactive shell started in the background: SIGTERM still stops it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.raise_signal(signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    from culturewatch.redaction import install_log_redaction

    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()
    previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        require_data_dir(args)
        args.handler(args)
    except CulturewatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
