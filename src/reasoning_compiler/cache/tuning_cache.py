"""The tuning cache as a run sees it: MetaSchedule's records in, its databases out.

A run (``pipeline.Run``) asks the cache three things. Before tuning: which of its tasks are
already known well enough to build from the cache (``plan``), and for the others, what to start
from (``warm_start``: the best programs of the nearest shapes and the samples to train the cost
model on). While tuning: every measured sample goes in, round by round (``add``). After: a
MetaSchedule database of the known programs, which the build reads beside the run's own
(``database``).

Records are keyed by the program's structure (shape and dtype included) and by the target they
were measured on (``target_key``: the CPU model, its features, the core count), so records of
another machine are kept apart and never used here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import tvm
import tvm_ffi
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule import _ffi_api
from tvm.tirx import FloatImm, IntImm

from .plan import nearest_first, tasks_from_cache
from .store import FILE_NAME, CacheStore, Known, Sample

ENV_VAR = "REASONING_COMPILER_TUNING_CACHE"
OFF = ("off", "none", "0", "false", "no")
WARM_PROGRAMS = 8  # at most this many known programs open a new shape's first round
TRAINING_SAMPLES = 512  # the cost model learns from at most this many cached samples
BUILD_RECORDS = 4  # per task, the fastest known programs handed to the build
FAILED_RUN_SECS = 1e10  # MetaSchedule's run time for a failed sample


def default_location() -> Path:
    """``tuning`` in the project's cache directory, beside the local models (``llm.models``)."""
    root = os.environ.get("REASONING_COMPILER_CACHE", "~/.cache/reasoning-compiler")
    return Path(root).expanduser() / "tuning"


def location(choice: str | Path | bool | None = None) -> Path | None:
    """Where the cache lives: ``choice`` (a directory, or False/"off"), else the
    ``REASONING_COMPILER_TUNING_CACHE`` environment variable, else ``tuning`` in the project's
    cache directory (``$REASONING_COMPILER_CACHE``, as for the local models)."""
    if choice is None:
        choice = os.environ.get(ENV_VAR) or default_location()
    if choice is False or str(choice).strip().lower() in OFF:
        return None
    return Path(choice).expanduser()


def target_key(target: tvm.target.Target) -> str:
    """The target records belong to: its description plus, for CPUs, the features LLVM will
    use for it (a CPU model name alone does not say whether AVX-512 or AMX is enabled)."""
    text = str(target)
    if target.kind.name == "llvm":
        try:
            features = tvm.target.codegen.llvm_get_cpu_features(target)
            text += " features=" + ",".join(sorted(str(f) for f in features))
        except Exception:  # an LLVM without the query: the model name must do
            pass
    return hashlib.sha256(text.encode()).hexdigest()[:16] + " " + str(target)


def workload_key(mod) -> str:
    return str(tvm_ffi.structural_hash(mod))


@dataclass
class CachedTask:
    """A task as the cache knows it."""

    name: str
    mod: object
    family: str | None  # the workload it is a shape of (warm starts look within it)
    shape: dict | None
    key: str = ""
    known: int = 0  # samples cached for it on this target
    from_cache: bool = False  # built from the cache, not tuned in this run


@dataclass
class WarmStart:
    """What a task starts from: programs to measure first and samples to train on."""

    programs: list[Known] = field(default_factory=list)
    training: list[Known] = field(default_factory=list)


