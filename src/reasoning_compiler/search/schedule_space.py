"""The TVM side of the tree search: the programs it searches (see ``tree.Space``).

``ScheduleSpace`` gives the plain-Python tree its programs: MetaSchedule schedules, sampled from
the design space with decisions stripped, transformed by the mutator behind each transformation
name (explicit seeds), validated by replay and the postprocessors, identified by structural hash
and scored by the cost model. ``mcts_strategy.MCTSSearch`` drives it from MetaSchedule.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace

import tvm_ffi
from tvm.s_tir import Schedule, Trace
from tvm.s_tir.meta_schedule import _ffi_api
from tvm.s_tir.meta_schedule.arg_info import ArgInfo
from tvm.s_tir.meta_schedule.search_strategy import MeasureCandidate

from ..target import available_cores
from .decisions import decision_points, holds, with_value
from .language import DecisionPoint, Step, kind_of, parse_step
from .proposers import TRANSFORMATIONS, ProgramDescription

_MAX_SEED = 2**31 - 1  # MutatorApply takes seeds in [1, 2^31 - 1]
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
        # Most samples can fail the postprocessors: the register budget refuses 5 of 6 at
        # paper-size attention (tiles of up to 2,048 accumulator vectors).
        for _ in range(16 * count):
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
                trace = with_value(current.trace, *where, step.value)
            else:
                trace = None  # an illegal step, or one that changes nothing
            if trace is None:
                continue  # nothing to mutate of this kind here, or an illegal value
            sch = self.replay(trace, rng)
            if sch is not None and (step is None or holds(sch, step)):
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
                sch = self.replay(with_value(trace, point, inst, value), rng)
            if value == point.current or (sch is not None and holds(sch, step)):
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
