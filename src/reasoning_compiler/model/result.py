"""The outcome of tuning a whole model, as returned by ``tune_model()`` and in ``result.json``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..result import RunResult

LATENCY_NAMES = {
    "tvm_untuned": "TVM untuned",
    "tvm_tuned": "TVM tuned",
    "torch_eager": "PyTorch eager",
    "torch_compile": "torch.compile",
    "onnxruntime": "ONNX Runtime",
}


@dataclass(kw_only=True)
class ModelResult(RunResult):
    """A whole model's run, as returned by ``tune_model()``."""

    model: str
    task_scheduler: str
    tasks: list[dict]  # per task: calls, flops, samples, untuned_s, tuned_s
    latency: dict[str, dict]  # end to end, per call: {"seconds": s} or {"error": why}
    library: str  # the exported tuned model (load with tvm.runtime.load_module)
    # curve: [sample, estimated model seconds] (sum of calls x task best)

    def seconds(self, name: str) -> float | None:
        return self.latency.get(name, {}).get("seconds")

    def summary_rows(self) -> list[tuple[str, str]]:
        tuned = self.seconds("tvm_tuned")
        rows = [
            ("model", f"{self.model} [{self.preset}]"),
            ("strategy", f"{self.strategy} (seed {self.seed}), {self.task_scheduler} scheduler"),
        ]
        for key, name in LATENCY_NAMES.items():
            cell = self.latency.get(key)
            if cell is None:
                continue
            if "seconds" not in cell:
                rows.append((name, f"n/a: {cell.get('error', 'not measured')}"))
                continue
            text = f"{cell['seconds'] * 1e3:.3f} ms"
            if cell.get("protocol", "").startswith(("one call", "estimate")):
                text += f" [{cell['protocol']}]"  # not the usual median: say so
            if key != "tvm_tuned" and tuned:
                ratio = cell["seconds"] / tuned
                text += f"  (tuned TVM is {ratio:.2f}x " + (
                    "faster)" if ratio >= 1 else "its speed)"
                )
            rows.append((name, text))
        tuned_tasks = sum(1 for t in self.tasks if t["tuned"])
        lost = sum(1 for t in self.tasks if t["tuned"] and not t.get("in_build", True))
        rows += [
            ("samples", self.samples_text()),
            (
                "tasks",
                f"{len(self.tasks)}, {tuned_tasks} faster than untuned"
                + (f"; {lost} of them NOT in the build (kept untuned)" if lost else ""),
            ),
            self._wall_row("the rest"),
            *self._search_rows(),
            (
                "output check",
                ("matches" if self.correct else "DOES NOT MATCH")
                + f" PyTorch (max relative error {self.max_rel_error:.1e})",
            ),
            ("library", self.library),
        ]
        return rows + self._reuse_rows() + self._status_rows()

    def task_rows(self) -> list[tuple[str, ...]]:
        """Per task: calls, samples, untuned and tuned ms, share of the tuned model's time."""
        total = sum(t["tuned_s"] * t["calls"] for t in self.tasks) or 1.0
        return [
            (
                t["task"],
                str(t["calls"]),
                str(t["samples"]),
                f"{t['untuned_s'] * 1e3:.4f}",
                f"{t['tuned_s'] * 1e3:.4f}",
                f"{t['tuned_s'] * t['calls'] / total:.0%}",
            )
            for t in self.tasks
        ]

    def plot(self, path: str | Path | None = None, ax=None):
        """Estimated model latency against samples, with the measured end-to-end latencies as
        horizontal lines; saved to ``path`` if given. Returns the matplotlib Axes."""
        import matplotlib

        if path is not None and ax is None:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        own_figure = ax is None
        if own_figure:
            _, ax = plt.subplots(figsize=(5.5, 3.4))
        if self.curve:
            xs, ys = zip(*self.curve, strict=True)
            ys = [y * 1e3 for y in ys]
            ax.step(xs, ys, where="post", label=f"{self.strategy}: sum of task bests")
        for key, style in (("tvm_tuned", "-"), ("torch_eager", "--"), ("torch_compile", ":")):
            seconds = self.seconds(key)
            if seconds:
                ax.axhline(seconds * 1e3, linestyle=style, color="gray", linewidth=1)
                ax.annotate(
                    LATENCY_NAMES[key],
                    (0, seconds * 1e3),
                    fontsize=7,
                    textcoords="offset points",
                    xytext=(2, 2),
                )
        ax.set_xlabel("samples measured (all tasks)")
        ax.set_ylabel("model latency (ms)")
        ax.set_yscale("log")
        ax.set_title(f"{self.model} [{self.preset}]", fontsize=10)
        if self.curve:  # a model built from the tuning cache has no samples to plot
            ax.legend(fontsize=7)
        if path is not None:
            ax.figure.tight_layout()
            ax.figure.savefig(path, dpi=110)
            if own_figure:
                plt.close(ax.figure)
        return ax
