"""``tune()``: one tuning run, from a kernel to a measured, verified result.

The pieces MetaSchedule calls back into are small wrappers: a builder and a runner that time
themselves (for the search/build/run split) and can stop between samples on Ctrl-C, and a measure
callback that logs every sample to ``samples.jsonl`` and drives the progress display.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import tvm
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from tvm.ir.utils import derived_object
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.builder import PyBuilder
from tvm.s_tir.meta_schedule.measure_callback import PyMeasureCallback
from tvm.s_tir.meta_schedule.runner import PyRunner, PyRunnerFuture
from tvm.s_tir.meta_schedule.runner.local_runner import LocalRunnerFuture

from . import measure
from . import rpc as remote_measurement
from .compare import library_timings
from .errors import MAX_COUNT, TuningError, TuningStopped, UserError, check_count
from .llm import TRANSCRIPT_NAME, LLMProposer, LLMSettings, Transcript, open_llm
from .result import TuneResult
from .rundir import RunDir, SampleLog
from .search.tree import SearchStats
from .strategies import DEFAULT_STRATEGY, get_strategy
from .target import available_cores, describe, make_target, summarize
from .workloads import Kernel, load_kernel

# XGBModel scores randomly until it has this many measurements (upstream: 100, which would leave
# every strategy unguided for the whole of a 18-100 sample budget). Same for every strategy.
COST_MODEL_WARMUP = 16
RELATIVE_TOLERANCE = 1e-3  # fp32 outputs vs a float64 NumPy reference
# Every speedup divides by the untuned latency, so it is timed as the median of this many repeats
# of the samples' own measurement (one repeat varied by up to 50% between runs here).
BASELINE_REPEATS = 3
_INTERRUPTED = "stopped (Ctrl-C or time budget) before it ran"


@dataclass
class _Clock:
    build: float = 0.0  # seconds spent building
    run: float = 0.0  # seconds spent running
    finished_at: dict[str, float] = field(default_factory=dict)  # artifact -> perf_counter()
    last_build_end: float = 0.0  # when the latest batch of builds ended (failed builds' time)
    last_run_end: float = 0.0  # when the latest remote result came back


class StopFlag:
    """Ends a run between samples: set by the first Ctrl-C (``by_user``), or by the clock once
    a time budget is spent. Checked between samples (and by the bench between runs)."""

    def __init__(self, deadline: float | None = None):
        self.by_user = False
        self.deadline = deadline  # a time.perf_counter() value

    @property
    def budget_spent(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    @property
    def requested(self) -> bool:
        return self.by_user or self.budget_spent


@derived_object
class _TimedBuilder(PyBuilder):
    def __init__(self, inner, clock: _Clock, stop: StopFlag):
        super().__init__()
        self.inner, self.clock, self.stop = inner, clock, stop

    def build(self, build_inputs):
        if self.stop.requested:
            raise TuningStopped()
        start = time.perf_counter()
        try:
            return self.inner.build(build_inputs)
        finally:
            self.clock.last_build_end = time.perf_counter()
            self.clock.build += self.clock.last_build_end - start


@derived_object
class _StampedFuture(PyRunnerFuture):
    """A remote sample's future that notes when its result came back (samples run in parallel)."""

    def __init__(self, inner, artifact: str, clock: _Clock, started: float):
        super().__init__()
        self.inner, self.artifact, self.clock, self.started = inner, artifact, clock, started

    def done(self) -> bool:
        return self.inner.done()

    def result(self):
        result = self.inner.result()
        end = time.perf_counter()
        if self.artifact not in self.clock.finished_at:
            # Run time is wall time from submitting the batch to its last result.
            self.clock.run += end - max(self.started, self.clock.last_run_end)
            self.clock.last_run_end = end
            self.clock.finished_at[self.artifact] = end
        return result


@derived_object
class _TimedRunner(PyRunner):
    """Runs samples one by one, noting when each finished; Ctrl-C takes effect between them.

    With ``parallel`` (RPC: one sample per server at a time) the whole batch is submitted at once.
    """

    def __init__(self, inner, clock: _Clock, stop: StopFlag, parallel: bool = False):
        super().__init__()
        self.inner, self.clock, self.stop, self.parallel = inner, clock, stop, parallel

    def run(self, runner_inputs):
        if self.parallel:
            start = time.perf_counter()
            return [
                _StampedFuture(future, str(runner_input.artifact_path), self.clock, start)
                for runner_input, future in zip(
                    runner_inputs, self.inner.run(runner_inputs), strict=True
                )
            ]
        futures = []
        for runner_input in runner_inputs:
            if self.stop.requested:
                futures.append(LocalRunnerFuture(res=None, error_message=_INTERRUPTED))
                continue
            start = time.perf_counter()
            futures.extend(self.inner.run([runner_input]))
            end = time.perf_counter()
            self.clock.run += end - start
            self.clock.finished_at[str(runner_input.artifact_path)] = end
        return futures


