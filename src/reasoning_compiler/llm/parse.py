"""Turn an LLM's answer into a transformation sequence.

Models answer in many styles: markdown, bullets, numbered lists, code fences, MetaSchedule class
names (``MutateTileSize``), snake case, wrong case, trailing punctuation. The answer line
``Transformations to apply: ...`` is preferred; without one, the last line that names a valid
transformation is used. Invalid names are dropped and counted, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
    names: list[str]  # valid transformations, in order (repeats kept), canonical spelling
    invalid: list[str]  # items that named nothing valid
    answer_line: bool  # the answer had a "Transformations to apply:" line


def parse_answer(text: str | None, valid: Iterable[str], max_length: int = 8) -> ParsedAnswer:
    """The valid transformations named in ``text``, at most ``max_length`` of them."""
    by_canonical = {canonical(name): name for name in valid}
    text = (text or "").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    answer_lines = [m.group(1) for line in lines if (m := _ANSWER_LINE.search(line))]
    if answer_lines:
        # The last answer line wins (models sometimes restate the example first). An answer line
        # may continue on the next lines as a list: take those lines until a blank one.
        chosen = answer_lines[-1]
        if not chosen.strip():
            tail = text[_last_match_end(text) :]
            chosen = tail.split("\n\n", 1)[0]
        names, invalid = _split(chosen, by_canonical)
        return ParsedAnswer(names[:max_length], invalid, True)
    for line in reversed(lines):  # no answer line: the last line naming something valid
        names, invalid = _split(line, by_canonical)
        if names:
            return ParsedAnswer(names[:max_length], invalid, False)
    return ParsedAnswer([], [text[:80]] if text else [], False)


def _last_match_end(text: str) -> int:
    return [m.end() for m in _ANSWER_LINE.finditer(text)][-1]


def _split(text: str, by_canonical: dict[str, str]) -> tuple[list[str], list[str]]:
    names, invalid = [], []
    for item in _SEPARATORS.split(text):
        item = _DECORATION.sub("", item).strip()
        if not item:
            continue
        # "TileSize x2" or "Unroll (to 64)" name one transformation: look at the first word.
        word = re.split(r"[\s(=]", item, maxsplit=1)[0]
        for candidate in (item, word):
            if canonical(candidate) in by_canonical:
                names.append(by_canonical[canonical(candidate)])
                break
        else:
            invalid.append(item[:40])
    return names, invalid
