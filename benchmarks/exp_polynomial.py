"""What the exp polynomial (``reasoning_compiler.fast_math``) is worth, program by program.

    python benchmarks/exp_polynomial.py --runs DIR [DIR ...] [--rounds 10]
        [--out benchmarks/results/exp-polynomial]

For each finished kernel run (a work dir with a database), takes its fastest program and builds
it twice in this process: with exp as the vector polynomial (what every build does now) and with
libm's scalar exp (TVM's own lowering). Both are checked against the workload's reference on
the same seeded inputs and timed in interleaved rounds (TVM's time_evaluator, at least 200 ms a
timing), so that drift hits both alike. Reports per program the median milliseconds of each arm,
the ratio of the medians, the spread of the per-round ratios, the sample standard deviations and
a paired test (Wilcoxon signed-rank over the rounds). Writes report.md and results.json to
--out. Runs without an exp in them serve as controls (ratio near 1).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import tvm
from scipy.stats import wilcoxon
from tvm.s_tir import meta_schedule as ms

import reasoning_compiler as rc
from reasoning_compiler import fast_math
from reasoning_compiler.compare import max_relative_error
from reasoning_compiler.measure import fast_build, program_arguments
from reasoning_compiler.search.mcts_strategy import latency_of
from reasoning_compiler.target import host_target, runtime_threads, summarize
from reasoning_compiler.workloads import load_kernel

ARMS = ("polynomial", "libm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="finished run dirs")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/exp-polynomial"))
    args = parser.parse_args()
    target = host_target()
    rows = [measure_run(run, target, args.rounds) for run in args.runs]
    details = {
        "machine": summarize(target),
        "runtime_threads": runtime_threads(),
        "rounds": args.rounds,
        "version": rc.__version__,
        "programs": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(details, indent=1))
    (args.out / "report.md").write_text(report(details))
    print(report(details))


def measure_run(run: Path, target, rounds: int) -> dict:
    spec = json.loads((run / "run.json").read_text())
    kernel = load_kernel(spec["workload"], spec["preset"], spec["shape"])
    mod = fastest_program(run)
    inputs = kernel.random_inputs(seed=0)
    expected = kernel.reference(*inputs)
    built = {arm: timeable(mod, target, inputs, polynomial=arm == "polynomial") for arm in ARMS}
    errors = {arm: max_relative_error(call(*built[arm]), expected) for arm in ARMS}
    for arm in ARMS:  # untimed: a program's first seconds in a process run slow (page faults)
        time_once(*built[arm])
    seconds = {arm: [] for arm in ARMS}
    for r in range(rounds):
        for arm in ARMS if r % 2 == 0 else ARMS[::-1]:
            seconds[arm].append(time_once(*built[arm]))
    ratios = [lib / poly for poly, lib in zip(seconds["polynomial"], seconds["libm"], strict=True)]
    row = {
        "run": str(run),
        "kernel": kernel.describe(),
        "gflop": kernel.flops / 1e9,
        "max_relative_error": errors,
        "ms": {arm: [s * 1e3 for s in seconds[arm]] for arm in ARMS},
        "median_ms": {arm: float(np.median(seconds[arm])) * 1e3 for arm in ARMS},
        "speedup": float(np.median(seconds["libm"]) / np.median(seconds["polynomial"])),
        "round_speedups": [min(ratios), max(ratios)],
    }
    print(f"{row['kernel']}: {row['median_ms']} ms, {row['speedup']:.3f}x")
    return row


def fastest_program(run: Path) -> tvm.IRModule:
    database = ms.database.JSONDatabase(work_dir=str(run), allow_missing=False)
    measured = [(latency_of(r)[0], i, r) for i, r in enumerate(database.get_all_tuning_records())]
    _, _, best = min(m for m in measured if m[0] is not None)
    return best.as_measure_candidate().sch.mod


def timeable(mod: tvm.IRModule, target, inputs: list[np.ndarray], polynomial: bool) -> tuple:
    """The program built with the arm's exp, and its arguments for ``inputs``."""
    fast_math.enabled = polynomial
    try:
        module = fast_build(mod, target)
    finally:
        fast_math.enabled = True
    return module, program_arguments(mod, module, inputs, tvm.cpu())


def call(module, args) -> np.ndarray:
    module[module.entry_name](*args)
    return args[-1].numpy()


def time_once(module, args) -> float:
    evaluator = module.time_evaluator(
        module.entry_name, tvm.cpu(), number=1, repeat=1, min_repeat_ms=200
    )
    return float(evaluator(*args).mean)


def report(details: dict) -> str:
    lines = [
        "# exp as a vector polynomial against libm's exp, the same programs",
        "",
        f"Machine: {details['machine']}; {details['runtime_threads']} TVM threads. Each run's "
        f"fastest program built both ways in one process, timed in {details['rounds']} "
        "interleaved rounds after one untimed timing each (time_evaluator, at least 200 ms a "
        "timing). Speedup: libm median / polynomial median; sd: sample standard deviation over "
        "the rounds; per round: the lowest and highest of the rounds' ratios; Wilcoxon p: "
        "signed-rank test of the rounds' paired times (two-sided). Error: max "
        "relative error against the workload's float64 reference, same seeded inputs.",
        "",
        "| program | GFLOP | libm ms (sd) | polynomial ms (sd) | **speedup** | per round "
        "| Wilcoxon p | GFLOP/s libm / polynomial | error libm / polynomial |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in details["programs"]:
        libm, poly = row["median_ms"]["libm"], row["median_ms"]["polynomial"]
        sd = {arm: np.std(row["ms"][arm], ddof=1) for arm in ARMS}
        paired = wilcoxon(row["ms"]["libm"], row["ms"]["polynomial"]).pvalue
        low, high = row["round_speedups"]
        err = row["max_relative_error"]
        lines.append(
            f"| {row['kernel']} | {row['gflop']:.2f} | {libm:.2f} ({sd['libm']:.2f}) | "
            f"{poly:.2f} ({sd['polynomial']:.2f}) | **{row['speedup']:.2f}x** | "
            f"{low:.2f}-{high:.2f} | {paired:.2g} | "
            f"{row['gflop'] / libm * 1e3:.1f} / {row['gflop'] / poly * 1e3:.1f} | "
            f"{err['libm']:.1e} / {err['polynomial']:.1e} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
