"""Building and measuring programs: MetaSchedule's builder/runner, configured for speed.

Everything here is the TVM adaptation layer for measurement; search strategies never see it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import tvm
from tvm.ir.utils import derived_object
from tvm.s_tir.meta_schedule.arg_info import ArgInfo
from tvm.s_tir.meta_schedule.builder import BuilderResult, PyBuilder, local_builder
from tvm.s_tir.meta_schedule.builder.local_builder import default_export
from tvm.s_tir.meta_schedule.runner import EvaluatorConfig, LocalRunner, RPCRunner, RunnerInput
from tvm.s_tir.meta_schedule.runner.utils import run_evaluator_common
from tvm.support.popen_pool import PopenPoolExecutor, StatusKind

from . import fast_math, weight_packing  # noqa: F401 (fast_math: builds compute exp as a vector polynomial)
from .compare import max_relative_error
from .target import device_type, needs, runtime_threads
from .workloads.base import seeded_inputs


@dataclass(frozen=True)
class MeasureSettings:
    """How samples are built and timed; stated in every result.

    The evaluator fields are MetaSchedule's upstream defaults; a sample's latency is the mean of
    its ``run_secs``.
    """

    number: int = 3
    repeat: int = 1
    min_repeat_ms: int = 100
    enable_cpu_cache_flush: bool = False
    build_timeout_s: float = 30.0
    run_timeout_s: float = 30.0
    builder_workers: int = 2
    # A sample this many times slower than the fastest of its program so far is stopped: its
    # run may last stop_allowance_s (a fresh worker's start, loading program and inputs) plus
    # two such calls (the output check and one timed call). 0: samples run to run_timeout_s.
    stop_slower_than: float = 10.0
    stop_allowance_s: float = 10.0
    # A sample whose checking call takes this many times the fastest so far is timed by that
    # call alone (one cold call: precise enough to rank it far behind). 0: never.
    time_once_slower_than: float = 3.0
    # Once BUILDS_BEFORE_SCALING builds are seen, a build may take build_timeout_factor times
    # their median, at least build_timeout_floor_s and at most build_timeout_s.
    build_timeout_factor: float = 5.0
    build_timeout_floor_s: float = 10.0

    def evaluator(self) -> EvaluatorConfig:
        return EvaluatorConfig(
            number=self.number,
            repeat=self.repeat,
            min_repeat_ms=self.min_repeat_ms,
            enable_cpu_cache_flush=self.enable_cpu_cache_flush,
        )

    @property
    def single_call_s(self) -> float:
        """A sample whose checking run takes this long is timed by one call (OutputCheck)."""
        return self.min_repeat_ms / 1000

    def as_dict(self) -> dict:
        return {**asdict(self), "runtime_threads": runtime_threads()}

    def run_deadline_s(self, fastest_s: float | None, ceiling_s: float) -> float:
        """How long the next sample may run, given the fastest of its program so far."""
        if not self.stop_slower_than or fastest_s is None:
            return ceiling_s
        return min(ceiling_s, self.stop_allowance_s + 2 * self.stop_slower_than * fastest_s)

    def time_once_from_s(self, fastest_s: float | None) -> float | None:
        """A checking call this long times the sample by itself (None: never)."""
        if not self.time_once_slower_than or fastest_s is None:
            return None
        return self.time_once_slower_than * fastest_s

    def build_deadline_s(self, build_seconds: list[float]) -> float:
        """How long the next batch's builds may take, given this run's builds so far."""
        if len(build_seconds) < BUILDS_BEFORE_SCALING:
            return self.build_timeout_s
        scaled = self.build_timeout_factor * float(np.median(build_seconds))
        return min(self.build_timeout_s, max(self.build_timeout_floor_s, scaled))


BUILDS_BEFORE_SCALING = 8
STOPPED_SLOW = "stopped: slower than"  # how a runner's error names a sample stopped early


def fast_build(mod: tvm.IRModule, target: tvm.target.Target, _params=None) -> tvm.runtime.Module:
    """LocalBuilder's build step without the stock version's ~19 s tensor-intrinsic import;
    weights the program packs are packed by a function of their own (``weight_packing``).

    Module-level so that builder worker processes can import it by reference.
    """
    return tvm.tirx.build(weight_packing.split(mod), target=target)


BUILDS_PER_WORKER = 256  # then a fresh worker: upstream reports slow leaks in long-lived ones


def make_builder(settings: MeasureSettings) -> PooledBuilder:
    return PooledBuilder(settings.builder_workers, settings.build_timeout_s, settings)


def _build_one(args) -> tuple[str, float]:
    """Builder-worker side: LocalBuilder's own build-and-export step, and its seconds."""
    started = time.perf_counter()
    artifact = local_builder._worker_func(*args)
    return artifact, time.perf_counter() - started


