"""The expansion prompt (paper section 3.1 and appendix A).

The system message is the same for every call on one program structure (task, target,
transformations, and the decision points with their legal values); the user message holds the
node being expanded, its ancestors and what this run measured. Stable text first lets a local
model reuse the evaluated prefix, so the long, constant part is paid for once per run.

Only this run's tree goes into a prompt: scores and latencies of nodes measured in this run.
Every prompt holds the node's ancestors up to the history depth (the paper's parent and
grandparent): when a prompt is too long for the model, it is compressed in a fixed order (loop
nests of ancestors, the current loop nest, measured feedback, then fewer differing decisions
per ancestor), and the token count is measured again, by the backend's own tokenizer where it
has one. Ancestors are never dropped.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..search.language import DecisionPoint
from ..search.proposers import NodeContext, ProgramDescription
from .parse import ANSWER_PREFIX

MAX_SEQUENCE = 6  # the longest sequence we ask for (the grammar of the local model allows 6)

LANGUAGE = (
    "A step is a transformation name alone (its parameters are then drawn at random), or a "
    "name with the decision it sets, using the decision points and legal values listed "
    "below:\n"
    "- TileSize(block/loop = AxBxCxD): split that loop into these factors, outermost first "
    "(their product is the loop's extent, less any fixed vector tile split off it; the "
    "innermost one is usually vectorized)\n"
    "- ComputeLocation(block = loop N | root | inlined): where a producer block is computed\n"
    "- Unroll(N): the maximum auto-unroll step\n"
    "- Parallel(N): the most iterations fused into the outer parallel loop\n"
)

VALUES_LANGUAGE = LANGUAGE.replace(
    "A step is a transformation name alone (its parameters are then drawn at random), or a "
    "name with the decision it sets",
    "A step is a transformation name with the decision it sets",
)

# What each transformation does, in the words of MetaSchedule's mutators.
MEANINGS = {
    "TileSize": "re-draw the factors of one loop split (cache blocking and the innermost, "
    "vectorized extent)",
    "Parallel": "change how many outer loops are fused into the parallel loop",
    "ComputeLocation": "move a producer block under another loop of its consumer (compute_at): "
    "locality against recomputation",
    "Unroll": "change the maximum auto-unroll step of the loop nests (0, 16, 64 or 512)",
    "ThreadBinding": "change the number of threads per GPU thread block",
}

_LABELS = ["Current program", "Parent", "Grandparent", "Great-grandparent"]


@dataclass(frozen=True)
class Detail:
    """How much of each part a user message shows; ``LEVELS`` goes from most to least."""

    current_loops: bool = True  # the current program's loop nest
    ancestor_loops: bool = True  # each ancestor's loop nest, as a diff against the current one
    measured: int = 5  # this run's measured programs shown (fastest and slowest)
    changes: int | None = None  # differing decisions shown per program (None: all)


LEVELS = (
    Detail(),
    Detail(ancestor_loops=False),
    Detail(current_loops=False, ancestor_loops=False),
    Detail(current_loops=False, ancestor_loops=False, changes=4),
    Detail(current_loops=False, ancestor_loops=False, measured=3, changes=2),
    Detail(current_loops=False, ancestor_loops=False, measured=2, changes=1),
    Detail(current_loops=False, ancestor_loops=False, measured=0, changes=1),
)


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    points: tuple = ()  # the current program's decision points, which the answer may set

    @property
    def text(self) -> str:
        return f"{self.system}\n\n{self.user}"


def system_message(
    problem: str,
    transformations: Sequence[str],
    parameterized: bool = True,
    proposals: int = 1,
    points: Sequence[DecisionPoint] = (),
    values_only: bool = False,
) -> str:
    moves = "\n".join(f"- {name}: {MEANINGS.get(name, name)}" for name in transformations)
    language = (VALUES_LANGUAGE if values_only else LANGUAGE) if parameterized else ""
    fixed = [point for point in points if _fixed(point)]
    if parameterized and fixed:
        language += "\nDecision points of this program and their legal values:\n"
        language += "\n".join(f"- {point.label}: {_legal(point)}" for point in fixed) + "\n"
    step = "steps" if parameterized else "transformations"
    if proposals > 1:
        answer = (
            f"End with {proposals} different proposals, best first, one per line, each "
            f"exactly: {ANSWER_PREFIX} A, B, ..."
        )
    else:
        answer = f"End with exactly one line: {ANSWER_PREFIX} A, B, ..."
    return (
        "You are a code optimization assistant performing Monte Carlo Tree Search (MCTS) over "
        "the schedules of a tensor program compiled by Apache TVM. Each program variant has a "
        "history of transformations and a score predicted by a learned cost model (higher is "
        "faster); some were measured on the hardware (lower latency is faster).\n\n"
        f"{problem}\n\n"
        f"Available transformations (you may repeat any):\n{moves}\n\n{language}\n"
        "Task:\n"
        "1. Analyze the differences between the variants and their scores: which "
        "transformations helped and which hurt.\n"
        "2. Reason about the hardware (vector lanes, cores, caches) and the interactions "
        "between the transformations already applied and the ones you could apply next.\n"
        f"3. Propose a sequence of 1 to {MAX_SEQUENCE} {step} for the current program.\n"
        "4. Give a short rationale that refers to the loops, tile sizes and scores.\n"
        f"{answer}"
    )


def build_prompt(
    context: NodeContext,
    problem: str,
    fits: Callable[[Prompt], bool] = lambda prompt: True,
    **options,
) -> Prompt:
    """The prompt for expanding ``context.node``: the most detailed version that ``fits``
    (``options`` as for ``versions``)."""
    for prompt in versions(context, problem, **options):
        if fits(prompt):
            return prompt
    return _truncated(prompt, fits)


def versions(
    context: NodeContext,
    problem: str,
    *,
    parameterized: bool = True,
    values_only: bool = False,
    proposals: int = 1,
) -> list[Prompt]:
    """The prompt at each level of ``LEVELS`` (the same text once), most detailed first; every
    one holds every node of ``context.lineage``."""
    valid = sorted(context.transformations)
    describe = context.describe or (lambda program: ProgramDescription())
    nodes = list(context.lineage)
    descriptions = [describe(node.program) for node in nodes]
    points = tuple(descriptions[0].points)
    system = system_message(problem, valid, parameterized, proposals, points, values_only)
    measured = [  # those in the lineage show their latency there
        (node, describe(node.program).decisions)
        for node in context.measured
        if node not in nodes and node.measured_latency is not None
    ]
    users = dict.fromkeys(
        _user_message(nodes, descriptions, measured, valid, detail, parameterized)
        for detail in LEVELS
    )
    return [Prompt(system, user, points) for user in users]


def _user_message(nodes, descriptions, measured, valid, detail: Detail, parameterized) -> str:
    current = descriptions[0]
    parts = []
    for depth, (node, description) in enumerate(zip(nodes, descriptions, strict=True)):
        label = _LABELS[depth] if depth < len(_LABELS) else f"Ancestor {depth}"
        lines = [f"{label}:", f"  transformation history: {_history(node.history)}"]
        lines.append(f"  {_scores(node)}")
        if depth == 0:
            if parameterized and description.points:
                values = [_current(point) for point in description.points]
                lines += _section("decisions (other legal values in the system message)", values)
            else:
                lines += _section("schedule decisions", _decision_lines(description.decisions))
            if detail.current_loops:
                lines += _section("loop nest", description.loops)
        else:
            step = ", ".join(nodes[depth - 1].transformations) or "nothing"
            lines.append(f"  applying {step} to it led towards the current program")
            changed = _changes(description.decisions, current.decisions, detail.changes)
            lines.append(f"  decisions that differ from the current program: {changed}")
            if detail.ancestor_loops:
                diff = _loop_diff(description.loops, current.loops)
                lines += _section("loop nest changes (- this variant, + current)", diff)
        parts.append("\n".join(lines))
    shown = _extremes(measured, detail.measured)
    if shown:
        lines = ["Measured in this run (latency: decisions that differ from the current program):"]
        for rank, (node, decisions) in shown:
            changed = _changes(decisions, current.decisions, detail.changes)
            lines.append(f"  {node.measured_latency * 1e3:.3f} ms{rank}: {changed}")
        parts.append("\n".join(lines))
    names = "steps" if parameterized else "transformations"
    parts.append(
        f"Which {names} should be applied to the current program next? "
        f"Valid names: {', '.join(valid)}. Remember the last line: {ANSWER_PREFIX} ..."
    )
    return "\n\n".join(parts)


def _extremes(measured: Sequence, count: int) -> list[tuple[str, tuple]]:
    """``count`` of ``measured`` (fastest first): the fastest and the slowest, each with its
    rank, since what sets the best programs apart from the worst is a run's lesson so far."""
    if count <= 0:
        return []
    ranked = list(enumerate(measured))
    if len(ranked) > count:
        slow = count // 2
        ranked = ranked[: count - slow] + (ranked[-slow:] if slow else [])
    last = len(measured) - 1
    return [
        (" (fastest)" if i == 0 else " (slowest)" if i == last else "", item) for i, item in ranked
    ]


