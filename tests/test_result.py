"""Run results: one base for kernels and models, one writer, older files still load."""

import json

from reasoning_compiler.llm.proposer import LLMStats, combined_summary
from reasoning_compiler.model.result import ModelResult
from reasoning_compiler.result import RunResult, TuneResult

SHARED = {
    "preset": "small",
    "strategy": "mcts",
    "seed": 0,
    "trials": 4,
    "failed_trials": 1,
    "curve": [[1, 1.0], [2, 2.0]],
    "wall_seconds": 8.0,
    "time_split": {"search": 1.0, "llm": 0.0, "build": 2.0, "run": 3.0, "baseline": 1.0},
    "target": {"kind": "llvm"},
    "work_dir": "runs/x",
}


def _kernel(**extra) -> TuneResult:
    return TuneResult(
        **SHARED,
        workload="matmul",
        shape={"m": 1},
        untuned_seconds=2e-3,
        best_seconds=1e-3,
        speedup=2.0,
        gflops=1.0,
        flops=10**6,
        **extra,
    )


def test_kernel_and_model_results_share_one_base_and_one_writer(tmp_path):
    kernel = _kernel(tvm_version="0.27", correct=True, max_rel_error=0.0)
    model = ModelResult(
        **SHARED, model="m", task_scheduler="gradient", tasks=[], latency={}, library="m.so"
    )
    for result in (kernel, model):
        assert isinstance(result, RunResult)
        path = tmp_path / f"{type(result).__name__}.json"
        result.write_json(path)
        data = json.loads(path.read_text())
        assert data["seconds_per_sample"] == 8.0 / 4  # derived, written, not a field
        assert type(result).load(path) == result


def test_results_written_before_the_shared_base_still_load(tmp_path):
    """A kernel result with a derived key, a model result without the fields it gained."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps(_kernel().to_dict() | {"seconds_per_sample": 2.0}))
    assert TuneResult.load(path).speedup == 2.0
    old_model = {**SHARED, "model": "m", "task_scheduler": "gradient", "tasks": [], "latency": {}}
    path.write_text(json.dumps(old_model | {"library": "m.so", "correct": True}))
    loaded = ModelResult.load(path)
    assert loaded.llm is None and loaded.tvm_version == "" and loaded.budget_spent is False


def test_a_runs_llm_accounting_sums_its_proposers():
    class Proposer:
        def __init__(self, calls, seconds, errors):
            self.stats = LLMStats("local", "m", calls=calls, seconds=seconds, errors=errors)

        def summary(self):
            return self.stats.as_dict()

    assert combined_summary([None]) is None
    one = Proposer(2, 1.0, {})
    assert combined_summary([one]) == one.summary()
    total = combined_summary([one, None, Proposer(3, 2.5, {"timeout": 1})])
    assert total["calls"] == 5 and total["seconds"] == 3.5 and total["errors"] == {"timeout": 1}
    assert total["proposers"] == 2 and total["mean_seconds_per_call"] == 0.7


def test_the_summary_says_how_the_best_was_timed_and_what_was_stopped_early():
    measure = {"single_call_from_s": 0.1, "stop_slower_than": 10.0}
    short = dict(_kernel(settings={"measure": measure}).summary_rows())
    assert "mean call over" in short["best latency"]
    assert short["samples"] == "4 (1 failed)"
    long = _kernel(settings={"measure": measure}, stopped_slow_trials=2)
    long.best_seconds = 0.25
    rows = dict(long.summary_rows())
    assert "one call after its checking run" in rows["best latency"]
    assert rows["samples"] == "4 (1 failed, 2 stopped as over 10x the fastest)"
