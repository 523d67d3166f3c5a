"""The tuning cache on disk: one SQLite file of every sample measured, per user.

Three tables:
  workloads  a program to tune, as MetaSchedule's ``Workload`` JSON, keyed by its structural
             hash; with its family (a workload name) and shape, so that a new shape can find
             its nearest known ones
  records    one row per measured sample: MetaSchedule's ``TuningRecord`` JSON, its latency
             (NULL: failed), the target it was measured on (``target_key``) and the sample it
             was (run work dir and index), which is its identity: adding it twice keeps one
  runs       a finished run: which set of programs, on which target, with how many samples

SQLite serialises writers (each round is one transaction), so runs that write at once lose
nothing. Any SQLite error makes the cache ``broken``: one warning, and the run goes on without.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

FILE_NAME = "tuning-cache.sqlite"
BUSY_TIMEOUT_S = 120  # another run's round commits in milliseconds; a long wait is a stuck disk

SCHEMA = """
CREATE TABLE IF NOT EXISTS workloads (
    key TEXT PRIMARY KEY, family TEXT, shape TEXT, workload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, target_key TEXT NOT NULL, workload_key TEXT NOT NULL,
    latency_s REAL, record TEXT NOT NULL, added REAL);
CREATE INDEX IF NOT EXISTS records_by_workload ON records (target_key, workload_key);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, target_key TEXT NOT NULL, tasks_key TEXT NOT NULL, samples INTEGER);
"""


@dataclass(frozen=True)
class Sample:
    """One measured sample, ready for the cache."""

    target_key: str
    workload_key: str
    latency_s: float | None
    record: list  # TuningRecord.as_json(), as plain JSON
    origin: str  # "<work dir>#<sample index>": the same sample is stored once


@dataclass(frozen=True)
class Known:
    """A cached sample read back: its program's workload and its record."""

    workload_key: str
    family: str | None
    shape: dict | None
    workload: list  # Workload.as_json()
    latency_s: float | None
    record: list


