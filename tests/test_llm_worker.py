"""The local model in its worker process: loaded without weight repacking on any CPU, and its
crashes and hangs (real signals to the real process) are counted LLM faults, never the end of a
tuning run."""

import json
import os
import re
import signal
import threading
import time
from pathlib import Path

import llama_cpp.llama_cpp as native
import pytest

import reasoning_compiler as rc
from conftest import TINY_SHAPES
from reasoning_compiler.llm import (
    LLMError,
    LLMSettings,
    LocalLLM,
    local,
    local_worker,
    open_llm,
)
from reasoning_compiler.llm.backends import Request
from reasoning_compiler.llm.models import DEFAULT_LOCAL_MODEL, model_path
from reasoning_compiler.rundir import SampleLog

CPUINFO = Path("/proc/cpuinfo")

VALID = ("ComputeLocation", "Parallel", "TileSize", "Unroll")
REQUEST = Request(
    system="You tune loops. Reply with the transformations to apply to a matmul.",
    user="The inner loop is not vectorized and the tiles are small. What next?",
    choices=VALID,
    max_tokens=48,
    temperature=0.7,
    seed=0,
)


def test_every_local_model_loads_without_weight_repacking():
    # The setting the loader passes, whatever the CPU: no AMX (or other) extra buffer types.
    llama = local_worker.load_model(
        str(model_path(DEFAULT_LOCAL_MODEL)), context_window=256, threads=1
    )
    try:
        assert llama.model_params.use_extra_bufts is False
    finally:
        llama.close()
    assert native.llama_model_default_params().use_extra_bufts is True  # the wrap is undone
    # And the worker that tuning runs use reports the same from its own process.
    llm = open_llm(LLMSettings())
    assert llm.worker_info["use_extra_bufts"] is False
    assert llm.worker_info["pid"] != os.getpid()


def test_the_local_model_runs_llama_cpps_build_for_this_cpu():
    # The wheel holds one CPU backend per x86 generation; the worker loads the best for this
    # CPU: AVX-512 code where the CPU has it, AVX2 code on an AVX2 machine (Makefile).
    flags = set(re.search(r"^flags\s*:(.*)$", CPUINFO.read_text(), re.M).group(1).split())
    backend = open_llm(LLMSettings()).worker_info["cpu_backend"]
    if "avx512f" in flags:
        assert backend in local_worker.AVX512_BACKENDS
    elif "avx2" in flags:
        assert backend in {"haswell", "alderlake"}
    else:
        assert backend not in {"built in", "unknown"}


class KillMidCall:
    """Sends ``signum`` to the first ``times`` worker processes seen completing a prompt."""

    def __init__(self, signum: int, times: int = 1, workers=local.running_workers):
        self.signum, self.times, self.killed, self.workers = signum, times, [], workers
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    def _watch(self):
        while not self.done.is_set() and len(self.killed) < self.times:
            for worker in self.workers():
                if worker.in_call == "complete" and worker.pid not in self.killed:
                    os.kill(worker.pid, self.signum)
                    self.killed.append(worker.pid)
            time.sleep(0.005)


def test_a_worker_killed_mid_call_is_a_fault_and_the_next_call_restarts_it():
    llm = LocalLLM()
    with KillMidCall(signal.SIGSEGV) as killer, pytest.raises(LLMError, match="SIGSEGV") as crash:
        llm.complete(REQUEST)
    assert crash.value.reason == "local model crashed" and not crash.value.permanent
    answer = llm.complete(REQUEST)  # a fresh worker, same model
    assert answer.text.startswith("Transformations to apply:")
    assert llm.worker_info["pid"] not in killer.killed


def test_a_hung_worker_is_stopped_at_the_timeout():
    llm = LocalLLM()
    pid = llm.worker_info["pid"]
    llm.timeout_s = 0.001  # no model answers that fast: the same path as a hang
    with pytest.raises(LLMError, match="no answer after") as hang:
        llm.complete(REQUEST)
    assert hang.value.reason == "timeout"
    assert not _alive(pid)
    llm.timeout_s = 600  # the restart and answer, however loaded the machine is
    assert llm.complete(REQUEST).text.startswith("Transformations to apply:")


def test_a_worker_that_keeps_dying_is_given_up():
    llm = LocalLLM()
    for _ in range(local.MAX_CRASHES):
        with KillMidCall(signal.SIGKILL), pytest.raises(LLMError) as death:
            llm.complete(REQUEST)
        assert "SIGKILL" in str(death.value) and not death.value.permanent
    with pytest.raises(LLMError) as given_up:
        llm.count_tokens("x")
    assert given_up.value.permanent and "died 3 times" in given_up.value.detail
    assert LocalLLM().count_tokens("x") == 1  # the next run starts afresh


@pytest.mark.tuning
def test_a_tuning_run_survives_its_model_crashing(tmp_path):
    run = tmp_path / "run"
    with KillMidCall(signal.SIGSEGV) as killer:
        result = rc.tune(
            "matmul",
            shape=TINY_SHAPES["matmul"],
            strategy="llm-mcts",
            strategy_options={"llm_every": 1, "llm_budget": 4},
            trials=6,
            per_round=2,
            work_dir=run,
            progress=False,
        )
    assert len(killer.killed) == 1
    llm = result.llm
    assert llm["errors"] == {"local model crashed": 1} and llm["disabled"] is None
    assert llm["calls"] == 4 and llm["valid_proposals"] + llm["fallbacks"] == 4
    assert llm["valid_proposals"] >= 1  # answers from the restarted worker
    # Every measured sample is on disk, and the log, the result and the summary agree.
    assert result.trials == 6 == len(SampleLog.open(run / "samples.jsonl"))
    assert result.correct is True
    assert json.loads((run / "result.json").read_text())["llm"]["errors"] == llm["errors"]
    assert "faults: local model crashed 1" in str(result)
    transcript = [json.loads(line) for line in (run / "llm_transcript.jsonl").open()]
    assert len(transcript) == 4
    assert [e.get("error") for e in transcript].count("local model crashed") == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
