"""The work directory of a run: its config, the per-sample log, the database and the result.

Layout (everything a run measured is on disk as soon as its round ends):
  run.json                 what was asked for (workload, shape, strategy, seed, target)
  samples.jsonl            one row per measured sample: index, latency or error, wall time
  database_*.json          MetaSchedule's tuning database (traces and run times)
  cost_model.tar           the XGBoost cost model, so --resume does not start it cold
  best_program.py          the fastest program found (TVMScript) and its trace
  expected_output.npy      the output every sample must reproduce on the seeded inputs
  result.json              the summary of the last session
  curve.png                best speedup so far against samples measured
  logs/                    MetaSchedule's own logs
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import UserError

# Keys of run.json that must agree when a run is resumed.
RESUME_KEYS = ("workload", "preset", "shape", "strategy", "strategy_options", "seed", "target")


@dataclass
class SampleLog:
    """Append-only log of measured samples (``samples.jsonl``), with the best-so-far curve."""

    path: Path
    rows: list[dict] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path) -> SampleLog:
        rows = []
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        break  # a line cut short by a hard kill; everything before it is intact
        return cls(path=path, rows=rows)

    def append(self, **row) -> dict:
        row = {"index": len(self.rows) + 1, **row}
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        self.rows.append(row)
        return row

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if r.get("latency_s") is None)

    @property
    def best_seconds(self) -> float | None:
        latencies = [r["latency_s"] for r in self.rows if r.get("latency_s") is not None]
        return min(latencies) if latencies else None

    def curve(self, untuned_seconds: float) -> list[list[float]]:
        """[sample_index, best speedup so far] for every sample (0.0 until one succeeds)."""
        latencies = [r.get("latency_s") or np.inf for r in self.rows]
        best = np.minimum.accumulate(latencies) if latencies else []
        return [
            [i + 1, float(untuned_seconds / b) if np.isfinite(b) else 0.0]
            for i, b in enumerate(best)
        ]


class RunDir:
    def __init__(self, path: Path):
        self.path = path
        self.config_path = path / "run.json"
        self.samples_path = path / "samples.jsonl"
        self.result_path = path / "result.json"
        self.cost_model_path = path / "cost_model.tar"
        self.best_program_path = path / "best_program.py"
        self.expected_output_path = path / "expected_output.npy"

    @classmethod
    def prepare(cls, path: str | Path, config: dict, *, resume: bool, overwrite: bool) -> RunDir:
        """Create or reopen a work dir; refuse to silently reuse one that holds another run."""
        run = cls(Path(path))
        holds_run = run.config_path.exists()
        if resume:
            if not holds_run:
                raise UserError(f"nothing to resume: {run.path} holds no run (no run.json)")
            stored = json.loads(run.config_path.read_text())
            diffs = [
                f"{k}: run has {stored.get(k)!r}, asked for {config[k]!r}"
                for k in RESUME_KEYS
                if k in config and stored.get(k) != config[k]
            ]
            if diffs:
                raise UserError(
                    f"cannot resume {run.path} with different settings ({'; '.join(diffs)})"
                )
            stored["sessions"] = stored.get("sessions", 1) + 1
            stored["trials"] = config.get("trials", stored.get("trials"))
            run._write_config(stored)
            return run
        if run.path.exists() and any(run.path.iterdir()):
            if not holds_run:
                raise UserError(
                    f"work dir {run.path} exists and is not a reasoning-compiler run; "
                    "choose another --work-dir"
                )
            if not overwrite:
                raise UserError(
                    f"work dir {run.path} already holds a run; pass --resume to continue it, "
                    "--overwrite to start again, or choose another --work-dir"
                )
            shutil.rmtree(run.path)
        try:
            run.path.mkdir(parents=True, exist_ok=True)
            run._write_config({**config, "sessions": 1})
        except OSError as err:
            raise UserError(f"cannot write to work dir {run.path}: {err.strerror or err}") from None
        return run

    @property
    def config(self) -> dict:
        return json.loads(self.config_path.read_text())

    def _write_config(self, config: dict) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config, indent=2) + "\n")
        tmp.replace(self.config_path)
