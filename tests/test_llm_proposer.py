"""The LLM proposer's pacing, budget, accounting and transcript, with answers replayed from a
recorded transcript (the replay backend: no model, no TVM)."""

import json
import random

import pytest

from reasoning_compiler.llm import LLMProposer, ReplayLLM, Transcript
from reasoning_compiler.search.language import DecisionPoint, Tiling
from reasoning_compiler.search.proposers import NodeContext, ProgramDescription, Proposal
from reasoning_compiler.search.tree import Tree

WEIGHTS = {"TileSize": 0.9, "Parallel": 0.02, "ComputeLocation": 0.05, "Unroll": 0.03}


def recording(path, answers):
    """A transcript as a run writes it, with these answers (None: a failed call)."""
    with (path / "llm_transcript.jsonl").open("w") as file:
        for i, answer in enumerate(answers):
            entry = {
                "call": i + 1,
                "key": f"k{i}",
                "backend": "openai",
                "model": "gpt-4o-mini",
                "request": {"system": "s", "user": f"u{i}", "max_tokens": 600},
            }
            if answer is None:
                entry |= {"error": "HTTP 503", "detail": "scripted"}
            else:
                entry |= {"answer": answer, "prompt_tokens": 100, "completion_tokens": 9}
            file.write(json.dumps(entry) + "\n")
    return ReplayLLM(path)


def context(points=()):
    tree = Tree()
    node = tree.add(tree.root, "p", "p")
    describe = lambda program: ProgramDescription(points=points)  # noqa: E731
    return NodeContext(node, node.lineage(2), WEIGHTS, describe)


def sequences(proposal):
    """What a proposal asks the tree to apply: the LLM's sequences, or one random sequence."""
    return [list(s) for s in proposal.sequences] if isinstance(proposal, Proposal) else [proposal]


def proposer(tmp_path, answers, **options):
    (tmp_path / "rec").mkdir(exist_ok=True)
    (tmp_path / "run").mkdir(exist_ok=True)
    warnings = []
    llm = recording(tmp_path / "rec", answers)
    made = LLMProposer(
        llm, "Program: p", Transcript(tmp_path / "run"), warn=warnings.append, **options
    )
    return made, warnings


def test_the_llm_answers_one_expansion_in_every(tmp_path):
    answers = ["Transformations to apply: Unroll, Parallel"] * 3
    llm_proposer, _ = proposer(tmp_path, answers, every=4)
    rng = random.Random(0)
    proposals = [llm_proposer.propose(context(), rng) for _ in range(12)]
    assert [sequences(proposals[i]) for i in (0, 4, 8)] == [[["Unroll", "Parallel"]]] * 3
    assert all(
        isinstance(proposals[i], Proposal) and proposals[i].origin == "llm" for i in (0, 4, 8)
    )
    assert all(len(p) == 1 and p[0] in WEIGHTS for i, p in enumerate(proposals) if i % 4)
    stats = llm_proposer.summary()
    assert stats["calls"] == 3 and stats["random_proposals"] == 9
    assert stats["valid_proposals"] == 3 and stats["fallbacks"] == 0
    assert stats["prompt_tokens"] == 300 and stats["completion_tokens"] == 27
    assert stats["backend"] == "replay" and stats["model"] == "openai:gpt-4o-mini"
    assert stats["replay_misses"] == 3  # these prompts were not the recorded ones


def test_a_guided_request_is_an_llm_turn_whatever_the_pacing(tmp_path):
    answers = ["Transformations to apply: Unroll"] * 3
    llm_proposer, _ = proposer(tmp_path, answers, every=100)
    rng = random.Random(0)
    guided = NodeContext(**{**context().__dict__, "guided": True})
    proposals = [llm_proposer.propose(c, rng) for c in (context(), context(), guided, guided)]
    assert [isinstance(p, Proposal) for p in proposals] == [True, False, True, True]
    assert llm_proposer.summary()["calls"] == 3


def test_the_budget_ends_llm_calls(tmp_path):
    llm_proposer, _ = proposer(
        tmp_path, ["Transformations to apply: TileSize"] * 5, budget=2, every=1
    )
    rng = random.Random(0)
    for _ in range(5):
        llm_proposer.propose(context(), rng)
    assert llm_proposer.stats.calls == 2 and llm_proposer.stats.random_proposals == 3


