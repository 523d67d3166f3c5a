"""Parameterized steps on real MetaSchedule schedules, and real local models answering with them.

Each decision a step may set is applied through the trace and read back; illegal values are
refused; the grammar built from a real program makes a real model write only legal steps."""

import json
import random

import pytest
from tvm.s_tir import meta_schedule as ms

from conftest import TINY_SHAPES
from reasoning_compiler import measure
from reasoning_compiler.errors import UserError
from reasoning_compiler.llm import LLMProposer, LLMSettings, Transcript, models, open_llm
from reasoning_compiler.search.decisions import decisions
from reasoning_compiler.search.language import Step, Tiling, parse_step
from reasoning_compiler.search.proposers import NodeContext, Proposal
from reasoning_compiler.search.schedule_space import ScheduleSpace
from reasoning_compiler.search.tree import Tree
from reasoning_compiler.target import make_target
from reasoning_compiler.workloads import load_kernel


@pytest.fixture(scope="module")
def attention():
    target = make_target(None)
    measure.register_tensor_intrinsics(target)
    kernel = load_kernel("llama3-8b-attention", None, TINY_SHAPES["llama3-8b-attention"])
    context = ms.TuneContext(
        mod=kernel.mod, target=target, space_generator="post-order-apply", task_name="main"
    )
    spaces = context.space_generator.generate_design_space(kernel.mod)
    space = ScheduleSpace(context, spaces, cost_model=object())
    (program,) = space.sample(1, random.Random(0))
    return space, program


def other_value(point) -> str | None:
    """A legal value of ``point`` other than its current one."""
    if isinstance(point.legal, Tiling):
        factors = [int(f) for f in point.current.split("x")]
        for i in range(len(factors) - 1):  # move a factor of 2 outwards
            if factors[i + 1] % 2 == 0:
                moved = factors[:]
                moved[i], moved[i + 1] = moved[i] * 2, moved[i + 1] // 2
                return "x".join(map(str, moved))
        return None
    return next((v for v in point.legal if v != point.current), None)


def test_every_kind_of_decision_is_set_exactly_and_reads_back(attention):
    space, program = attention
    points = [p for p, _ in space.decision_points(program)]
    assert {p.kind for p in points} == {"TileSize", "ComputeLocation", "Unroll", "Parallel"}
    rng = random.Random(0)
    tried = 0
    for point in points:
        value = other_value(point)
        if value is None:
            continue
        step = str(Step(point.kind, point.target, value))
        transformed = space.transform(program, [step], rng)
        assert transformed is not None, step
        new_program, applied = transformed
        label = f"{point.kind}({point.target})" if point.target else point.kind
        assert decisions(new_program.trace)[label] == value
        assert applied == [step]
        tried += 1
    assert tried >= 8


def test_illegal_or_unknown_decisions_are_refused(attention):
    space, program = attention
    rng = random.Random(0)
    tile = next(p for p, _ in space.decision_points(program) if p.kind == "TileSize")
    for step in (
        f"TileSize({tile.target} = 3x3x3x3)",  # does not multiply out
        "TileSize(nosuchblock/0 = 1x1x1x4)",
        "Unroll(7)",
        "Parallel(-4)",
        "ComputeLocation(nosuchblock = root)",
        "ComputeLocation(scores = loop 99)",
    ):
        assert space.transform(program, [step], rng) is None, step
    # A legal step next to an illegal one: the legal one is applied, the other dropped.
    unroll = next(p for p, _ in space.decision_points(program) if p.kind == "Unroll")
    value = other_value(unroll)
    _, applied = space.transform(program, ["Unroll(7)", f"Unroll({value})"], rng)
    assert applied == [f"Unroll({value})"]


def propose_with(tmp_path, llm, space, program, **options):
    tree = Tree()
    node = tree.add(tree.root, program, space.key(program))
    context = NodeContext(node, node.lineage(2), space.weights, space.describe)
    proposer = LLMProposer(llm, "Program: attention", Transcript(tmp_path), every=1, **options)
    return proposer, [proposer.propose(context, random.Random(seed)) for seed in range(3)]


@pytest.mark.slow
def test_the_grammar_from_a_real_program_lets_a_real_model_write_only_legal_steps(
    attention, tmp_path
):
    space, program = attention
    llm = open_llm(LLMSettings(backend="local:smollm2-135m", temperature=1.5))
    proposer, proposals = propose_with(tmp_path, llm, space, program, proposals=2)
    assert proposer.stats.valid_proposals == 3 and proposer.stats.illegal_steps == 0
    points = [p for p, _ in space.decision_points(program)]
    for line in (tmp_path / "llm_transcript.jsonl").read_text().splitlines():
        entry = json.loads(line)
        assert entry["invalid"] == [] and len(entry["parsed"]) == 2
        for step in (s for seq in entry["parsed"] for s in seq):
            assert isinstance(parse_step(step, points), Step), step


@pytest.mark.tuning
def test_the_qwen_model_answers_a_real_prompt_with_a_parameterized_step_that_applies(
    attention, tmp_path
):
    space, program = attention
    # The answer's content is the subject, not its speed: a 1.5B model's first call on a slow
    # 2-core CPU (AVX2 only) can take over a minute, past the default call timeout.
    llm = open_llm(LLMSettings(backend="local:qwen2.5-coder-1.5b", timeout_s=600))
    _, proposals = propose_with(tmp_path, llm, space, program, proposals=2)
    applied = []
    for proposal in proposals:
        assert isinstance(proposal, Proposal) and proposal.origin == "llm"
        for sequence in proposal.sequences:
            transformed = space.transform(program, sequence, random.Random(0))
            applied += transformed[1] if transformed else []
    assert any("(" in step for step in applied), applied


def test_a_missing_or_corrupt_model_file_is_one_line_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("REASONING_COMPILER_CACHE", str(tmp_path))
    with pytest.raises(UserError, match="not installed: run `python -m reasoning_compiler.llm"):
        models.model_path("qwen2.5-coder-1.5b")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / models.QWEN_CODER.file).write_bytes(b"GGUF but cut short")
    with pytest.raises(UserError, match="is corrupt: delete it and run"):
        models.model_path("qwen2.5-coder-1.5b")
    with pytest.raises(UserError, match="is corrupt"):  # also through the CLI's settings
        open_llm(LLMSettings(backend="local:qwen2.5-coder-1.5b"))
    with pytest.raises(UserError, match="unknown local model 'llama-70b'"):
        LLMSettings(backend="local:llama-70b")
