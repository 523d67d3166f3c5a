"""A search strategy around another one: every call goes to the inner strategy unless the
wrapper overrides it. The wrappers: a warm first round from the tuning cache
(``cache.warm_start``), no repeats after a resume (``evolutionary``), a hook before each batch
(``pipeline``). Each subclass still takes ``@derived_object`` itself, which makes it a
MetaSchedule object."""

from __future__ import annotations

from tvm.s_tir.meta_schedule.search_strategy import PySearchStrategy


class Wrapped(PySearchStrategy):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.context = None

    def _initialize_with_tune_context(self, context) -> None:
        self.context = context
        self.inner._initialize_with_tune_context(context)

    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database, cost_model):
        self.inner.pre_tuning(max_trials, num_trials_per_iter, design_spaces, database, cost_model)

    def generate_measure_candidates(self):
        return self.inner.generate_measure_candidates()

    def notify_runner_results(self, measure_candidates, results) -> None:
        self.inner.notify_runner_results(measure_candidates, results)

    def post_tuning(self) -> None:
        self.inner.post_tuning()
