"""The outcome of a tuning run, as returned by ``tune()`` / ``tune_model()`` and written to
``result.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .timing import baseline_estimator, sample_estimator


@dataclass(kw_only=True)
class RunResult:
    """What every run reports, a kernel's or a model's: its search, budget, time and LLM.

    ``TuneResult`` (a kernel) and ``ModelResult`` (a model) add what is theirs. Written to
    ``result.json`` by ``write_json``; ``load`` reads any run's file, older ones included.
    """

    preset: str
    strategy: str
    seed: int
    trials: int  # samples measured on hardware (over all tasks), failed ones included
    failed_trials: int
    curve: list[list[float]]  # [sample_index, best so far]
    wall_seconds: float
    time_split: dict[str, float]  # search / llm / build / run (/ baseline: untuned + checks)
    target: dict
    work_dir: str
    tvm_version: str = ""
    correct: bool | None = None  # tuned output matches the reference (None: nothing to check)
    max_rel_error: float | None = None
    interrupted: bool = False
    resumed_samples: int = 0  # samples measured by earlier sessions of this work dir
    settings: dict = field(default_factory=dict)  # evaluator, cost model, strategy parameters
    search_stats: dict | None = None  # tree search counters (mcts strategies)
    llm: dict | None = None  # LLM accounting (llm-mcts): calls, valid proposals, tokens, seconds
    time_budget_s: float | None = None  # the session's time budget, if one was given
    budget_spent: bool = False  # the session stopped because its time budget ran out
    stopped_slow_trials: int = 0  # samples stopped as much slower than the fastest (measure.py)
    reuse: dict | None = None  # what came from the tuning cache (None: a result from before it)

    @classmethod
    def load(cls, path: str | Path):
        """A ``result.json`` of this kind; keys it does not know (derived ones) are skipped."""
        data = json.loads(Path(path).read_text())
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def load_finished(cls, work_dir: str | Path):
        """The result of the run in ``work_dir`` if it finished (a benchmark keeps it), else
        None (none written, or interrupted: a benchmark starts that run again)."""
        path = Path(work_dir) / "result.json"
        if not path.exists():
            return None
        result = cls.load(path)
        return None if result.interrupted else result

    @property
    def seconds_per_sample(self) -> float | None:
        measured = self.trials - self.resumed_samples
        return self.wall_seconds / measured if measured > 0 else None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["seconds_per_sample"] = self.seconds_per_sample
        return data

    def write_json(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        tmp.replace(path)

    def __str__(self) -> str:
        return "\n".join(f"{key:>16}  {value}" for key, value in self.summary_rows())

    def summary_rows(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def samples_text(self) -> str:
        text = f"{self.trials} ({self.failed_trials} failed"
        if self.stopped_slow_trials:
            factor = (self.settings.get("measure") or {}).get("stop_slower_than")
            text += f", {self.stopped_slow_trials} stopped as over {factor:g}x the fastest"
        return text + ")"

    def _wall_row(self, rest: str) -> tuple[str, str]:
        split = self.time_split
        return (
            "wall time",
            f"{self.wall_seconds:.1f} s = search {split['search']:.1f}"
            + (f" + LLM {split['llm']:.1f}" if split.get("llm") else "")
            + f" + build {split['build']:.1f} + run {split['run']:.1f} + {rest}",
        )

    def _search_rows(self) -> list[tuple[str, str]]:
        """The tree search's and the LLM's counters."""
        rows = []
        stats = self.search_stats
        if stats:
            rows.append(
                (
                    "tree search",
                    f"{stats['expansions']} nodes from {stats['proposals']} proposals "
                    f"({stats['failed_expansions']} gave nothing new), "
                    f"{stats['predictions']} cost-model scores",
                )
            )
        if self.llm:
            llm = self.llm
            per_call = llm["mean_seconds_per_call"]
            per_call = f", {per_call:.1f} s/call" if per_call is not None else ""
            faults = ", ".join(f"{reason} {n}" for reason, n in llm["errors"].items())
            rows.append(
                (
                    "LLM",
                    f"{llm['backend']} {llm['model']}: {llm['calls']} calls, "
                    f"{llm['valid_proposals']} valid, {llm['fallbacks']} fell back to random"
                    f"{per_call}"
                    + (f"; faults: {faults}" if faults else "")
                    + (f"; stopped: {llm['disabled']}" if llm["disabled"] else ""),
                )
            )
            if stats and "measured_llm" in stats:
                best = {True: "descends from one", False: "does not"}.get(stats["best_from_llm"])
                rows.append(
                    (
                        "LLM proposals",
                        f"{stats['llm_children']} nodes, {stats['measured_llm']} measured "
                        f"({stats['measured_llm_lineage']} with an LLM step in their history); "
                        f"the fastest program {best or 'is not known yet'}",
                    )
                )
        return rows

    def _reuse_rows(self) -> list[tuple[str, str]]:
        """What the tuning cache gave this run: tasks built from it, warm starts."""
        reuse = self.reuse
        if reuse is None:
            return []
        if reuse.get("cache") is None:
            return [("tuning cache", "off")]
        parts = []
        if reuse.get("tasks_from_cache"):
            known = reuse.get("known_samples", {})
            names = reuse["tasks_from_cache"]
            parts.append(
                f"{len(names)} task(s) built from {sum(known.get(n, 0) for n in names)} "
                "known samples"
            )
        if best := reuse.get("best_from_cache"):
            timed = best.get("timed_now_s")
            now = f"{timed * 1e3:.3f} ms now" if timed else "not timed now"
            parts.append(f"best known program: {best['cached_s'] * 1e3:.3f} ms cached, {now}")
        warm = reuse.get("warm_start") or {}
        if warm:
            programs = sum(w.get("programs", 0) for w in warm.values())
            trained = sum(w.get("trained_on", 0) for w in warm.values())
            parts.append(
                f"warm start: {programs} known program(s) refitted and measured first, cost "
                f"model trained on {trained} cached samples"
            )
        return [("tuning cache", "; ".join(parts) or f"nothing reused ({reuse['cache']})")]

    def _status_rows(self) -> list[tuple[str, str]]:
        if self.interrupted:
            return [("status", "interrupted; continue with --resume")]
        if self.budget_spent:
            return [("status", f"time budget of {self.time_budget_s:g} s spent")]
        return []


@dataclass(kw_only=True)
class TuneResult(RunResult):
    """One kernel's run, as returned by ``tune()``."""

    workload: str
    shape: dict[str, int]
    untuned_seconds: float
    best_seconds: float | None
    speedup: float | None
    gflops: float | None
    flops: int
    checked_against: str | None = None
    untuned_is_best: bool = False  # no sample beat the untuned program, which is the result
    compare: dict | None = None  # the same operator in NumPy and PyTorch (tune --compare)

    def speedup_at(self, samples: int) -> float | None:
        """Best speedup reached within the first ``samples`` samples."""
        best = None
        for index, speedup in self.curve:
            if index <= samples:
                best = speedup
        return best

    def plot(self, path: str | Path | None = None, ax=None):
        """Best speedup so far against samples measured; saved to ``path`` if given.

        Returns the matplotlib Axes (in a notebook, the figure shows by itself).
        """
        import matplotlib

        if path is not None and ax is None:
            matplotlib.use("Agg")  # writing a file needs no display
        import matplotlib.pyplot as plt

        own_figure = ax is None
        if own_figure:
            _, ax = plt.subplots(figsize=(5, 3.2))
        if self.curve:
            xs, ys = zip(*self.curve, strict=True)
            ax.step(xs, ys, where="post", label=f"{self.strategy} (seed {self.seed})")
            ax.legend(fontsize=8)
        ax.set_xlabel("samples measured")
        ax.set_ylabel("speedup over untuned")
        ax.set_title(f"{self.workload} [{self.preset}]", fontsize=10)
        ax.set_ylim(bottom=0)
        if path is not None:
            ax.figure.tight_layout()
            ax.figure.savefig(path, dpi=110)
            if own_figure:
                plt.close(ax.figure)
        return ax

    def _speedup_text(self) -> str:
        if self.speedup is None:
            return "n/a"
        if self.untuned_is_best:
            return f"{self.speedup:.2f}x (no faster variant found: the untuned program is best)"
        return f"{self.speedup:.2f}x"

    def _compare_rows(self) -> list[tuple[str, str]]:
        """One row per library: its time and speed, and how the tuned kernel compares."""
        rows = []
        for key, name in (("numpy", "NumPy"), ("pytorch", "PyTorch")):
            cell = (self.compare or {}).get(key)
            if cell is None:
                continue
            if "seconds" not in cell:
                rows.append((f"vs {name}", cell.get("note", "n/a")))
                continue
            ratio = cell["seconds"] / self.best_seconds
            verdict = f"tuned is {ratio:.2f}x " + ("faster" if ratio >= 1 else "its speed")
            how = f", {cell['protocol']}" if "protocol" in cell else ""
            timing = f"{cell['seconds'] * 1e3:.3f} ms ({cell['gflops']:.1f} GFLOP/s{how})"
            rows.append((f"vs {name}", f"{timing}: {verdict}"))
        return rows

    def summary_rows(self) -> list[tuple[str, str]]:
        def ms(seconds):
            if seconds is None:
                return "n/a"
            return f"{seconds * 1e3:.3f} ms" if seconds >= 1e-4 else f"{seconds * 1e6:.2f} us"

        measure = self.settings.get("measure") or {}
        best_timed_by = sample_estimator(measure, self.best_seconds)
        rows = [
            ("workload", f"{self.workload} [{self.preset}]"),
            ("strategy", f"{self.strategy} (seed {self.seed})"),
            ("untuned latency", f"{ms(self.untuned_seconds)} ({baseline_estimator(measure)})"),
            ("best latency", f"{ms(self.best_seconds)} ({best_timed_by})"),
            ("speedup", self._speedup_text()),
            ("throughput", "n/a" if self.gflops is None else f"{self.gflops:.1f} GFLOP/s"),
            ("samples", self.samples_text()),
            self._wall_row(f"baseline {self.time_split['baseline']:.1f}"),
            *self._search_rows(),
            *self._compare_rows(),
        ]
        if self.correct is not None:
            verdict = "matches" if self.correct else "DOES NOT MATCH"
            detail = (
                f"rel err {self.max_rel_error:.1e}"
                if self.max_rel_error is not None
                else "checked on the device, every sample"
            )
            rows.append(("output check", f"{verdict} {self.checked_against} ({detail})"))
        rows.extend(self._reuse_rows() + self._status_rows())
        rows.append(("work dir", self.work_dir))
        return rows
