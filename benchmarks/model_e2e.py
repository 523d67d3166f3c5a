"""Whole-model tuning benchmark: one built-in model, each strategy, the same budget and seed.

    python benchmarks/model_e2e.py [--model llama3-8b-decoder] [--time-budget 15m]
        [--strategies evolutionary,mcts,llm-mcts] [--seed 0] [--out benchmarks/results/model-e2e]

Runs one strategy after another in this process (never two at once: they would share the cores),
each in its own work dir under --out (so a stopped benchmark resumes: finished runs are kept),
then writes report.md (end-to-end latencies, per-task table) and figure.png (estimated model
latency against samples, with PyTorch eager). Timings hold for this machine and this run only.
Each run's peak memory (this process and its build and run workers, sampled every half second)
is kept beside its result in memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from reasoning_compiler.benchmark import artifacts
from reasoning_compiler.benchmark.quality import machine_line
from reasoning_compiler.benchmark.runner import tree_rss
from reasoning_compiler.cli import _duration
from reasoning_compiler.model.result import LATENCY_NAMES, ModelResult
from reasoning_compiler.model.tune import tune_model
from reasoning_compiler.target import make_target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="llama3-8b-decoder")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--time-budget", type=_duration, default=900.0)
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--strategies", default="evolutionary,mcts,llm-mcts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/model-e2e"))
    args = parser.parse_args()
    artifacts.unpack(args.out)  # finished runs of an earlier session are kept
    results = []
    for strategy in args.strategies.split(","):
        work = args.out / "runs" / strategy / f"seed{args.seed}"
        if (work / "result.json").exists():
            results.append(_load(work / "result.json"))
            continue
        resume = (work / "run.json").exists()
        with peak_memory(work / "memory.json"):
            result = tune_model(
                args.model,
                preset=args.preset,
                strategy=strategy,
                trials=args.trials,
                time_budget_s=args.time_budget,
                seed=args.seed,
                work_dir=work,
                resume=resume,
                overwrite=not resume,
                cache=False,  # strategies compared cold
            )
        results.append(result)
    write_report(results, args.out)
    artifacts.pack(args.out)


def _load(path: Path) -> ModelResult:
    return ModelResult.load(path)


@contextmanager
def peak_memory(path: Path):
    """Sample the resident memory of this process and its children until the block ends; write
    the peak to ``path`` (GiB), keeping a larger peak an earlier, resumed session wrote."""
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], tree_rss(os.getpid()))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        gib = max(_peak_gib(path) or 0.0, round(peak[0] / 2**30, 2))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"peak_rss_gib": gib}))


def _peak_gib(path: Path) -> float | None:
    return json.loads(path.read_text())["peak_rss_gib"] if path.exists() else None


def write_report(results: list[ModelResult], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = results[0]
    lines = [
        f"# {first.model} [{first.preset}]: whole-model tuning, one run per strategy",
        "",
        f"Machine: {machine_line(make_target(first.target))}.",
        "",
        f"Target: `{json.dumps(first.target)}`. Seed {first.seed}. Milliseconds per model call "
        "(median); ratios are PyTorch eager / tuned TVM (above 1: TVM faster).",
        "",
        "| strategy | samples | wall s | peak memory GiB | "
        + " | ".join(LATENCY_NAMES.values())
        + " | eager / tuned |",
        "|---|---|---|---|" + "---|" * len(LATENCY_NAMES) + "---|",
    ]
    for r in results:
        cells = [f"{r.seconds(k) * 1e3:.3f}" if r.seconds(k) else "n/a" for k in LATENCY_NAMES]
        ratio = r.seconds("torch_eager") / r.seconds("tvm_tuned")
        peak = _peak_gib(out / "runs" / r.strategy / f"seed{r.seed}" / "memory.json")
        lines.append(
            f"| {r.strategy} | {r.trials} | {r.wall_seconds:.0f} | "
            + ("not recorded" if peak is None else f"{peak:.2f}")
            + " | "
            + " | ".join(cells)
            + f" | {ratio:.2f} |"
        )
    for r in results:
        lines += [
            "",
            f"## Per task, {r.strategy} (ms per call; share of the tuned model's time)",
            "",
            "| task | calls | samples | untuned | tuned | share |",
            "|---|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in r.task_rows()]
    lines += ["", artifacts.REPORT_NOTE]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for r in results:
        xs, ys = zip(*r.curve, strict=True)
        ax.step(xs, [y * 1e3 for y in ys], where="post", label=r.strategy)
    eager = min(r.seconds("torch_eager") for r in results)
    ax.axhline(eager * 1e3, color="gray", linestyle="--", label="PyTorch eager")
    ax.set_yscale("log")
    ax.set_xlabel("samples measured (all tasks)")
    ax.set_ylabel("estimated model latency (ms)")
    ax.set_title(f"{first.model} [{first.preset}]", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "figure.png", dpi=110)
    print((out / "report.md").read_text())


if __name__ == "__main__":
    main()
