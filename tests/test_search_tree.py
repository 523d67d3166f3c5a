"""The tree search in plain Python: UCT, expansion, backpropagation, determinism. No TVM."""

import math
import random

import pytest

from reasoning_compiler.search import MCTS, NodeContext, RandomProposer, SearchStats, Tree, uct
from reasoning_compiler.search.proposers import PacedRandomProposer, Proposal
from reasoning_compiler.search.tree import EXPANSIONS_PER_SAMPLE, MAX_SEQUENCE_LENGTH, Node

WEIGHTS = {"TileSize": 0.9, "ComputeLocation": 0.05, "Unroll": 0.03, "Parallel": 0.02}
POSITION = {"TileSize": 0, "ComputeLocation": 1, "Unroll": 2, "Parallel": 3}


class ToySpace:
    """Programs are 4-tuples of small ints; each transformation changes one of them; the
    'cost model' prefers programs near (5, 5, 5, 5)."""

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.transform_calls = 0
        self.extracted = 0  # programs whose features were extracted

    def sample(self, count, rng):
        return [tuple(rng.randint(0, 9) for _ in range(4)) for _ in range(count)]

    def transform(self, program, transformations, rng):
        self.transform_calls += 1
        if self.fail:
            return None
        current = list(program)
        for name in transformations:
            current[POSITION[name]] = rng.randint(0, 9)
        return tuple(current), list(transformations)

    def rollout(self, program, transformations, rng):
        transformed = self.transform(program, transformations, rng)
        return transformed[0] if transformed else None

    def key(self, program):
        return program

    def features(self, programs):
        self.extracted += len(programs)
        return list(programs)

    def score(self, features, rng):
        return [1 / (1 + sum((x - 5) ** 2 for x in p)) for p in features]


def latency_of(program):
    """A deterministic 'measurement' for the toy programs."""
    return 1e-3 * (1 + sum(abs(x - 5) for x in program))


def run_rounds(search: MCTS, rounds: int, per_round: int = 4) -> list[list[tuple]]:
    batches = []
    for _ in range(rounds):
        nodes = search.next_batch(per_round)
        batches.append([n.program for n in nodes])
        search.record(nodes, [latency_of(n.program) for n in nodes], [None] * len(nodes))
    return batches


def test_uct_is_mean_reward_plus_exploration():
    child = Node(program=1, key=1, visits=4, value=2.0)
    expected = 0.5 + math.sqrt(2) * math.sqrt(math.log(16) / 4)
    assert uct(child, parent_visits=16, c=math.sqrt(2)) == pytest.approx(expected)
    assert uct(child, parent_visits=16, c=0.0) == pytest.approx(0.5)
    assert uct(Node(program=2, key=2), parent_visits=16, c=1.0) == math.inf
    # A parent seen once gives no exploration bonus (ln 1 = 0).
    assert uct(child, parent_visits=1, c=5.0) == pytest.approx(0.5)


def test_selection_follows_uct_and_stops_at_a_node_with_room():
    tree = Tree(c=0.0, branching=2)
    a = tree.add(tree.root, "a", "a")
    b = tree.add(tree.root, "b", "b")
    tree.backpropagate(a, 0.2)
    tree.backpropagate(b, 0.9)
    assert tree.select() is b  # c = 0: pure exploitation
    b1 = tree.add(b, "b1", "b1")
    tree.backpropagate(b1, 0.1)
    assert tree.select() is b  # b has one child of two: still room
    b2 = tree.add(b, "b2", "b2")
    tree.backpropagate(b2, 0.8)
    assert tree.select() is b2  # b is full: descend to its better child
    # With a large c the rarely visited branch wins.
    tree.c = 10.0
    for _ in range(5):
        tree.backpropagate(b2, 0.8)
    assert tree.select() is a


def test_backpropagation_adds_reward_and_visit_up_to_the_root():
    tree = Tree()
    a = tree.add(tree.root, "a", "a")
    a1 = tree.add(a, "a1", "a1", ["TileSize"])
    a11 = tree.add(a1, "a11", "a11", ["Unroll", "Parallel"])
    tree.backpropagate(a11, 0.5)
    tree.backpropagate(a1, 0.25)
    assert (a11.visits, a11.value) == (1, 0.5)
    assert (a1.visits, a1.value) == (2, 0.75)
    assert (a.visits, a.value) == (2, 0.75)
    assert (tree.root.visits, tree.root.value) == (2, 0.75)
    assert a11.history == ("TileSize", "Unroll", "Parallel")
    assert a11.lineage(2) == [a11, a1, a]
    assert a11.lineage(1) == [a11, a1]
    assert a1.lineage(5) == [a1, a]  # never the root
    assert a11.depth == 3


