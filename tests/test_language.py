"""The transformation language in plain Python: steps, legal values, the grammar. No TVM."""

import itertools
import math
import re

import pytest

from reasoning_compiler.search.language import (
    DecisionPoint,
    Step,
    Tiling,
    grammar,
    kind_of,
    parse_step,
)

POINTS = [
    DecisionPoint("TileSize", "qk/2", "2x1x64x2", Tiling(256, 4, 64)),
    DecisionPoint("TileSize", "qk/3", "32x4", Tiling(128, 2, 64)),
    DecisionPoint("ComputeLocation", "row_max", "loop 0", ("root", "loop 0", "loop 1")),
    DecisionPoint("Unroll", None, "64", ("0", "16", "64", "512")),
    DecisionPoint("Parallel", None, "32", ("1", "2", "4", "8", "16", "32", "64")),
]
NAMES = ["ComputeLocation", "Parallel", "TileSize", "Unroll"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("TileSize", "TileSize"),
        ("TileSize(qk/2 = 8x1x16x2)", "TileSize(qk/2 = 8x1x16x2)"),
        ("TileSize(qk/2 = [8, 1, 16, 2])", "TileSize(qk/2 = 8x1x16x2)"),
        ("TileSize(qk/3 -> 2 x 64)", "TileSize(qk/3 = 2x64)"),
        ("ComputeLocation(row_max -> loop1)", "ComputeLocation(row_max = loop 1)"),
        ("ComputeLocation(row_max = ROOT)", "ComputeLocation(row_max = root)"),
        ("Unroll(512)", "Unroll(512)"),
        ("Parallel(8)", "Parallel(8)"),
    ],
)
def test_legal_steps_parse_to_their_canonical_spelling(text, expected):
    step = parse_step(text, POINTS)
    assert isinstance(step, Step) and str(step) == expected
    assert parse_step(str(step), POINTS) == step  # the spelling reads back
    assert kind_of(str(step)) == expected.split("(")[0]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("TileSize(qk/2 = 3x1x16x8)", "not legal"),  # product 384, not 256
        ("TileSize(qk/2 = 16x16)", "not legal"),  # 2 factors for a 4-way split
        ("TileSize(qk/2 = 1x1x2x128)", "not legal"),  # innermost above 64
        ("TileSize(qk/2 = 0x1x256x1)", "not legal"),
        ("TileSize(out/9 = 4x4)", "no decision point 'out/9'"),
        ("TileSize(1x1x1x1)", "does not say which"),  # two tile points, no target, none fits
        ("ComputeLocation(row_max = loop 7)", "not legal"),
        ("ComputeLocation(exp = root)", "no decision point 'exp'"),
        ("Unroll(7)", "not legal"),
        ("Unroll(sixty-four)", "not legal"),
        ("Parallel(1000)", "not legal"),
        ("TileSize(qk/2 = 8x1x16x2", "not a step"),
    ],
)
def test_illegal_steps_are_refused_with_a_reason(text, reason):
    result = parse_step(text, POINTS)
    assert isinstance(result, str) and reason in result


def test_a_point_without_a_target_is_found_by_its_value():
    (point,) = [p for p in POINTS if p.target == "qk/3"]
    assert parse_step("TileSize(2x64)", [point]) == Step("TileSize", "qk/3", "2x64")


def expand(rules: dict[str, str], rule: str) -> set[str]:
    """Every string a tile rule of our grammar derives (alternatives of "dx" rule or "n")."""
    strings = set()
    for alternative in rules[rule].split(" | "):
        parts = alternative.split()
        literal = parts[0].strip('"')
        if len(parts) == 1:
            strings.add(literal)
        else:
            strings |= {literal + rest for rest in expand(rules, parts[1])}
    return strings


def test_the_grammar_admits_exactly_the_legal_tiles_and_values():
    text = grammar(NAMES, POINTS, answer_prefix="Transformations to apply:", proposals=2)
    rules = dict(line.split(" ::= ", 1) for line in text.splitlines())
    assert rules["root"] == 'line "\\n" line'  # two proposals, both required
    assert rules["line"].startswith('"Transformations to apply: " step')
    assert rules["line"].count("step") == 6
    step = rules["step"]
    assert '"TileSize(qk/2 = " t-256-4-64 ")"' in step and '"TileSize"' in step
    assert '"Unroll(" ("0" | "16" | "64" | "512") ")"' in step
    assert '"ComputeLocation(row_max = " ("root" | "loop 0" | "loop 1") ")"' in step
    for rule, tiling in (("t-256-4-64", Tiling(256, 4, 64)), ("t-128-2-64", Tiling(128, 2, 64))):
        derived = expand(rules, rule)
        powers = [2**k for k in range(tiling.extent.bit_length())]  # extents are powers of 2
        legal = {
            "x".join(map(str, f))
            for f in itertools.product(powers, repeat=tiling.parts)
            if tiling.admits(f) and math.prod(f) == tiling.extent
        }
        assert derived == legal
    assert all(re.fullmatch(r"[\w\-]+", name) for name in rules)  # GBNF rule names


def test_a_split_after_a_fixed_vector_tile_says_so():
    # RegisterTiling splits two vectors off a product's last axis; the factors tile the rest.
    assert str(Tiling(128, 3, 64)) == "3 factors of 128, innermost <= 64"
    assert str(Tiling(128, 3, 64, vector_tile=16)) == (
        "3 factors of 128, innermost <= 64, then a fixed 16-wide vector tile"
    )


def test_a_rationale_line_is_bounded():
    text = grammar(NAMES, POINTS, answer_prefix="A:", rationale_chars=200)
    assert text.splitlines()[0] == 'root ::= ([^\\n]{1,200} "\\n")? line'
