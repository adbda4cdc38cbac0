"""llama.cpp's LoRA converter (`convert_lora_to_gguf.py`): which one, and where it lives.

The converter is the one vendored in the llama-cpp-python sdist whose version the model server
runs (requirements/model-server.lock), so adapter and server share one llama.cpp. The sdist is
fetched once with `pip download` from PyPI (`make setup` does it: `culturewatch fetch-converter`)
and its converter (script, `conversion/`, `gguf-py/`) cached under the tools dir.

Where the converter comes from does not decide an adapter's bytes (its version does), so this is
not `convert`: the regression test keys its committed adapter on `convert`'s source.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.settings import PROJECT_ROOT, DataPaths

log = logging.getLogger(__name__)
TOOLS_DIR_ENV = "CULTUREWATCH_TOOLS_DIR"
MODEL_SERVER_LOCK = PROJECT_ROOT / "requirements" / "model-server.lock"
_SCRIPT = "convert_lora_to_gguf.py"  # a folder holding it is an extracted converter
_CONVERTER_PARTS = (_SCRIPT, "convert_hf_to_gguf.py", "conversion/", "gguf-py/")


def llama_cpp_python_version(lock: Path = MODEL_SERVER_LOCK) -> str:
    match = re.search(r"^llama[-_]cpp[-_]python==(\S+)$", lock.read_text(), re.MULTILINE | re.IGNORECASE)
    if not match:
        raise CulturewatchError(f"{lock}: no llama_cpp_python==<version> pin")
    return match.group(1)


def tools_dir(paths: DataPaths) -> Path:
    """$CULTUREWATCH_TOOLS_DIR (shared between data dirs), else <data dir>/cache/tools."""
    chosen = os.environ.get(TOOLS_DIR_ENV)
    return Path(chosen).expanduser().resolve() if chosen else paths.root / "cache" / "tools"


def converter_dir(paths: DataPaths, version: str | None = None) -> Path:
    """llama.cpp's converter from the llama-cpp-python sdist, downloaded and extracted once."""
    version = version or llama_cpp_python_version()
    target = tools_dir(paths) / f"llama.cpp-{version}"
    if (target / _SCRIPT).is_file():
        return target
    sdist = tools_dir(paths) / f"llama_cpp_python-{version}.tar.gz"
    if not sdist.is_file():
        _download_sdist(version, sdist)
    prefix = f"llama_cpp_python-{version}/vendor/llama.cpp/"
    with tempfile.TemporaryDirectory(dir=sdist.parent) as scratch, tarfile.open(sdist) as archive:
        members = [
            member
            for member in archive.getmembers()
            if member.name.startswith(prefix)
            and any(member.name[len(prefix) :].startswith(part) for part in _CONVERTER_PARTS)
        ]
        if not members:
            raise CulturewatchError(f"{sdist}: no vendored llama.cpp converter inside")
        archive.extractall(scratch, members=members, filter="data")
        try:
            Path(scratch, prefix).rename(target)
        except OSError as taken:  # another process extracted it first: use theirs
            if not (target / _SCRIPT).is_file():
                raise CulturewatchError(
                    f"{target}: in the way of llama.cpp's converter and not one (no {_SCRIPT}); remove it"
                ) from taken
    return target


def _download_sdist(version: str, sdist: Path) -> None:
    """The llama-cpp-python sdist from PyPI (pip), in place whole or not at all: a download that
    is killed leaves no half file that a later call would take for the sdist."""
    log.info("downloading the llama-cpp-python %s sdist for llama.cpp's LoRA converter", version)
    sdist.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=sdist.parent, prefix=".download-") as scratch:
        fetched = subprocess.run(
            [
                sys.executable, "-m", "pip", "download", f"llama-cpp-python=={version}",
                "--no-deps", "--no-binary", ":all:", "--quiet", "-d", scratch,
            ],
            capture_output=True, text=True,
        )  # fmt: skip
        downloaded = Path(scratch) / sdist.name
        if fetched.returncode != 0 or not downloaded.is_file():
            errors = [line for line in fetched.stderr.splitlines() if line.startswith("ERROR")]
            reason = errors[-1] if errors else f"pip exited with {fetched.returncode}, no {sdist.name}"
            raise CulturewatchError(
                f"could not download the llama-cpp-python {version} sdist (llama.cpp's LoRA converter) "
                f"into {sdist.parent}: {reason}"
            )
        os.replace(downloaded, sdist)