def test_expansion_gives_at_most_b_children_per_node():
    for branching in (1, 2, 4):
        search = MCTS(ToySpace(), WEIGHTS, branching=branching, seed=3)
        run_rounds(search, rounds=4)
        tree = search.tree
        assert len(tree.root.children) >= 4  # the initial samples
        inner = [n for n in tree.nodes]
        assert max(len(n.children) for n in inner) <= branching
        assert any(len(n.children) == branching for n in inner)
        # Every node is a distinct program, and the tree grew beyond the initial samples.
        assert len({n.key for n in tree.nodes}) == len(tree.nodes) > 4
        assert search.stats.expansions == sum(1 for n in tree.nodes if n.parent is not tree.root)


def test_features_are_extracted_once_per_node_and_dropped_once_measured():
    space = ToySpace()
    search = MCTS(space, WEIGHTS, rollout_depth=2, seed=0)
    batches = run_rounds(search, rounds=3)
    nodes = search.tree.nodes
    # Each node's features once, plus each scored rollout's: rescoring the whole tree after
    # every round extracts nothing again.
    assert space.extracted <= 2 * len(nodes)
    assert search.stats.predictions > space.extracted
    measured = {key for batch in batches for key in batch}
    assert all((n.features is None) == (n.key in measured) for n in nodes)


def test_first_round_measures_fresh_samples_then_the_tree_grows():
    stats = SearchStats()
    search = MCTS(ToySpace(), WEIGHTS, rollout_depth=2, seed=0, stats=stats)
    first = search.next_batch(4)
    assert all(n.parent is search.tree.root for n in first)
    assert stats.initial_samples == 4 and stats.expansions == 0
    search.record(first, [latency_of(n.program) for n in first], [None] * 4)
    second = search.next_batch(4)
    assert stats.expansions == 4 * EXPANSIONS_PER_SAMPLE
    assert all(not n.measured for n in second)
    assert not {n.key for n in second} & {n.key for n in first}
    # The batch is the best predicted of the unmeasured nodes.
    unmeasured = sorted((n.predicted for n in search.tree.unmeasured()), reverse=True)
    assert [n.predicted for n in second] == unmeasured[:4]


def test_measurements_are_backpropagated_as_normalized_speed():
    search = MCTS(ToySpace(), WEIGHTS, seed=1)
    nodes = search.next_batch(3)
    before = [(n.visits, n.value) for n in nodes]
    root_visits = search.tree.root.visits
    search.record(nodes, [2e-3, 1e-3, None], [None, None, "run: wrong output"])
    assert nodes[0].value == pytest.approx(before[0][1] + 0.5)  # half as fast as the best
    assert nodes[1].value == pytest.approx(before[1][1] + 1.0)  # the best
    assert nodes[2].value == pytest.approx(before[2][1])  # a failure earns nothing
    assert nodes[2].measure_error == "run: wrong output" and nodes[2].measured
    assert [n.visits for n in nodes] == [v + 1 for v, _ in before]
    assert search.tree.root.visits == root_visits + 3
    assert search.best_latency == 1e-3


def test_same_seed_and_measurements_give_the_same_candidates():
    def candidates(seed):
        return run_rounds(MCTS(ToySpace(), WEIGHTS, seed=seed), rounds=5)

    assert candidates(7) == candidates(7)
    assert candidates(7) != candidates(8)


