"""The decisions of a MetaSchedule trace as the transformation language names them.

``decision_points`` reads a trace's tile splits, compute locations, unroll and parallel extents
as ``language.DecisionPoint``s (labelled by block and loop); ``with_value`` writes one back;
``holds`` checks that a schedule has the value a step asked for.
"""

from __future__ import annotations

import math
from dataclasses import replace

from tvm.s_tir import Schedule, Trace
from tvm.s_tir.schedule import Instruction
from tvm.tirx import IntImm

from .language import DecisionPoint, Step, Tiling

# Instructions whose first output is a new block, and how its label reads.
_MAKES_BLOCKS = {
    "CacheWrite": "cache_write",
    "CacheRead": "cache_read",
    "RFactor": "rfactor",
    "ReIndex": "reindex",
    "Blockize": "blockize",
    "DecomposeReduction": "init",
}


def decision_points(trace: Trace, cores: int = 1) -> list[tuple[DecisionPoint, object]]:
    """The decisions of a trace a step may set, each with the instruction that holds it, in
    trace order: tile splits labelled by block/loop, compute locations by block, and the
    program-wide Unroll and Parallel. Compute-location candidates are left to the caller (they
    need replays): here only the values every location has, root and inlined, and the current."""
    names = {}  # random variable -> "block" or "block/loop index"
    vector_tiles = {}  # loop -> the width of the fixed vector tile split off it
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
        elif kind == "Split" and inst.inputs[0] in names:
            # RegisterTiling splits a vector's width off a loop first and tiles the rest:
            # the rest keeps the loop's label.
            names.setdefault(inst.outputs[0], names[inst.inputs[0]])
            width = inst.inputs[2] if len(inst.inputs) == 3 and inst.inputs[1] is None else None
            if isinstance(width, int | IntImm):  # Split(loop, [None, width])
                vector_tiles[inst.outputs[0]] = int(width)
        elif kind == "SamplePerfectTile" and decision is not None:
            factors = [int(v) for v in decision]
            extent, innermost = math.prod(factors), int(inst.attrs[1])
            tiling = Tiling(
                extent,
                int(inst.attrs[0]),
                innermost if innermost > 0 else extent,
                vector_tiles.get(inst.inputs[0], 0),
            )
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


def holds(program: Schedule, step: Step) -> bool:
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


def with_value(trace: Trace, point: DecisionPoint, inst, value: str) -> Trace:
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
