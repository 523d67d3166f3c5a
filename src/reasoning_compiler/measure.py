"""Building and measuring programs: MetaSchedule's builder/runner, configured for speed.

Everything here is the TVM adaptation layer for measurement; search strategies never see it.
"""

from __future__ import annotations

import importlib
import importlib.util
import platform
import sys
from dataclasses import asdict, dataclass

import numpy as np
import tvm
from tvm.s_tir.meta_schedule.arg_info import ArgInfo
from tvm.s_tir.meta_schedule.builder import LocalBuilder
from tvm.s_tir.meta_schedule.builder.local_builder import default_export
from tvm.s_tir.meta_schedule.runner import EvaluatorConfig, LocalRunner, RunnerInput

from .target import device_type

# Upstream MetaSchedule evaluator defaults; the latency of a sample is the mean of its run_secs.
EVALUATOR = EvaluatorConfig(number=3, repeat=1, min_repeat_ms=100, enable_cpu_cache_flush=False)


@dataclass(frozen=True)
class MeasureSettings:
    """How samples are built and timed; stated in every result."""

    number: int = EVALUATOR.number
    repeat: int = EVALUATOR.repeat
    min_repeat_ms: int = EVALUATOR.min_repeat_ms
    enable_cpu_cache_flush: bool = EVALUATOR.enable_cpu_cache_flush
    build_timeout_s: float = 30.0
    run_timeout_s: float = 30.0
    builder_workers: int = 2

    def evaluator(self) -> EvaluatorConfig:
        return EvaluatorConfig(
            number=self.number,
            repeat=self.repeat,
            min_repeat_ms=self.min_repeat_ms,
            enable_cpu_cache_flush=self.enable_cpu_cache_flush,
        )

    def as_dict(self) -> dict:
        return asdict(self)


def fast_build(mod: tvm.IRModule, target: tvm.target.Target, _params=None) -> tvm.runtime.Module:
    """LocalBuilder's build step without the stock version's ~19 s tensor-intrinsic import.

    Module-level so that builder worker processes can import it by reference.
    """
    from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock

    mod = RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)
    return tvm.tirx.build(mod, target=target)


def make_builder(settings: MeasureSettings) -> LocalBuilder:
    return LocalBuilder(
        max_workers=settings.builder_workers,
        timeout_sec=settings.build_timeout_s,
        f_build=fast_build,
    )


def make_runner(settings: MeasureSettings, timeout_s: float | None = None) -> LocalRunner:
    return LocalRunner(
        timeout_sec=timeout_s or settings.run_timeout_s, evaluator_config=settings.evaluator()
    )


def untuned_module(kernel_mod: tvm.IRModule, target: tvm.target.Target) -> tvm.IRModule:
    """The program as written, before any schedule. GPUs need threads bound to run at all."""
    if target.kind.name == "cuda":
        with target:
            return tvm.s_tir.transform.DefaultGPUSchedule()(kernel_mod)
    return kernel_mod


def measure_module(
    mod: tvm.IRModule, target: tvm.target.Target, runner: LocalRunner
) -> tuple[float | None, str | None]:
    """Build ``mod`` in-process and time it with ``runner``: (mean seconds, error)."""
    try:
        artifact = default_export(fast_build(mod, target))
    except Exception as err:  # a failing build is a result, not a crash
        return None, f"build failed: {err}"
    args_info = ArgInfo.from_prim_func(mod["main"])
    (future,) = runner.run([RunnerInput(artifact, device_type(target), args_info)])
    result = future.result()
    if result.error_msg:
        return None, str(result.error_msg).strip()
    secs = [float(s) for s in result.run_secs]
    return float(np.mean(secs)), None


def run_once(mod: tvm.IRModule, target: tvm.target.Target, inputs: list[np.ndarray]) -> np.ndarray:
    """Compile ``mod`` here and run it once on ``inputs``; returns the output (last argument)."""
    dev = tvm.device(device_type(target))
    rt_mod = fast_build(mod, target)
    out_info = ArgInfo.from_prim_func(mod["main"])[-1].as_json()
    args = [tvm.runtime.tensor(x, dev) for x in inputs]
    args.append(tvm.runtime.tensor(np.zeros(out_info[2], dtype=out_info[1]), dev))
    rt_mod["main"](*args)
    return args[-1].numpy()


def max_relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual - expected|, relative to the largest magnitude in ``expected`` (at least 1)."""
    scale = max(1.0, float(np.abs(expected).max()))
    return float(np.abs(actual.astype(np.float64) - expected).max() / scale)


def register_tensor_intrinsics(target: tvm.target.Target) -> None:
    """Register only the tensor intrinsics a CPU target can use, before tuning starts.

    MetaSchedule's TuneContext imports all of ``tvm.s_tir.tensor_intrin`` (about 20 s on 2
    cores, 14 s of it CUDA intrinsics). For llvm targets we register the package without running
    its ``__init__`` and import just the matching CPU family (about 0.3 s); the TuneContext's
    import then finds the package already loaded.
    """
    name = "tvm.s_tir.tensor_intrin"
    if name in sys.modules or target.kind.name != "llvm":
        return
    triple = str(target.attrs.get("mtriple", "")) or platform.machine()
    if "aarch64" in triple or "arm" in triple:
        family = "arm_cpu"
    elif "riscv" in triple:
        family = "riscv_cpu"
    else:
        family = "x86"
    spec = importlib.util.find_spec(name)
    sys.modules[name] = importlib.util.module_from_spec(spec)
    try:
        importlib.import_module(f"{name}.{family}")
    except Exception:
        del sys.modules[name]  # fall back to the full import
        raise
