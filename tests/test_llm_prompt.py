"""The expansion prompt, built from plain tree nodes (no model, no TVM)."""

from reasoning_compiler.llm.prompt import Prompt, build_prompt, versions
from reasoning_compiler.search.language import DecisionPoint, Tiling
from reasoning_compiler.search.proposers import NodeContext, ProgramDescription
from reasoning_compiler.search.tree import Node, Tree

WEIGHTS = {"TileSize": 0.9, "Parallel": 0.02, "ComputeLocation": 0.05, "Unroll": 0.03}
PROBLEM = "Program: matmul [small] (m=512, n=512, k=512)\nTarget: CPU znver4 (LLVM), 2 cores"

DESCRIPTIONS = {
    "a": ProgramDescription(
        {"TileSize C/0": "4x2x4x64", "Unroll max step": "16"},
        ["i_0_j_0_fused parallel (64)", " k_0 (128)", "  block C_update"],
    ),
    "b": ProgramDescription(
        {"TileSize C/0": "4x8x1x64", "Unroll max step": "16"},
        ["i_0_j_0_fused parallel (256)", " k_0 (128)", "  block C_update"],
    ),
    "c": ProgramDescription(
        {"TileSize C/0": "4x8x1x64", "Unroll max step": "64"},
        ["i_0_j_0_fused parallel (256) unroll<=64", " k_0 (128)", "  block C_update"],
    ),
    "d": ProgramDescription({"TileSize C/0": "2x16x1x64", "Unroll max step": "64"}, ["x"]),
}


def chain():
    """root -> a (fresh sample, measured) -> b (TileSize) -> c (Unroll) -> d (TileSize)."""
    tree = Tree()
    a = tree.add(tree.root, "a", "a")
    a.predicted, a.measured_latency = 0.313, 2.5e-3
    b = tree.add(a, "b", "b", ["TileSize"])
    b.predicted = 0.773
    c = tree.add(b, "c", "c", ["Unroll"])
    c.predicted = 0.81
    d = tree.add(c, "d", "d", ["TileSize"])
    d.predicted = 0.5
    return a, b, c, d


def context(node, depth=2, measured=()):
    return NodeContext(node, node.lineage(depth), WEIGHTS, DESCRIPTIONS.__getitem__, measured)


def test_prompt_shows_the_node_its_ancestors_and_the_valid_moves():
    a, b, c, d = chain()
    prompt = build_prompt(context(c), PROBLEM)
    user = prompt.user
    assert "Current program:" in user and "Parent:" in user and "Grandparent:" in user
    assert "Great-grandparent" not in user
    assert "transformation history: TileSize, Unroll" in user  # c's whole path
    assert "predicted score 0.810, not measured" in user
    assert "predicted score 0.313, measured 2.500 ms" in user  # the grandparent, measured
    assert "TileSize C/0: 4x8x1x64" in user  # the current decisions
    assert "Unroll max step = 16 (now 64)" in user  # what differs in the parent
    assert "TileSize C/0 = 4x2x4x64 (now 4x8x1x64)" in user  # ... and in the grandparent
    assert "-i_0_j_0_fused parallel (64)" in user  # loop nest diff against the current one
    assert "parallel (256) unroll<=64" in user  # the current loop nest
    for name in WEIGHTS:
        assert f"- {name}:" in prompt.system
    # The paper's four instructions, and the answer line format.
    for words in ("Analyze the differences", "interactions", "Propose a sequence", "rationale"):
        assert words in prompt.system
    assert "Transformations to apply: A, B, ..." in prompt.system
    assert PROBLEM in prompt.system


def test_history_depth_three_adds_the_great_grandparent():
    *_, d = chain()
    assert "Great-grandparent:" in build_prompt(context(d, depth=3), PROBLEM).user
    assert "Great-grandparent:" not in build_prompt(context(d, depth=2), PROBLEM).user
    assert "Parent:" not in build_prompt(context(d, depth=0), PROBLEM).user


