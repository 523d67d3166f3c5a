"""The expansion prompt (paper section 3.1 and appendix A).

The system message is the same for every call of a run (task, target, transformations); the user
message holds the node being expanded and its ancestors. Stable text first lets a local model
reuse the evaluated prefix, which makes later calls several times faster than the first.

Only this run's tree goes into a prompt: scores and latencies of nodes measured in this run.
When a prompt is too long for the model's context window, detail is dropped in a fixed order
(loop nests of ancestors, then the current loop nest, then the oldest ancestors) and the token
count is measured again, by the backend's own tokenizer where it has one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..search.proposers import NodeContext, ProgramDescription
from .parse import ANSWER_PREFIX

MAX_SEQUENCE = 6  # the longest sequence we ask for (the grammar of the local model allows 6)

LANGUAGE = (
    "A step is a transformation name alone (its parameters are then drawn at random), or a "
    "name with the decision it sets, using the decision points and legal values listed for the "
    "current program:\n"
    "- TileSize(block/loop = AxBxCxD): split that loop into these factors, outermost first "
    "(their product is the loop's extent; the innermost one is usually vectorized)\n"
    "- ComputeLocation(block = loop N | root | inlined): where a producer block is computed\n"
    "- Unroll(N): the maximum auto-unroll step\n"
    "- Parallel(N): the most iterations fused into the outer parallel loop\n"
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
class Prompt:
    system: str
    user: str
    points: tuple = ()  # the current program's decision points, which the answer may set

    @property
    def text(self) -> str:
        return f"{self.system}\n\n{self.user}"


def system_message(
    problem: str, transformations: Sequence[str], parameterized: bool = True, proposals: int = 1
) -> str:
    moves = "\n".join(f"- {name}: {MEANINGS.get(name, name)}" for name in transformations)
    language = LANGUAGE if parameterized else ""
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
        f"Available transformations (you may repeat any):\n{moves}\n\n{language}"
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
    *,
    parameterized: bool = True,
    proposals: int = 1,
) -> Prompt:
    """The prompt for expanding ``context.node``: the most detailed version that ``fits``."""
    valid = sorted(context.transformations)
    system = system_message(problem, valid, parameterized, proposals)
    describe = context.describe or (lambda program: ProgramDescription())
    nodes = list(context.lineage)
    descriptions = [describe(node.program) for node in nodes]
    fastest = _fastest(context, descriptions[0], describe)
    # From most to least detail: fewer ancestors, and for each count (current loop nest shown,
    # ancestors' loop diffs shown). Versions that come out the same are tried once.
    users = dict.fromkeys(
        _user_message(
            nodes[:count],
            descriptions[:count],
            valid,
            current_loops,
            ancestor_loops,
            parameterized,
            fastest,
        )
        for count in range(len(nodes), 0, -1)
        for current_loops, ancestor_loops in ((True, True), (True, False), (False, False))
    )
    points = tuple(descriptions[0].points)
    for user in users:
        prompt = Prompt(system, user, points)
        if fits(prompt):
            return prompt
    return _truncated(prompt, fits)


def _user_message(
    nodes, descriptions, valid, current_loops, ancestor_loops, parameterized=True, fastest=()
) -> str:
    current_description = descriptions[0]
    parts = []
    for depth, (node, description) in enumerate(zip(nodes, descriptions, strict=True)):
        label = _LABELS[depth] if depth < len(_LABELS) else f"Ancestor {depth}"
        lines = [f"{label}:", f"  transformation history: {_history(node.history)}"]
        lines.append(f"  {_scores(node)}")
        if depth == 0:
            if parameterized and description.points:
                title = "decision points = current value  [legal values]"
                lines += _section(title, [point.describe() for point in description.points])
            else:
                lines += _section("schedule decisions", _decision_lines(description.decisions))
            if current_loops:
                lines += _section("loop nest", description.loops)
        else:
            step = ", ".join(nodes[depth - 1].transformations) or "nothing"
            lines.append(f"  applying {step} to it led towards the current program")
            changed = _decision_changes(description.decisions, current_description.decisions)
            lines += _section("decisions that differ from the current program", changed)
            if ancestor_loops:
                diff = _loop_diff(description.loops, current_description.loops)
                lines += _section("loop nest changes (- this variant, + current)", diff)
        parts.append("\n".join(lines))
    if fastest:
        parts.append("\n".join(fastest))
    names = "steps" if parameterized else "transformations"
    parts.append(
        f"Which {names} should be applied to the current program next? "
        f"Valid names: {', '.join(valid)}. Remember the last line: {ANSWER_PREFIX} ..."
    )
    return "\n\n".join(parts)


def _fastest(context: NodeContext, current: ProgramDescription, describe) -> list[str]:
    """The fastest program measured in this run so far, as its latency and the decisions in
    which it differs from the current program (this run's own measurements only)."""
    best = context.fastest
    if best is None or best.measured_latency is None or best is context.node:
        return []
    changed = _decision_changes(describe(best.program).decisions, current.decisions)
    return [
        f"Fastest program measured in this run: {best.measured_latency * 1e3:.3f} ms",
        *_section("its decisions that differ from the current program", changed),
    ]


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


def _decision_changes(theirs: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    return [
        f"{label}: {value} (current {current.get(label, 'absent')})"
        for label, value in theirs.items()
        if current.get(label) != value
    ] or ["none"]


def _loop_diff(theirs: Sequence[str], current: Sequence[str]) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(list(theirs), list(current), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]


def _truncated(prompt: Prompt, fits: Callable[[Prompt], bool]) -> Prompt:
    """Last resort: cut the user message line by line until it fits."""
    lines = prompt.user.splitlines()
    while len(lines) > 1 and not fits(Prompt(prompt.system, "\n".join(lines), prompt.points)):
        lines = lines[: max(1, len(lines) * 3 // 4)]
    return Prompt(prompt.system, "\n".join(lines), prompt.points)