def test_faults_and_garbage_fall_back_warn_once_and_three_in_a_row_stop_the_llm(tmp_path):
    answers = [None, "Transformations to apply: TileSize", "no idea", "no idea", None, None, None]
    llm_proposer, warnings = proposer(tmp_path, answers, every=1)
    rng = random.Random(0)
    results = [llm_proposer.propose(context(), rng) for _ in range(8)]
    results = [sequences(r) if isinstance(r, Proposal) else r for r in results]
    assert results[:7] == [[], [["TileSize"]], [], [], [], [], []]  # []: MCTS falls back
    assert len(results[7]) == 1  # the LLM is no longer asked: a random proposal
    stats = llm_proposer.stats
    assert stats.calls == 7 and stats.errors == {"HTTP 503": 4}
    assert stats.fallbacks == 6 and stats.valid_proposals == 1
    assert stats.disabled == "3 failed calls in a row (HTTP 503)"
    assert len(warnings) == 3  # the 503 once, the garbage once, and giving up
    assert "503" in warnings[0] and "no idea" in warnings[1] and "not asking" in warnings[2]


def test_every_exchange_is_in_the_transcript_and_earlier_answers_are_a_cache(tmp_path):
    llm_proposer, _ = proposer(tmp_path, ["Transformations to apply: TileSize, Unroll"])
    llm_proposer.propose(context(), random.Random(0))
    (entry,) = [json.loads(line) for line in (tmp_path / "run/llm_transcript.jsonl").open()]
    assert entry["answer"] == "Transformations to apply: TileSize, Unroll"
    assert entry["parsed"] == [["TileSize", "Unroll"]]
    assert entry["request"]["user"].startswith("Current program:")
    assert entry["cached"] is False
    # A later session of the same run: the same request is answered from the transcript.
    again, _ = proposer(tmp_path, ["Transformations to apply: Parallel"])
    assert sequences(again.propose(context(), random.Random(0))) == [["TileSize", "Unroll"]]
    assert again.stats.cache_hits == 1 and again.stats.seconds == 0


def test_bad_pacing_is_refused(tmp_path):
    with pytest.raises(ValueError):
        proposer(tmp_path, ["x"], every=0)


POINTS = [
    DecisionPoint("TileSize", "qk/2", "2x1x64x2", Tiling(256, 4, 64)),
    DecisionPoint("Unroll", None, "64", ("0", "16", "64", "512")),
]


def test_one_call_gives_several_parameterized_proposals_and_illegal_steps_are_counted(tmp_path):
    answer = (
        "The innermost factor should fill the 16 float32 lanes.\n"
        "Transformations to apply: TileSize(qk/2 = 4x1x4x16), Unroll(512)\n"
        "Transformations to apply: TileSize(qk/2 = 3x1x4x16), Unroll(7), Parallel"
    )
    llm_proposer, _ = proposer(tmp_path, [answer], every=1, proposals=2)
    proposal = llm_proposer.propose(context(POINTS), random.Random(0))
    assert sequences(proposal) == [["TileSize(qk/2 = 4x1x4x16)", "Unroll(512)"], ["Parallel"]]
    stats = llm_proposer.stats
    assert stats.sequences == 2 and stats.set_steps == 2 and stats.illegal_steps == 2
    (entry,) = [json.loads(line) for line in (tmp_path / "run/llm_transcript.jsonl").open()]
    assert entry["parsed"] == sequences(proposal)
    assert len(entry["invalid"]) == 2 and "not legal" in entry["invalid"][0]
    # The request carries the grammar of legal answers: two lines, tiles of 256 in 4 factors.
    grammar = entry["request"]["grammar"]
    assert grammar.startswith('root ::= line "\\n" line') and "t-256-4-64 ::=" in grammar


def test_names_only_mode_ignores_parameters_and_shows_no_decision_points(tmp_path):
    answer = "Transformations to apply: TileSize(qk/2 = 4x1x4x16), Unroll"
    llm_proposer, _ = proposer(tmp_path, [answer], every=1, parameterized=False)
    proposal = llm_proposer.propose(context(POINTS), random.Random(0))
    assert sequences(proposal) == [["TileSize", "Unroll"]]
    (entry,) = [json.loads(line) for line in (tmp_path / "run/llm_transcript.jsonl").open()]
    assert "TileSize(qk/2 = " not in entry["request"]["grammar"]
    assert "legal values" not in entry["request"]["user"]
