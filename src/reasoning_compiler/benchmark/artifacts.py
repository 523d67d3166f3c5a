"""A benchmark's per-run files, packed into one archive beside its report.

Git keeps what a reader looks at: ``report.md``, ``results.json``, the figures and the
benchmark's own records (``config.json``, ``machine.json``, ``bench_runs.json``). Each run's
files (``samples.jsonl``, ``result.json``, ``run.json``, the fastest program, the LLM transcript,
a tuning cache) live in ``artifacts.tar.xz`` beside the report and are ignored by git where they
lie. A benchmark unpacks its archive before it resumes or reports (files on disk win) and packs
it again when its report is written, so reports regenerate from a fresh clone.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

ARCHIVE = "artifacts.tar.xz"
# Per-run files worth keeping; builds, databases, cost models and MetaSchedule's logs are not.
RUN_FILES = (
    "samples.jsonl",
    "result.json",
    "run.json",
    "best_program.py",
    "llm_transcript.jsonl",
    "tuning-cache.sqlite",
)
RUN_FOLDERS = ("runs", "transcripts")  # where per-run files lie in a benchmark's folder
# The last paragraph of every benchmark's report.
REPORT_NOTE = (
    "Each run's own files (samples.jsonl, result.json, fastest program, LLM transcript) are in "
    f"`{ARCHIVE}` beside this report: `python benchmarks/artifacts.py unpack <this folder>` "
    "lays them out; the benchmark's command with the same output folder resumes from them."
)


def on_disk(bench: Path) -> dict[str, bytes]:
    """The per-run files under ``bench``, by path relative to it."""
    paths = [
        path
        for folder in RUN_FOLDERS
        for path in sorted((bench / folder).rglob("*"))
        if path.is_file() and (path.name in RUN_FILES or folder == "transcripts")
    ]
    return {str(path.relative_to(bench)): path.read_bytes() for path in paths}


def in_archive(bench: Path) -> dict[str, bytes]:
    archive = bench / ARCHIVE
    if not archive.exists():
        return {}
    with tarfile.open(archive, "r:xz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def pack(bench: Path) -> int:
    """Write ``bench/artifacts.tar.xz``: what it held, updated by the files on disk."""
    files = in_archive(bench) | on_disk(bench)
    if not files:
        return 0
    tmp = bench / (ARCHIVE + ".tmp")
    with tarfile.open(tmp, "w:xz") as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0  # the same files give the same archive
            tar.addfile(info, io.BytesIO(files[name]))
    tmp.replace(bench / ARCHIVE)  # a kill mid-write leaves the old archive whole
    return len(files)


def unpack(bench: Path) -> int:
    """Write the archive's files where they were; files on disk are kept as they are."""
    written = 0
    for name, data in in_archive(bench).items():
        path = bench / name
        if ".." in Path(name).parts or Path(name).is_absolute() or path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    return written