def test_invalid_proposals_fall_back_to_one_random_transformation():
    class Babbler:
        name = "babbler"

        def __init__(self, answer):
            self.answer, self.contexts = answer, []

        def propose(self, context: NodeContext, rng):
            self.contexts.append(context)
            return list(self.answer)

    babbler = Babbler(["Vectorize", "MakeItFast"])
    search = MCTS(ToySpace(), WEIGHTS, proposer=babbler, seed=0, rollout_depth=0)
    run_rounds(search, rounds=2)
    assert search.stats.fallbacks == search.stats.proposals > 0
    expanded = [n for n in search.tree.nodes if n.parent is not search.tree.root]
    assert expanded and all(len(n.transformations) == 1 for n in expanded)
    context = babbler.contexts[-1]
    assert context.lineage[0] is context.node and set(context.transformations) == set(WEIGHTS)

    long_answer = Babbler(["TileSize", "Bogus"] * 20)
    search = MCTS(ToySpace(), WEIGHTS, proposer=long_answer, seed=0)
    run_rounds(search, rounds=2)
    assert search.stats.fallbacks == 0
    expanded = [n for n in search.tree.nodes if n.parent is not search.tree.root]
    assert expanded and all(
        n.transformations == ("TileSize",) * MAX_SEQUENCE_LENGTH for n in expanded
    )


def test_nodes_that_cannot_be_transformed_are_closed_and_fresh_samples_fill_in():
    space = ToySpace(fail=True)
    search = MCTS(space, WEIGHTS, seed=0)
    run_rounds(search, rounds=1)
    batch = search.next_batch(4)  # every expansion fails: the tree is used up
    assert len(batch) == 4
    assert search.stats.expansions == 0 and search.stats.failed_expansions > 0
    assert all(n.parent is search.tree.root for n in batch)
    assert all(n.closed for n in search.tree.nodes if n.failed_expansions)
    assert search.stats.initial_samples == 8
    assert space.transform_calls < 200  # gave up instead of spinning


def test_random_proposer_follows_the_mutator_weights():
    rng = random.Random(0)
    proposer = RandomProposer(length=3)
    context = NodeContext(node=Node(program=0, key=0), lineage=[], transformations=WEIGHTS)
    draws = [name for _ in range(2000) for name in proposer.propose(context, rng)]
    assert len(draws) == 6000
    share = draws.count("TileSize") / len(draws)
    assert 0.85 < share < 0.95
    assert set(draws) <= set(WEIGHTS)
    with pytest.raises(ValueError):
        RandomProposer(length=0)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        Tree(c=-1)
    with pytest.raises(ValueError):
        Tree(branching=0)
    with pytest.raises(ValueError):
        MCTS(ToySpace(), {}, seed=0)
    with pytest.raises(ValueError):
        MCTS(ToySpace(), WEIGHTS, rollout_depth=-1)


class Oracle:
    """An LLM stand-in for the tree's bookkeeping only: every call proposes two sequences."""

    name = "oracle"

    def __init__(self):
        self.calls = 0

    def propose(self, context: NodeContext, rng):
        self.calls += 1
        return Proposal([["TileSize"], ["Unroll", "Bogus"], ["Parallel"]])


def test_one_proposal_of_several_sequences_gives_a_child_for_each():
    search = MCTS(ToySpace(), WEIGHTS, proposer=Oracle(), seed=0, rollout_depth=0)
    run_rounds(search, rounds=1)
    parent = search.tree.select()
    children = search.expand(parent)
    # One call's seconds buy as many children as it proposed, beyond B = 2.
    assert [c.transformations for c in children] == [("TileSize",), ("Unroll",), ("Parallel",)]
    assert all(c.origin == "llm" and c.from_llm for c in children)
    assert search.stats.llm_children == 3
    assert not search.tree.has_room(parent)  # and the node takes no more


def test_random_proposals_stay_within_the_branching_factor():
    class Many:
        name = "many"

        def propose(self, context, rng):
            return Proposal([["TileSize"], ["Unroll"], ["Parallel"]], origin="random")

    search = MCTS(ToySpace(), WEIGHTS, proposer=Many(), seed=0, rollout_depth=0)
    run_rounds(search, rounds=1)
    assert len(search.expand(search.tree.select())) == 2


class Counting:
    """Guided (two sequences) when the search asks for it or every 100th call, else random."""

    name = "counting"

    def __init__(self):
        self.guided = 0

    def propose(self, context, rng):
        if not context.guided:
            return ["TileSize"]
        self.guided += 1
        return Proposal([["Unroll"], ["Parallel", "TileSize"]])


