"""How short may a sample's timing be? The runner's min_repeat_ms against the spread it leaves.

    python benchmarks/timing_stability.py --run DIR [--programs 24] [--trials 5]
        [--min-repeat-ms 10,25,50,100] [--out benchmarks/results/timing-stability]

Takes programs a finished run measured (from its database: the fastest half of --programs and
an even spread of the rest), builds each once in this process, and times each as the runner does
(TVM's time_evaluator, number=3, repeat=1, min_repeat_ms=M) for every M, --trials times, the
settings interleaved so that drift hits them alike. Reports per M: the relative spread of a
program's trials (max/min - 1, median and worst over programs), the rank correlation of the
programs' median times with the longest setting's, whether the fastest program stays the
fastest, and the seconds one timing takes. Writes report.md and results.json to --out.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import tvm
from scipy.stats import spearmanr
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.arg_info import ArgInfo

import reasoning_compiler as rc
from reasoning_compiler.measure import fast_build
from reasoning_compiler.search.mcts_strategy import latency_of
from reasoning_compiler.target import host_target, runtime_threads

NUMBER = 3  # the runner's calls per timing (MeasureSettings.number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished run's work dir")
    parser.add_argument("--programs", type=int, default=24)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--min-repeat-ms", default="10,25,50,100")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/timing-stability"))
    args = parser.parse_args()
    settings = sorted(int(m) for m in args.min_repeat_ms.split(","))
    target = host_target()
    programs = pick_programs(args.run, args.programs)
    print(f"{len(programs)} programs from {args.run}; building")
    functions = [timeable(mod, target) for mod in programs]
    times = {m: [[] for _ in functions] for m in settings}  # seconds per trial
    spent = {m: 0.0 for m in settings}
    for trial in range(args.trials):
        for m in settings[::-1] if trial % 2 else settings:
            for i, (module, inputs) in enumerate(functions):
                started = time.perf_counter()
                times[m][i].append(time_once(module, inputs, m))
                spent[m] += time.perf_counter() - started
        print(f"trial {trial + 1}/{args.trials} done")
    summary = summarize(times, spent, args.trials)
    args.out.mkdir(parents=True, exist_ok=True)
    details = {
        "run": str(args.run),
        "programs": len(programs),
        "trials": args.trials,
        "number": NUMBER,
        "runtime_threads": runtime_threads(),
        "cpu": target.attrs.get("mcpu", platform.processor()),
        "version": rc.__version__,
        "summary": summary,
        "seconds": {str(m): times[m] for m in settings},
    }
    (args.out / "results.json").write_text(json.dumps(details, indent=1))
    (args.out / "report.md").write_text(report(details))
    print(report(details))


def pick_programs(run: Path, count: int) -> list[tvm.IRModule]:
    """The fastest half of ``count`` measured programs and an even spread of the others."""
    database = ms.database.JSONDatabase(work_dir=str(run), allow_missing=False)
    measured = []
    for record in database.get_all_tuning_records():
        seconds, _ = latency_of(record)
        if seconds is not None:
            measured.append((seconds, record))
    measured.sort(key=lambda pair: pair[0])
    best, rest = measured[: count // 2], measured[count // 2 :]
    picks = np.linspace(0, len(rest) - 1, count - len(best)) if rest else []
    spread = [rest[int(i)] for i in picks]
    return [record.as_measure_candidate().sch.mod for _, record in best + spread]


def timeable(mod: tvm.IRModule, target) -> tuple:
    module = fast_build(mod, target)
    device = tvm.cpu()
    rng = np.random.default_rng(0)
    inputs = []
    for info in ArgInfo.from_prim_func(mod["main"]):
        _, dtype, shape = info.as_json()
        inputs.append(tvm.runtime.tensor(rng.random(shape).astype(dtype), device))
    return module, inputs


def time_once(module, inputs, min_repeat_ms: int) -> float:
    evaluator = module.time_evaluator(
        module.entry_name, tvm.cpu(), number=NUMBER, repeat=1, min_repeat_ms=min_repeat_ms
    )
    return float(evaluator(*inputs).mean)


def summarize(times: dict, spent: dict, trials: int) -> list[dict]:
    longest = max(times)
    reference = [float(np.median(t)) for t in times[longest]]
    rows = []
    for m, per_program in times.items():
        medians = [float(np.median(t)) for t in per_program]
        spreads = [max(t) / min(t) - 1 for t in per_program]
        rows.append(
            {
                "min_repeat_ms": m,
                "spread_median": float(np.median(spreads)),
                "spread_worst": float(max(spreads)),
                "rank_correlation": float(spearmanr(medians, reference).statistic),
                "same_fastest": int(np.argmin(medians)) == int(np.argmin(reference)),
                "seconds_per_timing": spent[m] / (trials * len(per_program)),
            }
        )
    return rows


def report(details: dict) -> str:
    lines = [
        "# Timing stability: min_repeat_ms against spread",
        "",
        f"{details['programs']} programs of `{details['run']}`, {details['trials']} timings each "
        f"per setting (number={details['number']}, repeat=1), {details['runtime_threads']} TVM "
        f"threads, CPU {details['cpu']}. Spread: max/min - 1 over a program's timings. Rank "
        "correlation: Spearman, of the programs' median times against the longest setting's.",
        "",
        "| min_repeat_ms | spread, median | spread, worst | rank correlation | same fastest "
        "| s per timing |",
        "|---|---|---|---|---|---|",
    ]
    for row in details["summary"]:
        lines.append(
            f"| {row['min_repeat_ms']} | {100 * row['spread_median']:.1f}% | "
            f"{100 * row['spread_worst']:.1f}% | {row['rank_correlation']:.3f} | "
            f"{'yes' if row['same_fastest'] else 'no'} | {row['seconds_per_timing']:.3f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
