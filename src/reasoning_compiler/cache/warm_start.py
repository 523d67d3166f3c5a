"""A task's search started from what the cache knows.

Before the first round, the cost model learns from the cached samples of the task's family
(every shape: its features describe loop extents, so other shapes teach it too). The first
round then measures the fastest known programs of the nearest shapes, their tile sizes refitted
to this shape's loops (``plan.fit_tile``); a program that no longer applies is dropped. After
that the task's own strategy takes over, and a tree search adopts what was measured as children
of its root. LLM prompts see none of this: they show the current run's measurements only.
"""

from __future__ import annotations

import random

from tvm.ir.utils import derived_object
from tvm.s_tir import Schedule
from tvm.s_tir.meta_schedule.arg_info import ArgInfo
from tvm.s_tir.meta_schedule.runner import RunnerResult
from tvm.s_tir.meta_schedule.search_strategy import MeasureCandidate

from ..search.wrapped import Wrapped
from .plan import fit_tile
from .store import Known
from .tuning_cache import WarmStart, to_record


@derived_object
class WarmStarted(Wrapped):
    def __init__(self, inner, warm: WarmStart, report: dict):
        super().__init__(inner)
        self.warm, self.report = warm, report
        self.first: list | None = None  # the warm round's schedules, until measured

    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database, cost_model):
        self.report["trained_on"] = self._train(cost_model)
        postprocs = list(self.context.space_generator.postprocs)
        fitted = [refit(self.context.mod, k, postprocs) for k in self.warm.programs]
        self.first = [s for s in fitted if s is not None][: min(num_trials_per_iter, max_trials)]
        self.report["programs"] = len(self.first)
        self.report["not_applicable"] = len(fitted) - sum(s is not None for s in fitted)
        self.inner.pre_tuning(
            max_trials - len(self.first), num_trials_per_iter, design_spaces, database, cost_model
        )

    def _train(self, cost_model) -> int:
        pairs = []
        for known in self.warm.training:
            try:
                pairs.append((to_record(known).as_measure_candidate(), known.latency_s))
            except Exception:  # a record this TVM cannot replay: it teaches nothing
                continue
        if pairs and cost_model is not None:
            cost_model.update(
                self.context,
                [c for c, _ in pairs],
                [RunnerResult(run_secs=[s], error_msg=None) for _, s in pairs],
            )
        return len(pairs)

    def generate_measure_candidates(self):
        if self.first:
            return [
                MeasureCandidate(s, ArgInfo.from_entry_func(s.mod, remove_preproc=True))
                for s in self.first
            ]
        self.first = None
        return self.inner.generate_measure_candidates()

    def notify_runner_results(self, measure_candidates, results) -> None:
        if not self.first:
            self.inner.notify_runner_results(measure_candidates, results)
            return
        adopt = getattr(self.inner, "adopt", None)  # the tree searches; evolutionary reads the db
        for sch, result in zip(self.first, results, strict=True):
            if adopt and not result.error_msg and result.run_secs:
                secs = [float(s) for s in result.run_secs]
                adopt(sch, sum(secs) / len(secs))
        self.first = None

    def clone(self):
        return WarmStarted(self.inner.clone(), self.warm, self.report)


def refit(mod, known: Known, postprocs: list) -> Schedule | None:
    """A known program's trace replayed on ``mod`` (another shape of its workload), each tile
    size refitted to the new loop's extent, then postprocessed; None if it does not apply."""
    sch = Schedule(mod, seed=random.randint(1, 2**31 - 1), debug_mask=0)

    def fitted(inst, inputs, attrs, decision):
        if inst.kind.name == "SamplePerfectTile" and decision is not None:
            extent = sch.get(inputs[0]).extent
            return fit_tile([int(f) for f in decision], int(extent))
        return decision

    try:
        trace = to_record(known).trace
        trace.apply_to_schedule(sch, remove_postproc=True, decision_provider=fitted)
        sch.enter_postproc()
        if not all(postproc.apply(sch) for postproc in postprocs):
            return None
    except Exception:  # a decision that no longer applies (TVMError or a ScheduleError)
        return None
    return sch
