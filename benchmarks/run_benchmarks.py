"""Tune workloads with each strategy and seed; write figures to benchmarks/results/.

Each run is a separate `reasoning-compiler tune` process (so peak memory is per run), run one
after another (never in parallel: runs would time each other's noise). Writes:
  results.json   every run's result plus peak memory, and NumPy's matmul GFLOP/s for reference
  summary.md     one table row per run, plus mean speedup at fixed sample counts per strategy
  curves.png     best speedup so far against samples measured, per workload

Usage: python benchmarks/run_benchmarks.py [--workloads a,b] [--trials 32] [--seeds 0,1] ...
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

DEFAULT_WORKLOADS = "matmul,llama3-8b-attention,deepseek-r1-moe,flux-attention,flux-conv"
CHECKPOINTS = (18, 32, 36, 64, 72, 144, 600)


def peak_rss_while(proc: subprocess.Popen) -> float:
    """Poll the process tree's total RSS until it exits; returns the peak in GiB."""
    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.25)
    return peak / 2**30


def tune_once(workload, preset, strategy, seed, trials, per_round, out: Path) -> dict:
    name = f"{workload}-{preset}-{strategy}-seed{seed}-t{trials}"
    json_path = out / "runs" / f"{name}.json"
    cmd = [
        sys.executable, "-m", "reasoning_compiler", "tune", workload, "--preset", preset,
        "--strategy", strategy, "--seed", str(seed), "--trials", str(trials),
        "--per-round", str(per_round), "--work-dir", str(out / "runs" / name), "--overwrite",
        "--json", str(json_path), "--quiet",
    ]  # fmt: skip
    print(f"== {name}", flush=True)
    proc = subprocess.Popen(cmd)
    peak = {}
    watcher = threading.Thread(target=lambda: peak.setdefault("gib", peak_rss_while(proc)))
    watcher.start()
    proc.wait()
    watcher.join()
    if proc.returncode not in (0,):
        return {"name": name, "error": f"exit code {proc.returncode}"}
    result = json.loads(json_path.read_text())
    result["peak_rss_gib"] = peak.get("gib")
    return result


def numpy_matmul_gflops(m: int, n: int, k: int) -> float:
    a = np.random.rand(m, k).astype(np.float32)
    b = np.random.rand(k, n).astype(np.float32)
    best = min(_timed(lambda: a @ b) for _ in range(20))
    return 2 * m * n * k / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def speedup_at(result: dict, samples: int) -> float | None:
    reached = [s for i, s in result["curve"] if i <= samples]
    return max(reached) if reached and samples <= result["trials"] else None


def write_summary(runs: list[dict], reference: dict, out: Path) -> None:
    ok = [r for r in runs if "error" not in r]
    lines = [
        "| workload | strategy | seed | samples | untuned ms | best ms | speedup | GFLOP/s "
        "| s/sample | search s/sample | search % | peak GiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ok:
        split = r["time_split"]
        lines.append(
            f"| {r['workload']} [{r['preset']}] | {r['strategy']} | {r['seed']} | {r['trials']} "
            f"| {r['untuned_seconds'] * 1e3:.2f} | {r['best_seconds'] * 1e3:.3f} "
            f"| {r['speedup']:.2f} | {r['gflops']:.1f} | {r['seconds_per_sample']:.2f} "
            f"| {split['search'] / max(1, r['trials'] - r['resumed_samples']):.2f} "
            f"| {100 * split['search'] / r['wall_seconds']:.0f} "
            f"| {r['peak_rss_gib']:.2f} |"
        )
    lines += [f"| {r['name']} | failed: {r['error']} |" for r in runs if "error" in r]
    llm_runs = [r for r in ok if r.get("llm")]
    if llm_runs:
        lines += [
            "",
            "LLM calls (llm-mcts):",
            "",
            "| workload | seed | backend | calls | valid | fallbacks | first call s "
            "| mean s/call | prompt tokens/call | LLM s/sample |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in llm_runs:
            llm, answered = r["llm"], max(1, r["llm"]["calls"] - r["llm"]["cache_hits"])
            lines.append(
                f"| {r['workload']} | {r['seed']} | {llm['backend']} {llm['model']} "
                f"| {llm['calls']} | {llm['valid_proposals']} | {llm['fallbacks']} "
                f"| {llm['first_call_seconds']} | {llm['mean_seconds_per_call']} "
                f"| {llm['prompt_tokens'] / answered:.0f} "
                f"| {llm['seconds'] / max(1, r['trials'] - r['resumed_samples']):.2f} |"
            )
    lines += ["", "Mean best speedup at N samples (over seeds):", ""]
    groups: dict[tuple, list[dict]] = {}
    for r in ok:
        groups.setdefault((r["workload"], r["strategy"]), []).append(r)
    header = [c for c in CHECKPOINTS if any(speedup_at(r, c) for r in ok)]
    lines.append("| workload | strategy | " + " | ".join(str(c) for c in header) + " |")
    lines.append("|---|---|" + "---|" * len(header))
    for (workload, strategy), group in groups.items():
        cells = []
        for c in header:
            values = [v for v in (speedup_at(r, c) for r in group) if v is not None]
            cells.append(f"{np.mean(values):.2f}" if values else "")
        lines.append(f"| {workload} | {strategy} | " + " | ".join(cells) + " |")
    if reference:
        lines += ["", f"NumPy (OpenBLAS) matmul: {json.dumps(reference)}"]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def plot(runs: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in runs if "error" not in r]
    workloads = list(dict.fromkeys(r["workload"] for r in ok))
    if not workloads:
        return
    fig, axes = plt.subplots(1, len(workloads), figsize=(4 * len(workloads), 3.2), squeeze=False)
    for ax, workload in zip(axes[0], workloads, strict=True):
        for r in (r for r in ok if r["workload"] == workload):
            xs, ys = zip(*r["curve"], strict=True)
            ax.plot(xs, ys, label=f"{r['strategy']} s{r['seed']}")
        ax.set_title(workload, fontsize=9)
        ax.set_xlabel("samples measured")
        ax.set_ylabel("speedup over untuned")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--strategies", default="evolutionary")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--trials", type=int, default=32)
    parser.add_argument("--per-round", type=int, default=16)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    out = Path(args.out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    runs = [
        tune_once(w, args.preset, s, int(seed), args.trials, args.per_round, out)
        for w in args.workloads.split(",")
        for seed in args.seeds.split(",")
        for s in args.strategies.split(",")
    ]
    reference = {}
    for r in runs:
        if r.get("workload") == "matmul":
            shape = r["shape"]
            key = f"{shape['m']}x{shape['n']}x{shape['k']}"
            reference[key] = {
                "numpy_gflops": numpy_matmul_gflops(**shape),
                "tuned_gflops": r["gflops"],
            }
    (out / "results.json").write_text(
        json.dumps({"runs": runs, "numpy_matmul": reference}, indent=2)
    )
    write_summary(runs, reference, out)
    plot(runs, out)


if __name__ == "__main__":
    main()
