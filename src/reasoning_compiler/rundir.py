"""The work directory of a run: its config, the per-sample log, the database and the result.

Layout (everything a run measured is on disk as soon as its round ends):
  run.json                 what was asked for (workload, shape, strategy, seed, target)
  samples.jsonl            one row per measured sample: index, latency or error (or, stopped
                           early as too slow, at_least_s), wall time, build seconds
  database_*.json          MetaSchedule's tuning database (traces and run times)
  cost_model.tar           the XGBoost cost model, so --resume does not start it cold
  best_program.py          the fastest program found (TVMScript) and its trace
  expected_output.npy      the output every sample must reproduce on the seeded inputs
  result.json              the summary of the last session
  curve.png                best speedup so far against samples measured
  logs/                    MetaSchedule's own logs

What was measured is in the database and in ``samples.jsonl``, one record and one row per
sample, in the same order: each round is committed to the database first, then logged. So a run
killed at any moment leaves at most a torn last line in either file, or records the log lacks;
``RunDir.recover`` (on ``--resume``) cuts torn lines and logs those records from the database,
and stops with a one-line error for damage it cannot undo.
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
        """Samples with no latency, except those stopped early as too slow (``at_least_s``)."""
        return sum(1 for r in self.rows if r.get("latency_s") is None and "at_least_s" not in r)

    @property
    def stopped_slow(self) -> int:
        return sum(1 for r in self.rows if "at_least_s" in r)

    @property
    def best_seconds(self) -> float | None:
        latencies = [r["latency_s"] for r in self.rows if r.get("latency_s") is not None]
        return min(latencies) if latencies else None

    def curve(self, untuned_seconds: float) -> list[list[float]]:
        """[sample_index, best speedup so far] for every sample. The untuned program is a
        candidate too, so the curve starts at 1.0 and never falls below it."""
        latencies = [r.get("latency_s") or np.inf for r in self.rows]
        best = np.minimum.accumulate(latencies) if latencies else []
        return [[i + 1, max(1.0, float(untuned_seconds / b))] for i, b in enumerate(best)]


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
            try:
                stored = json.loads(run.config_path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise damaged(run.config_path, "not JSON") from None
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

    @property
    def records_path(self) -> Path:
        return self.path / "database_tuning_record.json"

    @property
    def workloads_path(self) -> Path:
        return self.path / "database_workload.json"

    def recover(self, llm_transcript: Path | None = None) -> list[str]:
        """Make a work dir left by a killed session consistent again; say what was done.

        Raises ``UserError`` naming the damaged file when the log and the database disagree in
        a way no kill can cause (a file edited, truncated in the middle or deleted).
        """
        notes = []
        for path in (self.samples_path, self.records_path, self.workloads_path, llm_transcript):
            if path is not None and drop_torn_tail(path):
                notes.append(f"{path.name}: dropped a last line cut short by the kill")
        rows = read_jsonl(self.samples_path)
        records = read_jsonl(self.records_path)
        if records and not read_jsonl(self.workloads_path):
            raise damaged(self.workloads_path, "it is missing or empty but records refer to it")
        if len(records) < len(rows):
            raise damaged(
                self.records_path,
                f"it has {len(records)} records where samples.jsonl has {len(rows)} samples",
            )
        if len(records) > len(rows):
            session = self.config.get("sessions", 2) - 1  # the session that was killed
            log = SampleLog.open(self.samples_path)
            for _, record in records[len(rows) :]:
                log.append(**recovered_row(record, session, log.rows))
            notes.append(
                f"logged {len(records) - len(rows)} samples the killed session measured but "
                "had not logged (from the database)"
            )
        return notes

    def _write_config(self, config: dict) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config, indent=2) + "\n")
        tmp.replace(self.config_path)


FAILED_RUN_SECS = 1e9  # MetaSchedule records a failed sample with a run time of 1e10 s


def recovered_row(record: list, session: int, earlier: list[dict]) -> dict:
    """A log row for a database record (``[trace, run_secs, target, args_info]``) the log
    lacks. Its finishing time is unknown: it gets that of the sample before it in the same
    session (a lower bound)."""
    run_secs = [float(s) for s in record[1] or []]
    ok = bool(run_secs) and max(run_secs) < FAILED_RUN_SECS
    same_session = [r.get("wall_s") for r in earlier if r.get("session") == session]
    return {
        "latency_s": float(np.mean(run_secs)) if ok else None,
        "error": None if ok else "failed (recovered from the database; its message was lost)",
        "wall_s": next((w for w in reversed(same_session) if w is not None), 0.0),
        "session": session,
        "recovered": True,
    }


def drop_torn_tail(path: Path) -> bool:
    """Cut a last line that a kill left without its newline; True if there was one."""
    if not path.exists():
        return False
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    with path.open("r+b") as file:
        file.truncate(data.rfind(b"\n") + 1)
    return True


def read_jsonl(path: Path) -> list:
    """Every line of a JSON-lines file (none if it does not exist); damage is a UserError."""
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise damaged(path, f"line {number} is not JSON") from None
    return rows


def damaged(path: Path, why: str) -> UserError:
    return UserError(
        f"cannot resume: {path} is damaged ({why}); restore it, or start the run again with "
        "--overwrite"
    )