def _fixed(point: DecisionPoint) -> bool:
    """Whether ``point``'s legal values follow from the program's structure alone: tile splits,
    unroll steps and parallel extents do; compute locations depend on the current tiling, so
    they are shown with the node, which keeps the system message (the prefix a local model
    reuses) the same from call to call."""
    return point.kind != "ComputeLocation"


def _current(point: DecisionPoint) -> str:
    value = f"{point.label} = {point.current}"
    return value if _fixed(point) else f"{value}  [{_legal(point)}]"


def _legal(point: DecisionPoint) -> str:
    if isinstance(point.legal, tuple):
        return ", ".join(point.legal)
    return str(point.legal)


def _history(history: Sequence[str]) -> str:
    return ", ".join(history) if history else "none (a fresh sample of the design space)"


def _scores(node) -> str:
    predicted = f"{node.predicted:.3f}" if node.predicted is not None else "unknown"
    if node.measured_latency is not None:
        measured = f"measured {node.measured_latency * 1e3:.3f} ms"
    elif node.measure_error is not None:
        measured = "measurement failed"
    else:
        measured = "not measured"
    return f"predicted score {predicted}, {measured}"


def _section(title: str, lines: Sequence[str]) -> list[str]:
    if not lines:
        return []
    return [f"  {title}:", *(f"    {line}" for line in lines)]


