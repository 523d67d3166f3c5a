"""``tune()``: one kernel, from its definition to a measured, verified result.

A front door over the run pipeline (``pipeline.py``), where a kernel is a run of one task:
this file adds what is a kernel's own (its NumPy reference and untuned baseline, RPC
measurement, the check of the best program, the comparison with NumPy and PyTorch).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import tvm
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from tvm.s_tir import meta_schedule as ms

from . import measure, timing
from . import rpc as remote_measurement
from .compare import library_timings
from .errors import MAX_COUNT, TuningError
from .llm import LLMSettings
from .pipeline import Run, RunOptions, TuneTask
from .result import TuneResult
from .rundir import RunDir
from .target import needs
from .workloads import Kernel, load_kernel

RELATIVE_TOLERANCE = 1e-3  # fp32 outputs vs a float64 NumPy reference


def tune(
    workload: str | Kernel,
    *,
    preset: str | None = None,
    shape: dict | str | None = None,
    strategy: str | None = None,
    strategy_options: dict | None = None,
    llm: LLMSettings | str | None = None,
    trials: int | None = None,
    time_budget_s: float | None = None,
    per_round: int = 16,
    seed: int = 0,
    work_dir: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    target: str | dict | tvm.target.Target | None = None,
    json_path: str | Path | None = None,
    progress: bool = True,
    settings: measure.MeasureSettings | None = None,
    console: Console | None = None,
    rpc: str | None = None,
    rpc_key: str | None = None,
    rpc_workers: int | None = None,
    compare: bool = False,
    cache: str | Path | bool | None = None,
) -> TuneResult:
    """Tune one kernel and return its measured result.

    ``workload`` is a built-in name (see ``reasoning_compiler.WORKLOADS``), ``"file.py:function"``,
    or a ``Kernel``. ``strategy`` is ``mcts``, ``llm-mcts`` or ``evolutionary`` (default:
    ``llm-mcts`` when ``llm`` or an LLM option is given, else ``mcts``).
    ``strategy_options`` overrides a strategy's parameters (for the tree searches: ``c``,
    ``branching``, ``rollout_depth``, ``expansions_per_round``; for ``llm-mcts`` also
    ``history_depth``, ``llm_budget``, ``llm_every``). ``llm`` picks the model for ``llm-mcts``:
    an ``LLMSettings``, or ``"local"`` (default), ``"openai"``, ``"replay:DIR"``.

    ``trials`` is the total number of samples measured on hardware (on ``resume``, samples of
    earlier sessions count toward it; default 64). ``time_budget_s`` stops the session once
    that many seconds have passed (between samples; without ``trials``: no sample limit).
    Everything measured is written to ``work_dir`` as it happens; see ``rundir.py``.

    ``rpc="HOST:PORT"`` with ``rpc_key`` measures on the servers registered at that TVM RPC
    tracker under the key (``rpc_workers`` at once; default one per server); builds stay here,
    and ``target`` must then describe the remote device.

    ``compare=True`` also times the same operator in NumPy and PyTorch on this machine, on the
    run's own inputs (built-in workloads), into ``result.compare``.

    ``cache`` is the tuning cache's directory (default: ``$REASONING_COMPILER_TUNING_CACHE``, else
    ``~/.cache/reasoning-compiler/tuning``; False or "off": none). Every sample goes into it; a
    kernel it knows with ``trials`` samples (or any, with ``trials=0``) is built from it, and a
    new shape starts from the nearest known ones (``result.reuse`` says what was reused).
    """
    options = RunOptions(
        strategy, strategy_options, llm, trials, time_budget_s, per_round, seed, work_dir,
        resume, overwrite, target, progress, console, settings, cache,
    )  # fmt: skip
    with Run(options) as run:
        kernel = workload if isinstance(workload, Kernel) else load_kernel(workload, preset, shape)
        run.plan_search()
        remote = _connect(rpc, rpc_key, rpc_workers, target, run.console)
        run.pick_target()
        session = run.open_session(kernel, {"shape": kernel.shape})
        task = TuneTask(
            "main", kernel.mod, kernel.describe(), family=kernel.name, shape=kernel.shape
        )
        to_tune = run.plan_reuse([task])
        baseline = _measure_baseline(kernel, run.target, session.run, run.settings, remote)
        with _progress(run, kernel, baseline.untuned_seconds) as show:
            outcome = run.tune(
                to_tune, _runner(run, baseline, remote), on_round=show, parallel_runs=bool(remote)
            )
        verify_start = time.perf_counter()
        best, verified = _verify_best(kernel, run, baseline, remote)
        checks_s = baseline.measure_time + time.perf_counter() - verify_start
        result = TuneResult(
            **run.record(outcome, extra_time={"baseline": checks_s}),
            workload=kernel.name,
            shape=kernel.shape,
            untuned_seconds=baseline.untuned_seconds,
            best_seconds=best,
            speedup=baseline.untuned_seconds / best,
            gflops=kernel.flops / best / 1e9,
            flops=kernel.flops,
            curve=session.samples.curve(baseline.untuned_seconds),
            compare=_compare(kernel, baseline, best) if compare else None,
            **verified,
        )
        result.settings["measure"] |= {
            "run_timeout_s": baseline.run_timeout,
            "baseline_single_call_from_s": timing.LONG_CALL_S,
            "single_call_from_s": run.settings.single_call_s,
        }
        result.settings["rpc"] = remote.as_dict() if remote else None
        run.save(result, json_path)
        return result


def _connect(rpc, rpc_key, rpc_workers, target, console):
    """The RPC tracker's servers to measure on, or None to measure here."""
    if not rpc:
        return None
    remote = remote_measurement.connect(rpc, rpc_key, rpc_workers)
    if target in (None, "host"):
        console.print(
            "[yellow]--rpc without --target: assuming the remote devices are like this "
            "machine (its CPU and core count)[/yellow]"
        )
    return remote


