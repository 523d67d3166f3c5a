"""Monte Carlo tree search over transformation sequences, in plain Python (no TVM here).

A node is a program variant: the transformations that produced it from its parent, its predicted
score, its measured latency once measured, and the MCTS statistics (visits, summed reward).
Programs are opaque to this module; a ``Space`` (``schedule_space.py`` has the real one) knows how
to sample, transform, identify and score them.

Rewards are normalized throughputs, higher is better: the cost model's score for predictions, and
``best measured latency / latency`` for measurements (1.0 for the fastest program so far, 0 for a
failed one). Both are on the scale of MetaSchedule's XGBoost targets, so they can be mixed. The
paper's exploitation term ``1 / (kappa * N)`` is the mean of such rewards when kappa is a cost.

One round (``next_batch``) runs MCTS iterations, select by UCT, expand with the proposer,
simulate by a random rollout scored with the cost model, backpropagate, and then hands the best
predicted unmeasured nodes out for measurement. ``record`` feeds the measured latencies back into
the tree as one more backpropagated visit per node.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .language import kind_of
from .proposers import (
    NodeContext,
    ProgramDescription,
    Proposal,
    Proposer,
    RandomProposer,
    random_sequence,
)

DEFAULT_C = math.sqrt(2)
MAX_SEQUENCE_LENGTH = 8  # longer proposals are cut; each step costs a replay
APPLY_ATTEMPTS = 3  # seeds tried per proposal before the expansion counts as failed
# MCTS iterations per sample a round asks for. The cost model picks the samples among the new
# nodes, so more nodes give it more choice; 16 cost about 0.5 s of search per sample measured
# (evolutionary search spends 1-1.8 s) and beat 4 on 3 of 4 small paper workloads in our runs.
EXPANSIONS_PER_SAMPLE = 16
GUIDED = ("llm", "paced")  # origins that get the batch share reserved for LLM-style proposals


@dataclass(eq=False)
class Node:
    program: Any  # a MetaSchedule Schedule in practice; None for the root (the untuned program)
    key: Hashable  # identity of the program (structural hash): duplicates are not added
    parent: Node | None = None
    transformations: tuple[str, ...] = ()  # applied to the parent to get this node
    predicted: float | None = None  # the cost model's score for this very program
    features: Any = None  # what the cost model reads of the program, until it is measured
    measured_latency: float | None = None  # seconds, once measured successfully
    measure_error: str | None = None  # why its measurement failed, if it did
    visits: int = 0
    value: float = 0.0  # sum of the rewards backpropagated through this node
    children: list[Node] = field(default_factory=list)
    failed_expansions: int = 0
    closed: bool = False  # gets no more children of its own (proposals kept failing)
    exhausted: bool = False  # closed, and nothing below it can be expanded either
    depth: int = 0
    index: int = 0  # creation order, for stable tie-breaking and readable logs
    # What made it: "sample" (design space), a "random", "llm" or "paced" proposal (the random
    # sequences that plain MCTS makes where llm-mcts asks the LLM).
    origin: str = "sample"

    @property
    def from_llm(self) -> bool:
        """Whether an LLM proposal made this node or one of its ancestors."""
        node: Node | None = self
        while node is not None:
            if node.origin == "llm":
                return True
            node = node.parent
        return False

    @property
    def measured(self) -> bool:
        return self.measured_latency is not None or self.measure_error is not None

    @property
    def history(self) -> tuple[str, ...]:
        """Every transformation from the root to this node, in order."""
        steps: list[str] = []
        node: Node | None = self
        while node is not None:
            steps[:0] = node.transformations
            node = node.parent
        return tuple(steps)

    def lineage(self, depth: int) -> list[Node]:
        """This node and up to ``depth`` ancestors (parent first), never the root."""
        nodes, node = [self], self.parent
        while node is not None and node.parent is not None and len(nodes) <= depth:
            nodes.append(node)
            node = node.parent
        return nodes

    @property
    def mean_value(self) -> float:
        return self.value / self.visits if self.visits else 0.0


def uct(child: Node, parent_visits: int, c: float) -> float:
    """Upper confidence bound: mean reward plus ``c * sqrt(ln N(parent) / N(child))``."""
    if child.visits == 0:
        return math.inf
    return child.mean_value + c * math.sqrt(math.log(max(parent_visits, 1)) / child.visits)


class Tree:
    """Selection, growth and backpropagation. The root holds the initial samples as children
    (one per sample, any number); every other node has at most ``branching`` children."""

    def __init__(self, c: float = DEFAULT_C, branching: int = 2, max_failed_expansions: int = 3):
        if c < 0 or branching < 1 or max_failed_expansions < 1:
            raise ValueError("need c >= 0, branching >= 1, max_failed_expansions >= 1")
        self.c, self.branching, self.max_failed_expansions = c, branching, max_failed_expansions
        self.root = Node(program=None, key=None)
        self.nodes: list[Node] = []  # every node but the root, in creation order
        self.keys: set[Hashable] = set()  # programs in the tree or measured before

    def add(
        self, parent: Node, program: Any, key: Hashable, transformations=(), origin="sample"
    ) -> Node:
        node = Node(
            program=program,
            key=key,
            parent=parent,
            transformations=tuple(transformations),
            depth=parent.depth + 1,
            index=len(self.nodes) + 1,
            origin=origin,
        )
        parent.children.append(node)
        self.nodes.append(node)
        self.keys.add(key)
        return node

    def has_room(self, node: Node) -> bool:
        return node is not self.root and not node.closed and len(node.children) < self.branching

    def select(self) -> Node | None:
        """Descend from the root by UCT to the first node with room for a child.

        Returns None when no node anywhere can be expanded any more.
        """
        node = self.root
        while not self.has_room(node):
            open_children = [child for child in node.children if not child.exhausted]
            if not open_children:
                node.exhausted = True
                if node is self.root:
                    return None
                node = self.root  # this branch is used up: start again from the top
                continue
            parent_visits = node.visits
            # max() keeps the first of equal scores: ties go to the older child.
            node = max(open_children, key=lambda child: uct(child, parent_visits, self.c))
        return node

    def expansion_failed(self, node: Node) -> None:
        """A proposal for ``node`` gave no new program; after a few, it gets no more children."""
        node.failed_expansions += 1
        if node.failed_expansions >= self.max_failed_expansions:
            node.closed = True

    def backpropagate(self, node: Node, reward: float) -> None:
        """Add one visit and ``reward`` to ``node`` and every ancestor, root included."""
        current: Node | None = node
        while current is not None:
            current.visits += 1
            current.value += reward
            current = current.parent

    def unmeasured(self) -> list[Node]:
        return [node for node in self.nodes if not node.measured]


class Space(Protocol):
    """The programs being searched. ``schedule_space.ScheduleSpace`` is the real one."""

    def sample(self, count: int, rng: random.Random) -> list[Any]:
        """Fresh programs from the design space (the root's children)."""
        ...

    def transform(
        self, program: Any, transformations: Sequence[str], rng: random.Random
    ) -> tuple[Any, list[str]] | None:
        """Apply the steps in order, skipping those that cannot apply; None if none applied.
        Returns the new program and the steps that were applied."""
        ...

    def key(self, program: Any) -> Hashable: ...

    def describe(self, program: Any) -> ProgramDescription:
        """Decisions and loop nest, for LLM prompts (optional: only the LLM proposer asks)."""
        ...

    def rollout(
        self, program: Any, transformations: Sequence[str], rng: random.Random
    ) -> Any | None:
        """The program after the steps, checked once at the end rather than after each step
        (a rollout is only scored, never kept); None if it does not hold up."""
        ...

    def features(self, programs: Sequence[Any]) -> list[Any]:
        """What the cost model reads of each program. A node keeps its own until it is
        measured, so rescoring the tree after the model retrains costs no extraction."""
        ...

    def score(self, features: Sequence[Any], rng: random.Random) -> list[float]:
        """Cost-model scores, higher is faster (``rng`` for a model with nothing learned yet)."""
        ...


@dataclass
class SearchStats:
    iterations: int = 0
    expansions: int = 0  # new nodes made by the proposer
    failed_expansions: int = 0  # proposals that gave no new program
    duplicates: int = 0  # programs already in the tree or measured before
    proposals: int = 0
    fallbacks: int = 0  # proposals with no valid name, replaced by one random transformation
    predictions: int = 0  # programs scored by the cost model
    initial_samples: int = 0
    llm_children: int = 0  # nodes made by an LLM proposal
    set_steps: int = 0  # parameterized steps applied (a decision set to a given value)
    measured_llm: int = 0  # measured samples made by an LLM proposal
    measured_llm_lineage: int = 0  # ... or descending from one
    reserved_llm: int = 0  # of those, measured in a batch share reserved for them
    best_origin: str | None = None  # what made the fastest measured program
    best_from_llm: bool | None = None  # whether it descends from an LLM proposal

    def as_dict(self) -> dict:
        return asdict(self)


class MCTS:
    """The whole search: a tree, a proposer for expansion, and a space to apply proposals in."""

    def __init__(
        self,
        space: Space,
        transformations: Mapping[str, float],
        *,
        proposer: Proposer | None = None,
        c: float = DEFAULT_C,
        branching: int = 2,
        rollout_depth: int = 2,
        expansions_per_round: int | None = None,
        history_depth: int = 2,
        llm_share: float = 0.25,
        first_round_guided: int = 0,
        seed: int = 0,
        stats: SearchStats | None = None,
    ):
        if not transformations:
            raise ValueError("no transformations to search with")
        if rollout_depth < 0 or not 0 <= llm_share <= 1 or first_round_guided < 0:
            raise ValueError(
                "need rollout_depth >= 0, 0 <= llm_share <= 1 and first_round_guided >= 0"
            )
        self.llm_share, self.first_round_guided = llm_share, first_round_guided
        self.space = space
        self.transformations = dict(transformations)
        self.proposer = proposer or RandomProposer()
        self.tree = Tree(c=c, branching=branching)
        self.rollout_depth = rollout_depth
        self.expansions_per_round = expansions_per_round
        self.history_depth = history_depth
        self.rng = random.Random(seed)
        self.stats = stats if stats is not None else SearchStats()
        self._ranked: list[Node] = []  # measured programs, fastest first

    # --- the four MCTS steps -------------------------------------------------------------

    def iterate(self) -> Node | None:
        """Select, expand, simulate, backpropagate. Returns the (first) new node, or None."""
        self.stats.iterations += 1
        node = self.tree.select()
        if node is None:
            return None
        children = self.grow(node)
        if not children:
            self.stats.failed_expansions += 1
            self.tree.expansion_failed(node)
            return None
        return children[0]

    def grow(self, node: Node, guided: bool = False) -> list[Node]:
        """Expand ``node``, then simulate and backpropagate each new child."""
        children = self.expand(node, guided)
        for child in children:
            self.tree.backpropagate(child, self.simulate(child))
        return children

    def expand(self, node: Node, guided: bool = False) -> list[Node]:
        """New children of ``node``: one per proposed sequence that gives a new program, as many
        as ``node`` has room for. A guided call (an LLM's) may propose more sequences than the
        branching factor: each becomes a child, so one call's seconds buy several samples.
        ``guided`` asks the proposer for a guided proposal now, whatever its pacing."""
        sequences, origin = self.propose(node, guided)
        branching = self.tree.branching
        room = max(branching, len(sequences)) if origin in GUIDED else branching
        children: list[Node] = []
        for sequence in sequences:
            if children and len(node.children) >= room:
                break
            child = self._apply(node, sequence, origin)
            if child is not None:
                children.append(child)
        return children

    def _apply(self, node: Node, sequence: list[str], origin: str) -> Node | None:
        for _ in range(APPLY_ATTEMPTS):
            transformed = self.space.transform(node.program, sequence, self.rng)
            if transformed is None:
                continue
            program, applied = transformed
            key = self.space.key(program)
            if key in self.tree.keys:
                self.stats.duplicates += 1
                continue
            self.stats.expansions += 1
            self.stats.set_steps += sum("(" in step for step in applied)
            self.stats.llm_children += origin == "llm"
            return self.tree.add(node, program, key, applied, origin)
        return None

    def propose(self, node: Node, guided: bool = False) -> tuple[list[list[str]], str]:
        """The proposer's sequences for ``node``, invalid steps dropped, and who made them."""
        context = NodeContext(
            node=node,
            lineage=node.lineage(self.history_depth),
            transformations=self.transformations,
            describe=getattr(self.space, "describe", None),
            measured=self.measured_extremes(),
            guided=guided,
        )
        self.stats.proposals += 1
        proposed = self.proposer.propose(context, self.rng)
        if not isinstance(proposed, Proposal):
            proposed = Proposal([proposed], origin="random")
        sequences = []
        for sequence in proposed.sequences:
            valid = [step for step in sequence if kind_of(step) in self.transformations]
            if valid:
                sequences.append(valid[:MAX_SEQUENCE_LENGTH])
        if not sequences:
            self.stats.fallbacks += 1
            return [random_sequence(self.transformations, 1, self.rng)], "random"
        return sequences, proposed.origin

    def simulate(self, node: Node) -> float:
        """Score ``node`` and a short random rollout from it; the rollout's score is the reward."""
        programs = [node.program]
        if self.rollout_depth:
            steps = random_sequence(self.transformations, self.rollout_depth, self.rng)
            rolled = self.space.rollout(node.program, steps, self.rng)
            if rolled is not None:
                programs.append(rolled)
        features = self.space.features(programs)
        node.features = features[0]
        scores = self._score(features)
        node.predicted = scores[0]
        return scores[-1]

    # --- rounds ------------------------------------------------------------------------------

    def next_batch(self, count: int) -> list[Node]:
        """The ``count`` most promising unmeasured nodes, after a round of MCTS iterations.

        The first round measures fresh samples from the design space (the cost model knows
        nothing yet), and guided proposals for the first ``first_round_guided`` of them (the
        LLM's configurations, next to the samples). Later rounds grow the tree by
        ``expansions_per_round`` nodes (default ``EXPANSIONS_PER_SAMPLE`` per requested sample),
        rescore every unmeasured node with the current cost model, and pick the best. If the
        tree runs dry, fresh samples fill the batch.
        """
        if not self.tree.nodes:
            for sample in self.add_samples(count)[: self.first_round_guided]:
                self.grow(sample, guided=True)
        else:
            wanted = self.expansions_per_round or EXPANSIONS_PER_SAMPLE * count
            made, tries = 0, 0
            while made < wanted and tries < 3 * wanted and not self.tree.root.exhausted:
                tries += 1
                made += self.iterate() is not None
        candidates = self.tree.unmeasured()
        if len(candidates) < count:
            self.add_samples(count - len(candidates))
            candidates = self.tree.unmeasured()
        scores = self._predict(candidates)
        for node, score in zip(candidates, scores, strict=True):
            node.predicted = score
        candidates.sort(key=lambda n: (-n.predicted, n.index))
        return self._with_llm_share(candidates, count)

    def _with_llm_share(self, ranked: list[Node], count: int) -> list[Node]:
        """The ``count`` best by the cost model, except that up to ``llm_share`` of the batch
        goes to the best nodes an LLM proposed: an untrained or uncertain cost model would
        otherwise rarely let a proposal reach the hardware, and its value would stay unknown."""
        guided = [n for n in ranked if n.origin in GUIDED]
        reserved = guided[: math.ceil(self.llm_share * count)]
        self.stats.reserved_llm += sum(1 for n in reserved if n not in ranked[:count])
        rest = [n for n in ranked if n not in reserved][: count - len(reserved)]
        return sorted(reserved + rest, key=lambda n: (-n.predicted, n.index))

    def add_samples(self, count: int) -> list[Node]:
        """Fresh design-space samples as children of the root, scored and backpropagated."""
        nodes = []
        for program in self.space.sample(count, self.rng):
            key = self.space.key(program)
            if key in self.tree.keys:
                self.stats.duplicates += 1
                continue
            nodes.append(self.tree.add(self.tree.root, program, key))
        self.stats.initial_samples += len(nodes)
        if nodes:
            self.tree.root.exhausted = False  # new children: the tree can grow again
        for node, score in zip(nodes, self._predict(nodes), strict=True):
            node.predicted = score
            self.tree.backpropagate(node, score)
        return nodes

    def add_measured(self, program: Any, latency: float) -> Node | None:
        """A program measured in an earlier session (on resume): a measured child of the root."""
        key = self.space.key(program)
        if key in self.tree.keys:
            return None
        node = self.tree.add(self.tree.root, program, key)
        self.record([node], [latency], [None])
        return node

    def record(
        self, nodes: Sequence[Node], latencies: Sequence[float | None], errors: Sequence[str | None]
    ) -> None:
        """Measurements come back: each node gets one more visit with its measured reward."""
        for node, latency, error in zip(nodes, latencies, errors, strict=True):
            node.features = None  # never scored again
            node.measured_latency = latency
            node.measure_error = None if latency is not None else (error or "failed")
            if latency:
                bisect.insort(self._ranked, node, key=lambda n: n.measured_latency)
        fastest = self.fastest
        for node in nodes:
            reward = (
                fastest.measured_latency / node.measured_latency if node.measured_latency else 0
            )
            self.tree.backpropagate(node, float(reward))
            self.stats.measured_llm += node.origin == "llm"
            self.stats.measured_llm_lineage += node.from_llm
        if fastest is not None:
            self.stats.best_origin, self.stats.best_from_llm = fastest.origin, fastest.from_llm

    def measured_extremes(self, fastest: int = 3, slowest: int = 2) -> list[Node]:
        """The ``fastest`` fastest and ``slowest`` slowest programs measured so far (fastest
        first), for prompts: the contrast between them is what a run has learned."""
        ranked = self._ranked
        if len(ranked) <= fastest + slowest:
            return ranked
        return ranked[:fastest] + ranked[len(ranked) - slowest :]

    @property
    def measured_count(self) -> int:
        """Samples measured in this tree (successfully or not), resumed ones included."""
        return sum(node.measured for node in self.tree.nodes)

    @property
    def fastest(self) -> Node | None:
        return self._ranked[0] if self._ranked else None

    @property
    def best_latency(self) -> float | None:
        fastest = self.fastest
        return fastest.measured_latency if fastest else None

    def _predict(self, nodes: Sequence[Node]) -> list[float]:
        """Scores of tree nodes; features are extracted once per node, in one batch."""
        missing = [node for node in nodes if node.features is None]
        extracted = self.space.features([node.program for node in missing]) if missing else []
        for node, features in zip(missing, extracted, strict=True):
            node.features = features
        return self._score([node.features for node in nodes])

    def _score(self, features: Sequence[Any]) -> list[float]:
        if not features:
            return []
        self.stats.predictions += len(features)
        return [float(score) for score in self.space.score(features, self.rng)]
