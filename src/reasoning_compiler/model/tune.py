"""``tune_model()``: a PyTorch model in, a tuned, verified and deployable model out.

A pipeline of named stages: load the model, lower it into MetaSchedule tasks, measure each task
untuned (and keep its output, which every sample must reproduce), tune all tasks under one
budget with MetaSchedule's task scheduler and any of our strategies, build the tuned model,
check it against PyTorch, time it next to the untuned build and PyTorch, export it.
The run machinery (work dir, sample log, Ctrl-C, resume) is the kernels' own (``session.py``).
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import tvm
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from tvm.ir.utils import derived_object
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.search_strategy import PySearchStrategy

from .. import measure
from ..compare import max_relative_error
from ..errors import TuningError, UserError
from ..llm import LLMSettings
from ..rundir import RunDir, SampleLog
from ..search.tree import SearchStats
from ..session import (
    BASELINE_REPEATS,
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
from ..space import design_space, rule_names
from ..target import available_cores, describe, make_target, summarize
from ..workloads.base import random_inputs
from .frontend import LoadedModel, ModelError, ModelTask, extract_tasks, load_model, lower, to_relax
from .result import ModelResult

TASK_SCHEDULERS = ("gradient", "round-robin")
TASK_TOLERANCE = 1e-3  # a sample's task output against the untuned task's, relative
MODEL_TOLERANCE = 1e-3  # the tuned model's output against PyTorch's, relative to its largest
LIBRARY_NAME = "model.so"


def tune_model(
    model: str,
    *,
    preset: str | None = None,
    strategy: str | None = None,
    strategy_options: dict | None = None,
    llm: LLMSettings | str | None = None,
    trials: int | None = None,
    time_budget_s: float | None = None,
    per_round: int = 8,
    task_scheduler: str = "gradient",
    seed: int = 0,
    work_dir: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    target: str | dict | None = None,
    torch_compile: bool = True,
    progress: bool = True,
    console: Console | None = None,
    settings: measure.MeasureSettings | None = None,
) -> ModelResult:
    """Tune every operator of a model under one sample budget and return the measured model.

    ``model`` is a built-in block (``reasoning_compiler.MODEL_BLOCKS``) or ``"file.py:factory"``
    whose factory returns ``(torch.nn.Module, example_inputs)``. ``trials`` counts samples over
    all tasks (default 64); MetaSchedule's ``task_scheduler`` ("gradient" or "round-robin")
    shares them out. ``strategy``, ``llm``, ``time_budget_s``, ``resume`` and the work dir are
    as for ``tune()``. ``torch_compile`` also times ``torch.compile`` (about 15 s to compile).
    """
    started = time.perf_counter()
    console = console or Console(stderr=True)
    stop = StopFlag()
    with ctrl_c_stops(stop, console):
        trials = check_budget(stop, trials, time_budget_s, per_round, seed, started)
        if task_scheduler not in TASK_SCHEDULERS:
            raise UserError(
                f"--task-scheduler must be one of {', '.join(TASK_SCHEDULERS)}, "
                f"got {task_scheduler!r}"
            )
        plan = SearchPlan.resolve(strategy, strategy_options, llm)
        loaded = load_model(model, preset)
        tvm_target = make_target(target)
        measure.register_tensor_intrinsics(tvm_target)
        relax_mod = to_relax(loaded)
        lowered = lower(relax_mod, tvm_target)
        tasks = extract_tasks(lowered, tvm_target)
        console.print(task_table(loaded, tasks))
        config = {
            "workload": loaded.name,
            "preset": loaded.preset,
            "shape": {"inputs": [list(x.shape) for x in loaded.inputs]},
            "strategy": plan.search.name,
            "strategy_options": plan.params,
            "llm": plan.llm_dict,
            "seed": seed,
            "target": describe(tvm_target),
            "trials": trials,
            "time_budget_s": time_budget_s,
            "per_round": per_round,
            "task_scheduler": task_scheduler,
            "source": loaded.source,
        }
        path = work_dir or default_work_dir(loaded, plan.search.name, seed)
        session = Session.open(
            path,
            config,
            resume=resume,
            overwrite=overwrite,
            stop=stop,
            console=console,
            started=started,
        )
        settings = settings or measure.MeasureSettings(builder_workers=available_cores())
        checks = TaskChecks(session.run.path / "expected_outputs")
        untuned, protocols = _measure_untuned_tasks(tasks, tvm_target, checks, settings, console)
        tuner = TaskTuner(session, tasks, untuned, checks, settings, plan, tvm_target)
        tune_seconds, stats, proposers = tuner.tune(
            trials, per_round, task_scheduler, seed, progress
        )

        console.print("[bold]building and checking the tuned model[/bold]")
        models, applied = _build_models(relax_mod, lowered, tvm_target, session.run)
        verdict = _check_outputs(models["tuned"], loaded)
        estimate = sum(u * t.weight for u, t in zip(untuned, tasks, strict=True))
        latencies = _time_models(models, loaded, torch_compile, estimate, console)
        llm_seconds = sum(p.stats.seconds for p in proposers if p)
        samples = session.samples
        result = ModelResult(
            model=loaded.name,
            preset=loaded.preset,
            strategy=plan.search.name,
            seed=seed,
            trials=len(samples),
            failed_trials=samples.failed,
            task_scheduler=task_scheduler,
            tasks=_task_rows(tasks, untuned, protocols, samples, applied),
            latency=latencies,
            curve=_estimated_curve(tasks, untuned, samples),
            library=str(session.run.path / LIBRARY_NAME),
            wall_seconds=time.perf_counter() - started,
            time_split=session.time_split(tune_seconds, llm_seconds),
            target=describe(tvm_target),
            work_dir=str(session.run.path),
            interrupted=stop.by_user,
            resumed_samples=session.resumed_samples,
            search_stats=stats.as_dict() if stats.iterations else None,
            settings={
                "measure": settings.as_dict() | {"baseline_repeats": BASELINE_REPEATS},
                "per_round": per_round,
                "schedule_rules": rule_names(tvm_target),
                "strategy": plan.params,
                "task_scheduler": task_scheduler,
                "llm": plan.llm_dict,
            },
            **verdict,
        )
        session.save_result(result)
        if not result.correct:
            raise TuningError(
                f"the tuned model's output differs from PyTorch's (max relative error "
                f"{result.max_rel_error:.2e} > {MODEL_TOLERANCE:.0e}); everything is kept in "
                f"{session.run.path}"
            )
        return result


def task_table(model: LoadedModel, tasks: list[ModelTask]) -> Table:
    total = sum(t.flops * t.weight for t in tasks) or 1
    table = Table(title=f"{escape(model.describe())}: {len(tasks)} tasks", title_justify="left")
    for column in ("task", "calls", "MFLOP", "share of FLOPs", "output"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for task in tasks:
        out_shape = _arg_shapes(task)[-1][0]
        table.add_row(
            escape(_short(task.name)),
            str(task.weight),
            f"{task.flops / 1e6:.2f}",
            f"{task.flops * task.weight / total:.0%}",
            "x".join(map(str, out_shape)),
        )
    return table


def _arg_shapes(task: ModelTask) -> list[tuple[tuple[int, ...], str]]:
    from tvm.s_tir.meta_schedule.arg_info import ArgInfo

    infos = [info.as_json() for info in ArgInfo.from_prim_func(task.mod["main"])]
    return [(tuple(int(d) for d in shape), dtype) for _, dtype, shape in infos]


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else name[: width - 3] + "..."


class TaskChecks:
    """Each task's expected output on seeded inputs, and which task the runner measures now.

    The runner's worker reads ``current`` before comparing (see ``measure.CURRENT_TASK``);
    MetaSchedule's task schedulers build and run one task's batch at a time.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(exist_ok=True)
        self.check = measure.OutputCheck(str(directory), tolerance=TASK_TOLERANCE)

    def save(self, index: int, output: np.ndarray) -> None:
        np.save(self.directory / f"task{index}.npy", output)

    def select(self, index: int) -> None:
        tmp = self.directory / f"{measure.CURRENT_TASK}.tmp"
        tmp.write_text(f"task{index}.npy")
        os.replace(tmp, self.directory / measure.CURRENT_TASK)