def _runner(run: Run, baseline: _Baseline, remote):
    """The samples' runner: each checked against the reference, a slow one stopped early."""
    check = replace(baseline.check, long_s=run.settings.single_call_s)
    return measure.make_runner(run.settings, check, baseline.run_timeout, rpc=remote)


@dataclass
class _Baseline:
    """The untuned program's latency, and the output every sample must reproduce."""

    untuned_seconds: float  # the untuned program's latency
    measure_time: float  # wall time spent computing the reference and measuring it
    check: measure.OutputCheck
    inputs: list[np.ndarray]
    expected: np.ndarray
    checked_against: str
    run_timeout: float  # for candidates: slower than about twice the untuned one is worthless


def _measure_baseline(kernel: Kernel, target, run: RunDir, settings, remote=None) -> _Baseline:
    """Time the untuned program with the tuning runner's own evaluator settings, in this run."""
    start = time.perf_counter()
    untuned_mod = measure.untuned_module(kernel.mod, target)
    check = measure.OutputCheck(
        str(run.expected_output_path),
        tolerance=RELATIVE_TOLERANCE,
        inputs=tuple(kernel.arg_shapes()[:-1]),
    )
    inputs = kernel.random_inputs(check.seed)
    if kernel.reference is not None:
        expected, against = kernel.reference(*inputs), "the NumPy reference"
    else:
        expected, against = measure.run_once(untuned_mod, target, inputs), "the untuned program"
    np.save(run.expected_output_path, expected)
    # Untuned code can be slow: give it ten minutes, and time a long call once (LONG_CALL_S).
    repeated = replace(settings, repeat=timing.BASELINE_REPEATS)
    once_if_long = replace(check, long_s=timing.LONG_CALL_S)
    runner = measure.make_runner(repeated, once_if_long, timeout_s=600, rpc=remote)
    try:
        untuned_seconds, error = measure.measure_module(
            untuned_mod, target, runner, statistic=np.median
        )
    finally:
        runner.pool.shutdown()
    if untuned_seconds is None:
        raise TuningError(f"the untuned {kernel.describe()} could not be measured: {error}")
    measure_time = time.perf_counter() - start
    run_timeout = max(settings.run_timeout_s, 2 * measure_time)
    return _Baseline(untuned_seconds, measure_time, check, inputs, expected, against, run_timeout)


