"""Proposers: given a tree node and its ancestors, propose a sequence of transformations.

The vocabulary is the paper's (TileSize, Parallel, ComputeLocation, Unroll, and ThreadBinding on
GPUs); ``schedule_space.py`` maps each name to the MetaSchedule mutator that performs it. The random
proposer here is the MCTS baseline; the LLM proposer implements the same ``propose``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .language import DecisionPoint

# Transformation name -> MetaSchedule mutator type name.
TRANSFORMATIONS = {
    "TileSize": "MutateTileSize",
    "Parallel": "MutateParallel",
    "ComputeLocation": "MutateComputeLocation",
    "Unroll": "MutateUnroll",
    "ThreadBinding": "MutateThreadBinding",
}


@dataclass(frozen=True)
class ProgramDescription:
    """A program variant as a prompt shows it: its schedule decisions and its loop nest."""

    decisions: Mapping[str, str] = field(default_factory=dict)  # "TileSize(qk/2)" -> "4x8"
    loops: Sequence[str] = ()  # one line per loop or block, indented by nesting
    points: Sequence[DecisionPoint] = ()  # the decisions with their legal values


class NodeView(Protocol):
    """What a proposer reads of a tree node (``tree.Node`` is one), so that proposers need
    not import the tree that imports them."""

    program: Any
    predicted: float | None
    measured_latency: float | None
    measure_error: str | None

    @property
    def history(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class NodeContext:
    """What a proposer may look at: the node to expand, its ancestors, and the valid moves."""

    node: NodeView
    lineage: Sequence[NodeView]  # the node first, then its parent, grandparent, ... (history depth)
    transformations: Mapping[str, float]  # valid names -> the mutator's default probability
    describe: Callable[[Any], ProgramDescription] | None = None  # a node's program, for prompts
    # This run's measured programs worth showing, fastest first: the few fastest and the few
    # slowest (``MCTS.FEEDBACK``), never anything from another run.
    measured: Sequence[NodeView] = ()
    # The search wants a guided proposal (the LLM's, or plain MCTS's paced sequences) now,
    # whatever the proposer's pacing: e.g. for the first round's samples.
    guided: bool = False


@dataclass(frozen=True)
class Proposal:
    """Several ranked sequences from one call (an LLM's seconds spread over several children).
    ``origin`` names who chose them: "llm", or "paced" for the random sequences that stand in
    for the LLM's in plain MCTS (both get the batch share reserved for such proposals)."""

    sequences: Sequence[Sequence[str]]
    origin: str = "llm"


class Proposer(Protocol):
    name: str

    def propose(self, context: NodeContext, rng: random.Random) -> list[str] | Proposal:
        """A step sequence to apply to ``context.node``, in order, or a ``Proposal`` of several.
        Steps whose transformation is not in ``context.transformations`` are dropped by the
        caller; a sequence is by the LLM only inside a ``Proposal`` that says so."""
        ...


class RandomProposer:
    """Draws ``length`` transformations, weighted by MetaSchedule's mutator probabilities."""

    name = "random"

    def __init__(self, length: int = 1):
        if length < 1:
            raise ValueError("length must be at least 1")
        self.length = length

    def propose(self, context: NodeContext, rng: random.Random) -> list[str]:
        return random_sequence(context.transformations, self.length, rng)


# Lengths of the default local model's answers (SmolLM2-135M, parameterized steps: the 120
# sequences of 60 calls in the llm-leverage benchmark of 2026-11-26): length -> count.
LLM_ANSWER_LENGTHS = {1: 13, 2: 10, 3: 8, 4: 5, 5: 6, 6: 78}


class PacedRandomProposer:
    """Plain MCTS's proposer, paced like the LLM proposer so that the two arms differ only in
    who chooses: every ``every``-th expansion gets ``proposals`` random sequences whose lengths
    follow the LLM's answers (``lengths``: length -> weight), every other expansion one random
    transformation, as the LLM proposer's turns and the turns between them do."""

    name = "random"

    def __init__(
        self, every: int = 64, proposals: int = 2, lengths: Mapping[int, float] | None = None
    ):
        if every < 1 or proposals < 1:
            raise ValueError("need every >= 1 and proposals >= 1")
        self.every, self.proposals = every, proposals
        self.lengths = dict(lengths or LLM_ANSWER_LENGTHS)
        self._proposals = 0

    def propose(self, context: NodeContext, rng: random.Random) -> list[str] | Proposal:
        self._proposals += 1
        if (self._proposals - 1) % self.every and not context.guided:
            return random_sequence(context.transformations, 1, rng)
        sizes = rng.choices(
            list(self.lengths), weights=list(self.lengths.values()), k=self.proposals
        )
        sequences = [random_sequence(context.transformations, size, rng) for size in sizes]
        return Proposal(sequences, origin="paced")


def random_sequence(weights: Mapping[str, float], length: int, rng: random.Random) -> list[str]:
    names = sorted(weights)  # a fixed order, so a seed always gives the same draw
    return rng.choices(names, weights=[weights[name] for name in names], k=length)
