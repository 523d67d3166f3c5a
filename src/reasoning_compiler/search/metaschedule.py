"""MCTS as a MetaSchedule search strategy: the only file of ``search`` that knows TVM.

``ScheduleSpace`` gives the plain-Python tree its programs: MetaSchedule schedules, sampled from
the design space with decisions stripped, transformed by the mutator behind each transformation
name (explicit seeds), validated by replay and the postprocessors, identified by structural hash
and scored by the cost model. ``MCTSSearch`` is the ``SearchStrategy`` that ``tune_tir`` drives.
``MeasuredOnce`` keeps another strategy (upstream's evolutionary search) from measuring again,
after a resume, what the database holds.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import tvm_ffi
from tvm.ir.utils import derived_object
from tvm.s_tir import Schedule, Trace
from tvm.s_tir.meta_schedule import _ffi_api
from tvm.s_tir.meta_schedule.arg_info import ArgInfo
from tvm.s_tir.meta_schedule.runner import RunnerResult
from tvm.s_tir.meta_schedule.search_strategy import MeasureCandidate, PySearchStrategy

from ..rundir import FAILED_RUN_SECS
from .proposers import TRANSFORMATIONS, ProgramDescription, Proposer
from .tree import DEFAULT_C, MCTS, SearchStats

_MAX_SEED = 2**31 - 1  # MutatorApply takes seeds in [1, 2^31 - 1]


class ScheduleSpace:
    """Schedules of one workload, as the tree sees them (see ``tree.Space``)."""

    def __init__(self, context, design_spaces: Sequence[Schedule], cost_model, untrained=None):
        if cost_model is None:
            raise ValueError("MCTS needs a cost model to score rollouts")
        self.context, self.cost_model = context, cost_model
        self.untrained = untrained or (lambda: False)
        self.mod = context.mod
        self.postprocs = list(context.space_generator.postprocs)
        mutator_probs = dict(context.space_generator.mutator_probs or {})
        by_type = {type(m).__name__: (m, float(p)) for m, p in mutator_probs.items()}
        self.mutators = {}  # transformation name -> mutator
        self.weights = {}  # transformation name -> the mutator's default probability
        for name, mutator_type in TRANSFORMATIONS.items():
            if mutator_type in by_type:
                self.mutators[name], self.weights[name] = by_type[mutator_type]
        # Decisions stripped: replaying a design space samples every decision afresh.
        self.fresh_traces = [Trace(space.trace.insts, {}) for space in design_spaces]
        self._next_space = 0

    def sample(self, count: int, rng: random.Random) -> list[Schedule]:
        programs: list[Schedule] = []
        for _ in range(4 * count):  # some samples fail the postprocessors
            if len(programs) == count:
                break
            trace = self.fresh_traces[self._next_space % len(self.fresh_traces)]
            self._next_space += 1
            sch = self.replay(trace, rng)
            if sch is not None:
                programs.append(sch)
        return programs

    def transform(self, program: Schedule, transformations, rng: random.Random):
        current, applied = program, []
        for name in transformations:
            trace = _ffi_api.MutatorApply(self.mutators[name], current.trace, _seed(rng))
            if trace is None:
                continue  # nothing to mutate of this kind here
            sch = self.replay(trace, rng)
            if sch is not None:
                current = sch
                applied.append(name)
        return (current, applied) if applied else None

    def replay(self, trace: Trace, rng: random.Random) -> Schedule | None:
        """The trace applied to a fresh schedule, then every postprocessor; None if any fails."""
        sch = Schedule(self.mod, seed=_seed(rng), debug_mask=0, error_render_level="none")
        try:
            trace.apply_to_schedule(sch, remove_postproc=True)
            sch.enter_postproc()
            if not all(postproc.apply(sch) for postproc in self.postprocs):
                return None
        except Exception:  # an invalid schedule: TVMError, or a ScheduleError subclass
            return None
        return sch

    def key(self, program: Schedule) -> int:
        return tvm_ffi.structural_hash(program.mod)

    def describe(self, program: Schedule) -> ProgramDescription:
        return ProgramDescription(decisions(program.trace), loop_nest(program.mod))

    def predict(self, programs: Sequence[Schedule], rng: random.Random) -> list[float]:
        if self.untrained():
            # An untrained XGBModel answers with NumPy's unseeded random numbers; ours are
            # just as uninformed but follow the seed.
            return [rng.random() for _ in programs]
        candidates = [candidate(sch) for sch in programs]
        return list(self.cost_model.predict(self.context, candidates))


def decisions(trace: Trace) -> dict[str, str]:
    """The sampled decisions of a trace, labelled by block and loop, in trace order."""
    names = {}  # random variable -> "block" or "block/loop index"
    found: dict[str, str] = {}
    for inst in trace.insts:
        kind = inst.kind.name
        if kind == "EnterPostproc":
            break
        decision = trace.decisions.get(inst)
        if kind == "GetSBlock":
            names[inst.outputs[0]] = str(inst.attrs[0])
        elif kind == "GetLoops":
            block = names.get(inst.inputs[0], "?")
            names.update({loop: f"{block}/{i}" for i, loop in enumerate(inst.outputs)})
        elif kind == "SamplePerfectTile" and decision is not None:
            found[f"TileSize {names.get(inst.inputs[0], '?')}"] = "x".join(
                str(int(v)) for v in decision
            )
        elif kind == "SampleComputeLocation" and decision is not None:
            found[f"ComputeLocation {names.get(inst.inputs[0], '?')}"] = _location(int(decision))
        elif kind == "SampleCategorical" and decision is not None:
            found["Unroll max step"] = str(int(inst.attrs[0][int(decision)]))
        elif kind == "Annotate" and str(inst.attrs[0]) == "meta_schedule.parallel":
            found["Parallel max extent"] = str(int(inst.inputs[1]))
    return found


def _location(decision: int) -> str:
    return {-1: "root", -2: "inlined"}.get(decision, f"loop {decision}")


_LOOP = re.compile(r"for (.+?) in (?:T\.)?(\w+)\((.*?)(?:, annotations=(\{.*\}))?\):$")
_BLOCK = re.compile(r'with T\.sblock\("([^"]+)"\)')


def loop_nest(mod) -> list[str]:
    """The loops and blocks of a scheduled program, one line each, indented by nesting:
    ``h_1, i_1 grid(2, 2)``, ``fused parallel(256) unroll<=16``, ``block qk_update``."""
    lines = []
    for raw in mod.script().splitlines():
        text = raw.strip()
        indent = " " * max(0, (len(raw) - len(raw.lstrip()) - 8) // 4)
        if match := _LOOP.match(text):
            variables, kind, extents, annotations = match.groups()
            step = re.search(r'"pragma_auto_unroll_max_step": (\d+)', annotations or "")
            kind = {"range": "", "grid": ""}.get(kind, kind + " ")
            unroll = f" unroll<={step.group(1)}" if step else ""
            lines.append(f"{indent}{variables.replace(' ', '')} {kind}({extents}){unroll}")
        elif match := _BLOCK.search(text):
            lines.append(f"{indent}block {match.group(1)}")
    return lines


def candidate(sch: Schedule) -> MeasureCandidate:
    return MeasureCandidate(sch, ArgInfo.from_entry_func(sch.mod, remove_preproc=True))


def _seed(rng: random.Random) -> int:
    return rng.randint(1, _MAX_SEED)


def _latency(result) -> tuple[float | None, str | None]:
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
    for), then returns the unmeasured nodes with the best predicted score. Measured latencies
    are backpropagated into the tree. ``proposer`` expands nodes (default: random, weighted by
    the mutator probabilities); ``stats`` is filled in as the search runs. Pass the Python
    ``XGBModel`` as ``cost_model`` for a fully seeded search: MetaSchedule hands strategies an
    FFI handle that hides whether the model is trained yet, and an untrained one scores randomly.
    """

    def __init__(
        self,
        c: float = DEFAULT_C,
        branching: int = 2,
        rollout_depth: int = 2,
        expansions_per_round: int | None = None,
        history_depth: int = 2,
        proposer: Proposer | None = None,
        stats: SearchStats | None = None,
        cost_model=None,
    ):
        super().__init__()
        self.options = {
            "c": c,
            "branching": branching,
            "rollout_depth": rollout_depth,
            "expansions_per_round": expansions_per_round,
            "history_depth": history_depth,
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
        untrained = None
        if getattr(self.cost_model, "booster", False) is not False:  # an XGBModel
            untrained = lambda: self.cost_model.booster is None  # noqa: E731
        space = ScheduleSpace(self.context, design_spaces, cost_model, untrained)
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
                    measured.append((_latency(record)[0], sch))
        fastest = sorted((m for m in measured if m[0] is not None), key=lambda m: m[0])
        for latency, sch in fastest[: self.per_round]:
            self.search.add_measured(sch, latency)
        for _, sch in measured:
            self.search.tree.keys.add(space.key(sch))

    def generate_measure_candidates(self):
        count = min(self.per_round, self.trials_left)
        if count <= 0:
            return None
        self.pending = self.search.next_batch(count)
        if not self.pending:
            return None  # nothing new left to measure anywhere
        return [candidate(node.program) for node in self.pending]

    def notify_runner_results(self, measure_candidates, results) -> None:
        outcomes = [_latency(result) for result in results]
        self.search.record(self.pending, [lat for lat, _ in outcomes], [err for _, err in outcomes])
        self.trials_left -= len(results)
        self.pending = []

    def post_tuning(self) -> None:
        self.search = None  # drop the schedules

    def clone(self):
        return MCTSSearch(**self.options, stats=self.stats, cost_model=self.cost_model)


@derived_object
class MeasuredOnce(PySearchStrategy):
    """Another MetaSchedule strategy, minus the programs the run's database already holds.

    Upstream's evolutionary search starts each session knowing nothing measured (a TODO in its
    source), so after ``--resume`` it measures some of the best programs again. This wrapper
    drops those candidates and tells the inner strategy they were done, so the inner one runs
    on for up to one extra candidate per record it might repeat.
    """

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.context = None
        self.measured: set[int] = set()  # structural hashes of the programs measured
        self.skipped: list = []  # candidates dropped since the last notification
        self.trials_left = 0

    def _initialize_with_tune_context(self, context) -> None:
        self.context = context
        self.inner._initialize_with_tune_context(context)

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

    def post_tuning(self) -> None:
        self.inner.post_tuning()

    def clone(self):
        return MeasuredOnce(self.inner.clone())
