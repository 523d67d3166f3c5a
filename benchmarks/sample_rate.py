"""Samples per minute at the paper's layer sizes, and where each run's seconds went.

    python benchmarks/sample_rate.py --arm NAME [--kernels llama3-8b-attention:paper,...]
        [--strategy mcts] [--time-budget 6m] [--seed 0]
        [--out benchmarks/results/sample-rate] [--report-only]

Tunes each kernel for the time budget (one run after another, never two at once) and files the
run under --out/runs/ARM. An arm is a version of the code, named by the caller: run the script
once per version (e.g. at the commit before a change and after it), on one machine in one
session, with the same seed. The report puts the arms side by side per kernel: samples and
samples per minute, failures by kind (build timeout, run timeout, wrong output, other), the
seconds spent building, running, searching and timing the untuned kernel, and the best
latency. A finished run is kept; an unfinished one starts again.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

import reasoning_compiler as rc
from reasoning_compiler.benchmark import artifacts
from reasoning_compiler.cli import _duration
from reasoning_compiler.result import TuneResult
from reasoning_compiler.rundir import SampleLog

PAPER_KERNELS = (
    "llama3-8b-attention:paper,deepseek-r1-moe:paper,flux-attention:paper,flux-conv:paper"
)
FAILURE_KINDS = {  # a substring of the sample's error -> the report's column
    "build: LocalBuilder: Timeout": "build timeout",
    "run: LocalRunner: Timeout": "run timeout",
    "wrong output": "wrong output",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arm", help="the name this version of the code is filed under")
    parser.add_argument("--kernels", default=PAPER_KERNELS, help="WORKLOAD:PRESET,...")
    parser.add_argument("--strategy", default="mcts")
    parser.add_argument("--time-budget", type=_duration, default=360.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/sample-rate"))
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    artifacts.unpack(args.out)
    if not args.report_only:
        if not args.arm:
            parser.error("--arm NAME is needed to run (or --report-only)")
        for spec in args.kernels.split(","):
            workload, preset = spec.split(":")
            work = args.out / "runs" / args.arm / f"{workload}-{preset}-seed{args.seed}"
            if TuneResult.load_finished(work) is None:
                rc.tune(
                    workload,
                    preset=preset,
                    strategy=args.strategy,
                    time_budget_s=args.time_budget,
                    seed=args.seed,
                    work_dir=work,
                    overwrite=True,
                    cache=False,  # each run from nothing
                )
    write_report(args.out)
    artifacts.pack(args.out)


def summarize(work: Path, arm: str) -> dict | None:
    result = TuneResult.load_finished(work)
    if result is None:
        return None
    rows = SampleLog.open(work / "samples.jsonl").rows
    failures = Counter(_failure_kind(r["error"]) for r in rows if r.get("error"))
    builds = [r["build_s"] for r in rows if "build_s" in r]  # logged since this benchmark
    return {
        "arm": arm,
        "kernel": f"{result.workload} [{result.preset}]",
        "seed": result.seed,
        "strategy": result.strategy,
        "cpu": result.target.get("mcpu", "?") if isinstance(result.target, dict) else "?",
        "samples": result.trials,
        "failed": dict(failures),
        "stopped_slow": sum(1 for r in rows if "at_least_s" in r),
        "median_build_s": float(np.median(builds)) if builds else None,
        "wall_s": result.wall_seconds,
        "samples_per_min": 60 * result.trials / max(result.wall_seconds, 1e-9),
        "time_split": result.time_split,
        "untuned_s": result.untuned_seconds,
        "best_s": result.best_seconds,
        "speedup": result.speedup,
        "run_timeout_s": result.settings.get("measure", {}).get("run_timeout_s"),
        "build_timeout_s": result.settings.get("measure", {}).get("build_timeout_s"),
    }


def _failure_kind(error: str) -> str:
    return next((kind for key, kind in FAILURE_KINDS.items() if key in error), "other")


def _rate_summary(rows: list[dict]) -> list[str]:
    """Samples per minute of each arm against the arm 'before', paired by kernel and seed."""
    rate = {(r["kernel"], r["seed"], r["arm"]): r["samples_per_min"] for r in rows}
    arms = sorted({r["arm"] for r in rows} - {"before"})
    kernels = sorted({r["kernel"] for r in rows})
    if "before" not in {r["arm"] for r in rows} or not arms:
        return []
    lines = [
        "Samples per minute, each arm against 'before' (ratio per seed; the mean of the ratios):",
        "",
        "| kernel | " + " | ".join(arms) + " |",
        "|---|" + "---|" * len(arms),
    ]
    for kernel in kernels:
        cells = []
        for arm in arms:
            pairs = [
                (rate[k], rate[(kernel, k[1], arm)])
                for k in rate
                if k[0] == kernel and k[2] == "before" and (kernel, k[1], arm) in rate
            ]
            ratios = [after / before for before, after in pairs]
            cells.append(
                ", ".join(f"{b:.1f} → {a:.1f}" for b, a in pairs)
                + (f" (x{np.mean(ratios):.2f})" if ratios else "–")
            )
        lines.append(f"| {kernel} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def write_report(out: Path) -> None:
    rows = [
        row
        for arm_dir in sorted((out / "runs").glob("*"))
        for work in sorted(arm_dir.glob("*"))
        if (row := summarize(work, arm_dir.name)) is not None
    ]
    rows.sort(key=lambda r: (r["kernel"], r["seed"], r["arm"] != "before", r["arm"]))
    (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    kinds = list(FAILURE_KINDS.values()) + ["other"]
    lines = [
        "# Samples per minute at the paper's layer sizes",
        "",
        "Each arm is a version of the code; runs of one kernel share the seed, the strategy and "
        "the time budget and ran one after another on one machine (CPU below). Seconds are the "
        "run's own split: build, run (timing samples), search, and timing the untuned kernel. "
        "'stopped slow': samples stopped as over 10x slower than the fastest so far (measured "
        "lower bounds, not failures; see `MeasureSettings.stop_slower_than`). 'median build': "
        "one build's seconds in a builder worker (not logged before that change).",
        "",
        *_rate_summary(rows),
        "| kernel | seed | arm | CPU | samples | samples/min | "
        + " | ".join(kinds)
        + " | stopped slow | build s | median build | run s | search s | untuned s | best ms "
        "| speedup |",
        "|---|---|---|---|---|---|" + "---|" * len(kinds) + "---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        split = row["time_split"]
        cells = [
            row["kernel"],
            str(row["seed"]),
            row["arm"],
            row["cpu"],
            str(row["samples"]),
            f"{row['samples_per_min']:.1f}",
            *(str(row["failed"].get(kind, 0)) for kind in kinds),
            str(row["stopped_slow"]),
            f"{split.get('build', 0):.0f}",
            f"{row['median_build_s']:.2f} s" if row["median_build_s"] else "–",
            *(f"{split.get(k, 0):.0f}" for k in ("run", "search", "baseline")),
            f"{1e3 * row['best_s']:.2f}",
            f"{row['speedup']:.1f}x",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", artifacts.REPORT_NOTE]
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print((out / "report.md").read_text())


if __name__ == "__main__":
    main()