def _measure_untuned_tasks(
    tasks, target, checks: TaskChecks, settings, console
) -> tuple[list[float], list[str]]:
    """Every task as written: its output (what samples must reproduce), its latency, and how
    that latency was taken. The reference run is one timed call; a task whose call took
    ``LONG_CALL_S`` or more keeps that call as its time, a shorter one is timed by the runner
    (the median of ``BASELINE_REPEATS``). Naive loops at real sizes take tens of seconds a call:
    this stage then costs one call per task, not eleven, and never a timeout."""
    console.print(
        f"running the {len(tasks)} tasks untuned: their outputs are what samples must match"
    )
    runner = measure.make_runner(replace(settings, repeat=BASELINE_REPEATS), checks.check, 600)
    seconds, protocols = [], []
    try:
        for index, task in enumerate(tasks):
            started = time.perf_counter()
            inputs = random_inputs(_arg_shapes(task), checks.check.seed)
            output, call_s = measure.run_timed(task.mod, target, inputs)
            checks.save(index, output)
            checks.select(index)
            latency, protocol = _untuned_latency(task, target, runner, call_s)
            seconds.append(latency)
            protocols.append(protocol)
            if time.perf_counter() - started > 2:
                console.print(
                    f"  untuned task {index + 1}/{len(tasks)} {escape(_short(task.name, 40))}: "
                    f"{latency * 1e3:.1f} ms ({protocol}), "
                    f"{time.perf_counter() - started:.0f} s"
                )
    finally:
        runner.pool.shutdown()
    total = sum(s * t.weight for s, t in zip(seconds, tasks, strict=True))
    console.print(f"untuned tasks: {total * 1e3:.3f} ms per model call in all")
    return seconds, protocols


