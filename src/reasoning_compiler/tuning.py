"""``tune()``: one tuning run, from a kernel to a measured, verified result.

The run machinery (timed builder and runner, sample log, Ctrl-C) is in ``session.py``, shared
with whole-model tuning (``model/``).
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

from . import measure
from . import rpc as remote_measurement
from .compare import library_timings
from .errors import MAX_COUNT, TuningError
from .llm import LLMSettings
from .result import TuneResult
from .rundir import RunDir, SampleLog
from .search.tree import SearchStats
from .session import (
    BASELINE_REPEATS,
    COST_MODEL_WARMUP,
    SearchPlan,
    Session,
    StopFlag,
    TimedBuilder,
    TimedRunner,
    check_budget,
    ctrl_c_stops,
    default_work_dir,
    open_cost_model,
    quiet_metaschedule,
    short_error,
)
from .space import design_space, rule_names
from .target import available_cores, describe, make_target, summarize
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
    """
    started = time.perf_counter()
    console = console or Console(stderr=True)
    stop = StopFlag()
    # From the start: a Ctrl-C during the baseline or an LLM load is as orderly as one later.
    with ctrl_c_stops(stop, console):
        trials = check_budget(stop, trials, time_budget_s, per_round, seed, started)
        kernel = workload if isinstance(workload, Kernel) else load_kernel(workload, preset, shape)
        plan = SearchPlan.resolve(strategy, strategy_options, llm)
        remote = _connect(rpc, rpc_key, rpc_workers, target, console)
        tvm_target = make_target(target)
        measure.register_tensor_intrinsics(tvm_target)
        settings = settings or measure.MeasureSettings(builder_workers=available_cores())
        config = {
            "workload": kernel.name,
            "preset": kernel.preset,
            "shape": kernel.shape,
            "strategy": plan.search.name,
            "strategy_options": plan.params,
            "llm": plan.llm_dict,
            "seed": seed,
            "target": describe(tvm_target),
            "trials": trials,
            "time_budget_s": time_budget_s,
            "per_round": per_round,
            "source": kernel.source,
        }
        path = work_dir or default_work_dir(kernel, plan.search.name, seed)
        session = Session.open(
            path,
            config,
            resume=resume,
            overwrite=overwrite,
            stop=stop,
            console=console,
            started=started,
        )
        baseline = _measure_baseline(kernel, tvm_target, session.run, settings, remote)
        proposer = plan.proposer(
            f"Program: {kernel.describe()}\nTarget: {summarize(tvm_target)}", session
        )
        job = _KernelJob(
            kernel, tvm_target, plan, session, baseline, settings, remote, trials, time_budget_s
        )
        tune_seconds, stats = job.search(per_round, seed, proposer, progress)
        result = job.result(tune_seconds, stats, proposer, compare)
        result.settings |= {"per_round": per_round, "metaschedule_seed": seed + session.number - 1}
        session.save_result(result, json_path)
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


