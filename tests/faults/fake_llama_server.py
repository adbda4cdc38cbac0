"""Stands in for `python -m llama_cpp.server` (the demo's model server) in interrupt tests: a
FaultServer on the given --port that lists --model_alias and answers slowly, logging every
exchange to $CW_FAULT_LOG. Started through a fake interpreter ($CULTUREWATCH_MODEL_PYTHON) by
LocalModelServer, exactly as the real server would be, so the demo's process handling is real."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.faults.fault_server import FaultServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model_alias", required=True)
    known, _ = parser.parse_known_args()
    delay = float(os.environ.get("CW_FAULT_DELAY_S", "0.3"))
    server = FaultServer(
        "ok",
        delay_s=delay,
        models=(known.model_alias,),
        port=known.port,
        log_path=Path(os.environ["CW_FAULT_LOG"]),
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with server:
        signal.pause()


if __name__ == "__main__":
    main()