def _untuned_latency(task, target, runner, call_s: float) -> tuple[float, str]:
    if call_s >= measure.LONG_CALL_S:
        return call_s, "one call"
    latency, error = measure.measure_module(task.mod, target, runner, np.median)
    if latency is None:  # the reference call ran: its time stands, stated as such
        return call_s, f"one call (the runner failed: {short_error(error)})"
    return latency, f"median of {BASELINE_REPEATS}"


@derived_object
class _SelectsTask(PySearchStrategy):
    """A task's strategy that tells the output check which task it is before each batch."""

    def __init__(self, inner, select):
        super().__init__()
        self.inner, self.select = inner, select

    def _initialize_with_tune_context(self, context) -> None:
        self.inner._initialize_with_tune_context(context)

    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database, cost_model):
        self.inner.pre_tuning(max_trials, num_trials_per_iter, design_spaces, database, cost_model)

    def post_tuning(self) -> None:
        self.inner.post_tuning()

    def generate_measure_candidates(self):
        self.select()
        return self.inner.generate_measure_candidates()

    def notify_runner_results(self, measure_candidates, results) -> None:
        self.inner.notify_runner_results(measure_candidates, results)

    def clone(self):
        return _SelectsTask(self.inner.clone(), self.select)


@dataclass
class TaskTuner:
    """MetaSchedule's task scheduler over all tasks, with the kernels' builder, runner, log."""

    session: Session
    tasks: list[ModelTask]
    untuned: list[float]  # seconds per task, untuned
    checks: TaskChecks
    settings: measure.MeasureSettings
    plan: SearchPlan
    target: object

    def tune(self, trials, per_round, scheduler, seed, progress):
        """Measure up to ``trials`` samples in all; returns (seconds, search stats, proposers)."""
        session, stats = self.session, SearchStats()
        start = time.perf_counter()
        budget = session.remaining(trials)
        if budget <= 0:
            return 0.0, stats, []
        cost_model = open_cost_model(session.run, session.number > 1, session.console)
        # One proposer per task (its prompt describes its operator), one model behind them all.
        target_text = summarize(self.target)
        proposers = [
            self.plan.proposer(
                f"Program: {t.name} (an operator of a model)\nTarget: {target_text}", session
            )
            for t in self.tasks
        ]
        strategies = [
            self.plan.search.create(self.plan.params, stats, cost_model, p) for p in proposers
        ]
        on_round = functools.partial(self._after_round, cost_model, trials, progress)
        recorder = session.recorder(on_round, tasks=[t.name for t in self.tasks])
        builder = measure.make_builder(self.settings)
        runner = measure.make_runner(self.settings, self.checks.check)
        with quiet_metaschedule():
            try:
                ms.tune.tune_tasks(
                    tasks=self._contexts(strategies, seed),
                    task_weights=[float(t.weight) for t in self.tasks],
                    work_dir=str(session.run.path),
                    max_trials_global=budget,
                    num_trials_per_iter=per_round,
                    builder=TimedBuilder(builder, session.clock, session.stop),
                    runner=TimedRunner(runner, session.clock, session.stop),
                    database=ms.database.JSONDatabase(work_dir=str(session.run.path)),
                    cost_model=cost_model,
                    measure_callbacks=[recorder],
                    task_scheduler=scheduler,
                )
            except Exception as err:
                if not session.stop.requested:
                    raise TuningError(
                        f"MetaSchedule failed: {short_error(err)}; samples measured so far are "
                        f"in {session.run.path}"
                    ) from err
            finally:
                builder.shutdown()
        return time.perf_counter() - start, stats, proposers

    def _contexts(self, strategies, seed: int) -> list:
        """One TuneContext per task, each strategy telling the output check its task."""
        names = [t.name for t in self.tasks]
        # One call for all tasks: MetaSchedule prints a line for every call.
        loggers = ms.logging.get_loggers_from_work_dir(str(self.session.run.path), names)
        return [
            ms.TuneContext(
                mod=task.mod,
                target=self.target,
                space_generator=design_space(self.target),
                search_strategy=_SelectsTask(strategy, functools.partial(self.checks.select, i)),
                task_name=task.name,
                logger=logger,
                rand_state=seed + i,
                num_threads=available_cores(),
            )
            for i, (task, strategy, logger) in enumerate(
                zip(self.tasks, strategies, loggers, strict=True)
            )
        ]

    def _after_round(self, cost_model, trials: int, progress: bool) -> None:
        session = self.session
        session.save_cost_model(cost_model)
        if not progress or not session.samples.rows:
            return
        done = len(session.samples)
        budget = session.stop.deadline
        left = (
            f"{done}/{trials} samples"
            if budget is None
            else f"{done} samples, {max(0.0, budget - time.perf_counter()):.0f} s left"
        )
        model = _estimated_curve(self.tasks, self.untuned, session.samples)[-1][1]
        untuned = sum(u * t.weight for u, t in zip(self.untuned, self.tasks, strict=True))
        last = session.samples.rows[-1].get("task", "")
        session.console.print(
            f"  {left}: model {model * 1e3:.3f} ms by its task bests (untuned "
            f"{untuned * 1e3:.2f} ms); last task {escape(_short(last, 40))}"
        )