@derived_object
class PooledBuilder(PyBuilder):
    """LocalBuilder with its worker processes kept from one batch to the next.

    LocalBuilder starts new workers for every batch, and each pays ``import tvm`` again (about
    1.4 s, 2.6 s with PyTorch installed, which tvm-ffi imports too). Here a worker serves up to
    ``BUILDS_PER_WORKER`` builds; timeouts and failures are reported as LocalBuilder does.

    With ``settings``, the timeout scales with this run's builds (``build_deadline_s``): at
    real layer sizes a few programs (large unrolled bodies) take LLVM minutes, and each held a
    worker for the whole 30 s timeout. ``seconds`` holds each built artifact's build time.
    """

    def __init__(self, workers: int, timeout_s: float, settings: MeasureSettings | None = None):
        super().__init__()
        self.timeout_s, self.settings = timeout_s, settings
        self.build_seconds: list[float] = []
        self.seconds: dict[str, float] = {}  # artifact path -> its build's seconds
        self.pool = PopenPoolExecutor(
            max_workers=workers, timeout=timeout_s, maximum_process_uses=BUILDS_PER_WORKER
        )

    def build(self, build_inputs):
        if self.settings is not None:
            self.timeout_s = self.settings.build_deadline_s(self.build_seconds)
            self.pool._timeout = self.timeout_s  # upstream's pool reads it on each submit
        jobs = [
            (fast_build, None, b.mod, b.target, local_builder._serialize_params(b.params))
            for b in build_inputs
        ]
        return [self._result(r) for r in self.pool.map_with_error_catching(_build_one, jobs)]

    def _result(self, outcome) -> BuilderResult:
        if outcome.status == StatusKind.COMPLETE:
            artifact, seconds = outcome.value
            self.build_seconds.append(seconds)
            self.seconds[artifact] = seconds
            return BuilderResult(artifact, None)
        if outcome.status == StatusKind.TIMEOUT:
            return BuilderResult(
                None, f"LocalBuilder: Timeout, killed after {self.timeout_s:.3g} s"
            )
        return BuilderResult(None, f"LocalBuilder: An exception occurred\n{outcome.value}")

    def shutdown(self) -> None:
        self.pool.shutdown()


@dataclass(frozen=True)
class OutputCheck:
    """Every sample runs once on fixed inputs and must reproduce ``expected`` before it is timed.

    MetaSchedule can emit wrong programs (seen here: an attention schedule off by 15%); without
    this check such a sample could be the "best". The runner worker regenerates the inputs from
    ``seed`` and loads the expected output from ``expected_path`` (a file, or for whole models a
    directory of per-task outputs and inputs, see ``CURRENT_TASK``). ``inputs`` are the (shape,
    dtype) of the program's inputs as written, needed where a program takes its weights packed
    (``weight_packing``); None: as the program takes them (or, for a directory, as it says).

    A sample whose checking run took at least ``long_s`` is timed by one more call: one call
    is then as long as the evaluator's minimum timing window (``min_repeat_ms``), the checking
    run has warmed it up, and the evaluator's warm-up and three calls took most of the paper
    presets' run time (two calls instead of five).
    """

    expected_path: str
    seed: int = 1
    tolerance: float = 1e-3
    long_s: float | None = None
    inputs: tuple | None = None


def make_runner(
    settings: MeasureSettings,
    check: OutputCheck | None = None,
    timeout_s: float | None = None,
    rpc=None,
):
    """A LocalRunner, or with ``rpc`` (``rpc.RPCSettings``) an RPCRunner through the tracker.

    With ``check``, every sample's output is compared before it is timed (see OutputCheck).
    """
    timeout_s = timeout_s or settings.run_timeout_s
    extra = {}
    if check is not None:
        alloc, evaluate = (
            (rpc_alloc_fixed_inputs, rpc_check_then_time)
            if rpc is not None
            else (alloc_fixed_inputs, check_then_time)
        )
        extra = {
            "f_alloc_argument": functools.partial(
                alloc, seed=check.seed, inputs=check.inputs, expected_path=check.expected_path
            ),
            "f_run_evaluator": functools.partial(
                evaluate,
                expected_path=check.expected_path,
                tolerance=check.tolerance,
                long_s=check.long_s,
                inputs=check.inputs,
                seed=check.seed,
            ),
        }
    if rpc is not None:
        return RPCRunner(
            rpc_config=rpc.config(timeout_s),
            evaluator_config=settings.evaluator(),
            max_workers=rpc.workers,
            **extra,
        )
    return LocalRunner(timeout_sec=timeout_s, evaluator_config=settings.evaluator(), **extra)