def test_stable_text_first_variable_text_last():
    a, b, c, d = chain()
    first, second = build_prompt(context(c), PROBLEM), build_prompt(context(d), PROBLEM)
    assert first.system == second.system  # the prefix a local model reuses
    assert first.user != second.user
    assert first.text.startswith(first.system)


def test_prompts_shrink_to_fit_by_compressing_detail_never_by_dropping_ancestors():
    a, b, c, d = chain()
    other = Node(program="b", key="b2", measured_latency=1e-3)  # measured, not an ancestor
    full = build_prompt(context(d, 3, [other]), PROBLEM)
    assert "Measured in this run" in full.user

    def under(limit):
        return lambda prompt: len(prompt.user) <= limit

    no_ancestor_loops = build_prompt(
        context(d, 3, [other]), PROBLEM, fits=under(len(full.user) - 1)
    )
    assert "loop nest changes" not in no_ancestor_loops.user
    assert "loop nest:" in no_ancestor_loops.user
    every = versions(context(d, 3, [other]), PROBLEM)
    assert every[0] == full and len(every) >= 4
    for shorter, longer in zip(every[1:], every, strict=False):
        assert len(shorter.user) < len(longer.user)
    for prompt in every:
        for label in ("Current program:", "Parent:", "Grandparent:", "Great-grandparent:"):
            assert label in prompt.user
    smallest = build_prompt(context(d, 3, [other]), PROBLEM, fits=under(len(every[-1].user)))
    assert smallest == every[-1]
    assert "loop nest" not in smallest.user and "Measured in this run" not in smallest.user
    tiny = build_prompt(context(c), PROBLEM, fits=under(40))
    assert len(tiny.user) <= 40 or tiny.user.count("\n") == 0
    assert isinstance(tiny, Prompt)


def test_the_run_s_fastest_and_slowest_measurements_are_shown_against_the_current_program():
    a, b, c, d = chain()
    b.measured_latency, c.measured_latency = 1.5e-3, 9e-3
    user = build_prompt(context(d, 0, [b, a, c]), PROBLEM).user
    assert "Measured in this run" in user
    assert "1.500 ms (fastest): TileSize C/0 = 4x8x1x64 (now 2x16x1x64)" in user
    assert "9.000 ms (slowest)" in user and "2.500 ms:" in user
    assert "Measured in this run" not in build_prompt(context(d), PROBLEM).user


def test_the_root_is_not_shown_as_a_program():
    a, b, c, d = chain()
    prompt = build_prompt(context(b, depth=5), PROBLEM)
    assert "Grandparent" not in prompt.user  # a's parent is the root: not a program
    assert prompt.user.count("predicted score") == 2


def test_the_system_message_stays_the_same_when_compute_locations_differ():
    """Compute locations depend on the current tiling: they are shown with the node, so that
    the system message, the prefix a local model reuses, stays the same from call to call."""
    tile = DecisionPoint("TileSize", "C/0", "4x8x1x64", Tiling(2048, 4, 64))
    programs = {
        name: ProgramDescription(
            {"TileSize(C/0)": "4x8x1x64"},
            ["x"],
            (tile, DecisionPoint("ComputeLocation", "A", "root", legal)),
        )
        for name, legal in (("p", ("root", "loop 0")), ("q", ("root", "loop 0", "loop 1")))
    }
    tree = Tree()
    prompts = []
    for name in programs:
        node = tree.add(tree.root, name, name)
        context = NodeContext(node, node.lineage(2), WEIGHTS, programs.__getitem__)
        prompts.append(build_prompt(context, PROBLEM))
    assert prompts[0].system == prompts[1].system
    assert "TileSize(C/0): 4 factors of 2048, innermost <= 64" in prompts[0].system
    assert "ComputeLocation(A) = root  [root, loop 0, loop 1]" in prompts[1].user