def _verify_best(kernel: Kernel, run: Run, baseline: _Baseline, remote) -> tuple[float, dict]:
    """The best latency, and the best program (from the database, or the untuned one: a tuner
    never hands back something slower) saved and checked once more. A program from the tuning
    cache is timed again here, now, as the run's samples were."""
    target, rundir = run.target, run.session.run
    best_measured = run.session.samples.best_seconds
    known = run.known_best("main")
    sch = None
    if known is not None and (best_measured is None or known < best_measured):
        sch = run.database().query_schedule(kernel.mod, target, workload_name="main")
        runner = _runner(run, baseline, remote)
        try:
            timed, error = measure.measure_module(sch.mod, target, runner)
        finally:
            if hasattr(runner, "pool"):
                runner.pool.shutdown()
        run.reuse["best_from_cache"] = {"cached_s": known, "timed_now_s": timed, "error": error}
        if timed is None or (best_measured is not None and timed >= best_measured):
            sch = None  # this run's own best stands
        else:
            best_measured = timed
    untuned_is_best = best_measured is None or best_measured >= baseline.untuned_seconds
    best = baseline.untuned_seconds if untuned_is_best else best_measured
    if untuned_is_best:
        mod = measure.untuned_module(kernel.mod, target)
        rundir.best_program_path.write_text(
            f"# No tuned variant of {kernel.describe()} beat the untuned program: it is this\n"
            f"{mod.script()}\n"
        )
    else:
        database = ms.database.JSONDatabase(work_dir=str(rundir.path))
        sch = sch or database.query_schedule(kernel.mod, target, workload_name="main")
        mod = sch.mod
        rundir.best_program_path.write_text(
            f"# Best program found for {kernel.describe()}\n"
            f"{sch.mod.script()}\n\n# Schedule trace:\n"
            + "\n".join(f"# {line}" for line in str(sch.trace).splitlines())
            + "\n"
        )
    verdict = {"checked_against": baseline.checked_against, "untuned_is_best": untuned_is_best}
    if not needs(target).checks_here or remote is not None:
        return best, verdict | {"correct": True}  # checked by the runner on the device only
    output = measure.run_once(mod, target, baseline.inputs)
    error = measure.max_relative_error(output, baseline.expected)
    return best, verdict | {"correct": error <= RELATIVE_TOLERANCE, "max_rel_error": error}


def _compare(kernel: Kernel, baseline: _Baseline, best_seconds: float) -> dict:
    """The tuned kernel next to NumPy's and PyTorch's versions of it (local runs only)."""
    tuned = {"seconds": best_seconds, "gflops": kernel.flops / best_seconds / 1e9}
    timings = library_timings(kernel.name, kernel.shape, baseline.inputs, kernel.flops)
    return {"tuned": tuned, **timings}


@contextmanager
def _progress(run: Run, kernel: Kernel, untuned_seconds: float):
    """Live progress: samples measured, best latency, speedup so far."""
    if not run.options.progress:
        yield lambda: None
        return
    samples = run.session.samples
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=run.console,
    )

    def status() -> str:
        best = samples.best_seconds
        if best is None:
            return f"untuned {untuned_seconds * 1e3:.2f} ms"
        return f"best {best * 1e3:.3f} ms  {untuned_seconds / best:.2f}x"

    total = run.trials if run.trials < MAX_COUNT else None  # a time budget alone: no limit
    task = bar.add_task(
        escape(kernel.describe()), total=total, completed=len(samples), status=status()
    )

    def show():
        bar.update(task, completed=len(samples), status=status())

    with bar:
        yield show
