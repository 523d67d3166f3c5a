"""The machinery every tuning session shares, kernels and models alike.

MetaSchedule calls back into small wrappers: a builder and a runner that time themselves (for
the search/build/run split) and can stop between samples on Ctrl-C, and a measure callback that
logs every sample to ``samples.jsonl`` and drives the progress display. ``ctrl_c_stops`` turns
the first Ctrl-C into an orderly stop; the cost model is saved and restored with the run.
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from tvm.ir.utils import derived_object
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.builder import PyBuilder
from tvm.s_tir.meta_schedule.measure_callback import PyMeasureCallback
from tvm.s_tir.meta_schedule.runner import PyRunner, PyRunnerFuture
from tvm.s_tir.meta_schedule.runner.local_runner import LocalRunnerFuture

from .errors import MAX_COUNT, TuningStopped, UserError, check_count
from .measure import STOPPED_SLOW, set_sample_limits
from .rundir import RunDir, SampleLog
from .search.mcts_strategy import latency_of
from .target import available_cores

# XGBModel scores randomly until it has this many measurements (upstream: 100, which would leave
# every strategy unguided for the whole of a 18-100 sample budget). Same for every strategy.
COST_MODEL_WARMUP = 16
INTERRUPTED = "stopped (Ctrl-C or time budget) before it ran"


@dataclass
class Clock:
    build: float = 0.0  # seconds spent building
    run: float = 0.0  # seconds spent running
    finished_at: dict[str, float] = field(default_factory=dict)  # artifact -> perf_counter()
    last_build_end: float = 0.0  # when the latest batch of builds ended (failed builds' time)
    last_run_end: float = 0.0  # when the latest remote result came back
    build_s: dict[str, float] = field(default_factory=dict)  # artifact -> its build's seconds
    at_least_s: dict[str, float] = field(default_factory=dict)  # artifact stopped as too slow


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
class TimedBuilder(PyBuilder):
    def __init__(self, inner, clock: Clock, stop: StopFlag):
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
            built = getattr(self.inner, "seconds", {})  # PooledBuilder's, per artifact
            self.clock.build_s.update(built)
            built.clear()


@derived_object
class _StampedFuture(PyRunnerFuture):
    """A remote sample's future that notes when its result came back (samples run in parallel)."""

    def __init__(self, inner, artifact: str, clock: Clock, started: float):
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
class TimedRunner(PyRunner):
    """Runs samples one by one, noting when each finished; Ctrl-C takes effect between them.

    With ``settings``, a sample far slower than the fastest of its program so far is timed by
    its checking call alone (``time_once_from_s``), and one much slower still is stopped
    (``run_deadline_s``): it is then not a failure but a measured lower bound, ``at_least_s``,
    which the cost model learns as the sample's latency. Programs are told
    apart by their arguments (a model's tasks with identical arguments share a fastest).
    With ``parallel`` (RPC: one sample per server at a time) the whole batch is submitted at
    once, and runs to the runner's timeout.
    """

    def __init__(self, inner, clock: Clock, stop: StopFlag, parallel: bool = False, settings=None):
        super().__init__()
        self.inner, self.clock, self.stop, self.parallel = inner, clock, stop, parallel
        self.settings = settings
        self.ceiling_s = getattr(inner, "timeout_sec", None)  # the runner's own timeout
        self.fastest: dict[str, float] = {}  # a program's arguments -> its fastest sample

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
                futures.append(LocalRunnerFuture(res=None, error_message=INTERRUPTED))
                continue
            start = time.perf_counter()
            futures.append(self._run_one(runner_input))
            end = time.perf_counter()
            self.clock.run += end - start
            self.clock.finished_at[str(runner_input.artifact_path)] = end
        return futures

    def _run_one(self, runner_input):
        program = repr([info.as_json() for info in runner_input.args_info])
        fastest = self.fastest.get(program)
        deadline = self.ceiling_s
        if self.settings is not None and self.ceiling_s is not None:
            deadline = self.settings.run_deadline_s(fastest, self.ceiling_s)
            set_sample_limits(self.inner, deadline, self.settings.time_once_from_s(fastest))
        (future,) = self.inner.run([runner_input])
        result = future.result()
        latency, _ = latency_of(result)
        if latency is not None:
            self.fastest[program] = min(latency, fastest or latency)
            return future
        if deadline == self.ceiling_s or "Timeout" not in str(result.error_msg):
            return future
        factor = self.settings.stop_slower_than
        at_least = factor * fastest  # both calls take longer, the allowance covers the rest
        self.clock.at_least_s[str(runner_input.artifact_path)] = at_least
        return LocalRunnerFuture(
            res=None,
            error_message=f"{STOPPED_SLOW} {factor:g}x the fastest so far "
            f"({fastest * 1e3:.3f} ms): stopped after {deadline:.1f} s",
        )


