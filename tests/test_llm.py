"""LLM-guided MCTS end to end: the real embedded model, a local OpenAI-compatible endpoint that
fails in every way we know of, replay, and the CLI's LLM flags."""

import json
import socket

import pytest
from tvm.s_tir import meta_schedule as ms

import reasoning_compiler as rc
from conftest import TINY_SHAPES
from llm_stub import StubEndpoint
from reasoning_compiler import cli, measure
from reasoning_compiler.errors import UserError
from reasoning_compiler.llm import LLMProposer, LLMSettings, LocalLLM, Transcript, open_llm
from reasoning_compiler.llm.backends import Request
from reasoning_compiler.llm.parse import parse_answer
from reasoning_compiler.search.mcts_strategy import MCTSSearch
from reasoning_compiler.target import make_target
from reasoning_compiler.workloads import load_kernel
from search_driver import drive

SECRET = "sk-test-0123456789abcdefSECRET"
VALID = ("ComputeLocation", "Parallel", "TileSize", "Unroll")


@pytest.mark.slow
def test_the_embedded_model_answers_a_short_prompt():
    llm = open_llm(LLMSettings())  # the default: local SmolLM2, offline
    assert isinstance(llm, LocalLLM)
    request = Request(
        system="You tune loops. Reply with the transformations to apply to a matmul.",
        user="The inner loop is not vectorized and the tiles are small. What next?",
        choices=VALID,
        max_tokens=llm.default_max_tokens,
        temperature=0.7,
        seed=0,
    )
    completion = llm.complete(request)
    parsed = parse_answer(completion.text, VALID)
    assert parsed.answer_line, completion.text
    assert 1 <= len(parsed.names) <= 6 and set(parsed.names) <= set(VALID)
    assert completion.prompt_tokens > 20 and completion.completion_tokens > 0
    assert llm.count_tokens(request.user) > 5
    assert llm.complete(request).text == completion.text  # same seed, same answer


