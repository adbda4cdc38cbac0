"""Convert a peft LoRA adapter to GGUF with llama.cpp's own `convert_lora_to_gguf.py`
(`converter`: the one of the model server's llama-cpp-python); it runs in the main venv (torch,
transformers, safetensors).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from culturewatch.errors import CulturewatchError
from culturewatch.retraining.converter import converter_dir
from culturewatch.settings import DataPaths


def convert_adapter(
    adapter_dir: Path, base_hf_dir: Path, out_file: Path, paths: DataPaths, outtype: str = "f32"
) -> Path:
    """adapter_model.safetensors + adapter_config.json → one GGUF LoRA file for `--lora_path`."""
    script = converter_dir(paths) / "convert_lora_to_gguf.py"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(script), "--base", str(base_hf_dir), "--outfile", str(out_file),
         "--outtype", outtype, str(adapter_dir)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if done.returncode != 0 or not out_file.is_file():
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise CulturewatchError(f"LoRA conversion failed (exit {done.returncode}):\n{tail}")
    return out_file