def _build_models(relax_mod, lowered, target, run: RunDir) -> tuple[dict, set[str]]:
    """The untuned build (tasks as written) and the tuned one (each task's best program from
    the database; a task without one keeps its untuned loops), the tuned one exported; and
    the tasks whose database program the tuned build uses.

    ``compile_relax`` fuses ``relax_mod`` as ``lower`` did, then applies the database, so the
    same application to ``lowered`` names its scheduled tasks: a task tuned but not among them
    would be a silent loss, as when the build re-fused already-fused functions into others."""
    from tvm import relax
    from tvm.relax.transform import MetaScheduleApplyDatabase

    database = ms.database.JSONDatabase(work_dir=str(run.path))
    try:
        untuned = relax.build(relax_mod, target=target)
        tuned = ms.relax_integration.compile_relax(database, relax_mod, target, params=None)
    except Exception as err:
        raise ModelError("build (Relax)", err) from None
    tuned.export_library(str(run.path / LIBRARY_NAME))
    with target, database, tvm.transform.PassContext(opt_level=3):
        applied = MetaScheduleApplyDatabase()(lowered)
    scheduled = {
        gv.name_hint
        for gv, func in applied.functions_items()
        if isinstance(func, tvm.tirx.PrimFunc)
        and func.attrs
        and func.attrs.get("tirx.is_scheduled")
    }
    return {"untuned": untuned, "tuned": tuned}, scheduled


def _vm(executable):
    from tvm import relax

    return relax.VirtualMachine(executable, tvm.cpu())


def _run_vm(vm, inputs: list[np.ndarray]) -> np.ndarray:
    out = vm["main"](*[tvm.runtime.tensor(x) for x in inputs])
    return (out[0] if isinstance(out, tvm.ir.Array | list | tuple) else out).numpy()