def test_a_wrong_model_file_is_a_clear_error_before_tuning(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        open_llm(LLMSettings(model=str(tmp_path / "missing.gguf")))
    not_a_model = tmp_path / "model.gguf"
    not_a_model.write_bytes(b"this is not a GGUF file")
    with pytest.raises(UserError, match="not a loadable GGUF"):
        open_llm(LLMSettings(model=str(not_a_model)))
    code = cli.main(
        ["tune", "matmul", "--llm-model", str(not_a_model), "--work-dir", str(tmp_path / "r")]
    )
    assert code == 2 and not (tmp_path / "r").exists()


def test_bad_llm_settings_are_one_line_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        open_llm(LLMSettings(backend="openai"))
    with pytest.raises(UserError, match="no llm_transcript.jsonl"):
        open_llm(LLMSettings(backend=f"replay:{tmp_path}"))
    run = ["tune", "matmul", "--work-dir", str(tmp_path / "r")]
    for flags in (
        ["--llm", "gpt"],
        ["--llm", "replay:"],
        ["--strategy", "mcts", "--llm", "openai"],
        ["--strategy", "evolutionary", "--llm-budget", "3"],
        ["--strategy", "mcts", "--history-depth", "3"],
        ["--llm", "local", "--llm-base-url", "http://x"],
        ["--llm-budget", "-1"],
        ["--llm", "openai"],  # no key, no base URL
    ):
        capsys.readouterr()
        assert _exit_code([*run, *flags]) == 2, flags
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error" in err, (flags, err)
    assert not (tmp_path / "r").exists()


def test_settings_as_recorded_hold_no_secret():
    settings = LLMSettings("openai", base_url="https://user:hunter2@llm.example/v1")
    assert settings.as_dict()["base_url"] == "https://[redacted]@llm.example/v1"
    assert "hunter2" not in json.dumps(settings.as_dict())


@pytest.mark.tuning
def test_endpoint_faults_fall_back_to_random_and_the_run_completes(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    script = [
        "http:500",
        "ok:Transformations to apply: TileSize, Unroll",
        "http:429",
        "ok:I think tiling helps.\nTransformations to apply: tile_size",
        "ok:As an AI model I cannot tune kernels.",
        "ok:Transformations to apply: TileSize",
        "empty",
        "ok:**Transformations to apply:** Parallel",
        "notjson",
        "ok:Transformations to apply: MutateUnroll",
        "slow:3",
        "ok:Transformations to apply: ComputeLocation",
        "echo-auth",
        "ok:Transformations to apply: TileSize, TileSize",
    ]
    warnings = []
    with StubEndpoint(script) as endpoint:
        result = rc.tune(
            "matmul",
            shape=TINY_SHAPES["matmul"],
            strategy="llm-mcts",
            strategy_options={"llm_every": 1, "expansions_per_round": len(script)},
            llm=LLMSettings("openai", model="stub", base_url=endpoint.url, timeout_s=1, retries=0),
            trials=4,
            per_round=2,
            work_dir=tmp_path / "run",
            progress=False,
            console=_Recorder(warnings),
        )
    assert result.trials == 4 and result.correct is True
    llm = result.llm
    assert llm["backend"] == "openai" and llm["model"] == "stub"
    # Expansions that give nothing new ask again: the last scripted answer repeats.
    assert llm["calls"] >= len(script)
    assert llm["errors"] == {
        "HTTP 500": 2,  # the scripted 500 and the one that leaked the key
        "rate limited (HTTP 429)": 1,
        "empty answer": 1,
        "malformed response": 1,
        "timeout": 1,
    }
    assert llm["fallbacks"] == 7  # the six faults and the answer naming nothing valid
    assert llm["valid_proposals"] == llm["calls"] - 7
    assert llm["disabled"] is None  # never three failures in a row
    assert result.search_stats["fallbacks"] >= llm["fallbacks"]
    # One warning per kind of fault, not one per call.
    assert len(warnings) == len(set(warnings)) == 6
    assert all("random transformation" in w for w in warnings)
    # Every exchange is in the transcript; the key is nowhere in the work dir.
    entries = [json.loads(line) for line in (tmp_path / "run/llm_transcript.jsonl").open()]
    assert len(entries) == llm["calls"]
    assert entries[1]["parsed"] == [["TileSize", "Unroll"]]
    assert entries[0]["error"] == "HTTP 500"
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="ignore"), path
    assert SECRET not in " ".join(warnings)


@pytest.mark.tuning
def test_an_unreachable_endpoint_is_given_up_after_three_failures(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    warnings = []
    result = rc.tune(
        "matmul",
        shape=TINY_SHAPES["matmul"],
        strategy_options={"llm_every": 1},
        llm=LLMSettings("openai", base_url=f"http://127.0.0.1:{port}/v1", retries=0),
        trials=4,
        per_round=2,
        work_dir=tmp_path / "run",
        progress=False,
        console=_Recorder(warnings),
    )
    assert result.trials == 4 and result.correct is True
    assert result.llm["calls"] == 3 and result.llm["errors"] == {"endpoint unreachable": 3}
    assert "3 failed calls in a row" in result.llm["disabled"]
    assert result.llm["random_proposals"] > 0  # the search went on without it
    assert "LLM" in str(result) and "stopped" in str(result)
    assert len(warnings) == 2  # the fault, once; and that the LLM is no longer asked


def search_rounds(kernel, target, work_dir, settings, rounds=3, per_round=2):
    """LLM-guided MCTS with made-up deterministic measurements: the batches measured, the LLM
    proposals made (from the transcript) and the LLM accounting."""
    proposer = LLMProposer(open_llm(settings), "Program: matmul", Transcript(work_dir), every=2)
    cost_model = ms.cost_model.XGBModel(num_warmup_samples=per_round, num_tuning_cores=1)
    strategy = MCTSSearch(cost_model=cost_model, proposer=proposer, expansions_per_round=6)
    batches = drive(kernel, target, strategy, cost_model, 3, rounds, per_round)
    transcript = [json.loads(line) for line in (work_dir / "llm_transcript.jsonl").open()]
    return batches, [entry["parsed"] for entry in transcript], proposer.summary()


@pytest.mark.tuning
def test_replay_reproduces_a_recorded_run_without_the_model(tmp_path):
    target = make_target(None)
    measure.register_tensor_intrinsics(target)
    kernel = load_kernel("matmul", None, TINY_SHAPES["matmul"])
    (tmp_path / "recorded").mkdir()
    (tmp_path / "replayed").mkdir()
    recorded = search_rounds(kernel, target, tmp_path / "recorded", LLMSettings())
    replay = LLMSettings(backend=f"replay:{tmp_path / 'recorded'}")
    replayed = search_rounds(kernel, target, tmp_path / "replayed", replay)
    batches, proposals, stats = recorded
    assert stats["calls"] >= 4 and len(proposals) == stats["calls"]
    assert replayed[0] == batches  # the same programs measured, round by round
    assert replayed[1] == proposals  # the same proposals, in the same order
    assert replayed[2]["replay_misses"] == 0  # every prompt was the recorded one
    assert replayed[2]["backend"] == "replay"


@pytest.mark.tuning
def test_an_llm_flag_implies_llm_mcts_and_its_accounting_reaches_the_result(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["tune", "matmul", "--shape", "m=128,n=128,k=128", "--quiet", "--trials", "4"]
    args += ["--per-round", "2", "--work-dir", str(run), "--llm-budget", "1"]
    assert cli.main([*args, "--history-depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "llm-mcts" in out and "LLM" in out
    data = json.loads((run / "result.json").read_text())
    assert data["strategy"] == "llm-mcts"
    llm = data["llm"]
    for key in ("backend", "model", "calls", "valid_proposals", "fallbacks"):
        assert key in llm
    for key in ("prompt_tokens", "completion_tokens", "seconds"):
        assert llm[key] > 0
    assert llm["backend"] == "local" and llm["calls"] == 1  # the budget
    assert llm["valid_proposals"] + llm["fallbacks"] == 1
    assert data["settings"]["strategy"]["history_depth"] == 1
    assert data["settings"]["llm"]["backend"] == "local"
    assert data["time_split"]["llm"] == pytest.approx(llm["seconds"], abs=0.01)
    entries = [json.loads(line) for line in (run / "llm_transcript.jsonl").open()]
    assert len(entries) == 1
    assert {"request", "answer", "parsed", "seconds"} <= set(entries[0])
    assert "Current program:" in entries[0]["request"]["user"]
    assert "Decision points of this program" in entries[0]["request"]["system"]


def _exit_code(argv) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exit:  # argparse's own errors
        return exit.code


class _Recorder:
    """A stand-in for the rich console that keeps the LLM warnings."""

    def __init__(self, sink):
        self.sink = sink

    def print(self, message, *args, **kwargs):
        if "LLM:" in str(message):
            self.sink.append(str(message))
