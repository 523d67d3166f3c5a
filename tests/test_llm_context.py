"""The paper's context reaches the local model: on every paper workload at its paper preset, the
prompt of a node with three ancestors holds all of them up to the history depth (real schedules,
the real tokenizer and budget of the default local model; nothing is generated)."""

import random

import pytest
from tvm.s_tir import meta_schedule as ms

from reasoning_compiler import measure
from reasoning_compiler.llm import LLMProposer, LLMSettings, Transcript, open_llm
from reasoning_compiler.schedule_rules import design_space
from reasoning_compiler.search.proposers import NodeContext
from reasoning_compiler.search.schedule_space import ScheduleSpace
from reasoning_compiler.search.tree import Tree
from reasoning_compiler.target import make_target, summarize
from reasoning_compiler.workloads import load_kernel

PAPER_WORKLOADS = ["llama3-8b-attention", "deepseek-r1-moe", "flux-attention", "flux-conv"]
ANCESTORS = ["Parent:", "Grandparent:", "Great-grandparent:"]


@pytest.fixture(scope="module")
def llm():
    return open_llm(LLMSettings("local"))


def chain(name: str):
    """A paper-preset program and three generations of transformed descendants, the first
    two measured (as in a run, where measured nodes get children), and two other measured
    programs."""
    target = make_target(None)
    measure.register_tensor_intrinsics(target)
    kernel = load_kernel(name, "paper")
    context = ms.TuneContext(
        mod=kernel.mod, target=target, space_generator=design_space(target), task_name="main"
    )
    spaces = context.space_generator.generate_design_space(kernel.mod)
    space = ScheduleSpace(context, spaces, cost_model=object())
    rng = random.Random(0)
    tree = Tree()
    program, *others = space.sample(3, rng)
    measured = [tree.add(tree.root, other, space.key(other)) for other in others]
    measured[0].measured_latency, measured[1].measured_latency = 1e-3, 9e-3
    node = tree.add(tree.root, program, space.key(program))
    for step in ("TileSize", "Unroll", "TileSize"):
        for _ in range(20):
            transformed = space.transform(node.program, [step], rng)
            if transformed is not None:
                break
        program, applied = transformed
        node = tree.add(node, program, space.key(program), applied)
    nodes = [node, node.parent, node.parent.parent, node.parent.parent.parent]
    for i, each in enumerate(nodes):
        each.predicted = 0.1 * (i + 1)
    nodes[3].measured_latency, nodes[2].measured_latency = 2e-3, 3e-3
    problem = f"Program: {kernel.describe()}\nTarget: {summarize(target)}"
    return space, node, problem, [measured[0], nodes[3], nodes[2], measured[1]]


@pytest.mark.slow
@pytest.mark.parametrize("name", PAPER_WORKLOADS)
def test_the_local_model_sees_every_ancestor_up_to_the_history_depth(tmp_path, llm, name):
    space, node, problem, measured = chain(name)
    proposer = LLMProposer(llm, problem, Transcript(tmp_path), every=1, proposals=2)
    for depth in (2, 3):
        context = NodeContext(node, node.lineage(depth), space.weights, space.describe, measured)
        prompt = proposer.prompt(context)
        assert proposer._fits(prompt)  # within the model's context window and speed budget
        user = prompt.user
        for label in ANSWER_LINES:
            assert label in user
        for label in ANCESTORS[:depth]:
            assert label in user, f"{name}, depth {depth}: no {label}"
        assert (ANCESTORS[2] in user) == (depth == 3)
        assert "Measured in this run" in user and "ms (fastest)" in user  # this run's
        # The decision points of the current program, with legal values, in the system message.
        assert "TileSize(" in prompt.system and "Decision points of this program" in prompt.system


ANSWER_LINES = ["Current program:", "Which steps should be applied"]
