"""MCTS as a MetaSchedule search strategy: the only file of ``search`` that knows TVM.

``ScheduleSpace`` gives the plain-Python tree its programs: MetaSchedule schedules, sampled from
the design space with decisions stripped, transformed by the mutator behind each transformation
name (explicit seeds), validated by replay and the postprocessors, identified by structural hash
and scored by the cost model. ``MCTSSearch`` is the ``SearchStrategy`` that ``tune_tir`` drives.
``MeasuredOnce`` keeps another strategy (upstream's evolutionary search) from measuring again,
after a resume, what the database holds.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import replace

import tvm_ffi
from tvm.ir.utils import derived_object
from tvm.s_tir import Schedule, Trace
from tvm.s_tir.meta_schedule import _ffi_api
from tvm.s_tir.meta_schedule.arg_info import ArgInfo
from tvm.s_tir.meta_schedule.runner import RunnerResult
from tvm.s_tir.meta_schedule.search_strategy import MeasureCandidate, PySearchStrategy
from tvm.s_tir.schedule import Instruction

from ..rundir import FAILED_RUN_SECS
from ..target import available_cores
from .language import DecisionPoint, Step, Tiling, kind_of, parse_step
from .proposers import TRANSFORMATIONS, ProgramDescription, Proposer
from .tree import DEFAULT_C, MCTS, SearchStats

_MAX_SEED = 2**31 - 1  # MutatorApply takes seeds in [1, 2^31 - 1]
# Instructions whose first output is a new block, and how its label reads.
_MAKES_BLOCKS = {
    "CacheWrite": "cache_write",
    "CacheRead": "cache_read",
    "RFactor": "rfactor",
    "ReIndex": "reindex",
    "Blockize": "blockize",
    "DecomposeReduction": "init",
}
MAX_LOCATIONS = 12  # compute-location candidates probed per block (loops of a consumer nest)


class ScheduleSpace:
    """Schedules of one workload, as the tree sees them (see ``tree.Space``)."""

    def __init__(self, context, design_spaces: Sequence[Schedule], cost_model):
        if cost_model is None:
            raise ValueError("MCTS needs a cost model to score rollouts")
        self.context, self.cost_model = context, cost_model
        # The Python XGBModel lets features be extracted once per program and scored again
        # after each retraining; any other cost model is asked for scores of whole programs.
        self.extractor = getattr(cost_model, "extractor", None)
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
        self.cores = available_cores()
        self._locations: dict[tuple, tuple[str, ...]] = {}  # legal compute locations, found once

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
        """Bare names go to their mutator (a random change of that kind); parameterized steps
        (``TileSize(qk/2 = 8x1x16x2)``) set that decision. Either is kept only if the schedule
        replays and passes the postprocessors, and a set decision only if it reads back."""
        current, applied = program, []
        for text in transformations:
            name = kind_of(text)
            step, where = (None, None) if name == text else self._parse(current, text)
            if step is None:
                trace = _ffi_api.MutatorApply(self.mutators[name], current.trace, _seed(rng))
            elif isinstance(step, Step) and where is not None and step.value != where[0].current:
                trace = _with_value(current.trace, *where, step.value)
            else:
                trace = None  # an illegal step, or one that changes nothing
            if trace is None:
                continue  # nothing to mutate of this kind here, or an illegal value
            sch = self.replay(trace, rng)
            if sch is not None and (step is None or _holds(sch, step)):
                current = sch
                applied.append(text if step is None else str(step))
        return (current, applied) if applied else None

    def _parse(self, program: Schedule, text: str) -> tuple[Step | str, tuple | None]:
        """The step ``text`` asks for (or why it is illegal), with the decision point it sets
        and the trace instruction that holds that decision."""
        found = self.decision_points(program)
        step = parse_step(text, [point for point, _ in found])
        if isinstance(step, Step):
            for point, inst in found:
                if point.kind == step.kind and point.target in (step.target, None):
                    return step, (point, inst)
        return step, None

    def decision_points(self, program: Schedule) -> list[tuple[DecisionPoint, object]]:
        """The program's decision points with every legal value, compute locations included
        (found by replaying each candidate once per design space and block)."""
        found = decision_points(program.trace, self.cores)
        structure = tuple(inst.kind.name for inst in program.trace.insts)
        with_locations = []
        for point, inst in found:
            if point.kind == "ComputeLocation":
                key = (hash(structure), point.target)
                if key not in self._locations:
                    self._locations[key] = self._legal_locations(program.trace, point, inst)
                legal = tuple(dict.fromkeys([*self._locations[key], point.current]))
                point = replace(point, legal=legal)
            with_locations.append((point, inst))
        return with_locations

    def _legal_locations(self, trace: Trace, point: DecisionPoint, inst) -> tuple[str, ...]:
        """The compute locations that replay and read back (replay re-samples a location past
        the last candidate loop instead of failing)."""
        legal, rng = [], random.Random(0)
        for value in ["root", "inlined"] + [f"loop {i}" for i in range(MAX_LOCATIONS)]:
            step = Step(point.kind, point.target, value)
            sch = None
            if value != point.current:
                sch = self.replay(_with_value(trace, point, inst, value), rng)
            if value == point.current or (sch is not None and _holds(sch, step)):
                legal.append(value)
            elif value.startswith("loop"):
                break  # candidates are numbered from 0: the first that fails ends them
        return tuple(legal)

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
        points = tuple(point for point, _ in self.decision_points(program))
        return ProgramDescription(
            {p.label: p.current for p in points}, loop_nest(program.mod), points
        )

    def rollout(self, program: Schedule, transformations, rng: random.Random):
        """Random changes by name, replayed and postprocessed once, at the end."""
        trace, changed = program.trace, False
        for name in transformations:
            mutated = _ffi_api.MutatorApply(self.mutators[name], trace, _seed(rng))
            if mutated is not None:
                trace, changed = mutated, True
        return self.replay(trace, rng) if changed else None

    def features(self, programs: Sequence[Schedule]) -> list:
        candidates = [candidate(sch) for sch in programs]
        if self.extractor is None or not candidates:
            return candidates
        extracted = self.extractor.extract_from(self.context, candidates)
        return [x.numpy().astype("float32") for x in extracted]  # as XGBModel.predict does

    def score(self, features: Sequence, rng: random.Random) -> list[float]:
        if self._untrained():
            # An untrained XGBModel answers with NumPy's unseeded random numbers; ours are
            # just as uninformed but follow the seed.
            return [rng.random() for _ in features]
        if self.extractor is None:
            return list(self.cost_model.predict(self.context, list(features)))
        return list(self.cost_model._predict(xs=list(features)))  # noqa: SLF001

    def _untrained(self) -> bool:
        """Whether the XGBModel would still answer at random (any other model: never)."""
        if not hasattr(self.cost_model, "booster"):
            return False
        model = self.cost_model
        return model.booster is None or model.data_size < model.num_warmup_samples


def decision_points(trace: Trace, cores: int = 1) -> list[tuple[DecisionPoint, object]]:
    """The decisions of a trace a step may set, each with the instruction that holds it, in
    trace order: tile splits labelled by block/loop, compute locations by block, and the
    program-wide Unroll and Parallel. Compute-location candidates are left to the caller (they
    need replays): here only the values every location has, root and inlined, and the current."""
    names = {}  # random variable -> "block" or "block/loop index"
    found: list[tuple[DecisionPoint, object]] = []
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
        elif kind in ("GetProducers", "GetConsumers"):  # "out.producer0"
            source = names.get(inst.inputs[0], "block")
            role = "producer" if kind == "GetProducers" else "consumer"
            names.update({b: f"{source}.{role}{i}" for i, b in enumerate(inst.outputs)})
        elif kind in _MAKES_BLOCKS:  # a new block, named after its source: "out.cache_write"
            source = names.get(inst.inputs[0], "block") if inst.inputs else "block"
            names[inst.outputs[0]] = f"{source}.{_MAKES_BLOCKS[kind]}"
        elif kind == "SamplePerfectTile" and decision is not None:
            factors = [int(v) for v in decision]
            extent, innermost = math.prod(factors), int(inst.attrs[1])
            tiling = Tiling(extent, int(inst.attrs[0]), innermost if innermost > 0 else extent)
            value = "x".join(map(str, factors))
            found.append(
                (DecisionPoint("TileSize", names.get(inst.inputs[0], "?"), value, tiling), inst)
            )
        elif kind == "SampleComputeLocation" and decision is not None:
            value = _location(int(decision))
            legal = tuple(dict.fromkeys(["root", "inlined", value]))
            block = names.get(inst.inputs[0], "?")
            found.append((DecisionPoint("ComputeLocation", block, value, legal), inst))
        elif kind == "SampleCategorical" and decision is not None:
            legal = tuple(str(int(v)) for v in inst.attrs[0])
            found.append((DecisionPoint("Unroll", None, legal[int(decision)], legal), inst))
        elif kind == "Annotate" and str(inst.attrs[0]) == "meta_schedule.parallel":
            value = str(int(inst.inputs[1]))
            top = max(int(value), 64 * cores)
            legal = sorted({2**k for k in range(top.bit_length()) if 2**k <= top} | {int(value)})
            found.append((DecisionPoint("Parallel", None, value, tuple(map(str, legal))), inst))
    return _unique_targets(found)


def _unique_targets(found):
    """A block/loop split twice (or two root blocks' Unroll) gets a ``#2`` on its second label."""
    seen: dict[tuple, int] = {}
    unique = []
    for point, inst in found:
        count = seen[(point.kind, point.target)] = seen.get((point.kind, point.target), 0) + 1
        if count > 1:
            point = replace(point, target=f"{point.target or point.kind}#{count}")
        unique.append((point, inst))
    return unique


def _holds(program: Schedule, step: Step) -> bool:
    """Whether ``program`` has the decision ``step`` asked for."""
    return any(
        p.kind == step.kind and p.target in (step.target, None) and p.current == step.value
        for p, _ in decision_points(program.trace)
    )


def decisions(trace: Trace) -> dict[str, str]:
    """The sampled decisions of a trace, ``"TileSize(qk/2)" -> "2x1x64x2"``, in trace order."""
    return {point.label: point.current for point, _ in decision_points(trace)}


def _location(decision: int) -> str:
    return {-1: "root", -2: "inlined"}.get(decision, f"loop {decision}")


def _location_decision(value: str) -> int:
    return {"root": -1, "inlined": -2}.get(value) or int(value.split()[-1])


def _with_value(trace: Trace, point: DecisionPoint, inst, value: str) -> Trace:
    """``trace`` with the decision at ``inst`` set to ``value``, postprocessing removed."""
    if point.kind == "Parallel":  # not a sampled decision: the annotation's value itself
        annotate = Instruction(inst.kind, [inst.inputs[0], int(value)], inst.attrs, inst.outputs)
        insts = [annotate if i.same_as(inst) else i for i in trace.insts]
        cut = [i for i, x in enumerate(insts) if x.kind.name == "EnterPostproc"]
        insts = insts[: cut[0]] if cut else insts
        kept = {i: d for i, d in trace.decisions.items() if not i.same_as(inst)}
        return Trace(insts, kept)
    if point.kind == "TileSize":
        decision = [int(f) for f in value.split("x")]
    elif point.kind == "Unroll":
        decision = point.legal.index(value)
    else:
        decision = _location_decision(value)
    return trace.with_decision(inst, decision, True)


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
    for), then returns the unmeasured nodes with the best predicted score. Measured latencies
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
            "llm_share": llm_share,
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
        count = min(self.per_round, self.trials_left)
        if count <= 0:
            return None
        self.pending = self.search.next_batch(count)
        if not self.pending:
            return None  # nothing new left to measure anywhere
        return [candidate(node.program) for node in self.pending]

    def notify_runner_results(self, measure_candidates, results) -> None:
        outcomes = [latency_of(result) for result in results]
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