def _decision_lines(decisions: Mapping[str, str]) -> list[str]:
    return [f"{label}: {value}" for label, value in decisions.items()]


def _changes(theirs: Mapping[str, str], current: Mapping[str, str], limit: int | None) -> str:
    """``TileSize(C/0) = 4x2x4x64 (now 4x8x1x64), Unroll = 16 (now 64)``, at most ``limit``."""
    changed = [
        f"{label} = {value} (now {current.get(label, 'absent')})"
        for label, value in theirs.items()
        if current.get(label) != value
    ]
    if not changed:
        return "none"
    if limit is not None and len(changed) > limit:
        return ", ".join(changed[:limit]) + f", and {len(changed) - limit} more"
    return ", ".join(changed)


def _loop_diff(theirs: Sequence[str], current: Sequence[str]) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(list(theirs), list(current), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]


def _truncated(prompt: Prompt, fits: Callable[[Prompt], bool]) -> Prompt:
    """Last resort, for a budget smaller than the most compressed prompt: cut the user message
    line by line until it fits."""
    lines = prompt.user.splitlines()
    while len(lines) > 1 and not fits(Prompt(prompt.system, "\n".join(lines), prompt.points)):
        lines = lines[: max(1, len(lines) * 3 // 4)]
    return Prompt(prompt.system, "\n".join(lines), prompt.points)