class CacheStore:
    """The cache file. Every method is a no-op (or empty) once the cache is ``broken``."""

    def __init__(self, path: Path, warn=None):
        self.path = path
        self.broken: str | None = None
        self._warn = warn or (lambda text: warnings.warn(text, stacklevel=3))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as err:
            self.fail(err)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)

    def fail(self, err: Exception) -> None:
        """The cache is unusable from now on: one warning, then every method is a no-op."""
        if self.broken is None:
            self.broken = str(err) or type(err).__name__
            self._warn(
                f"tuning cache {self.path} cannot be used ({self.broken}); this run goes on "
                "without it (delete or move the file to start a new cache)"
            )

    def _transaction(self, work, default=None):
        if self.broken:
            return default
        try:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                out = work(db)
                db.execute("COMMIT")
                return out
            finally:
                db.close()
        except (sqlite3.Error, OSError, ValueError) as err:
            self.fail(err)
            return default

    # ---- writing

    def add_workload(self, key: str, family: str | None, shape: dict | None, workload) -> None:
        self._transaction(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO workloads VALUES (?, ?, ?, ?)",
                (key, family, json.dumps(shape), json.dumps(workload)),
            )
        )

    def add(self, samples: list[Sample]) -> int:
        """Store samples (one transaction); the number that were new."""

        def work(db):
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        _digest(s.target_key, s.workload_key, s.origin),
                        s.target_key,
                        s.workload_key,
                        s.latency_s,
                        json.dumps(s.record),
                        time.time(),
                    )
                    for s in samples
                ],
            )
            return db.total_changes - before

        return self._transaction(work, 0) if samples else 0

    def add_run(self, target_key: str, workload_keys: list[str], samples: int, origin: str):
        tasks = tasks_key(workload_keys)
        self._transaction(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
                (_digest(origin, tasks), target_key, tasks, samples),
            )
        )

    # ---- reading

    def counts(self, target_key: str, workload_keys: list[str]) -> list[int]:
        """Samples known per workload on this target."""

        def work(db):
            rows = dict(
                db.execute(
                    "SELECT workload_key, COUNT(*) FROM records WHERE target_key = ? "
                    f"AND workload_key IN ({','.join('?' * len(workload_keys))}) "
                    "GROUP BY workload_key",
                    (target_key, *workload_keys),
                ).fetchall()
            )
            return [rows.get(k, 0) for k in workload_keys]

        return self._transaction(work, [0] * len(workload_keys))

    def run_samples(self, target_key: str, workload_keys: list[str]) -> int:
        """The most samples a finished run spent on exactly these programs on this target."""
        row = self._transaction(
            lambda db: db.execute(
                "SELECT MAX(samples) FROM runs WHERE target_key = ? AND tasks_key = ?",
                (target_key, tasks_key(workload_keys)),
            ).fetchone()
        )
        return (row or [0])[0] or 0

    def best(self, target_key: str, workload_key: str, limit: int) -> list[Known]:
        """The fastest samples of one program on this target, fastest first."""
        return self._known(
            "r.target_key = ? AND r.workload_key = ? AND r.latency_s IS NOT NULL "
            "ORDER BY r.latency_s LIMIT ?",
            (target_key, workload_key, limit),
        )

    def family(self, target_key: str, family: str, limit: int) -> list[Known]:
        """The fastest samples of every shape of a family on this target, fastest first."""
        return self._known(
            "r.target_key = ? AND w.family = ? AND r.latency_s IS NOT NULL "
            "ORDER BY r.latency_s LIMIT ?",
            (target_key, family, limit),
        )

    def _known(self, where: str, args: tuple) -> list[Known]:
        def work(db):
            return db.execute(
                "SELECT w.key, w.family, w.shape, w.workload, r.latency_s, r.record "
                f"FROM records r JOIN workloads w ON w.key = r.workload_key WHERE {where}",
                args,
            ).fetchall()

        rows = self._transaction(work, [])
        return [
            Known(key, family, json.loads(shape), json.loads(wl), latency, json.loads(record))
            for key, family, shape, wl, latency, record in rows
        ]

    def summary(self) -> list[dict]:
        """One row per (target, family, shape): samples and the best latency."""

        def work(db):
            return db.execute(
                "SELECT r.target_key, w.family, w.shape, COUNT(*), MIN(r.latency_s) "
                "FROM records r JOIN workloads w ON w.key = r.workload_key "
                "GROUP BY r.target_key, w.key ORDER BY r.target_key, w.family, w.shape"
            ).fetchall()

        return [
            {"target": t, "family": f, "shape": json.loads(s), "samples": n, "best_s": b}
            for t, f, s, n, b in self._transaction(work, [])
        ]

    # ---- travelling

    def export(self, dest: Path, family: str | None = None, target_key: str | None = None) -> int:
        """Write the records (of one family, one target, or all) to a new cache file ``dest``;
        the number of records written."""
        if self.broken:
            raise UserError(f"tuning cache {self.path} cannot be read ({self.broken})")
        if dest.exists():
            raise UserError(f"{dest} exists; choose a new file to export to")
        out = CacheStore(dest, warn=refuse)
        where, args = ["1"], []
        if family:
            where.append("w.family = ?")
            args.append(family)
        if target_key:
            where.append("r.target_key = ?")
            args.append(target_key)
        with out._connect() as db:
            db.execute("ATTACH DATABASE ? AS src", (str(self.path),))
            db.execute("BEGIN")
            db.execute(
                "INSERT OR IGNORE INTO main.records SELECT r.* FROM src.records r JOIN "
                f"src.workloads w ON w.key = r.workload_key WHERE {' AND '.join(where)}",
                args,
            )
            db.execute(
                "INSERT OR IGNORE INTO main.workloads SELECT * FROM src.workloads WHERE key IN "
                "(SELECT DISTINCT workload_key FROM main.records)"
            )
            db.execute("COMMIT")
            return db.execute("SELECT COUNT(*) FROM main.records").fetchone()[0]

    def import_from(self, source: Path) -> dict:
        """Add another cache file's records (each under the target it was measured on)."""
        if self.broken:
            raise UserError(f"tuning cache {self.path} cannot be written ({self.broken})")
        if not source.is_file():
            raise UserError(f"no such cache file: {source}")
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
                src.execute("SELECT id, target_key, workload_key FROM records LIMIT 1")
                src.execute("SELECT key, family, shape, workload FROM workloads LIMIT 1")
        except sqlite3.Error as err:
            raise UserError(f"{source} is not a tuning cache ({err})") from None

        connection = self._connect()
        try:  # ATTACH cannot run inside a transaction: one by hand
            connection.execute("ATTACH DATABASE ? AS src", (str(source),))
            connection.execute("BEGIN IMMEDIATE")
            before = connection.total_changes
            connection.execute("INSERT OR IGNORE INTO main.workloads SELECT * FROM src.workloads")
            workloads = connection.total_changes - before
            connection.execute("INSERT OR IGNORE INTO main.records SELECT * FROM src.records")
            records = connection.total_changes - before - workloads
            by_target = dict(
                connection.execute(
                    "SELECT target_key, COUNT(*) FROM src.records GROUP BY target_key"
                ).fetchall()
            )
            connection.execute("COMMIT")
        except sqlite3.Error as err:
            raise UserError(f"cannot import {source}: {err}") from None
        finally:
            connection.close()
        return {"new_records": records, "records_by_target": by_target}

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def tasks_key(workload_keys: list[str]) -> str:
    return _digest(*sorted(workload_keys))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def refuse(text: str):
    """A cache problem as the user's error (for the cache commands: nothing to go on with)."""
    raise UserError(text)
