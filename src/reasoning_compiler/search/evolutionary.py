"""Upstream's evolutionary search, as this project runs it: ``Deduplicated`` around it."""

from __future__ import annotations

import tvm_ffi
from tvm.ir.utils import derived_object
from tvm.s_tir.meta_schedule.runner import RunnerResult

from .wrapped import Wrapped


@derived_object
class Deduplicated(Wrapped):
    """Another MetaSchedule strategy, minus the programs the run's database already holds.

    Upstream's evolutionary search starts each session knowing nothing measured (a TODO in its
    source), so after ``--resume`` it measures some of the best programs again. This wrapper
    drops those candidates and tells the inner strategy they were done, so the inner one runs
    on for up to one extra candidate per record it might repeat.
    """

    def __init__(self, inner):
        super().__init__(inner)
        self.measured: set[int] = set()  # structural hashes of the programs measured
        self.skipped: list = []  # candidates dropped since the last notification
        self.trials_left = 0

    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database, cost_model):
        self.measured = self._in_database(database) if database is not None else set()
        self.trials_left = int(max_trials)
        extra = len(self.measured)
        self.inner.pre_tuning(
            max_trials + extra, num_trials_per_iter, design_spaces, database, cost_model
        )

    def _in_database(self, database) -> set[int]:
        if not database.has_workload(self.context.mod):
            return set()
        workload = database.commit_workload(self.context.mod)
        return {
            tvm_ffi.structural_hash(record.as_measure_candidate().sch.mod)
            for record in database.get_all_tuning_records()
            if record.workload.same_as(workload)
        }

    def generate_measure_candidates(self):
        if self.trials_left <= 0:
            return None
        for _ in range(8):  # a few rounds made only of repeats, then give up
            candidates = self.inner.generate_measure_candidates()
            if candidates is None:
                return None
            fresh = []
            for c in candidates:
                key = tvm_ffi.structural_hash(c.sch.mod)
                (self.skipped if key in self.measured else fresh).append(c)
                self.measured.add(key)
            if fresh:
                return fresh[: self.trials_left]
            self._notify_skipped([], [])
        return None

    def notify_runner_results(self, measure_candidates, results) -> None:
        self.trials_left -= len(results)
        self._notify_skipped(list(measure_candidates), list(results))

    def _notify_skipped(self, candidates: list, results: list) -> None:
        skipped, self.skipped = self.skipped, []
        dropped = [RunnerResult(run_secs=None, error_msg="measured before") for _ in skipped]
        self.inner.notify_runner_results(candidates + skipped, results + dropped)

    def clone(self):
        return Deduplicated(self.inner.clone())
