"""Tuned kernels against the libraries users already have (NumPy, PyTorch), on this machine.

    python benchmarks/library_parity.py [--kernels matmul:small,flux-conv:small,...]
        [--strategies mcts] [--time-budget 15m] [--seed 0]
        [--out benchmarks/results/library-parity]

Each kernel is tuned with each strategy (by default the project's default, mcts) for the time
budget (one run after another, never two at once: they would share the cores), then NumPy and
PyTorch time the same operator on the same inputs (`tune --compare`). From each run's sample log
the report reads the kernel's speed after 36 and 200 samples and at the end, and how long tuning
took to pass each library. Each run has its own work dir under --out/runs: a finished run is
kept, an unfinished one starts again (a resumed run would get a second budget). Writes
report.md, results.json and figure.png. Timings hold for this machine and this run only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import reasoning_compiler as rc
from reasoning_compiler.benchmark import artifacts
from reasoning_compiler.benchmark.quality import machine_line
from reasoning_compiler.cli import _duration
from reasoning_compiler.compare import library_timings
from reasoning_compiler.result import TuneResult
from reasoning_compiler.rundir import SampleLog
from reasoning_compiler.strategies import DEFAULT_STRATEGY
from reasoning_compiler.target import make_target

DEFAULT_KERNELS = (
    "matmul:small,llama3-8b-attention:small,deepseek-r1-moe:small,flux-attention:small,"
    "flux-conv:small,llama3-8b-attention:paper,deepseek-r1-moe:paper,flux-attention:paper,"
    "flux-conv:paper,llama3-8b-attention-block-causal:paper,flux-attention-fused:paper"
)
CHECKPOINTS = (36, 200)
LIBRARIES = {"numpy": "NumPy", "pytorch": "PyTorch"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", default=DEFAULT_KERNELS, help="WORKLOAD:PRESET,...")
    parser.add_argument(
        "--strategies", default=DEFAULT_STRATEGY, help="one run per kernel for each"
    )
    parser.add_argument("--time-budget", type=_duration, default=900.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/library-parity"))
    parser.add_argument(
        "--library-processes",
        type=int,
        default=10,
        help="after all runs, time each library again in this many fresh processes",
    )
    args = parser.parse_args()
    artifacts.unpack(args.out)  # finished runs of an earlier session are kept
    rows = []
    runs = [(k, s) for k in args.kernels.split(",") for s in args.strategies.split(",")]
    for spec, strategy in runs:
        workload, preset = spec.split(":")
        work = args.out / "runs" / f"{workload}-{preset}-{strategy}-seed{args.seed}"
        result = TuneResult.load_finished(work) or rc.tune(
            workload,
            preset=preset,
            strategy=strategy,
            time_budget_s=args.time_budget,
            seed=args.seed,
            work_dir=work,
            overwrite=True,
            compare=True,
            cache=False,  # each kernel tuned from nothing, in its 15 minutes
        )
        rows.append(summarize(result, work))
        write_report(rows, args.out)
    for row in rows:  # libraries vary between processes: time them again, many times
        retime_libraries(row, args.library_processes)
    write_report(rows, args.out)
    artifacts.pack(args.out)


def summarize(result: TuneResult, work: Path) -> dict:
    """The figures of one run: speed at each checkpoint, library speeds, time to pass each."""
    samples = SampleLog.open(work / "samples.jsonl").rows
    best, trajectory = result.untuned_seconds, []  # (wall seconds, best seconds so far)
    for row in samples:
        if row.get("latency_s") and row["latency_s"] < best:
            best = row["latency_s"]
            trajectory.append((row["wall_s"], best))
    row = {
        "workload": result.workload,
        "preset": result.preset,
        "strategy": result.strategy,
        "seed": result.seed,
        "samples": result.trials,
        "wall_s": result.wall_seconds,
        "samples_per_min": 60 * result.trials / max(result.wall_seconds, 1e-9),
        "time_split": result.time_split,
        "flops": result.flops,
        "untuned_s": result.untuned_seconds,
        "best_s": result.best_seconds,
        "correct": result.correct,
        "at": {str(n): _best_within(result, len(samples), n) for n in CHECKPOINTS},
        "libraries": {},
        "trajectory": trajectory,
        "machine": machine_line(make_target(result.target)),
    }
    for key in LIBRARIES:
        cell = (result.compare or {}).get(key, {})
        seconds = cell.get("seconds")
        row["libraries"][key] = {
            **cell,
            "minutes_to_pass": _minutes_to_pass(trajectory, seconds),
        }
    return row


def retime_libraries(row: dict, processes: int) -> None:
    """Time NumPy and PyTorch again on the kernel's shapes, in ``processes`` fresh processes,
    with the machine quiet; the fastest counts, as in ``tune --compare``. The speed a library
    reaches differs between processes and between minutes (see README), so one timing right
    after a run can catch it slow."""
    kernel = rc.load_kernel(row["workload"], row["preset"])
    timings = library_timings(
        kernel.name, kernel.shape, kernel.random_inputs(0), kernel.flops, processes=processes
    )
    for key, cell in timings.items():
        at_run = row["libraries"][key]
        known = [s for s in (cell.get("seconds"), at_run.get("seconds")) if s]
        seconds = min(known) if known else None
        row["libraries"][key] = {
            **cell,
            "seconds": seconds,
            "gflops": row["flops"] / seconds / 1e9 if seconds else None,
            "at_run_s": at_run.get("seconds"),
            "minutes_to_pass": _minutes_to_pass(row["trajectory"], seconds),
        }


def _minutes_to_pass(trajectory: list, seconds: float | None) -> float | None:
    return next((t / 60 for t, s in trajectory if s <= seconds), None) if seconds else None


def _best_within(result: TuneResult, measured: int, n: int) -> float | None:
    """Best latency among the first n samples (None if the run measured fewer)."""
    return result.untuned_seconds / result.speedup_at(n) if measured >= n else None


def _gflops(row: dict, seconds: float | None) -> str:
    return f"{row['flops'] / seconds / 1e9:.1f}" if seconds else "–"


def write_report(rows: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "# Tuned kernels against NumPy and PyTorch",
        "",
        "GFLOP/s (float32, all cores of this machine). Tuned: the fastest sample after 36 and "
        "200 samples and at the end of the time budget; libraries: the best of 10 calls in "
        "each of 3 fresh processes right after the run and of 10 more after all runs (in "
        "brackets: the median of those 10 processes). Ratio: library "
        "time / tuned time (above 1: tuned faster). 'passes after': tuning time until the "
        "fastest sample beat the library.",
        "",
        "Machine: " + "; ".join(sorted({row.get("machine", "not recorded") for row in rows})),
        "",
        "| kernel | strategy | samples | samples/min | search % | @36 | @200 | **end** "
        "| NumPy | PyTorch | vs NumPy | vs PyTorch | passes NumPy after | passes PyTorch after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        libs = row["libraries"]
        search = 100 * row["time_split"].get("search", 0) / max(row["wall_s"], 1e-9)
        cells = [
            f"{row['workload']} [{row['preset']}]",
            row["strategy"],
            str(row["samples"]),
            f"{row['samples_per_min']:.0f}",
            f"{search:.0f}",
            *(_gflops(row, row["at"][str(n)]) for n in CHECKPOINTS),
            f"**{_gflops(row, row['best_s'])}**",
            *(_library_cell(row, libs[k]) for k in LIBRARIES),
            *(_ratio(libs[k].get("seconds"), row["best_s"]) for k in LIBRARIES),
            *(_minutes(libs[k]["minutes_to_pass"]) for k in LIBRARIES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", artifacts.REPORT_NOTE]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    _plot(rows, out / "figure.png")
    print((out / "report.md").read_text())


def _library_cell(row: dict, cell: dict) -> str:
    """Best GFLOP/s, and in brackets the median over the re-timing processes."""
    if not cell.get("seconds"):
        return cell.get("note", "–")
    spread = cell.get("per_process_s")
    median = f" ({_gflops(row, float(np.median(spread)))})" if spread else ""
    return _gflops(row, cell["seconds"]) + median


def _ratio(library_s: float | None, tuned_s: float | None) -> str:
    return f"{library_s / tuned_s:.2f}x" if library_s and tuned_s else "–"


def _minutes(minutes: float | None) -> str:
    return f"{minutes:.1f} min" if minutes is not None else "not within the run"


def _plot(rows: list[dict], path: Path) -> None:
    """GFLOP/s against tuning minutes, one panel per kernel, the libraries as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(rows))
    nrows = -(-len(rows) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3 * nrows), squeeze=False)
    for ax, row in zip(axes.flat, rows, strict=False):
        xs = [0.0] + [t / 60 for t, _ in row["trajectory"]] + [row["wall_s"] / 60]
        speeds = [row["untuned_s"]] + [s for _, s in row["trajectory"]]
        ys = [row["flops"] / s / 1e9 for s in speeds + speeds[-1:]]
        ax.step(xs, ys, where="post", label=f"tuned ({row['strategy']})")
        for (key, name), style in zip(LIBRARIES.items(), ("--", ":"), strict=True):
            if row["libraries"][key].get("gflops"):
                ax.axhline(
                    row["libraries"][key]["gflops"], linestyle=style, color="gray", label=name
                )
        ax.set_title(f"{row['workload']} [{row['preset']}]", fontsize=9)
        ax.set_xlabel("tuning minutes")
        ax.set_ylabel("GFLOP/s")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(rows) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
