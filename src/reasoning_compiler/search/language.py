"""The transformation language: what a proposal may say, parsed and checked in plain Python.

A step is a transformation name, alone or with the decision it sets:

    TileSize                          re-draw one loop split at random (the paper's steps)
    TileSize(qk/2 = 8x1x16x2)         split loop 2 of block qk into these factors
    ComputeLocation(row_max = loop 1) compute block row_max under loop 1 of its consumer
    ComputeLocation(exp = inlined)    (or = root)
    Unroll(64)                        the maximum auto-unroll step
    Parallel(256)                     the most iterations fused into the parallel loop

The legal values come from the program: ``DecisionPoint`` lists each decision of a schedule with
its current value and what it may become (``decisions.decision_points`` reads them from the
trace). ``parse_step`` turns text into a ``Step`` only if its name, target and value are legal
there; anything else is a reason to drop it. ``grammar`` writes a llama.cpp grammar that admits
exactly the legal steps, so that a local model's every answer parses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Tiling:
    """The legal splits of one loop: ``parts`` factors whose product is ``extent``, the last one
    at most ``max_innermost`` (MetaSchedule's perfect-tile sampling rule). ``vector_tile``: the
    width of a fixed vector tile split off the loop before these factors (0: none), which
    ``extent`` excludes."""

    extent: int
    parts: int
    max_innermost: int
    vector_tile: int = 0

    def admits(self, factors: Sequence[int]) -> bool:
        return (
            len(factors) == self.parts
            and all(f >= 1 for f in factors)
            and math.prod(factors) == self.extent
            and factors[-1] <= self.max_innermost
        )

    def __str__(self) -> str:
        text = f"{self.parts} factors of {self.extent}, innermost <= {self.max_innermost}"
        if self.vector_tile:
            text += f", then a fixed {self.vector_tile}-wide vector tile"
        return text


@dataclass(frozen=True)
class DecisionPoint:
    """One decision of a program: ``kind`` (a transformation name), the block or block/loop it
    is about (None for the program-wide Unroll and Parallel), its value now, and what is legal."""

    kind: str
    target: str | None
    current: str
    legal: Tiling | tuple[str, ...]

    @property
    def label(self) -> str:
        """``TileSize(qk/2)``, ``Unroll``: how prompts and decision lists name the point."""
        return f"{self.kind}({self.target})" if self.target else self.kind

    def admits(self, value: str) -> bool:
        if isinstance(self.legal, Tiling):
            factors = _factors(value)
            return factors is not None and self.legal.admits(factors)
        return value in self.legal

    def describe(self) -> str:
        """``TileSize(qk/2) = 2x1x64x2  [4 factors of 256, innermost <= 64]``."""
        legal = self.legal if isinstance(self.legal, Tiling) else ", ".join(self.legal)
        target = f"({self.target})" if self.target else ""
        return f"{self.kind}{target} = {self.current}  [{legal}]"


@dataclass(frozen=True)
class Step:
    kind: str
    target: str | None = None
    value: str | None = None  # None: the value is drawn at random (a bare name)

    def __str__(self) -> str:
        if self.value is None:
            return self.kind
        if self.target is None:
            return f"{self.kind}({self.value})"
        return f"{self.kind}({self.target} = {self.value})"


_STEP = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*$", re.DOTALL)
_ARGUMENT = re.compile(r"^\s*(?:(.+?)\s*(?:=|->|:)\s*)?(.+?)\s*$")


def kind_of(step: str) -> str:
    """The transformation name of a step's text: ``TileSize(qk/2 = 4x4)`` -> ``TileSize``."""
    return step.split("(", 1)[0].strip()


def parse_step(text: str, points: Sequence[DecisionPoint]) -> Step | str:
    """The step ``text`` says, checked against the program's decision points; or why not.

    ``text``'s name must already be a valid transformation name (the answer parser makes sure).
    A bare name is always a step. With an argument, the target must be a decision point of that
    kind (it may be left out where the kind has one point) and the value must be legal for it.
    """
    match = _STEP.match(text)
    if match is None:
        return f"not a step: {text[:40]!r}"
    kind, argument = match.group(1), match.group(2)
    if argument is None or not argument.strip():
        return Step(kind)
    target, value = _ARGUMENT.match(argument).groups()
    value = _normal_value(value)
    candidates = [p for p in points if p.kind == kind]
    if target is not None:
        candidates = [p for p in candidates if p.target == target.strip()]
        if not candidates:
            return f"{kind} has no decision point {target.strip()!r}"
    if not candidates:
        return f"{kind} has no decision point here"
    if len(candidates) > 1:
        legal = [p for p in candidates if p.admits(value)]
        if target is None and len(legal) != 1:
            return f"{kind}({value}) does not say which of {len(candidates)} points"
        candidates = legal or candidates[:1]
    point = candidates[0]
    if not point.admits(value):
        return f"{kind}({point.target or ''} = {value}) is not legal: {point.legal}"
    return Step(kind, point.target if _needs_target(point, points) else None, value)


def _needs_target(point: DecisionPoint, points: Sequence[DecisionPoint]) -> bool:
    return point.target is not None or sum(p.kind == point.kind for p in points) > 1


def _normal_value(value: str) -> str:
    """``8 x 1 x 16``, ``[8, 1, 16]``, ``(8,1,16)`` -> ``8x1x16``; ``loop1`` -> ``loop 1``."""
    text = value.strip().strip("[]()").strip()
    if re.fullmatch(r"\d+(\s*[x,*]\s*\d+)+", text):
        return "x".join(re.split(r"\s*[x,*]\s*", text))
    if match := re.fullmatch(r"loop\s*(\d+)", text, re.IGNORECASE):
        return f"loop {match.group(1)}"
    return text.lower() if text.lower() in ("root", "inlined") else text


def _factors(value: str) -> list[int] | None:
    if not re.fullmatch(r"\d+(x\d+)*", value):
        return None
    return [int(f) for f in value.split("x")]


# --- the grammar of legal answers (llama.cpp GBNF) ----------------------------------------------


def grammar(
    names: Iterable[str],
    points: Sequence[DecisionPoint],
    *,
    answer_prefix: str,
    proposals: int = 1,
    max_steps: int = 6,
    rationale_chars: int = 0,
    bare_names: bool = True,
) -> str:
    """A GBNF grammar for an answer: an optional rationale line of at most ``rationale_chars``
    characters, then ``proposals`` answer lines, each ``answer_prefix``
    and 1 to ``max_steps`` legal steps. Tiles are spelled out by divisor rules
    (``t-256-4 ::= "1x" t-256-3 | "2x" t-128-3 | ...``), so a wrong product cannot be written.
    Without ``bare_names`` every step must set a value (a name alone only where the program
    has no decision point of that kind)."""
    rules: dict[str, str] = {}
    kinds = {point.kind for point in points}
    alternatives = [_quote(name) for name in sorted(set(names)) if bare_names or name not in kinds]
    for point in points:
        if point.kind not in names:
            continue
        head = f"{point.kind}(" + (f"{point.target} = " if _needs_target(point, points) else "")
        if isinstance(point.legal, Tiling):
            body = _tile(point.legal.extent, point.legal.parts, point.legal.max_innermost, rules)
        else:
            body = "(" + " | ".join(_quote(v) for v in point.legal) + ")"
        alternatives.append(f"{_quote(head)} {body} {_quote(')')}")
    more_steps = ' (", " step)?' * (max_steps - 1)
    line = f"{_quote(answer_prefix + ' ')} step{more_steps}"
    more_lines = ' "\\n" line' * (proposals - 1)
    root = f"line{more_lines}"
    if rationale_chars > 0:
        # A bounded free line first; no newline inside it, so it cannot run on.
        root = f'([^\\n]{{1,{rationale_chars}}} "\\n")? ' + root
    lines = [f"root ::= {root}", f"line ::= {line}", "step ::= " + " | ".join(alternatives)]
    lines += [f"{name} ::= {body}" for name, body in rules.items()]
    return "\n".join(lines)


def _tile(extent: int, parts: int, max_innermost: int, rules: dict[str, str]) -> str:
    name = f"t-{extent}-{parts}-{max_innermost}"
    if name in rules:
        return name
    if parts == 1:
        rules[name] = _quote(str(extent))  # only reached with extent <= max_innermost
        return name
    options = []
    for divisor in _divisors(extent):
        rest = extent // divisor
        if _splittable(rest, parts - 1, max_innermost):
            options.append(
                f"{_quote(f'{divisor}x')} {_tile(rest, parts - 1, max_innermost, rules)}"
            )
    rules[name] = " | ".join(options)
    return name


def _splittable(extent: int, parts: int, max_innermost: int) -> bool:
    """Whether ``extent`` splits into ``parts`` factors with the last <= ``max_innermost``."""
    return parts > 1 or extent <= max_innermost


@cache
def _divisors(n: int) -> tuple[int, ...]:
    return tuple(d for d in range(1, n + 1) if n % d == 0)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