def set_sample_limits(runner, timeout_s: float, time_once_from_s: float | None) -> None:
    """Set a LocalRunner's timeout, and its output check's single-call threshold (see
    ``check_then_time``), for the samples it runs next."""
    runner.timeout_sec = timeout_s  # LocalRunner's error message says it
    if isinstance(getattr(runner, "pool", None), PopenPoolExecutor):
        runner.pool._timeout = timeout_s  # upstream's pool reads it on each submit
    evaluate = getattr(runner, "f_run_evaluator", None)
    if isinstance(evaluate, functools.partial) and evaluate.func is check_then_time:
        # LocalRunner sends its f_run_evaluator with each sample: the worker sees this one
        runner.f_run_evaluator = functools.partial(
            check_then_time, **{**evaluate.keywords, "time_once_from_s": time_once_from_s}
        )


def alloc_fixed_inputs(
    device,
    args_info,
    alloc_repeat: int,
    *,
    seed: int,
    inputs: tuple | None = None,
    expected_path: str | None = None,
) -> list[list]:
    """Runner-worker side: the seeded inputs (as Kernel.random_inputs makes them), NaN output.
    Weights the program takes packed get an empty buffer here, filled by ``check_then_time``."""
    shapes = tuple((tuple(int(d) for d in shape), dtype) for _, dtype, shape in args_info)
    out_shape, out_dtype = shapes[-1]
    if expected_path is not None:
        inputs = _measured_now(expected_path, inputs)[1]
    arrays = _seeded_inputs(inputs or shapes[:-1], seed)
    return [
        weight_packing.arguments(arrays, shapes[:-1], device)
        + [tvm.runtime.tensor(np.full(out_shape, np.nan, dtype=out_dtype), device)]
        for _ in range(alloc_repeat)
    ]


@functools.lru_cache(maxsize=1)
def _seeded_inputs(shapes: tuple, seed: int) -> list[np.ndarray]:
    """The inputs of (shape, dtype) ``shapes``, as Kernel.random_inputs makes them."""
    # The worker lives for the whole run: generate once (paper-size MoE weights take ~1 s).
    return seeded_inputs(shapes, seed)


@functools.lru_cache(maxsize=2)
def _expected(path: str) -> np.ndarray:
    return np.load(path)


CURRENT_TASK = "current"  # in a directory of per-task outputs: the name of the task now measured
INPUTS_SUFFIX = ".inputs.json"  # beside a task's expected output: its inputs' (shape, dtype)


def _measured_now(path: str, inputs: tuple | None) -> tuple[str, tuple | None]:
    """The expected output's file and the inputs as written of the program measured now.

    Whole models have one of each per task: ``path`` is then a directory whose file ``current``
    names the task being measured (tasks are measured one at a time), ``<task>.npy`` its
    expected output and ``<task>.inputs.json`` its inputs."""
    if not os.path.isdir(path):
        return path, inputs
    with open(os.path.join(path, CURRENT_TASK)) as f:
        task = os.path.join(path, f.read().strip())
    return task + ".npy", _written_inputs(task + INPUTS_SUFFIX)


@functools.lru_cache(maxsize=2)
def _written_inputs(path: str) -> tuple:
    with open(path) as f:
        return tuple((tuple(shape), dtype) for shape, dtype in json.load(f))


def check_then_time(
    rt_mod,
    device,
    evaluator_config,
    repeated_args,
    *,
    expected_path,
    tolerance,
    long_s=None,
    time_once_from_s=None,
    inputs=None,
    seed=1,
):
    """Runner-worker side: run once and compare the output, then time as MetaSchedule does
    (or, when that run took at least ``long_s``, by one more call: see OutputCheck). A checking
    run of at least ``time_once_from_s`` (set per sample: far slower than the fastest so far)
    is the sample's time itself. Weights the program takes packed are packed first, untimed."""
    expected_file, inputs = _measured_now(expected_path, inputs)
    expected = _expected(expected_file)
    if weight_packing.packs(rt_mod):
        if inputs is None:
            raise ValueError("the program takes packed weights: the check needs its inputs")
        for args in repeated_args:
            weight_packing.pack(rt_mod, _seeded_inputs(inputs, seed), args[:-1], device)
    checked = []
    for args in repeated_args:
        checked.append(_timed_call(rt_mod, device, args))
        error = max_relative_error(args[-1].numpy(), expected)
        if not error <= tolerance:  # also catches NaN: an output the program never wrote
            raise ValueError(f"wrong output: max relative error {error:.2e} > {tolerance:.0e}")
    if time_once_from_s is not None and min(checked) >= time_once_from_s:
        return checked
    if long_s is not None and min(checked) >= long_s:
        return [_timed_call(rt_mod, device, args) for args in repeated_args]
    return run_evaluator_common(rt_mod, device, evaluator_config, repeated_args)


