"""MCTS as a MetaSchedule search strategy: ``MCTSSearch`` is what ``tune_tasks`` drives."""

from __future__ import annotations

import random

from tvm.ir.utils import derived_object
from tvm.s_tir import Schedule
from tvm.s_tir.meta_schedule.search_strategy import PySearchStrategy

from ..rundir import FAILED_RUN_SECS
from .proposers import Proposer
from .schedule_space import ScheduleSpace, candidate
from .tree import DEFAULT_C, MCTS, SearchStats


def latency_of(result) -> tuple[float | None, str | None]:
    """Mean run time of a RunnerResult or TuningRecord, or why there is none."""
    if getattr(result, "error_msg", None):
        return None, str(result.error_msg)
    secs = [float(s) for s in (result.run_secs or [])]
    if not secs or max(secs) >= FAILED_RUN_SECS:
        return None, "no run time"
    return sum(secs) / len(secs), None


@derived_object
class MCTSSearch(PySearchStrategy):
    """Monte Carlo tree search (paper section 3.2) as a MetaSchedule search strategy.

    Each round runs ``expansions_per_round`` MCTS iterations (default: 16 per sample asked
    for), then returns the unmeasured nodes with the best predicted score. ``early_round``
    (default: the round size) measures the first round's worth of samples in smaller rounds,
    so that measured feedback reaches the cost model and the prompts sooner. Measured latencies
    are backpropagated into the tree. ``proposer`` expands nodes (default: random, weighted by
    the mutator probabilities); ``stats`` is filled in as the search runs. Pass the Python
    ``XGBModel`` as ``cost_model``: MetaSchedule hands strategies an FFI handle that hides
    whether the model is trained yet (an untrained one scores with unseeded random numbers) and
    extracts every program's features again on each call, while with the model itself a node's
    features are extracted once and the search follows the seed.
    """

    def __init__(
        self,
        c: float = DEFAULT_C,
        branching: int = 2,
        rollout_depth: int = 2,
        expansions_per_round: int | None = None,
        history_depth: int = 2,
        llm_share: float = 0.25,
        first_round_guided: int = 0,
        early_round: int | None = None,
        proposer: Proposer | None = None,
        stats: SearchStats | None = None,
        cost_model=None,
    ):
        super().__init__()
        self.early_round = early_round
        self.options = {
            "c": c,
            "branching": branching,
            "rollout_depth": rollout_depth,
            "expansions_per_round": expansions_per_round,
            "history_depth": history_depth,
            "llm_share": llm_share,
            "first_round_guided": first_round_guided,
            "proposer": proposer,
        }
        # tune_tir runs a clone: the stats object is shared so the caller sees it filled in.
        self.stats = stats if stats is not None else SearchStats()
        self.cost_model = cost_model
        self.context = None
        self.search: MCTS | None = None
        self.pending: list = []
        self.trials_left = 0
        self.per_round = 0

    def _initialize_with_tune_context(self, context) -> None:
        self.context = context

    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database, cost_model):
        model = self.cost_model if self.cost_model is not None else cost_model
        space = ScheduleSpace(self.context, design_spaces, model)
        self.search = MCTS(
            space,
            space.weights,
            seed=int(self.context.rand_state),
            stats=self.stats,
            **self.options,
        )
        self.trials_left, self.per_round = int(max_trials), int(num_trials_per_iter)
        if database is not None:
            self._continue_from(database, space)

    def _continue_from(self, database, space: ScheduleSpace) -> None:
        """On resume: nothing measured is measured again, and the best become root children."""
        if not database.has_workload(self.context.mod):
            return
        workload = database.commit_workload(self.context.mod)
        rng = random.Random(0)
        measured = []  # (latency or None, schedule), each record replayed once
        for record in database.get_all_tuning_records():
            if record.workload.same_as(workload):
                sch = space.replay(record.trace, rng)
                if sch is not None:
                    measured.append((latency_of(record)[0], sch))
        fastest = sorted((m for m in measured if m[0] is not None), key=lambda m: m[0])
        for latency, sch in fastest[: self.per_round]:
            self.search.add_measured(sch, latency)
        for _, sch in measured:
            self.search.tree.keys.add(space.key(sch))

    def adopt(self, program: Schedule, latency: float) -> None:
        """A program measured for this task outside the search (a warm start from the tuning
        cache): a measured child of the root, as on resume."""
        self.search.add_measured(program, latency)

    def generate_measure_candidates(self):
        count = min(self.round_size(), self.trials_left)
        if count <= 0:
            return None
        self.pending = self.search.next_batch(count)
        if not self.pending:
            return None  # nothing new left to measure anywhere
        return [candidate(node.program) for node in self.pending]

    def round_size(self) -> int:
        """``early_round`` until a whole round's worth of samples is measured, then the round."""
        if self.early_round and self.search.measured_count < self.per_round:
            return min(self.early_round, self.per_round)
        return self.per_round

    def notify_runner_results(self, measure_candidates, results) -> None:
        outcomes = [latency_of(result) for result in results]
        self.search.record(self.pending, [lat for lat, _ in outcomes], [err for _, err in outcomes])
        self.trials_left -= len(results)
        self.pending = []

    def post_tuning(self) -> None:
        self.search = None  # drop the schedules

    def clone(self):
        return MCTSSearch(
            **self.options,
            early_round=self.early_round,
            stats=self.stats,
            cost_model=self.cost_model,
        )
