"""The answer parser on a corpus of messy answers (no model, no TVM)."""

import pytest

from reasoning_compiler.llm.parse import canonical, parse_answer

VALID = ["ComputeLocation", "Parallel", "TileSize", "Unroll"]
C, P, T, U = VALID

CORPUS = [
    # (answer, expected sequence, had an answer line)
    ("Transformations to apply: TileSize, Unroll", [T, U], True),
    (
        "transformations to apply: tilesize, UNROLL, parallel",
        [T, U, P],
        True,
    ),
    ("**Transformations to apply:** `TileSize`, `Parallel`.", [T, P], True),
    ("Transformations to apply: MutateTileSize, MutateUnroll", [T, U], True),
    (
        "Transformations to apply: tile_size; compute-location",
        [T, C],
        True,
    ),
    (
        "Transformations to apply: [TileSize, TileSize, Unroll]",
        [T, T, U],
        True,
    ),
    (
        "Transformations to apply: TileSize -> Unroll -> Parallel",
        [T, U, P],
        True,
    ),
    ("Transformations to apply: TileSize and then Unroll!", [T, U], True),
    (
        "The tiles are too small, so the inner loop cannot vectorize.\n"
        "Rationale: larger tiles, then unroll.\n\n"
        "Transformations to apply: TileSize, Unroll",
        [T, U],
        True,
    ),
    (
        "For example: Transformations to apply: A, B\n...\nTransformations to apply: Parallel",
        [P],
        True,
    ),
    (
        "Transformations to apply:\n1. TileSize\n2. Unroll (to 64)\n- Parallel\n\nWhy: ...",
        [T, U, P],
        True,
    ),
    (
        "```\nTransformations to apply: TileSize, Vectorize, Unroll\n```",
        [T, U],
        True,
    ),
    ("Transformations To Apply = TileSize x2, Unroll", [T, U], True),
    ("I suggest:\n* TileSize\n* ComputeLocation", [C], False),
    ("TileSize, Unroll, Parallel", [T, U, P], False),
]


@pytest.mark.parametrize(("answer", "expected", "answer_line"), CORPUS)
def test_messy_answers_parse(answer, expected, answer_line):
    parsed = parse_answer(answer, VALID)
    assert parsed.names == expected
    assert parsed.answer_line is answer_line


@pytest.mark.parametrize(
    "answer",
    [
        "",
        None,
        "   \n  ",
        "I cannot help with that.",
        "Transformations to apply: Vectorize, Reorder, Fuse",
        "def schedule(sch):\n    sch.split(i, [4, 8])",
        "\x00\x01 garbage ###",
    ],
)
def test_nothing_valid_gives_an_empty_sequence(answer):
    parsed = parse_answer(answer, VALID)
    assert parsed.names == []


def test_invalid_names_are_dropped_and_reported():
    parsed = parse_answer("Transformations to apply: TileSize, Reorder, Unroll, Fuse", VALID)
    assert parsed.names == ["TileSize", "Unroll"]
    assert parsed.invalid == ["Reorder", "Fuse"]


def test_long_sequences_are_capped():
    answer = "Transformations to apply: " + ", ".join(["TileSize"] * 20)
    assert parse_answer(answer, VALID, max_length=8).names == ["TileSize"] * 8


def test_only_names_valid_for_the_target_are_kept():
    # ThreadBinding exists, but not for a CPU target.
    answer = "Transformations to apply: ThreadBinding, Unroll"
    assert parse_answer(answer, VALID).names == ["Unroll"]
    assert parse_answer(answer, [*VALID, "ThreadBinding"]).names == ["ThreadBinding", "Unroll"]


def test_canonical_spellings():
    assert {canonical(n) for n in ["MutateTileSize", "tile_size", "TILE-SIZE", "Tile Size"]} == {
        "tilesize"
    }