class TuningCache:
    """The cache, bound to one target."""

    def __init__(self, directory: Path, target, warn):
        self.directory = directory
        self.store = CacheStore(directory / FILE_NAME, warn)
        self.target = target
        self.target_key = target_key(target)

    @classmethod
    def open(cls, choice, target, warn) -> TuningCache | None:
        where = location(choice)
        return None if where is None else cls(where, target, warn)

    @property
    def usable(self) -> bool:
        return self.store.broken is None

    def plan(self, tasks: list[CachedTask], trials: int, reuse: bool = True) -> list[CachedTask]:
        """Register the tasks and (with ``reuse``) mark those to build from the cache."""
        for task in tasks:
            task.key = workload_key(task.mod)
            self.store.add_workload(
                task.key,
                task.family,
                task.shape,
                _plain(_ffi_api.WorkloadAsJSON(ms.database.Workload(task.mod))),
            )
        keys = [t.key for t in tasks]
        counts = self.store.counts(self.target_key, keys)
        covered = self.store.run_samples(self.target_key, keys)
        for task, count, use in zip(
            tasks, counts, tasks_from_cache(counts, trials, covered), strict=True
        ):
            task.known, task.from_cache = count, reuse and use
        return tasks

    def warm_start(self, task: CachedTask, limit: int) -> WarmStart:
        """The fastest known programs of the shapes nearest this one (this one first), and the
        family's samples for the cost model."""
        if task.family is None:
            known = self.store.best(self.target_key, task.key, TRAINING_SAMPLES)
        else:
            known = self.store.family(self.target_key, task.family, TRAINING_SAMPLES)
        programs, seen = [], set()
        for k in nearest_first(known, task.shape):
            trace = str(k.record[0])
            if trace not in seen:
                seen.add(trace)
                programs.append(k)
        return WarmStart(programs[: min(limit, WARM_PROGRAMS)], known)

    def add(self, task: CachedTask, measured: list, origin: str, first_index: int) -> None:
        """One round's samples of ``task``: (MeasureCandidate, BuilderResult, RunnerResult),
        numbered from ``first_index`` in the run at ``origin``. A sample the cache cannot take
        ends the cache for this run (one warning), never the run."""
        try:
            self.store.add(self._samples(task, measured, origin, first_index))
        except Exception as err:
            self.store.fail(err)

    def _samples(self, task: CachedTask, measured: list, origin: str, first_index: int):
        workload = ms.database.Workload(task.mod)
        samples = []
        for i, (candidate, built, ran) in enumerate(measured):
            ok = not built.error_msg and not ran.error_msg and ran.run_secs
            secs = [float(s) for s in ran.run_secs] if ok else None
            record = ms.database.TuningRecord(
                candidate.sch.trace,
                workload,
                secs or [FAILED_RUN_SECS],
                self.target,
                candidate.args_info,
            )
            samples.append(
                Sample(
                    self.target_key,
                    task.key,
                    sum(secs) / len(secs) if secs else None,
                    _plain(_ffi_api.TuningRecordAsJSON(record)),
                    f"{origin}#{first_index + i}",
                )
            )
        return samples

    def finish_run(self, tasks: list[CachedTask], samples: int, origin: str) -> None:
        self.store.add_run(self.target_key, [t.key for t in tasks], samples, origin)

    def database(self, tasks: list[CachedTask]) -> ms.database.MemoryDatabase:
        """The fastest known programs of ``tasks``, as a MetaSchedule database."""
        database = ms.database.MemoryDatabase()
        for task in tasks:
            best = self.store.best(self.target_key, task.key, BUILD_RECORDS)
            if best:
                workload = database.commit_workload(task.mod)
                for k in best:
                    try:
                        database.commit_tuning_record(to_record(k, workload))
                    except Exception:  # a record this TVM cannot read: the others still serve
                        continue
        return database

    def best_seconds(self, task: CachedTask) -> float | None:
        best = self.store.best(self.target_key, task.key, 1)
        return best[0].latency_s if best else None


def to_record(known: Known, workload=None) -> ms.database.TuningRecord:
    """A cached sample as MetaSchedule's record, on its own workload unless one is given."""
    workload = workload or ms.database.Workload.from_json(known.workload)
    return ms.database.TuningRecord.from_json(known.record, workload)


def _plain(value):
    """TVM's JSON objects as plain Python, as MetaSchedule's JSON database writes them: other
    objects in a trace (e.g. a layout transform's IndexMap) as their TVM JSON text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, IntImm | FloatImm):
        return value.value
    if isinstance(value, tvm_ffi.Map):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tvm_ffi.Array | list | tuple):
        return [_plain(v) for v in value]
    return tvm.ir.save_json(value)
