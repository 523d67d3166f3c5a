"""From the runs' per-sample logs to the benchmark's figures. Plain Python and NumPy, no TVM.

Every number comes from disk: ``samples.jsonl`` (each sample's latency and wall time) and
``result.json`` (the untuned latency measured in the same run, the time split, LLM accounting)
of each run, and ``bench_runs.json`` (peak memory). Speedup at n samples is the run's untuned
latency over the best latency among its first n samples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..rundir import SampleLog
from .config import BASELINE_ARM, BenchConfig
from .runner import RECORDS_NAME


@dataclass
class RunData:
    workload: str
    arm: str
    strategy: str
    seed: int
    untuned_seconds: float
    speedups: np.ndarray  # best speedup so far after each sample (at least 1: the untuned one)
    wall_seconds: list[float]  # per sample: wall time of the run when it finished, all sessions
    result: dict
    peak_rss_gib: float | None = None
    finished_at: str | None = None  # from the harness's record: when the run last finished

    @property
    def measured_this_session(self) -> int:
        return self.result["trials"] - self.result.get("resumed_samples", 0)

    def per_sample(self, seconds: float) -> float:
        """``seconds`` of the last session, per sample it measured."""
        return seconds / max(1, self.measured_this_session)


def read_run(path: Path, workload: str, arm: str, strategy: str, seed: int) -> RunData | None:
    """A run's data, or None when it has no result yet (never finished a session)."""
    try:
        result = json.loads((path / "result.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    samples = SampleLog.open(path / "samples.jsonl")
    # wall_s restarts in each session: chain the sessions.
    walls, offset, last, session = [], 0.0, 0.0, None
    for row in samples.rows:
        if row.get("session") != session:
            offset, session = offset + last, row.get("session")
        last = row.get("wall_s", 0.0)
        walls.append(offset + last)
    curve = samples.curve(result["untuned_seconds"])
    return RunData(
        workload=workload,
        arm=arm,
        strategy=strategy,
        seed=seed,
        untuned_seconds=result["untuned_seconds"],
        speedups=np.array([speedup for _, speedup in curve], dtype=float),
        wall_seconds=walls,
        result=result,
    )


def load_runs(config: BenchConfig) -> tuple[list[RunData], list[str]]:
    """The runs of ``config`` found on disk, and a line for each one missing or unfinished."""
    records_path = config.out / RECORDS_NAME
    records = json.loads(records_path.read_text()) if records_path.exists() else {}
    runs, missing = [], []
    for spec in config.runs():
        data = read_run(spec.work_dir, spec.workload, spec.arm.label, spec.arm.strategy, spec.seed)
        record = records.get(str(spec.work_dir.relative_to(config.out)), {})
        name = f"{spec.workload} / {spec.arm.label} / seed {spec.seed}"
        if data is None:
            missing.append(f"{name}: {record.get('error') or 'not measured yet'}")
            continue
        if len(data.speedups) < config.trials:
            missing.append(f"{name}: {len(data.speedups)} of {config.trials} samples so far")
        data.peak_rss_gib = record.get("peak_rss_gib")
        data.finished_at = record.get("finished_at")
        runs.append(data)
    return runs, missing


@dataclass
class ArmSummary:
    """One arm on one workload, over its seeds."""

    workload: str
    arm: str
    strategy: str
    runs: list[RunData] = field(repr=False)  # one per seed

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]

    @property
    def curves(self) -> list[np.ndarray]:
        """Best speedup so far, per seed."""
        return [r.speedups for r in self.runs]

    @property
    def length(self) -> int:
        """Samples that every seed has measured: curves are compared up to here."""
        return min(len(c) for c in self.curves)

    def stacked(self) -> np.ndarray:
        return np.stack([c[: self.length] for c in self.curves])

    def mean_curve(self) -> np.ndarray:
        return self.stacked().mean(axis=0)

    def at(self, samples: int) -> list[float]:
        """Each seed's best speedup within ``samples`` samples (seeds that got that far)."""
        return [float(c[samples - 1]) for c in self.curves if len(c) >= samples]

    def samples_to(self, target: float) -> int | None:
        """Samples until the mean-over-seeds curve first reaches ``target``."""
        reached = np.nonzero(self.mean_curve() >= target)[0]
        return int(reached[0]) + 1 if len(reached) else None

    def seconds_to(self, samples: int) -> float:
        """Mean wall time (over seeds) of the runs when sample ``samples`` was measured."""
        return float(np.mean([r.wall_seconds[samples - 1] for r in self.runs]))

    def time_split(self) -> dict[str, float]:
        """Seconds per measured sample, by part, mean over seeds."""
        split = {
            part: float(
                np.mean([r.per_sample(r.result["time_split"].get(part, 0.0)) for r in self.runs])
            )
            for part in ("search", "llm", "build", "run")
        }
        split["total"] = float(np.mean([r.per_sample(r.result["wall_seconds"]) for r in self.runs]))
        split["baseline_per_run"] = float(
            np.mean([r.result["time_split"]["baseline"] for r in self.runs])
        )
        return split


def summarize(runs: list[RunData]) -> list[ArmSummary]:
    groups: dict[tuple[str, str], list[RunData]] = {}
    for run in runs:
        groups.setdefault((run.workload, run.arm), []).append(run)
    return [
        ArmSummary(workload, arm, group[0].strategy, group)
        for (workload, arm), group in groups.items()
    ]


def baseline_arm(config: BenchConfig) -> str:
    """The arm others are compared with: evolutionary search, or else the config's first arm
    (an ablation without evolutionary search compares with its first variant)."""
    labels = [arm.label for arm in config.arms]
    by_strategy = [arm.label for arm in config.arms if arm.strategy == BASELINE_ARM]
    return BASELINE_ARM if BASELINE_ARM in labels else (by_strategy or labels)[0]


def target_speedup(config: BenchConfig, summaries: list[ArmSummary], workload: str):
    """The speedup samples-to-target counts to: a fixed one, or the baseline arm's final mean."""
    if not isinstance(config.target, str):
        return float(config.target)
    baseline = _baseline(config, summaries, workload)
    return float(baseline.mean_curve()[-1]) if baseline else None


def _baseline(config: BenchConfig, summaries: list[ArmSummary], workload: str):
    label = baseline_arm(config)
    return next((s for s in summaries if s.workload == workload and s.arm == label), None)


def analyse(config: BenchConfig, runs: list[RunData], machine: dict | None = None) -> dict:
    """Everything the report shows, as plain data (also written as results.json)."""
    summaries = summarize(runs)
    machine = machine or {}
    peak = (machine.get("peak") or {}).get("gflops")
    checkpoints = [c for c in config.checkpoints if c <= config.trials]
    arms = []
    for s in summaries:
        target = target_speedup(config, summaries, s.workload)
        baseline = _baseline(config, summaries, s.workload)
        to_target = s.samples_to(target) if target else None
        baseline_to_target = baseline.samples_to(target) if (baseline and target) else None
        best = [r.result["best_seconds"] for r in s.runs if r.result.get("best_seconds")]
        flops = s.runs[0].result["flops"]
        stacked = s.stacked()
        mean_curve = stacked.mean(axis=0)
        relative = None
        if baseline is not None:
            n = min(len(mean_curve), baseline.length)
            with np.errstate(divide="ignore", invalid="ignore"):
                relative = mean_curve[:n] / baseline.mean_curve()[:n]
        llm = [r.result["llm"] for r in s.runs if r.result.get("llm")]
        arms.append(
            {
                "workload": s.workload,
                "arm": s.arm,
                "strategy": s.strategy,
                "seeds": s.seeds,
                "samples": s.length,
                "at": {
                    str(c): {"per_seed": v, "mean": float(np.mean(v)), "std": sample_std(v)}
                    for c, v in ((c, s.at(c)) for c in checkpoints)
                    if v
                },
                "final": {
                    "per_seed": [float(c[-1]) for c in s.curves],
                    "mean": float(np.mean([c[-1] for c in s.curves])),
                },
                "curve": {
                    "mean": mean_curve.tolist(),
                    "min": stacked.min(axis=0).tolist(),
                    "max": stacked.max(axis=0).tolist(),
                    "relative_to_baseline": None if relative is None else relative.tolist(),
                },
                "target": {
                    "speedup": target,
                    "samples": to_target,
                    "baseline_samples": baseline_to_target,
                    "fewer_samples_ratio": (
                        baseline_to_target / to_target if to_target and baseline_to_target else None
                    ),
                    "seconds": s.seconds_to(to_target) if to_target else None,
                },
                "seconds_per_sample": s.time_split(),
                "quality": {
                    "best_seconds": min(best) if best else None,
                    "mean_best_seconds": float(np.mean(best)) if best else None,
                    "gflops": flops / min(best) / 1e9 if best else None,
                    "mean_gflops": float(np.mean([flops / b / 1e9 for b in best]))
                    if best
                    else None,
                    "share_of_peak": flops / min(best) / 1e9 / peak if best and peak else None,
                    "untuned_seconds": [r.untuned_seconds for r in s.runs],
                    "all_correct": all(r.result.get("correct") is not False for r in s.runs),
                },
                "llm": _llm_totals(llm, [r.result.get("search_stats") or {} for r in s.runs])
                if llm
                else None,
                "peak_rss_gib": max((r.peak_rss_gib or 0.0) for r in s.runs) or None,
                # result.json describes a run's last session: its time split and LLM counts
                # cover samples resumed_samples+1.. only.
                "resumed_runs": sum(1 for r in s.runs if r.result.get("resumed_samples")),
            }
        )
    return {
        "config": config.as_dict(),
        "machine": machine,
        "sessions": sessions(runs),
        "checkpoints": checkpoints,
        "baseline": baseline_arm(config),
        "arms": arms,
        "paired": paired(summaries, checkpoints),
    }


def sessions(runs: list[RunData]) -> dict[str, dict[str, int]]:
    """Per arm, how many runs finished on which CPU (LLVM's name for it) on which day: a
    benchmark resumed on another day, or given a new arm, says so."""
    out: dict[str, dict[str, int]] = {}
    for run in runs:
        where = f"{run.result.get('target', {}).get('mcpu', '?')}, {(run.finished_at or '?')[:10]}"
        counts = out.setdefault(run.arm, {})
        counts[where] = counts.get(where, 0) + 1
    return {
        arm: dict(sorted(counts.items(), key=lambda kv: kv[0][-10:])) for arm, counts in out.items()
    }


def sample_std(values) -> float | None:
    """The sample standard deviation (n - 1), None for fewer than two values."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


PAIRED_REFERENCE = "mcts"  # llm-mcts is compared with the same tree search without the LLM


def paired(summaries: list[ArmSummary], checkpoints: list[int]) -> list[dict]:
    """Every llm-mcts arm against the mcts arm of its workload, seed by seed (the seeds both
    ran): per checkpoint, the per-seed ratios of best speedups, their mean with a 90% t-interval
    and sample standard deviation, the seeds won, and two-sided Wilcoxon signed-rank and sign
    tests of the per-seed differences."""
    from scipy import stats

    rows = []
    for arm in summaries:
        reference = next(
            (s for s in summaries if s.workload == arm.workload and s.strategy == PAIRED_REFERENCE),
            None,
        )
        if arm.strategy != "llm-mcts" or reference is None:
            continue
        split, reference_split = arm.time_split(), reference.time_split()
        theirs = {r.seed: r.speedups for r in reference.runs}
        for samples in checkpoints:
            pairs = [
                (float(r.speedups[samples - 1]), float(theirs[r.seed][samples - 1]))
                for r in arm.runs
                if r.seed in theirs
                and len(r.speedups) >= samples
                and len(theirs[r.seed]) >= samples
            ]
            if not pairs:
                continue
            ratios = [a / b for a, b in pairs]
            differences = [a - b for a, b in pairs if a != b]
            wins = sum(a > b for a, b in pairs)
            losses = sum(a < b for a, b in pairs)
            mean, std = float(np.mean(ratios)), sample_std(ratios)
            interval = None
            if std is not None:
                half = stats.t.ppf(0.95, len(ratios) - 1) * std / np.sqrt(len(ratios))
                interval = [mean - half, mean + half]
            rows.append(
                {
                    "workload": arm.workload,
                    "arm": arm.arm,
                    "reference": reference.arm,
                    "samples": samples,
                    "seeds": len(pairs),
                    "ratios": ratios,
                    "mean_ratio": mean,
                    "std_ratio": std,
                    "ci90": interval,
                    "wins": wins,
                    "losses": losses,
                    "wilcoxon_p": float(stats.wilcoxon(differences).pvalue)
                    if len(differences) >= 2
                    else None,
                    "sign_p": float(stats.binomtest(wins, wins + losses).pvalue)
                    if wins + losses
                    else None,
                    "seconds_per_sample": split["total"],
                    "reference_seconds_per_sample": reference_split["total"],
                    "llm_share_of_wall": split["llm"] / split["total"],
                }
            )
    return rows


def _llm_totals(stats: list[dict], search: list[dict]) -> dict:
    later = [s["mean_seconds_per_call"] for s in stats if s.get("mean_seconds_per_call")]
    first = [s["first_call_seconds"] for s in stats if s.get("first_call_seconds")]
    return {
        # How far proposals reached: measured samples an LLM proposal made, or that descend
        # from one, and the runs whose fastest program descends from one.
        "measured_llm": sum(s.get("measured_llm", 0) for s in search),
        "measured_llm_lineage": sum(s.get("measured_llm_lineage", 0) for s in search),
        "best_from_llm": sum(bool(s.get("best_from_llm")) for s in search),
        "runs": len(search),
        "set_steps": sum(s.get("set_steps", 0) for s in stats),
        "illegal_steps": sum(s.get("illegal_steps", 0) for s in stats),
        "backend": stats[0]["backend"],
        "model": stats[0]["model"],
        "calls": sum(s["calls"] for s in stats),
        "valid_proposals": sum(s["valid_proposals"] for s in stats),
        "fallbacks": sum(s["fallbacks"] for s in stats),
        "errors": sum(sum(s.get("errors", {}).values()) for s in stats),
        "first_call_seconds": max(first) if first else None,
        "mean_seconds_per_call": float(np.mean(later)) if later else None,
    }
