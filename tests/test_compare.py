"""NumPy and PyTorch versions of each built-in operator agree with the kernel's reference, a
missing or failing library leaves a cell that says why, and --compare puts them in the result."""

import importlib.util

import numpy as np
import pytest
import torch

import reasoning_compiler as rc
from conftest import TINY_SHAPES
from reasoning_compiler import compare
from reasoning_compiler.compare import NUMPY_OPERATORS, library_timings
from reasoning_compiler.workloads import WORKLOADS


@pytest.mark.slow
@pytest.mark.parametrize("workload", sorted(NUMPY_OPERATORS))
def test_numpy_and_pytorch_compute_the_workload(workload):
    kernel = WORKLOADS[workload].resolve("small", TINY_SHAPES[workload])
    inputs = kernel.random_inputs(0)
    expected = kernel.reference(*inputs)
    with torch.inference_mode():
        output = compare._torch_operator(workload)(*map(torch.from_numpy, inputs), **kernel.shape)
    np.testing.assert_allclose(output.numpy(), expected, rtol=1e-4, atol=1e-4)
    timings = library_timings(workload, kernel.shape, inputs, kernel.flops)
    assert timings["numpy"]["seconds"] > 0 and timings["pytorch"]["seconds"] > 0
    assert timings["pytorch"]["max_rel_error_vs_numpy"] < 1e-4


def test_a_missing_or_failing_library_is_a_cell_that_says_why(monkeypatch):
    kernel = WORKLOADS["matmul"].resolve("small", TINY_SHAPES["matmul"])
    inputs = kernel.random_inputs(0)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else find_spec(name)
    )
    # In the process that times the libraries (library_timings starts fresh ones running this).
    timings = compare._time_here("matmul", kernel.shape, inputs, kernel.flops)
    assert timings["pytorch"] == {"note": "not installed"} and timings["numpy"]["gflops"] > 0
    wrong = [inputs[0], inputs[1][:5]]  # shapes that do not multiply
    assert "failed: ValueError" in library_timings("matmul", {}, wrong, 1)["numpy"]["note"]
    assert "no library version" in library_timings("mine.py:f", {}, inputs, 1)["numpy"]["note"]


@pytest.mark.tuning
def test_tune_compare_shows_the_libraries_next_to_the_tuned_kernel(tmp_path):
    result = rc.tune(
        "matmul",
        shape=TINY_SHAPES["matmul"],
        strategy="mcts",
        trials=2,
        per_round=2,
        work_dir=tmp_path / "run",
        progress=False,
        compare=True,
    )
    assert result.compare["tuned"]["seconds"] == result.best_seconds
    for library in ("numpy", "pytorch"):
        assert result.compare[library]["gflops"] > 0
    assert "vs NumPy" in str(result) and "vs PyTorch" in str(result)


@pytest.mark.slow
def test_libraries_are_timed_in_fresh_processes_and_a_dead_one_is_a_cell(monkeypatch):
    kernel = WORKLOADS["matmul"].resolve("small", TINY_SHAPES["matmul"])
    inputs = kernel.random_inputs(0)
    calls = []
    real = compare._time_in_fresh_process
    monkeypatch.setattr(compare, "_time_in_fresh_process", lambda *a: calls.append(a) or real(*a))
    timings = library_timings("matmul", kernel.shape, inputs, kernel.flops, processes=2)
    assert len(calls) == 2 and timings["numpy"]["gflops"] > 0
    monkeypatch.setattr(compare, "_time_in_fresh_process", real)
    monkeypatch.setattr(compare.sys, "executable", "/bin/false")
    timings = library_timings("matmul", kernel.shape, inputs, kernel.flops, processes=1)
    assert timings["numpy"]["note"].startswith("failed: library process exited 1")