def _check_outputs(executable, model: LoadedModel) -> dict:
    expected = model.reference_output()
    output = _run_vm(_vm(executable), model.inputs)
    if output.shape != expected.shape:
        return {"correct": False, "max_rel_error": float("inf")}
    error = max_relative_error(output, expected)
    return {"correct": error <= MODEL_TOLERANCE, "max_rel_error": error}


# The untuned model runs naive loops: where its tasks add up to this much, its time is that sum,
# stated as an estimate, rather than minutes of calls (the paper-size Llama layer: ~3 minutes).
UNTUNED_ESTIMATE_FROM_S = 10.0


def _time_models(
    models: dict, model: LoadedModel, torch_compile: bool, untuned_estimate: float, console
) -> dict:
    """End-to-end seconds per call: the untuned and tuned TVM builds, then the model's own
    library (PyTorch eager and ``torch.compile``, or ONNX Runtime), on the same inputs, one
    after another in this process. Each cell says how it was timed."""
    console.print("timing the untuned and tuned models and the model's own library")
    inputs = [tvm.runtime.tensor(x) for x in model.inputs]
    latency = {}
    for name, executable in models.items():
        if name == "untuned" and untuned_estimate >= UNTUNED_ESTIMATE_FROM_S:
            latency["tvm_untuned"] = {
                "seconds": untuned_estimate,
                "protocol": "estimate: the sum of the untuned tasks' times",
            }
            continue
        latency[f"tvm_{name}"] = _time_vm(_vm(executable), inputs)
    latency |= model.time_references(torch_compile)
    for name, cell in latency.items():
        if "error" in cell:
            console.print(f"[yellow]{name}: {escape(cell['error'])}[/yellow]")
    return latency


def _time_vm(vm, inputs: list) -> dict:
    """A first call (also the warm-up); if it took ``LONG_CALL_S`` or more it is the time, else
    the median of 5 repeats of 3 calls."""
    started = time.perf_counter()
    vm["main"](*inputs)
    first = time.perf_counter() - started
    if first >= measure.LONG_CALL_S:
        return {"seconds": first, "protocol": "one call"}
    timer = vm.time_evaluator("main", tvm.cpu(), number=3, repeat=5, min_repeat_ms=200)
    return {"seconds": float(np.median(timer(*inputs).results)), "protocol": "median of 5"}


def _best_by_task(samples: SampleLog) -> dict[str, float]:
    best: dict[str, float] = {}
    for row in samples.rows:
        name, latency = row.get("task"), row.get("latency_s")
        if name is not None and latency is not None:
            best[name] = min(latency, best.get(name, latency))
    return best


def _task_rows(
    tasks, untuned: list[float], protocols: list[str], samples: SampleLog, applied: set[str]
) -> list[dict]:
    best = _best_by_task(samples)
    counts: dict[str, int] = {}
    for row in samples.rows:
        counts[row.get("task")] = counts.get(row.get("task"), 0) + 1
    rows = []
    for task, before, protocol in zip(tasks, untuned, protocols, strict=True):
        after = min(before, best.get(task.name, before)) if task.name in applied else before
        rows.append(
            {
                "task": task.name,
                "calls": task.weight,
                "flops": task.flops,
                "samples": counts.get(task.name, 0),
                "untuned_s": before,
                "untuned_timed_by": protocol,
                "tuned_s": after,
                "tuned": task.name in best and best[task.name] < before,
                "in_build": task.name in applied,  # the build uses its database program
            }
        )
    return rows


def _estimated_curve(tasks, untuned: list[float], samples: SampleLog) -> list[list[float]]:
    """[sample, model seconds] after each sample: the sum over tasks of calls times the
    fastest latency measured so far (untuned where none beat it), as MetaSchedule estimates."""
    current = {t.name: u for t, u in zip(tasks, untuned, strict=True)}
    weight = {t.name: t.weight for t in tasks}
    curve = []
    for i, row in enumerate(samples.rows, 1):
        name, latency = row.get("task"), row.get("latency_s")
        if name in current and latency is not None:
            current[name] = min(current[name], latency)
        curve.append([i, sum(current[n] * weight[n] for n in current)])
    return curve
