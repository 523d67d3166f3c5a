"""What a user would call instead: each built-in operator written in NumPy and in PyTorch, in
float32, timed on the same shapes and inputs as the tuned kernel, on this machine.

NumPy's versions are written the way a user would (batched matmuls, softmax, im2col + BLAS for the
convolution); PyTorch's use its fused operators (SDPA, bmm, conv2d). Each library's output is
checked against NumPy's, so a wrong reference cannot look fast. A library that is not installed,
or fails on a shape, gets a cell that says so; the others stand.

The libraries are timed in fresh processes that run this file as a script (it imports neither
TVM nor the package): a library's speed differs from one process to the next (OpenBLAS's matmul
512^3 on a 2-core EPYC: about 145 GFLOP/s in some processes, about 203 in others), and TVM's own
worker threads must not share the cores with it. The fastest process counts.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPEATS = 10  # best of, in each process: the library's steady-state speed
PROCESSES = 3  # fresh processes per timing; the fastest counts


def _numpy_attention(q, k, v, q_heads, kv_heads, seq_len, head_dim, causal, **_):
    group = q_heads // kv_heads
    qg = q.reshape(kv_heads, group, seq_len, head_dim)
    s = qg @ k[:, None].swapaxes(-1, -2) * np.float32(1 / math.sqrt(head_dim))
    if causal:
        s += np.triu(np.full((seq_len, seq_len), -np.inf, np.float32), 1)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return (p @ v[:, None]).reshape(q_heads, seq_len, head_dim)


def _numpy_moe(x, w_gate, w_up, w_down, **_):
    gate = x @ w_gate
    return (gate / (1 + np.exp(-gate)) * (x @ w_up)) @ w_down


def _numpy_conv(x, w, bias, batch, in_channels, out_channels, size):
    # im2col, then one BLAS matmul: how NumPy users write a fast convolution.
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    cols = cols.transpose(0, 2, 3, 1, 4, 5).reshape(batch * size * size, in_channels * 9)
    out = cols @ w.reshape(out_channels, in_channels * 9).T + bias
    return out.reshape(batch, size, size, out_channels).transpose(0, 3, 1, 2)


NUMPY_OPERATORS = {
    "matmul": lambda a, b, **_: a @ b,
    "llama3-8b-attention": lambda *xs, **shape: _numpy_attention(*xs, **shape, causal=True),
    "flux-attention": lambda *xs, **shape: _numpy_attention(*xs, **shape, causal=False),
    "deepseek-r1-moe": _numpy_moe,
    "flux-conv": _numpy_conv,
}
# The same operator, computed another way by TVM.
NUMPY_OPERATORS["llama3-8b-attention-block-causal"] = NUMPY_OPERATORS["llama3-8b-attention"]
NUMPY_OPERATORS["flux-attention-fused"] = NUMPY_OPERATORS["flux-attention"]
NUMPY_OPERATORS["deepseek-r1-moe-fused"] = lambda x, w_gate_up, w_down, **_: _numpy_moe(
    x, w_gate_up[:, :, 0], w_gate_up[:, :, 1], w_down
)


def _torch_operator(name: str):
    import torch
    import torch.nn.functional as F

    def attention(q, k, v, q_heads, kv_heads, causal, **_):
        group = q_heads // kv_heads
        k, v = k.repeat_interleave(group, 0), v.repeat_interleave(group, 0)
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    def moe(x, w_gate, w_up, w_down, **_):
        return (F.silu(torch.bmm(x, w_gate)) * torch.bmm(x, w_up)).bmm(w_down)

    def moe_fused(x, w_gate_up, w_down, **_):
        # One bmm with the stacked weight, as vLLM's fused experts do.
        experts, hidden, _, intermediate = w_gate_up.shape
        gate, up = torch.bmm(x, w_gate_up.reshape(experts, hidden, 2 * intermediate)).chunk(2, -1)
        return (F.silu(gate) * up).bmm(w_down)

    def causal(*xs, **shape):
        return attention(*xs, **shape, causal=True)

    return {
        "matmul": lambda a, b, **_: a @ b,
        "llama3-8b-attention": causal,
        "llama3-8b-attention-block-causal": causal,
        "flux-attention": lambda *xs, **shape: attention(*xs, **shape, causal=False),
        "flux-attention-fused": lambda *xs, **shape: attention(*xs, **shape, causal=False),
        "deepseek-r1-moe": moe,
        "deepseek-r1-moe-fused": moe_fused,
        "flux-conv": lambda x, w, bias, **_: F.conv2d(x, w, bias, padding=1),
    }[name]


def _best_seconds(fn) -> float:
    # Absolute: this file also runs as a script, in the fresh processes that time libraries.
    from reasoning_compiler.timing import best_of

    return best_of(fn, REPEATS)


def library_timings(
    workload: str, shape: dict, inputs: list[np.ndarray], flops: int, processes: int = PROCESSES
) -> dict:
    """``{"numpy": cell, "pytorch": cell}``: seconds, GFLOP/s and library version of the operator
    in each library (``{"note": why}`` where there is none), float32, best of ``REPEATS`` calls
    in each of ``processes`` fresh processes."""
    if workload not in NUMPY_OPERATORS:
        note = {"note": "no library version of this workload"}
        return {"numpy": note, "pytorch": note}
    with tempfile.TemporaryDirectory(prefix="rc-compare-") as tmp:
        path = Path(tmp) / "inputs.npz"
        np.savez(path, *inputs)
        runs = [_time_in_fresh_process(workload, shape, path, flops) for _ in range(processes)]
    return {lib: _fastest([run[lib] for run in runs]) for lib in ("numpy", "pytorch")}


def _time_in_fresh_process(workload: str, shape: dict, inputs: Path, flops: int) -> dict:
    command = [sys.executable, __file__, workload, json.dumps(shape), str(inputs), str(flops)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
        note = {"note": f"failed: library process exited {done.returncode}: {tail}"}
        return {"numpy": note, "pytorch": note}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fastest(cells: list[dict]) -> dict:
    """The fastest process's cell, with every process's seconds (``per_process_s``)."""
    timed = [cell for cell in cells if "seconds" in cell]
    if not timed:
        return cells[0]
    from reasoning_compiler.timing import library_estimator

    best = min(timed, key=lambda cell: cell["seconds"])
    protocol = library_estimator(REPEATS, len(timed))
    return best | {"per_process_s": [cell["seconds"] for cell in timed], "protocol": protocol}


def _time_here(workload: str, shape: dict, inputs: list[np.ndarray], flops: int) -> dict:
    numpy_op = NUMPY_OPERATORS[workload]
    try:
        expected = numpy_op(*inputs, **shape)
        seconds = _best_seconds(lambda: numpy_op(*inputs, **shape))
        timings = {"numpy": _cell(seconds, flops, f"NumPy {np.__version__}")}
    except Exception as err:  # e.g. out of memory on a huge shape
        return {"numpy": _failed(err), "pytorch": {"note": "not run: no NumPy output to check"}}
    timings["pytorch"] = _torch_timing(workload, shape, inputs, flops, expected)
    return timings


def _torch_timing(workload, shape, inputs, flops, expected) -> dict:
    if importlib.util.find_spec("torch") is None:
        return {"note": "not installed"}
    try:
        import torch

        torch.set_num_threads(len(os.sched_getaffinity(0)))
        torch_op = _torch_operator(workload)
        tensors = [torch.from_numpy(x) for x in inputs]
        with torch.inference_mode():
            output = torch_op(*tensors, **shape).numpy()
            seconds = _best_seconds(lambda: torch_op(*tensors, **shape))
    except Exception as err:
        return _failed(err)
    cell = _cell(seconds, flops, f"PyTorch {torch.__version__} (CPU)")
    cell["max_rel_error_vs_numpy"] = max_relative_error(output, expected)
    return cell


def max_relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual - expected|, relative to the largest magnitude in ``expected`` (at least 1).

    Where ``expected`` is not finite the reference itself is undefined (a model's operator on
    random inputs: rsqrt of a negative mean), so those elements are not compared."""
    known = np.isfinite(expected)
    if not known.any():
        return 0.0
    expected = expected[known]
    scale = max(1.0, float(np.abs(expected).max()))
    return float(np.abs(actual.astype(np.float64)[known] - expected).max() / scale)


def _cell(seconds: float, flops: int, library: str) -> dict:
    return {"library": library, "seconds": seconds, "gflops": flops / seconds / 1e9}


def _failed(err: Exception) -> dict:
    return {"note": f"failed: {type(err).__name__}: {str(err)[:120]}"}


if __name__ == "__main__":  # one fresh process's timings: WORKLOAD SHAPE_JSON INPUTS.npz FLOPS
    _name, _shape, _path, _flops = sys.argv[1:5]
    with np.load(_path) as _saved:
        _inputs = [_saved[f"arr_{i}"] for i in range(len(_saved.files))]
    print(json.dumps(_time_here(_name, json.loads(_shape), _inputs, int(_flops))))
