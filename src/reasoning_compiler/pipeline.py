"""The one run pipeline: a kernel is a run of one task, a model a run of many.

``tune()`` (``kernels.py``) and ``tune_model()`` (``model/tune.py``) are front doors over it:

    with Run(options) as run:             # budget checked; Ctrl-C stops in order from here on
        subject = load it                 # a kernel, or a model lowered into tasks
        run.plan_search()                 # strategy, its parameters, the LLM (opened now)
        run.pick_target()
        run.open_session(subject, extra)  # the work dir: config, sample log, resume; the cache
        to_tune = run.plan_reuse(tasks)   # tasks the tuning cache knows are built from it
        ... measure the tasks untuned (the front door's job: what samples must reproduce)
        outcome = run.tune(tasks, runner) # MetaSchedule's task scheduler, our strategy
        ... build and check the best (``run.database()``), time it against the libraries
        result = Result(**run.record(outcome), ...)
        run.save(result)

Every run's result shares ``run.record``: its search, budget, time split, LLM and versions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tvm
from rich.console import Console
from tvm.ir.utils import derived_object
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.utils import fork_seed

from . import measure
from .cache import CachedTask, TuningCache, WarmStarted
from .errors import TuningError, UserError
from .llm import combined_summary
from .schedule_rules import design_space, rule_names
from .search.tree import SearchStats
from .search.wrapped import Wrapped
from .session import (
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
from .target import available_cores, describe, make_target, summarize
from .timing import BASELINE_REPEATS


@dataclass
class RunOptions:
    """What a user chooses for any run (see ``tune()`` for each)."""

    strategy: str | None = None
    strategy_options: dict | None = None
    llm: object = None  # LLMSettings, a backend name, or None
    trials: int | None = None
    time_budget_s: float | None = None
    per_round: int = 16
    seed: int = 0
    work_dir: str | Path | None = None
    resume: bool = False
    overwrite: bool = False
    target: object = None
    progress: bool = True
    console: Console | None = None
    settings: measure.MeasureSettings | None = None
    cache: str | Path | bool | None = None  # a directory, False/"off", None: the default


@dataclass
class TuneTask:
    """One program to tune: a kernel, or one operator of a model."""

    name: str
    mod: object  # tvm.IRModule with one PrimFunc, "main"
    problem: str  # what the LLM is told the program is
    weight: int = 1  # calls per model call: the task scheduler's weight
    before_batch: Callable[[], None] | None = None  # e.g. tell the output check the task
    family: str | None = None  # the workload it is a shape of: the cache's warm starts
    shape: dict | None = None


@dataclass
class TuneOutcome:
    seconds: float  # wall time of the tuning stage
    stats: SearchStats
    proposers: list = field(default_factory=list)  # LLM proposers (None without an LLM)

    @property
    def llm_seconds(self) -> float:
        return sum(p.stats.seconds for p in self.proposers if p)


class Run:
    """One tuning run in progress: its options, plan, target and session."""

    def __init__(self, options: RunOptions):
        self.options = options
        self.started = time.perf_counter()
        self.console = options.console or Console(stderr=True)
        self.stop = StopFlag()
        self.settings = options.settings or measure.MeasureSettings(
            builder_workers=available_cores()
        )
        self.plan: SearchPlan | None = None
        self.target = None
        self.session: Session | None = None
        self.subject = None  # the kernel or model, once open_session names it
        self.trials = 0
        self.cache: TuningCache | None = None
        self.cached: list[CachedTask] = []  # the run's tasks as the cache knows them
        self.reuse: dict = {"cache": None}
        self._ctrl_c = ctrl_c_stops(self.stop, self.console)

    def __enter__(self) -> Run:
        # From the start: a Ctrl-C during a baseline or an LLM load is as orderly as one later.
        self._ctrl_c.__enter__()
        o = self.options
        self.trials = check_budget(
            self.stop, o.trials, o.time_budget_s, o.per_round, o.seed, self.started
        )
        return self

    def __exit__(self, *exc):
        return self._ctrl_c.__exit__(*exc)

    def plan_search(self) -> SearchPlan:
        o = self.options
        self.plan = SearchPlan.resolve(o.strategy, o.strategy_options, o.llm)
        return self.plan

    def pick_target(self):
        self.target = make_target(self.options.target)
        measure.register_tensor_intrinsics(self.target)
        return self.target

    def open_session(self, subject, extra_config: dict) -> Session:
        """The work dir for ``subject`` (a kernel or a model: a name, a preset, a source)."""
        o, plan = self.options, self.plan
        config = {
            "workload": subject.name,
            "preset": subject.preset,
            "strategy": plan.search.name,
            "strategy_options": plan.params,
            "llm": plan.llm_dict,
            "seed": o.seed,
            "target": describe(self.target),
            "trials": self.trials,
            "time_budget_s": o.time_budget_s,
            "per_round": o.per_round,
            **extra_config,
            "source": subject.source,
        }
        self.subject = subject
        self.session = Session.open(
            o.work_dir or default_work_dir(subject, plan.search.name, o.seed),
            config,
            resume=o.resume,
            overwrite=o.overwrite,
            stop=self.stop,
            console=self.console,
            started=self.started,
        )
        self._open_cache()
        return self.session

    def _open_cache(self) -> None:
        warn = lambda text: self.console.print(f"[yellow]warning: {text}[/yellow]")  # noqa: E731
        self.cache = TuningCache.open(self.options.cache, self.target, warn)
        self.reuse = {"cache": str(self.cache.directory) if self.cache else None}

    def plan_reuse(self, tasks: list[TuneTask]) -> list[TuneTask]:
        """The tasks to tune: those the tuning cache knows well enough (see
        ``cache.plan.tasks_from_cache``) are built from it. A resumed run reuses nothing new."""
        self.cached = [CachedTask(t.name, t.mod, t.family, t.shape) for t in tasks]
        if not self.cache:
            if self.trials == 0:
                raise UserError("--trials 0 builds from the tuning cache, which is off")
            return tasks
        self.cache.plan(self.cached, self.trials, reuse=self.session.number == 1)
        if not self.cache.usable:
            self.reuse["broken"] = self.cache.store.broken
        reused = [c for c in self.cached if c.from_cache]
        self.reuse |= {
            "target_key": self.cache.target_key.split()[0],
            "known_samples": {c.name: c.known for c in self.cached},
            "tasks_from_cache": [c.name for c in reused],
        }
        if reused:
            self.console.print(
                f"[green]tuning cache: {len(reused)} of {len(tasks)} task(s) built from "
                f"{sum(c.known for c in reused)} known samples[/green]"
            )
        if self.trials == 0 and not any(c.known for c in self.cached):
            raise UserError(
                f"--trials 0 builds from the tuning cache, but it knows nothing of "
                f"{self.subject.describe()} on this target; tune it first with --trials N"
            )
        return [t for t, c in zip(tasks, self.cached, strict=True) if not c.from_cache]

    def database(self):
        """What the build reads: this run's database and the cache's best known programs."""
        own = ms.database.JSONDatabase(work_dir=str(self.session.run.path))
        known = [c for c in self.cached if c.known]
        if not self.cache or not self.cache.usable or not known:
            return own
        return ms.database.UnionDatabase(own, self.cache.database(known))

    def known_best(self, name: str) -> float | None:
        """The fastest latency the cache knows for a task (measured by an earlier run)."""
        task = next((c for c in self.cached if c.name == name), None)
        if not self.cache or task is None or not task.known:
            return None
        return self.cache.best_seconds(task)

    def tune(
        self,
        tasks: list[TuneTask],
        runner,
        *,
        on_round: Callable[[], None] = lambda: None,
        task_scheduler: str = "gradient",
        parallel_runs: bool = False,
    ) -> TuneOutcome:
        """Measure what is left of the sample budget over ``tasks`` with MetaSchedule's task
        scheduler, every sample logged and checked by ``runner``. One proposer per task (its
        prompt describes its program), one LLM behind them all."""
        session, stats = self.session, SearchStats()
        start = time.perf_counter()
        remaining = session.remaining(self.trials)
        if remaining <= 0 or not tasks:
            return TuneOutcome(0.0, stats)
        cost_model = open_cost_model(session.run, session.number > 1, session.console)
        proposers = [self.plan.proposer(self._problem(t), session) for t in tasks]
        strategies = [
            self._warm(t, self.plan.search.create(self.plan.params, stats, cost_model, p))
            for t, p in zip(tasks, proposers, strict=True)
        ]

        def after_round():
            on_round()
            session.save_cost_model(cost_model)

        many = len(self.cached) > 1 or len(tasks) > 1
        names = [t.name for t in tasks] if many else None  # a kernel's rows: no task
        recorder = session.recorder(after_round, names, self._to_cache(tasks))
        builder = measure.make_builder(self.settings)
        with quiet_metaschedule():
            try:
                ms.tune.tune_tasks(
                    tasks=self._contexts(tasks, strategies),
                    task_weights=[float(t.weight) for t in tasks],
                    work_dir=str(session.run.path),
                    max_trials_global=remaining,
                    num_trials_per_iter=self.options.per_round,
                    builder=TimedBuilder(builder, session.clock, session.stop),
                    runner=TimedRunner(
                        runner, session.clock, session.stop, parallel_runs, self.settings
                    ),
                    database=ms.database.JSONDatabase(work_dir=str(session.run.path)),
                    cost_model=cost_model,
                    measure_callbacks=[recorder],
                    task_scheduler=task_scheduler,
                )
            except Exception as err:
                if not session.stop.requested:
                    raise TuningError(
                        f"MetaSchedule failed on {self.subject.describe()}: "
                        f"{short_error(err)}; samples measured so far are in {session.run.path}"
                    ) from err
            finally:
                builder.shutdown()
        if self.cache and len(session.samples) and not self.stop.by_user:
            self.cache.finish_run(self.cached, len(session.samples), self._origin())
        return TuneOutcome(time.perf_counter() - start, stats, proposers)

    def _origin(self) -> str:
        return str(self.session.run.path.resolve())

    def _to_cache(self, tasks: list[TuneTask]):
        """The recorder's hook: each round's samples into the tuning cache."""
        if not self.cache:
            return None
        by_name = {c.name: c for c in self.cached}
        origin = self._origin()

        def add(task_id: int, measured: list, first: int) -> None:
            self.cache.add(by_name[tasks[task_id].name], measured, origin, first)

        return add

    def _warm(self, task: TuneTask, strategy):
        """A fresh run's task starts from the cache's nearest known programs (see
        ``cache/warm_start.py``)."""
        if not self.cache or self.session.number > 1:
            return strategy
        cached = next(c for c in self.cached if c.name == task.name)
        warm = self.cache.warm_start(cached, limit=max(1, self.options.per_round // 2))
        if not warm.programs and not warm.training:
            return strategy
        report = self.reuse.setdefault("warm_start", {}).setdefault(task.name, {})
        return WarmStarted(strategy, warm, report)

    def _problem(self, task: TuneTask) -> str:
        return f"Program: {task.problem}\nTarget: {summarize(self.target)}"

    def _contexts(self, tasks: list[TuneTask], strategies: list) -> list:
        """One TuneContext per task, seeded as ``tune_tir`` seeds (a resumed session: anew)."""
        path = str(self.session.run.path)
        # One call for all tasks: MetaSchedule prints a line for every call.
        loggers = ms.logging.get_loggers_from_work_dir(path, [t.name for t in tasks])
        seeds = fork_seed(self.options.seed + self.session.number - 1, n=len(tasks))
        return [
            ms.TuneContext(
                mod=task.mod,
                target=self.target,
                space_generator=design_space(self.target),
                search_strategy=_before_batch(strategy, task.before_batch),
                task_name=task.name,
                logger=logger,
                rand_state=seed,
                num_threads=available_cores(),
            )
            for task, strategy, logger, seed in zip(tasks, strategies, loggers, seeds, strict=True)
        ]

    def record(self, outcome: TuneOutcome, extra_time: dict | None = None) -> dict:
        """The fields every result shares (``result.RunResult``), as of now."""
        o, session, stop = self.options, self.session, self.stop
        samples = session.samples
        return {
            "preset": self.subject.preset,
            "strategy": self.plan.search.name,
            "seed": o.seed,
            "trials": len(samples),
            "failed_trials": samples.failed,
            "stopped_slow_trials": samples.stopped_slow,
            "wall_seconds": time.perf_counter() - self.started,
            "time_split": session.time_split(outcome.seconds, outcome.llm_seconds)
            | (extra_time or {}),
            "target": describe(self.target),
            "tvm_version": tvm.__version__,
            "work_dir": str(session.run.path),
            "interrupted": stop.by_user,
            "resumed_samples": session.resumed_samples,
            "search_stats": outcome.stats.as_dict() if outcome.stats.iterations else None,
            "llm": combined_summary(outcome.proposers),
            "time_budget_s": o.time_budget_s,
            "budget_spent": stop.budget_spent and not stop.by_user and len(samples) < self.trials,
            "reuse": self.reuse,
            "settings": {
                "measure": self.settings.as_dict() | {"baseline_repeats": BASELINE_REPEATS},
                "cost_model": {"kind": "xgb", "num_warmup_samples": COST_MODEL_WARMUP},
                "per_round": o.per_round,
                "schedule_rules": rule_names(self.target),
                "strategy": self.plan.params,
                "llm": self.plan.llm_dict,
                "metaschedule_seed": o.seed + session.number - 1,
            },
        }

    def save(self, result, json_path=None) -> None:
        self.session.save_result(result, json_path)


@derived_object
class _BeforeBatch(Wrapped):
    """A task's strategy that calls a hook before each batch (a model's output check learns
    which task the runner measures now)."""

    def __init__(self, inner, hook):
        super().__init__(inner)
        self.hook = hook

    def generate_measure_candidates(self):
        self.hook()
        return self.inner.generate_measure_candidates()

    def clone(self):
        return _BeforeBatch(self.inner.clone(), self.hook)


def _before_batch(strategy, hook):
    return strategy if hook is None else _BeforeBatch(strategy, hook)
