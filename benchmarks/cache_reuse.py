"""Tuning-cache benchmark: warm starts at new shapes, and a model tuned a second time.

    python benchmarks/cache_reuse.py [--seeds 0,1,2] [--out benchmarks/results/cache-reuse]
        [--model llama3-8b-decoder --model-trials 64] [--skip-model]

Part 1 (first, as it is short): ``tune-model`` twice on the same model with one cache; the
second run's wall time is the time to a built, checked model. Part 2, per seed, one run after
another in this process: ``llama3-8b-attention`` [small] tuned cold at seq_len 256 for 200
samples into a fresh cache; then, each from a copy of that cache (so that neither warm run
learns from the other), warm runs at seq_len 384 and 512 for 36 samples; then cold runs (no
cache) at 384 and 512 for 200 samples. All runs are mcts (the default strategy); each speedup
is against the untuned kernel measured in its own run, and each run's best latency is compared
too. Finished runs are kept: a stopped benchmark resumes. Writes report.md, results.json and
figure.png to --out.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from pathlib import Path

from reasoning_compiler import tune
from reasoning_compiler.benchmark import artifacts
from reasoning_compiler.cache.store import FILE_NAME
from reasoning_compiler.model.result import ModelResult
from reasoning_compiler.result import TuneResult

WORKLOAD = "llama3-8b-attention"
SOURCE_SEQ, NEW_SEQS = 256, (384, 512)
COLD_TRIALS, WARM_TRIALS = 200, 36


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/cache-reuse"))
    parser.add_argument("--model", default="llama3-8b-decoder")
    parser.add_argument("--model-trials", type=int, default=64)
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument(
        "--report-only", action="store_true", help="tune nothing: report the finished runs"
    )
    args = parser.parse_args()
    artifacts.unpack(args.out)  # finished runs and caches of an earlier session are kept
    if args.report_only:
        write_report(finished_rows(args.out), finished_models(args.out), args.out)
        artifacts.pack(args.out)
        return
    seeds = [int(s) for s in args.seeds.split(",") if s]
    models = [] if args.skip_model else model_twice(args.model, args.model_trials, args.out)
    rows = []
    for seed in seeds:
        rows += shapes_for_seed(seed, args.out)
        write_report(rows, models, args.out)
    write_report(rows, models, args.out)
    artifacts.pack(args.out)


def finished_rows(out: Path) -> list[dict]:
    rows = []
    for path in sorted((out / "runs").glob("seed*/*-*/result.json")):
        kind, seq = path.parent.name.split("-")
        seed = int(path.parent.parent.name.removeprefix("seed"))
        rows.append(row(kind, int(seq), seed, TuneResult.load(path)))
    return rows


def finished_models(out: Path) -> list[ModelResult]:
    paths = [out / "runs" / f"model-{name}" / "result.json" for name in ("first", "second")]
    return [ModelResult.load(p) for p in paths if p.exists()]


def shapes_for_seed(seed: int, out: Path) -> list[dict]:
    runs = out / "runs" / f"seed{seed}"
    source_cache = runs / "cache-256"
    rows = [
        row(
            "cold",
            SOURCE_SEQ,
            seed,
            run_kernel(SOURCE_SEQ, COLD_TRIALS, seed, runs / "cold-256", source_cache),
        )
    ]
    for seq in NEW_SEQS:
        work, cache = runs / f"warm-{seq}", runs / f"cache-{seq}"
        if not (work / "result.json").exists() and not (cache / FILE_NAME).exists():
            if not (source_cache / FILE_NAME).exists():  # packed by an earlier session
                raise SystemExit(
                    f"{source_cache / FILE_NAME} is missing: unpack this benchmark's artifacts "
                    f"first (python benchmarks/artifacts.py unpack {out})"
                )
            cache.mkdir(parents=True, exist_ok=True)  # a copy of the 256 cache, before warm runs
            shutil.copy(source_cache / FILE_NAME, cache / FILE_NAME)
        rows.append(row("warm", seq, seed, run_kernel(seq, WARM_TRIALS, seed, work, cache)))
    for seq in NEW_SEQS:
        rows.append(
            row("cold", seq, seed, run_kernel(seq, COLD_TRIALS, seed, runs / f"cold-{seq}", False))
        )
    return rows  # fmt: skip


def run_kernel(seq: int, trials: int, seed: int, work: Path, cache) -> TuneResult:
    if (work / "result.json").exists():
        return TuneResult.load(work / "result.json")
    resume = (work / "run.json").exists()
    print(f"{work}: seq_len {seq}, {trials} samples, cache {cache or 'off'}", flush=True)
    return tune(
        WORKLOAD,
        preset="small",
        shape={"seq_len": seq},
        strategy="mcts",
        trials=trials,
        seed=seed,
        work_dir=work,
        resume=resume,
        overwrite=not resume,
        cache=cache,
        progress=False,
    )


def row(kind: str, seq: int, seed: int, r: TuneResult) -> dict:
    def at(n):  # best speedup after n samples
        return max([s for i, s in r.curve if i <= n], default=1.0)

    def best_latency(n):
        latencies = [r.untuned_seconds / s for i, s in r.curve if i <= n]
        return min(latencies, default=r.untuned_seconds)

    return {
        "kind": kind,
        "seq_len": seq,
        "seed": seed,
        "samples": r.trials,
        "untuned_s": r.untuned_seconds,
        "speedup_at_36": at(WARM_TRIALS),
        "speedup_at_200": at(COLD_TRIALS),
        "best_s_at_36": best_latency(WARM_TRIALS),
        "best_s_at_200": best_latency(COLD_TRIALS),
        "wall_s": r.wall_seconds,
        "reuse": r.reuse,
        "target": r.target,
        "curve": r.curve,
        "correct": r.correct,
    }


def model_twice(model: str, trials: int, out: Path) -> list[ModelResult]:
    from reasoning_compiler.model.tune import tune_model

    cache = out / "runs" / "model-cache"
    results = []
    for name in ("first", "second"):
        work = out / "runs" / f"model-{name}"
        if (work / "result.json").exists():
            results.append(ModelResult.load(work / "result.json"))
            continue
        print(f"{work}: {model}, {trials} samples, cache {cache}", flush=True)
        results.append(
            tune_model(
                model,
                strategy="mcts",
                trials=trials,
                work_dir=work,
                overwrite=True,
                cache=cache,
                progress=False,
            )
        )
    return results


def write_report(rows: list[dict], models: list[ModelResult], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = {"kernels": rows, "models": [m.to_dict() for m in models]}
    (out / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    target = rows[0]["target"] if rows else (models[0].target if models else {})
    lines = [
        f"# Tuning cache: warm starts at new shapes ({WORKLOAD} [small]), a model tuned twice",
        "",
        f"Target: `{json.dumps(target)}`. Strategy mcts. Each speedup is against the untuned "
        "kernel measured in the same run; best latencies are compared directly too. Warm runs "
        f"start from a copy of the cache of the cold seq_len {SOURCE_SEQ} run of the same seed.",
        "",
        "| seq_len | seed | cold @36 | cold @200 | warm @36 | warm @36 / cold @200 (latency) | "
        "wall s: cold (200) / warm (36) | warm reused |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ratios = {}
    for seq in NEW_SEQS:
        for seed in sorted({r["seed"] for r in rows}):
            cold = _find(rows, "cold", seq, seed)
            warm = _find(rows, "warm", seq, seed)
            if not cold or not warm:
                continue
            ratio = cold["best_s_at_200"] / warm["best_s_at_36"]  # above 1: warm@36 is faster
            ratios.setdefault(seq, []).append(ratio)
            w = (warm["reuse"] or {}).get("warm_start", {}).get("main", {})
            lines.append(
                f"| {seq} | {seed} | {cold['speedup_at_36']:.2f}x | {cold['speedup_at_200']:.2f}x "
                f"| {warm['speedup_at_36']:.2f}x | {ratio:.2f} | "
                f"{cold['wall_s']:.0f} / {warm['wall_s']:.0f} | {w.get('programs', 0)} programs, "
                f"cost model on {w.get('trained_on', 0)} samples |"
            )
    lines += [
        "",
        "Latency ratio: cold run's best after 200 samples / warm run's best after 36 "
        "(1.00 or more: the warm run reached the cold run's 200-sample quality).",
    ]
    for seq, values in ratios.items():
        mean = statistics.mean(values)
        lines.append(
            f"- seq_len {seq}: mean ratio {mean:.2f} over {len(values)} seeds "
            f"(min {min(values):.2f}); target met in {sum(v >= 1 for v in values)} of {len(values)}"
        )
    if models:
        lines += ["", f"## `tune-model {models[0].model}` twice, one cache", ""]
        lines += [
            "| run | samples | wall s | tasks built from the cache (with a known program) | "
            "untuned ms | tuned ms | PyTorch eager ms | correct |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, m in zip(("first", "second"), models, strict=False):
            from_cache = len((m.reuse or {}).get("tasks_from_cache", []))
            with_program = sum(bool(t.get("from_cache")) for t in m.tasks)
            ms = {
                k: f"{m.seconds(k) * 1e3:.3f}" for k in ("tvm_untuned", "tvm_tuned", "torch_eager")
            }
            lines.append(
                f"| {name} | {m.trials} | {m.wall_seconds:.1f} | {from_cache} of {len(m.tasks)} "
                f"({with_program}) | {ms['tvm_untuned']} | {ms['tvm_tuned']} | "
                f"{ms['torch_eager']} | {m.correct} |"
            )
        lines += [
            "",
            "The second run's wall time is everything from start to a built, checked and timed "
            "model: export, untuned tasks, the build from the cache, the output check and the "
            "timings (PyTorch eager and torch.compile included). Both runs time their models in "
            "their own process, minutes apart.",
        ]
    lines += ["", artifacts.REPORT_NOTE]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    _plot(rows, out)
    print((out / "report.md").read_text(), flush=True)


def _find(rows, kind, seq, seed):
    keys = (kind, seq, seed)
    return next((r for r in rows if (r["kind"], r["seq_len"], r["seed"]) == keys), None)


def _plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(NEW_SEQS), figsize=(10, 3.6), sharey=False)
    for ax, seq in zip(axes, NEW_SEQS, strict=True):
        for r in rows:
            if r["seq_len"] != seq:
                continue
            xs, ys = zip(*r["curve"], strict=True) if r["curve"] else ((), ())
            color = "tab:orange" if r["kind"] == "warm" else "tab:blue"
            ax.step(
                xs, ys, where="post", color=color, alpha=0.8, label=f"{r['kind']} seed {r['seed']}"
            )
        ax.axvline(WARM_TRIALS, color="gray", linestyle=":")
        ax.set_title(f"seq_len {seq}", fontsize=10)
        ax.set_xlabel("samples measured")
        ax.set_ylabel("best speedup over untuned")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "figure.png", dpi=110)


if __name__ == "__main__":
    main()