@dataclass
class _KernelJob:
    """One kernel's session: MetaSchedule's ``tune_tir`` with the run's strategy, builder,
    checking runner and log, then the best program checked and summed up."""

    kernel: Kernel
    target: object
    plan: SearchPlan
    session: Session
    baseline: _Baseline
    settings: measure.MeasureSettings
    remote: object
    trials: int
    time_budget_s: float | None

    def search(self, per_round, seed, proposer, progress) -> tuple[float, SearchStats]:
        session, stats = self.session, SearchStats()
        start = time.perf_counter()
        remaining = session.remaining(self.trials)
        if remaining <= 0:
            return 0.0, stats
        cost_model = open_cost_model(session.run, session.number > 1, session.console)
        strategy = self.plan.search.create(self.plan.params, stats, cost_model, proposer)
        builder = measure.make_builder(self.settings)
        show = _progress(
            progress,
            session.console,
            self.kernel,
            self.trials,
            self.baseline.untuned_seconds,
            session.samples,
        )
        with show as update, quiet_metaschedule():

            def after_round():
                update()
                session.save_cost_model(cost_model)

            try:
                ms.tune_tir(
                    mod=self.kernel.mod,
                    target=self.target,
                    work_dir=str(session.run.path),
                    max_trials_global=remaining,
                    num_trials_per_iter=per_round,
                    builder=TimedBuilder(builder, session.clock, session.stop),
                    runner=self._runner(),
                    database=ms.database.JSONDatabase(work_dir=str(session.run.path)),
                    cost_model=cost_model,
                    measure_callbacks=[session.recorder(after_round)],
                    strategy=strategy,
                    space=design_space(self.target),
                    seed=seed + session.number - 1,
                    num_tuning_cores=available_cores(),
                )
            except Exception as err:
                if not session.stop.requested:
                    raise TuningError(
                        f"MetaSchedule failed on {self.kernel.describe()}: {short_error(err)}; "
                        f"samples measured so far are in {session.run.path}"
                    ) from err
            finally:
                builder.shutdown()
        return time.perf_counter() - start, stats

    def _runner(self):
        check = replace(self.baseline.check, long_s=self.settings.single_call_s)
        inner = measure.make_runner(
            self.settings, check, self.baseline.run_timeout, rpc=self.remote
        )
        session = self.session
        return TimedRunner(inner, session.clock, session.stop, parallel=self.remote is not None)

    def result(self, tune_seconds, stats, proposer, compare: bool) -> TuneResult:
        """Pick the best program (the untuned one is a candidate too: a tuner never hands back
        something slower), check it once more, compare with the libraries, and sum up."""
        session = self.session
        samples, run, stop = session.samples, session.run, session.stop
        untuned_seconds = self.baseline.untuned_seconds
        untuned_is_best = samples.best_seconds is None or samples.best_seconds >= untuned_seconds
        best = untuned_seconds if untuned_is_best else samples.best_seconds
        verify_start = time.perf_counter()
        verified = _verify_best(
            self.kernel, self.target, run, self.baseline, self.remote, untuned_is_best
        )
        verify_time = time.perf_counter() - verify_start
        llm_seconds = proposer.stats.seconds if proposer else 0.0
        return TuneResult(
            workload=self.kernel.name,
            preset=self.kernel.preset,
            shape=self.kernel.shape,
            strategy=self.plan.search.name,
            seed=session.run.config["seed"],
            trials=len(samples),
            failed_trials=samples.failed,
            untuned_seconds=untuned_seconds,
            best_seconds=best,
            speedup=untuned_seconds / best,
            gflops=self.kernel.flops / best / 1e9,
            untuned_is_best=untuned_is_best,
            flops=self.kernel.flops,
            curve=samples.curve(untuned_seconds),
            wall_seconds=time.perf_counter() - session.started,
            time_split=session.time_split(tune_seconds, llm_seconds)
            | {"baseline": self.baseline.measure_time + verify_time},
            target=describe(self.target),
            tvm_version=tvm.__version__,
            work_dir=str(run.path),
            interrupted=stop.by_user,
            time_budget_s=self.time_budget_s,
            budget_spent=stop.budget_spent and not stop.by_user and len(samples) < self.trials,
            compare=_compare(self.kernel, self.baseline, best) if compare else None,
            resumed_samples=session.resumed_samples,
            search_stats=stats.as_dict() if stats.iterations else None,
            llm=proposer.summary() if proposer else None,
            settings={
                "measure": self.settings.as_dict()
                | {
                    "run_timeout_s": self.baseline.run_timeout,
                    "baseline_repeats": BASELINE_REPEATS,
                    "baseline_single_call_from_s": measure.LONG_CALL_S,
                    "single_call_from_s": self.settings.single_call_s,
                },
                "cost_model": {"kind": "xgb", "num_warmup_samples": COST_MODEL_WARMUP},
                "schedule_rules": rule_names(self.target),
                "strategy": self.plan.params,
                "rpc": self.remote.as_dict() if self.remote else None,
                "llm": self.plan.llm_dict,
            },
            **verified,
        )


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
    check = measure.OutputCheck(str(run.expected_output_path), tolerance=RELATIVE_TOLERANCE)
    inputs = kernel.random_inputs(check.seed)
    if kernel.reference is not None:
        expected, against = kernel.reference(*inputs), "the NumPy reference"
    else:
        expected, against = measure.run_once(untuned_mod, target, inputs), "the untuned program"
    np.save(run.expected_output_path, expected)
    # Untuned code can be slow: give it ten minutes, and time a long call once (LONG_CALL_S).
    repeated = replace(settings, repeat=BASELINE_REPEATS)
    once_if_long = replace(check, long_s=measure.LONG_CALL_S)
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


def _verify_best(
    kernel: Kernel, target, run: RunDir, baseline: _Baseline, remote, untuned_is_best: bool
) -> dict:
    """Save the best program (from the database, or the untuned one when no sample beat it)
    and check its output once more."""
    if untuned_is_best:
        mod = measure.untuned_module(kernel.mod, target)
        run.best_program_path.write_text(
            f"# No tuned variant of {kernel.describe()} beat the untuned program: it is this\n"
            f"{mod.script()}\n"
        )
    else:
        database = ms.database.JSONDatabase(work_dir=str(run.path))
        sch = database.query_schedule(kernel.mod, target, workload_name="main")
        mod = sch.mod
        run.best_program_path.write_text(
            f"# Best program found for {kernel.describe()}\n"
            f"{sch.mod.script()}\n\n# Schedule trace:\n"
            + "\n".join(f"# {line}" for line in str(sch.trace).splitlines())
            + "\n"
        )
    verdict = {"checked_against": baseline.checked_against}
    if target.kind.name != "llvm" or remote is not None:
        return verdict | {"correct": True}  # checked by the runner on the device only
    output = measure.run_once(mod, target, baseline.inputs)
    error = measure.max_relative_error(output, baseline.expected)
    return verdict | {"correct": error <= RELATIVE_TOLERANCE, "max_rel_error": error}


def _compare(kernel: Kernel, baseline: _Baseline, best_seconds: float) -> dict:
    """The tuned kernel next to NumPy's and PyTorch's versions of it (local runs only)."""
    tuned = {"seconds": best_seconds, "gflops": kernel.flops / best_seconds / 1e9}
    timings = library_timings(kernel.name, kernel.shape, baseline.inputs, kernel.flops)
    return {"tuned": tuned, **timings}


@contextmanager
def _progress(enabled: bool, console, kernel, trials, untuned_seconds, samples: SampleLog):
    """Live progress: samples measured, best latency, speedup so far."""
    if not enabled:
        yield lambda: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
    )

    def status() -> str:
        best = samples.best_seconds
        if best is None:
            return f"untuned {untuned_seconds * 1e3:.2f} ms"
        return f"best {best * 1e3:.3f} ms  {untuned_seconds / best:.2f}x"

    total = trials if trials < MAX_COUNT else None  # a time budget alone: no sample limit
    task = bar.add_task(
        escape(kernel.describe()), total=total, completed=len(samples), status=status()
    )

    def show():
        bar.update(task, completed=len(samples), status=status())

    with bar:
        yield show