def _timed_call(rt_mod, device, args) -> float:
    started = time.perf_counter()
    rt_mod[rt_mod.entry_name](*args)
    device.sync()
    return time.perf_counter() - started


def rpc_alloc_fixed_inputs(session, device, args_info, alloc_repeat: int, **check):
    """``alloc_fixed_inputs`` for RPCRunner (the inputs are copied to the remote device)."""
    return alloc_fixed_inputs(device, args_info, alloc_repeat, **check)


def rpc_check_then_time(session, rt_mod, device, evaluator_config, repeated_args, **check):
    """``check_then_time`` for RPCRunner: the output comes back here to be compared."""
    return check_then_time(rt_mod, device, evaluator_config, repeated_args, **check)


def untuned_module(kernel_mod: tvm.IRModule, target: tvm.target.Target) -> tvm.IRModule:
    """The program as written, before any schedule. GPUs need threads bound to run at all."""
    return needs(target).untuned(kernel_mod)


def measure_module(
    mod: tvm.IRModule, target: tvm.target.Target, runner: LocalRunner, statistic=np.mean
) -> tuple[float | None, str | None]:
    """Build ``mod`` in-process and time it with ``runner``: (seconds, error).

    The seconds are ``statistic`` (default: the mean, as for samples) of the runner's repeats.
    """
    try:
        artifact = default_export(fast_build(mod, target))
    except Exception as err:  # a failing build is a result, not a crash
        return None, f"build failed: {err}"
    args_info = ArgInfo.from_entry_func(mod, remove_preproc=True)
    (future,) = runner.run([RunnerInput(artifact, device_type(target), args_info)])
    result = future.result()
    if result.error_msg:
        return None, str(result.error_msg).strip()
    secs = [float(s) for s in result.run_secs]
    return float(statistic(secs)), None


def run_once(mod: tvm.IRModule, target: tvm.target.Target, inputs: list[np.ndarray]) -> np.ndarray:
    """Compile ``mod`` here and run it once on ``inputs``; returns the output (last argument)."""
    return run_timed(mod, target, inputs)[0]


def run_timed(
    mod: tvm.IRModule, target: tvm.target.Target, inputs: list[np.ndarray]
) -> tuple[np.ndarray, float]:
    """``run_once``, with the seconds of the call itself (the build not counted)."""
    dev = tvm.device(device_type(target))
    rt_mod = fast_build(mod, target)
    args = program_arguments(mod, rt_mod, inputs, dev)
    seconds = _timed_call(rt_mod, dev, args)
    return args[-1].numpy(), seconds


def program_arguments(mod: tvm.IRModule, rt_mod, inputs: list[np.ndarray], dev) -> list:
    """The arguments of ``mod`` built as ``rt_mod`` for ``inputs`` (NumPy, as written, the
    output not among them) on ``dev``: weights packed if it packs them, a zeroed output last."""
    infos = [info.as_json() for info in ArgInfo.from_entry_func(mod, remove_preproc=True)]
    args = weight_packing.arguments(inputs, [(shape, dtype) for _, dtype, shape in infos[:-1]], dev)
    if weight_packing.packs(rt_mod):
        weight_packing.pack(rt_mod, inputs, args, dev)
    args.append(tvm.runtime.tensor(np.zeros(infos[-1][2], dtype=infos[-1][1]), dev))
    return args


def register_tensor_intrinsics(target: tvm.target.Target) -> None:
    """Register only the tensor intrinsics a CPU target can use, before tuning starts.

    MetaSchedule's TuneContext imports all of ``tvm.s_tir.tensor_intrin`` (about 20 s on 2
    cores, 14 s of it CUDA intrinsics). For llvm targets we register the package without running
    its ``__init__`` and import just the matching CPU family (about 0.3 s); the TuneContext's
    import then finds the package already loaded.
    """
    name = "tvm.s_tir.tensor_intrin"
    if name in sys.modules or not needs(target).is_cpu:
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