def short_error(message: str) -> str:
    lines = [ln.strip() for ln in str(message).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else "unknown error"
    if len(lines) > 1:
        text += ": " + lines[-1]
    return text[:300]


@derived_object
class SampleRecorder(PyMeasureCallback):
    """Commits, logs and learns from every measured sample; ends the run on request.

    It replaces MetaSchedule's default callbacks so that a sample interrupted before it ran
    reaches neither the database nor the cost model (it was never measured), and so that each
    round is committed to the database before it is logged (see ``rundir.py``).
    """

    def __init__(
        self,
        samples: SampleLog,
        session: int,
        on_round,
        stop: StopFlag,
        clock,
        t0,
        tasks=None,
        on_measured=None,
    ):
        super().__init__()
        self.samples, self.session, self.on_round = samples, session, on_round
        self.on_measured = on_measured  # (task id, [(candidate, built, ran)], first index)
        self.tasks = tasks  # task names by task id: each row says which task it measured
        self.stop, self.clock, self.t0 = stop, clock, t0
        self.add_to_database = ms.measure_callback.AddToDatabase()
        self.update_cost_model = ms.measure_callback.UpdateCostModel()
        self.remove_build_artifacts = ms.measure_callback.RemoveBuildArtifact()

    def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
        results = list(zip(measure_candidates, builder_results, runner_results, strict=True))
        measured = [r for r in results if not self._interrupted(*r)]
        columns = [list(column) for column in zip(*measured, strict=True)] or [[], [], []]
        self.add_to_database.apply(task_scheduler, task_id, *columns)
        learned = self._with_lower_bounds(*columns)
        task = {"task": self.tasks[task_id]} if self.tasks else {}
        first = len(self.samples) + 1
        for _, built, ran in measured:
            self.samples.append(**self._row(built, ran), **task)
        if self.on_measured and measured:
            self.on_measured(task_id, measured, first)  # e.g. into the tuning cache
        self.update_cost_model.apply(task_scheduler, task_id, *learned)
        self.remove_build_artifacts.apply(
            task_scheduler, task_id, measure_candidates, builder_results, runner_results
        )
        self.on_round()
        if self.stop.requested:
            raise TuningStopped()

    def _with_lower_bounds(self, candidates, built, ran) -> list[list]:
        """The columns for the cost model: a sample stopped as too slow counts with its lower
        bound as its latency (MetaSchedule would learn a failure as 1e10 s)."""
        bounds = [self.clock.at_least_s.get(str(b.artifact_path)) for b in built]
        ran = [
            r if bound is None else ms.runner.RunnerResult(run_secs=[bound], error_msg=None)
            for r, bound in zip(ran, bounds, strict=True)
        ]
        return [candidates, built, ran]

    def _interrupted(self, candidate, built, ran) -> bool:
        """Not run, or failed while Ctrl-C was under way (a terminal's Ctrl-C reaches the build
        and run workers too): not a measurement, so not a sample."""
        if INTERRUPTED in str(ran.error_msg or ""):
            return True
        return self.stop.by_user and bool(built.error_msg or ran.error_msg)

    def _row(self, built, ran) -> dict:
        latency, error, extra = None, None, {}
        artifact = str(built.artifact_path)
        if artifact in self.clock.build_s:
            extra["build_s"] = round(self.clock.build_s.pop(artifact), 3)
        if artifact in self.clock.at_least_s:
            extra["at_least_s"] = self.clock.at_least_s.pop(artifact)
        elif built.error_msg:
            error = "build: " + short_error(built.error_msg)
        elif ran.error_msg:
            error = "run: " + short_error(ran.error_msg)
        else:
            latency = float(np.mean([float(s) for s in ran.run_secs]))
        # Seconds since this session started, when the sample finished: its run, or for a
        # failed build the end of its batch of builds.
        done = self.clock.finished_at.pop(artifact, self.clock.last_build_end)
        return {
            "latency_s": latency,
            "error": error,
            "wall_s": round(done - self.t0, 3),
            "session": self.session,
            **extra,
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


def default_work_dir(workload, strategy: str, seed: int) -> Path:
    """``runs/NAME-PRESET-STRATEGY-seedS`` for a kernel or a model (anything with a name and a
    preset)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", workload.name)
    return Path("runs") / f"{name}-{workload.preset}-{strategy}-seed{seed}"


def sample_budget(trials: int | None, time_budget_s: float | None) -> int:
    """The samples to measure in all: ``trials``, 64 by default, no limit under a time budget."""
    if time_budget_s is not None:
        ok = isinstance(time_budget_s, int | float) and not isinstance(time_budget_s, bool)
        if not ok or not 0 < time_budget_s < float("inf"):
            raise UserError(f"--time-budget must be a positive duration, got {time_budget_s!r}")
    if trials is None:
        return DEFAULT_TRIALS if time_budget_s is None else MAX_COUNT
    check_count("--trials", trials, minimum=0)  # 0: measure nothing, build from the cache
    return trials


def open_cost_model(run: RunDir, resume: bool, console: Console):
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


@contextmanager
def quiet_metaschedule():
    """MetaSchedule logs its tables to its own files in the work dir; keep the console clean."""
    logger = logging.getLogger("tvm.s_tir.meta_schedule")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


@dataclass
class SearchPlan:
    """The strategy of a run, its parameters, and the LLM that llm-mcts asks (opened at once, so
    that a missing model fails before anything is built)."""

    search: object  # strategies.Strategy
    params: dict
    llm_settings: object  # llm.LLMSettings
    llm: object | None  # the opened backend, for llm-mcts

    @classmethod
    def resolve(cls, strategy: str, options: dict | None, llm) -> SearchPlan:
        from .llm import LLMSettings, open_llm
        from .strategies import get_strategy, implied_strategy

        search = get_strategy(strategy or implied_strategy(llm, options))
        params = search.resolve(options)
        if not search.uses_llm and llm is not None:
            raise UserError(f"--llm applies to --strategy llm-mcts, not {search.name}")
        settings = llm if isinstance(llm, LLMSettings) else LLMSettings(backend=llm or "local")
        return cls(search, params, settings, open_llm(settings) if search.uses_llm else None)

    @property
    def llm_dict(self) -> dict | None:
        return self.llm_settings.as_dict() if self.llm else None

    def proposer(self, problem: str, session: Session):
        """The LLM proposer for one program (None without an LLM); its calls go to the run's
        transcript."""
        if self.llm is None:
            return None
        from .llm import build_proposer

        console = session.console
        return build_proposer(
            self.llm,
            self.llm_settings,
            self.params,
            problem=problem,
            work_dir=session.run.path,
            warn=lambda message: console.print(f"[yellow]LLM: {escape(message)}[/yellow]"),
            stopping=lambda: session.stop.requested,
        )


def check_budget(stop: StopFlag, trials, time_budget_s, per_round, seed, started: float) -> int:
    """Check the budget flags; arm the stop flag's deadline; return the samples to measure."""
    trials = sample_budget(trials, time_budget_s)
    if time_budget_s is not None:
        stop.deadline = started + time_budget_s
    check_count("--per-round", per_round)
    check_count("--seed", seed, minimum=0)
    return trials


@dataclass
class Session:
    """One session of a run: its work dir and sample log, its stop flag and clock, its console."""

    run: RunDir
    samples: SampleLog
    stop: StopFlag
    console: Console
    started: float  # time.perf_counter() when the session began
    resumed_samples: int  # samples measured by earlier sessions
    clock: Clock = field(default_factory=Clock)

    @classmethod
    def open(cls, path, config: dict, *, resume: bool, overwrite: bool, stop, console, started):
        from .llm import TRANSCRIPT_NAME

        run = RunDir.prepare(path, config, resume=resume, overwrite=overwrite)
        if resume:
            for note in run.recover(llm_transcript=run.path / TRANSCRIPT_NAME):
                console.print(f"[yellow]resume: {escape(note)}[/yellow]")
        samples = SampleLog.open(run.samples_path)
        return cls(run, samples, stop, console, started, resumed_samples=len(samples))

    @property
    def number(self) -> int:
        """1 for a new run, 2 for its first --resume, and so on."""
        return self.run.config["sessions"]

    def remaining(self, trials: int) -> int:
        return trials - len(self.samples)

    def recorder(self, on_round, tasks=None, on_measured=None) -> SampleRecorder:
        return SampleRecorder(
            self.samples,
            self.number,
            on_round,
            self.stop,
            self.clock,
            self.started,
            tasks,
            on_measured,
        )

    def save_cost_model(self, cost_model) -> None:
        if cost_model.booster is not None:
            with warnings.catch_warnings():  # xgboost's note about its file format
                warnings.simplefilter("ignore")
                cost_model.save(str(self.run.cost_model_path))

    def save_result(self, result, json_path=None) -> None:
        """result.json and curve.png in the work dir (and a copy of the JSON at json_path)."""
        result.write_json(self.run.result_path)
        try:
            result.plot(self.run.path / "curve.png")
        except Exception as err:  # a missing plot never costs the measurements
            self.console.print(f"[yellow]curve.png not written: {escape(str(err))}[/yellow]")
        if json_path:
            result.write_json(json_path)

    def time_split(self, tune_seconds: float, llm_seconds: float) -> dict[str, float]:
        clock = self.clock
        return {
            "search": max(0.0, tune_seconds - clock.build - clock.run - llm_seconds),
            "llm": llm_seconds,
            "build": clock.build,
            "run": clock.run,
        }