def _short_error(message: str) -> str:
    lines = [ln.strip() for ln in str(message).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else "unknown error"
    if len(lines) > 1:
        text += ": " + lines[-1]
    return text[:300]


@derived_object
class _SampleRecorder(PyMeasureCallback):
    """Commits, logs and learns from every measured sample; ends the run on request.

    It replaces MetaSchedule's default callbacks so that a sample interrupted before it ran
    reaches neither the database nor the cost model (it was never measured), and so that each
    round is committed to the database before it is logged (see ``rundir.py``).
    """

    def __init__(self, samples: SampleLog, session: int, on_round, stop: StopFlag, clock, t0):
        super().__init__()
        self.samples, self.session, self.on_round = samples, session, on_round
        self.stop, self.clock, self.t0 = stop, clock, t0
        self.add_to_database = ms.measure_callback.AddToDatabase()
        self.update_cost_model = ms.measure_callback.UpdateCostModel()
        self.remove_build_artifacts = ms.measure_callback.RemoveBuildArtifact()

    def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
        results = list(zip(measure_candidates, builder_results, runner_results, strict=True))
        measured = [r for r in results if not self._interrupted(*r)]
        columns = [list(column) for column in zip(*measured, strict=True)] or [[], [], []]
        self.add_to_database.apply(task_scheduler, task_id, *columns)
        for _, built, ran in measured:
            self.samples.append(**self._row(built, ran))
        self.update_cost_model.apply(task_scheduler, task_id, *columns)
        self.remove_build_artifacts.apply(
            task_scheduler, task_id, measure_candidates, builder_results, runner_results
        )
        self.on_round()
        if self.stop.requested:
            raise TuningStopped()

    def _interrupted(self, candidate, built, ran) -> bool:
        """Not run, or failed while Ctrl-C was under way (a terminal's Ctrl-C reaches the build
        and run workers too): not a measurement, so not a sample."""
        if _INTERRUPTED in str(ran.error_msg or ""):
            return True
        return self.stop.by_user and bool(built.error_msg or ran.error_msg)

    def _row(self, built, ran) -> dict:
        latency, error = None, None
        if built.error_msg:
            error = "build: " + _short_error(built.error_msg)
        elif ran.error_msg:
            error = "run: " + _short_error(ran.error_msg)
        else:
            latency = float(np.mean([float(s) for s in ran.run_secs]))
        # Seconds since this session started, when the sample finished: its run, or for a
        # failed build the end of its batch of builds.
        done = self.clock.finished_at.pop(str(built.artifact_path), self.clock.last_build_end)
        return {
            "latency_s": latency,
            "error": error,
            "wall_s": round(done - self.t0, 3),
            "session": self.session,
        }


@contextmanager
def ctrl_c_stops(stop: StopFlag, console: Console):
    """First Ctrl-C: finish the sample being measured, save, summarize. Second: abort now
    (exit 130; in a notebook or at a Python prompt, KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if stop.by_user:
            if _interactive():
                raise KeyboardInterrupt
            # Raised inside MetaSchedule's native callbacks, KeyboardInterrupt can end in a
            # segfault. Each round reaches the database before the log, so ending here is as
            # safe as a kill: --resume picks up exactly what was measured.
            console.print("[yellow]aborted; continue with --resume[/yellow]")
            console.file.flush()
            os._exit(130)
        stop.by_user = True
        console.print(
            "[yellow]Ctrl-C: stopping after the sample being measured "
            "(press again to abort at once)[/yellow]"
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    except Exception:
        if stop.by_user:  # a terminal's Ctrl-C also ends build and run workers mid-task
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


def _interactive() -> bool:
    """A Python prompt or a notebook, where the process must live on after an abort."""
    return hasattr(sys, "ps1") or "ipykernel" in sys.modules


DEFAULT_TRIALS = 64


def _sample_budget(trials: int | None, time_budget_s: float | None) -> int:
    """The samples to measure in all: ``trials``, 64 by default, no limit under a time budget."""
    if time_budget_s is not None:
        ok = isinstance(time_budget_s, int | float) and not isinstance(time_budget_s, bool)
        if not ok or not 0 < time_budget_s < float("inf"):
            raise UserError(f"--time-budget must be a positive duration, got {time_budget_s!r}")
    if trials is None:
        return DEFAULT_TRIALS if time_budget_s is None else MAX_COUNT
    check_count("--trials", trials)
    return trials


def default_work_dir(kernel: Kernel, strategy: str, seed: int) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", kernel.name)
    return Path("runs") / f"{name}-{kernel.preset}-{strategy}-seed{seed}"


def tune(
    workload: str | Kernel,
    *,
    preset: str | None = None,
    shape: dict | str | None = None,
    strategy: str = DEFAULT_STRATEGY,
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
    or a ``Kernel``. ``strategy`` is ``llm-mcts`` (default), ``mcts`` or ``evolutionary``.
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
    wall_start = time.perf_counter()
    console = console or Console(stderr=True)
    stop = StopFlag()
    # From the start: a Ctrl-C during the baseline or an LLM load is as orderly as one later.
    with ctrl_c_stops(stop, console):
        trials = _sample_budget(trials, time_budget_s)
        if time_budget_s is not None:
            stop.deadline = wall_start + time_budget_s
        check_count("--per-round", per_round)
        check_count("--seed", seed, minimum=0)
        kernel = workload if isinstance(workload, Kernel) else load_kernel(workload, preset, shape)
        search = get_strategy(strategy)
        search_params = search.resolve(strategy_options)
        search_stats = SearchStats()
        if not search.uses_llm and llm is not None:
            raise UserError(f"--llm applies to --strategy llm-mcts, not {search.name}")
        llm_settings = llm if isinstance(llm, LLMSettings) else LLMSettings(backend=llm or "local")
        # Opened before anything is built or measured: a missing model fails at once.
        llm_backend = open_llm(llm_settings) if search.uses_llm else None
        remote = remote_measurement.connect(rpc, rpc_key, rpc_workers) if rpc else None
        if remote is not None and target in (None, "host"):
            console.print(
                "[yellow]--rpc without --target: assuming the remote devices are like this "
                "machine (its CPU and core count)[/yellow]"
            )
        tvm_target = make_target(target)
        measure.register_tensor_intrinsics(tvm_target)
        settings = settings or measure.MeasureSettings(builder_workers=available_cores())
        config = {
            "workload": kernel.name,
            "preset": kernel.preset,
            "shape": kernel.shape,
            "strategy": search.name,
            "strategy_options": search_params,
            "llm": llm_settings.as_dict() if llm_backend else None,
            "seed": seed,
            "target": describe(tvm_target),
            "trials": trials,
            "time_budget_s": time_budget_s,
            "per_round": per_round,
            "source": kernel.source,
        }
        run = RunDir.prepare(
            work_dir or default_work_dir(kernel, search.name, seed),
            config,
            resume=resume,
            overwrite=overwrite,
        )
        session = run.config["sessions"]
        if resume:
            for note in run.recover(llm_transcript=run.path / TRANSCRIPT_NAME):
                console.print(f"[yellow]resume: {escape(note)}[/yellow]")
        samples = SampleLog.open(run.samples_path)
        resumed_samples = len(samples)

        baseline = _measure_baseline(kernel, tvm_target, run, settings, remote)
        untuned_seconds = baseline.untuned_seconds
        cost_model = _cost_model(run, resume, console)
        clock = _Clock()
        proposer = None
        if llm_backend is not None:
            proposer = LLMProposer(
                llm_backend,
                problem=f"Program: {kernel.describe()}\nTarget: {summarize(tvm_target)}",
                transcript=Transcript(run.path),
                every=search_params["llm_every"],
                budget=search_params["llm_budget"],
                temperature=llm_settings.temperature,
                max_tokens=llm_settings.max_tokens,
                parameterized=search_params["llm_language"] == "parameterized",
                proposals=search_params["llm_proposals"],
                rationale_tokens=search_params["llm_rationale"],
                warn=lambda message: console.print(f"[yellow]LLM: {escape(message)}[/yellow]"),
                stopping=lambda: stop.requested,
            )
        remaining = trials - resumed_samples
        interrupted = False
        tune_start = time.perf_counter()
        with _progress(progress, console, kernel, trials, untuned_seconds, samples) as show:

            def after_round():
                show()
                if cost_model.booster is not None:
                    with warnings.catch_warnings():  # xgboost's note about its file format
                        warnings.simplefilter("ignore")
                        cost_model.save(str(run.cost_model_path))

            if remaining > 0:
                recorder = _SampleRecorder(samples, session, after_round, stop, clock, wall_start)
                strategy_object = search.create(search_params, search_stats, cost_model, proposer)
                builder = measure.make_builder(settings)
                with _quiet_metaschedule():
                    try:
                        ms.tune_tir(
                            mod=kernel.mod,
                            target=tvm_target,
                            work_dir=str(run.path),
                            max_trials_global=remaining,
                            num_trials_per_iter=per_round,
                            builder=_TimedBuilder(builder, clock, stop),
                            runner=_TimedRunner(
                                measure.make_runner(
                                    settings, baseline.check, baseline.run_timeout, rpc=remote
                                ),
                                clock,
                                stop,
                                parallel=remote is not None,
                            ),
                            database=ms.database.JSONDatabase(work_dir=str(run.path)),
                            cost_model=cost_model,
                            measure_callbacks=[recorder],
                            strategy=strategy_object,
                            seed=seed + session - 1,
                            num_tuning_cores=available_cores(),
                        )
                    except Exception as err:
                        if not stop.requested:
                            raise TuningError(
                                f"MetaSchedule failed on {kernel.describe()}: {_short_error(err)}; "
                                f"samples measured so far are in {run.path}"
                            ) from err
                        interrupted = stop.by_user
                    finally:
                        builder.shutdown()
        tune_time = time.perf_counter() - tune_start

        # The untuned program is a candidate too: a tuner never hands back something slower.
        untuned_is_best = samples.best_seconds is None or samples.best_seconds >= untuned_seconds
        best = untuned_seconds if untuned_is_best else samples.best_seconds
        verify_start = time.perf_counter()
        verified = _verify_best(kernel, tvm_target, run, baseline, remote, untuned_is_best)
        verify_time = time.perf_counter() - verify_start
        libraries = _compare(kernel, baseline, best) if compare else None

        llm_seconds = proposer.stats.seconds if proposer else 0.0
        result = TuneResult(
            workload=kernel.name,
            preset=kernel.preset,
            shape=kernel.shape,
            strategy=search.name,
            seed=seed,
            trials=len(samples),
            failed_trials=samples.failed,
            untuned_seconds=untuned_seconds,
            best_seconds=best,
            speedup=untuned_seconds / best,
            gflops=kernel.flops / best / 1e9,
            untuned_is_best=untuned_is_best,
            flops=kernel.flops,
            curve=samples.curve(untuned_seconds),
            wall_seconds=time.perf_counter() - wall_start,
            time_split={
                "search": max(0.0, tune_time - clock.build - clock.run - llm_seconds),
                "llm": llm_seconds,
                "build": clock.build,
                "run": clock.run,
                "baseline": baseline.measure_time + verify_time,
            },
            target=describe(tvm_target),
            tvm_version=tvm.__version__,
            work_dir=str(run.path),
            interrupted=interrupted,
            time_budget_s=time_budget_s,
            budget_spent=stop.budget_spent and not interrupted and len(samples) < trials,
            compare=libraries,
            resumed_samples=resumed_samples,
            search_stats=search_stats.as_dict() if search_stats.iterations else None,
            llm=proposer.summary() if proposer else None,
            settings={
                "measure": settings.as_dict()
                | {"run_timeout_s": baseline.run_timeout, "baseline_repeats": BASELINE_REPEATS},
                "cost_model": {"kind": "xgb", "num_warmup_samples": COST_MODEL_WARMUP},
                "per_round": per_round,
                "strategy": search_params,
                "metaschedule_seed": seed + session - 1,
                "rpc": remote.as_dict() if remote else None,
                "llm": llm_settings.as_dict() if llm_backend else None,
            },
            **verified,
        )
        result.write_json(run.result_path)
        try:
            result.plot(run.path / "curve.png")
        except Exception as err:  # a missing plot never costs the measurements
            console.print(f"[yellow]curve.png not written: {escape(str(err))}[/yellow]")
        if json_path:
            result.write_json(json_path)
        return result


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
    # Untuned code can be slow: give it ten minutes.
    repeated = replace(settings, repeat=BASELINE_REPEATS)
    runner = measure.make_runner(repeated, check, timeout_s=600, rpc=remote)
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


def _cost_model(run: RunDir, resume: bool, console: Console):
    model = ms.cost_model.XGBModel(
        num_warmup_samples=COST_MODEL_WARMUP, num_tuning_cores=available_cores()
    )
    if resume and run.cost_model_path.exists():
        try:
            with warnings.catch_warnings():  # xgboost's note about the file format
                warnings.simplefilter("ignore")
                model.load(str(run.cost_model_path))
        except Exception as err:  # an unreadable model only costs warm-up time
            console.print(f"[yellow]cost model not restored ({err}); starting it fresh[/yellow]")
    return model


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


@contextmanager
def _quiet_metaschedule():
    """MetaSchedule logs its tables to its own files in the work dir; keep the console clean."""
    logger = logging.getLogger("tvm.s_tir.meta_schedule")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)
