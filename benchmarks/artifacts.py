"""Pack or unpack benchmarks' per-run files (``reasoning_compiler.benchmark.artifacts``).

Each benchmark keeps its report, figures and ``results.json`` in git, and its runs' files
(``samples.jsonl``, ``result.json``, ``run.json``, fastest programs, LLM transcripts, tuning
caches) in ``artifacts.tar.xz`` beside them. The benchmarks unpack and pack on their own; this
is for reading the files by hand.

    python benchmarks/artifacts.py unpack benchmarks/results/llm-paired  # to read them
    python benchmarks/artifacts.py pack benchmarks/results/llm-paired    # after editing
    python benchmarks/artifacts.py unpack --all                          # every benchmark
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reasoning_compiler.benchmark.artifacts import ARCHIVE, pack, unpack

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


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
