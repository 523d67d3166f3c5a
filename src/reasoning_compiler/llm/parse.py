"""Turn an LLM's answer into a transformation sequence.

Models answer in many styles: markdown, bullets, numbered lists, code fences, MetaSchedule class
names (``MutateTileSize``), snake case, wrong case, trailing punctuation. The answer line
``Transformations to apply: ...`` is preferred; without one, the last line that names a valid
transformation is used. Invalid names are dropped and counted, never guessed.

With the decision points of the program (``points``), a step may carry its decision,
``TileSize(qk/2 = 8x1x16x2)``; ``search.language`` checks it, and an illegal one is dropped and
counted like an invalid name. Several answer lines in a row at the end are several proposals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..search.language import DecisionPoint, Step, parse_step

ANSWER_PREFIX = "Transformations to apply:"
_ANSWER_LINE = re.compile(r"transformations?\s*to\s*apply\s*[:=\-]*(.*)", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:,|;|\||->|→|=>|\band\b|\bthen\b|\n)\s*", re.IGNORECASE)
_DECORATION = re.compile(r"^[\s\-*+•>#`'\"\[\](){}.:]*(?:\d+[.):]\s*)?|[\s`'\"\[\](){}.:!*]*$")


def canonical(name: str) -> str:
    """``MutateTileSize``, ``tile_size``, ``tile-size``, ``TILESIZE`` -> ``tilesize``."""
    text = re.sub(r"[^a-z]", "", name.lower())
    return text.removeprefix("mutate")


@dataclass(frozen=True)
class ParsedAnswer:
    names: list[str]  # the first proposal: valid steps in order (repeats kept), canonical spelling
    invalid: list[str]  # items that named nothing valid, or set an illegal value
    answer_line: bool  # the answer had a "Transformations to apply:" line
    proposals: list[list[str]] = field(default_factory=list)  # every proposal, best first


def parse_answer(
    text: str | None,
    valid: Iterable[str],
    max_length: int = 8,
    points: Sequence[DecisionPoint] | None = None,
    max_proposals: int = 1,
) -> ParsedAnswer:
    """The valid steps named in ``text``, at most ``max_length`` per proposal. ``points``: the
    program's decision points, to read parameterized steps (None: names only, arguments
    ignored)."""
    by_canonical = {canonical(name): name for name in valid}
    text = (text or "").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    answer_lines = [m.group(1) for line in lines if (m := _ANSWER_LINE.search(line))]
    if answer_lines:
        # The last answer line wins (models sometimes restate the example first), with the
        # answer lines right before it as further proposals. An answer line may continue on
        # the next lines as a list: take those lines until a blank one.
        chosen = _final_block(lines)[-max_proposals:]
        if not chosen[-1].strip():
            tail = text[_last_match_end(text) :]
            chosen = [tail.split("\n\n", 1)[0]]
        proposals, invalid = [], []
        for line in chosen:
            names, bad = _split(line, by_canonical, points)
            invalid += bad
            if names:
                proposals.append(names[:max_length])
        first = proposals[0] if proposals else []
        return ParsedAnswer(first, invalid, True, proposals)
    for line in reversed(lines):  # no answer line: the last line naming something valid
        names, invalid = _split(line, by_canonical, points)
        if names:
            return ParsedAnswer(names[:max_length], invalid, False, [names[:max_length]])
    return ParsedAnswer([], [text[:80]] if text else [], False, [])


def _final_block(lines: list[str]) -> list[str]:
    """The answer lines at the end of the answer, in order (the text after each prefix)."""
    block: list[str] = []
    last = max(i for i, line in enumerate(lines) if _ANSWER_LINE.search(line))
    for line in reversed(lines[: last + 1]):
        match = _ANSWER_LINE.search(line)
        if match is None:
            break
        block.insert(0, match.group(1))
    return block


def _last_match_end(text: str) -> int:
    return [m.end() for m in _ANSWER_LINE.finditer(text)][-1]


def _split(
    text: str, by_canonical: dict[str, str], points: Sequence[DecisionPoint] | None = None
) -> tuple[list[str], list[str]]:
    # Arguments first set aside, so that separators inside them ("qk/2 -> loop 1") stay.
    arguments: list[str] = []

    def hide(match: re.Match) -> str:
        arguments.append(match.group(1))
        return f"\x00{len(arguments) - 1}\x00"

    text = re.sub(r"\(([^()]*)\)", hide, text)
    names, invalid = [], []
    for item in _SEPARATORS.split(text):
        argument = None
        if hidden := re.search(r"\x00(\d+)\x00", item):
            argument = arguments[int(hidden.group(1))]
            item = item[: hidden.start()]
        item = _DECORATION.sub("", item).strip()
        if not item:
            continue
        # "TileSize x2" or "Unroll (to 64)" name one transformation: look at the first word.
        word = re.split(r"[\s(=]", item, maxsplit=1)[0]
        for candidate in (item, word):
            if canonical(candidate) in by_canonical:
                name = by_canonical[canonical(candidate)]
                break
        else:
            invalid.append(item[:40])
            continue
        if points is None or argument is None or not argument.strip():
            names.append(name)
            continue
        step = parse_step(f"{name}({argument})", points)
        if isinstance(step, Step):
            names.append(str(step))
        else:
            invalid.append(step[:80])
    return names, invalid
