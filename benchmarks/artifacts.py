"""Pack or unpack a benchmark's per-run artifacts: fastest programs, LLM transcripts, caches.

Git keeps what each benchmark's report is computed from: ``report.md``, ``results.json``, the
figures, and per run ``result.json``, ``samples.jsonl`` and ``run.json``. The programs, the
transcripts and the tuning caches (``cache_reuse.py``'s; most of the bytes) go into one
compressed archive per benchmark,
``artifacts.tar.xz`` beside its report, and are ignored by git where they lie.

    python benchmarks/artifacts.py pack benchmarks/results/llm-paired    # after a benchmark
    python benchmarks/artifacts.py unpack benchmarks/results/llm-paired  # to read them again
    python benchmarks/artifacts.py pack --all                            # every benchmark

Packing keeps what the archive held and adds or replaces what is on disk; nothing on disk is
deleted. ``benchmarks/prompt_context.py`` and ``llm_call_speed.py`` read unpacked transcripts.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ARCHIVE = "artifacts.tar.xz"
ARTIFACTS = ("best_program.py", "llm_transcript.jsonl", "tuning-cache.sqlite")


def on_disk(bench: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(bench)): path.read_bytes()
        for name in ARTIFACTS
        for path in sorted(bench.rglob(name))
    }


def in_archive(bench: Path) -> dict[str, bytes]:
    archive = bench / ARCHIVE
    if not archive.exists():
        return {}
    with tarfile.open(archive, "r:xz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def pack(bench: Path) -> int:
    """Write ``bench/artifacts.tar.xz`` with the archive's files and the ones on disk."""
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
    tmp.replace(bench / ARCHIVE)
    return len(files)


def unpack(bench: Path) -> int:
    """Write the archive's files where they were (files on disk are kept as they are)."""
    files = in_archive(bench)
    written = 0
    for name, data in files.items():
        path = bench / name
        if ".." in Path(name).parts or path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("pack", "unpack"))
    parser.add_argument("benchmarks", nargs="*", type=Path, help="benchmark result folders")
    parser.add_argument("--all", action="store_true", help="every folder in benchmarks/results")
    args = parser.parse_args(argv)
    benches = sorted(p for p in RESULTS.iterdir() if p.is_dir()) if args.all else args.benchmarks
    if not benches:
        parser.error("name benchmark folders, or --all")
    for bench in benches:
        if not bench.is_dir():
            parser.error(f"{bench} is not a folder")
        count = pack(bench) if args.action == "pack" else unpack(bench)
        verb = "packed into" if args.action == "pack" else "unpacked from"
        print(f"{bench}: {count} files {verb} {ARCHIVE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