def test_the_first_round_holds_guided_proposals_next_to_the_samples():
    proposer = Counting()
    search = MCTS(
        ToySpace(), WEIGHTS, seed=0, proposer=proposer, first_round_guided=2, llm_share=0.5
    )
    first = search.next_batch(8)
    assert proposer.guided == 2  # one guided call for each of the first two samples
    samples = search.tree.root.children
    assert len(samples) == 8
    made = [n for n in search.tree.nodes if n.origin == "llm"]
    assert 3 <= len(made) <= 4 and all(n.parent in samples[:2] for n in made)
    assert sum(n.origin == "llm" for n in first) == 4  # the reserved half of the batch
    plain = MCTS(ToySpace(), WEIGHTS, seed=0, proposer=Counting(), llm_share=0.5)
    assert [n.origin for n in plain.next_batch(8)] == ["sample"] * 8
    with pytest.raises(ValueError):
        MCTS(ToySpace(), WEIGHTS, first_round_guided=-1)


def test_a_guided_request_overrides_the_pacing_of_both_proposers():
    context = NodeContext(node=None, lineage=(), transformations=WEIGHTS, guided=True)
    paced = PacedRandomProposer(every=4, proposals=3)
    rng = random.Random(0)
    answers = [paced.propose(context, rng) for _ in range(3)]
    assert all(isinstance(a, Proposal) and len(a.sequences) == 3 for a in answers)


def test_a_share_of_each_batch_goes_to_llm_proposed_nodes():
    class Half:  # the LLM answers every other expansion
        name = "half"

        def __init__(self):
            self.turn = 0

        def propose(self, context, rng):
            self.turn += 1
            return ["TileSize"] if self.turn % 2 else Proposal([["Parallel"], ["Unroll"]])

    def tree_batches(share):
        search = MCTS(ToySpace(), WEIGHTS, seed=0, llm_share=share, proposer=Half())
        run_rounds(search, rounds=1, per_round=8)  # fresh samples
        batches = []
        for _ in range(2):
            nodes = search.next_batch(8)
            batches.append(sum(n.origin == "llm" for n in nodes))
            search.record(nodes, [latency_of(n.program) for n in nodes], [None] * 8)
        return search, batches

    shared, batches = tree_batches(0.25)
    assert all(count >= 2 for count in batches)  # ceil(0.25 * 8) at least
    assert shared.stats.measured_llm == sum(batches)
    assert shared.stats.measured_llm_lineage >= shared.stats.measured_llm
    assert shared.stats.best_origin in ("sample", "random", "llm", "paced")
    alone, _ = tree_batches(0.0)
    assert alone.stats.reserved_llm == 0
    everything, batches = tree_batches(1.0)
    assert batches == [8, 8]
    with pytest.raises(ValueError):
        MCTS(ToySpace(), WEIGHTS, llm_share=1.5)


def test_plain_mcts_is_paced_like_the_llm_with_random_sequences_of_its_lengths():
    proposer = PacedRandomProposer(every=4, proposals=2, lengths={3: 1.0})
    context = NodeContext(node=None, lineage=(), transformations=WEIGHTS)
    rng = random.Random(0)
    answers = [proposer.propose(context, rng) for _ in range(8)]
    for i, answer in enumerate(answers):
        if i % 4 == 0:  # the LLM's turns: two sequences of the LLM's lengths, reserved a share
            assert isinstance(answer, Proposal) and answer.origin == "paced"
            assert [len(s) for s in answer.sequences] == [3, 3]
        else:  # between them, one random transformation, as the LLM proposer does
            assert isinstance(answer, list) and len(answer) == 1
    search = MCTS(ToySpace(), WEIGHTS, seed=0, proposer=PacedRandomProposer(every=2))
    run_rounds(search, rounds=3, per_round=8)
    assert any(n.origin == "paced" for n in search.tree.nodes)
    assert search.stats.llm_children == 0  # nothing is counted as the LLM's


def test_the_measured_extremes_are_the_fastest_and_the_slowest_in_order():
    search = MCTS(ToySpace(), WEIGHTS, seed=0)
    run_rounds(search, rounds=3, per_round=4)
    measured = sorted(
        (n for n in search.tree.nodes if n.measured_latency), key=lambda n: n.measured_latency
    )
    extremes = search.measured_extremes(fastest=3, slowest=2)
    assert [n.measured_latency for n in extremes] == [
        n.measured_latency for n in measured[:3] + measured[-2:]
    ]
    assert search.fastest.measured_latency == measured[0].measured_latency
