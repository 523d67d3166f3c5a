"""``tune_model()``: a PyTorch model in, a tuned, verified and deployable model out.

A pipeline of named stages: load the model, lower it into MetaSchedule tasks, measure each task
untuned (and keep its output, which every sample must reproduce), tune all tasks under one
budget with MetaSchedule's task scheduler and any of our strategies, build the tuned model,
check it against PyTorch, time it next to the untuned build and PyTorch, export it.
A front door over the run pipeline (``pipeline.py``), the kernels' own: a model is a run of
many tasks.
"""

from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import tvm
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import measure, timing
from ..compare import max_relative_error
from ..errors import TuningError, UserError
from ..llm import LLMSettings
from ..pipeline import Run, RunOptions, TuneTask
from ..rundir import RunDir, SampleLog
from ..session import short_error
from ..target import needs
from ..timing import BASELINE_REPEATS
from ..workloads.base import random_inputs
from .frontend import (
    LoadedModel,
    ModelError,
    ModelTask,
    build,
    captured_output,
    extract_tasks,
    load_model,
    lower,
    to_relax,
)
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
    cache: str | Path | bool | None = None,
) -> ModelResult:
    """Tune every operator of a model under one sample budget and return the measured model.

    ``model`` is a built-in block (``reasoning_compiler.MODEL_BLOCKS``) or ``"file.py:factory"``
    whose factory returns ``(torch.nn.Module, example_inputs)``. ``trials`` counts samples over
    all tasks (default 64); MetaSchedule's ``task_scheduler`` ("gradient" or "round-robin")
    shares them out. ``strategy``, ``llm``, ``time_budget_s``, ``resume`` and the work dir are
    as for ``tune()``. ``torch_compile`` also times ``torch.compile`` (about 15 s to compile).
    ``cache`` is the tuning cache as for ``tune()``: tasks it knows (from this model or any
    other) are built from it, and a model tuned before with ``trials`` samples is built at once.
    """
    if task_scheduler not in TASK_SCHEDULERS:
        raise UserError(
            f"--task-scheduler must be one of {', '.join(TASK_SCHEDULERS)}, got {task_scheduler!r}"
        )
    options = RunOptions(
        strategy, strategy_options, llm, trials, time_budget_s, per_round, seed, work_dir,
        resume, overwrite, target, progress, console, settings, cache,
    )  # fmt: skip
    with Run(options) as run:
        run.plan_search()
        loaded = load_model(model, preset)
        run.pick_target()
        lowered = lower(to_relax(loaded), run.target)  # what the tasks and the builds are of
        tasks = extract_tasks(lowered, run.target)
        run.console.print(task_table(loaded, tasks))
        extra = {
            "shape": {"inputs": [list(x.shape) for x in loaded.inputs]},
            "task_scheduler": task_scheduler,
        }
        session = run.open_session(loaded, extra)
        _save_frontend_output(loaded, session.run.path)
        checks = TaskChecks(session.run.path / "expected_outputs")
        to_tune = run.plan_reuse(_tune_tasks(tasks, checks, loaded.name, extra["shape"]))
        untuned, protocols = _measure_untuned_tasks(
            tasks, run.target, checks, run.settings, run.console
        )
        outcome = run.tune(
            to_tune,
            measure.make_runner(run.settings, checks.check),
            on_round=functools.partial(_show_progress, run, tasks, untuned),
            task_scheduler=task_scheduler,
        )

        run.console.print("[bold]building and checking the tuned model[/bold]")
        estimate = sum(u * t.weight for u, t in zip(untuned, tasks, strict=True))
        models, applied = _build_models(lowered, run.target, run.database(), estimate)
        del lowered  # its weights as written: the tuned build holds those it packed, packed
        device = needs(run.target).device()
        verdict = _check_outputs(models["tuned"], loaded, device)
        latencies = _time_models(models, loaded, torch_compile, estimate, run.console, device)
        loaded.release()  # the library's weights: the export holds copies of ours for a while
        _export(models["tuned"], session.run)
        result = ModelResult(
            **run.record(outcome),
            model=loaded.name,
            task_scheduler=task_scheduler,
            tasks=_task_rows(tasks, untuned, protocols, session.samples, applied, _known(run)),
            latency=latencies,
            curve=_estimated_curve(tasks, untuned, session.samples),
            library=str(session.run.path / LIBRARY_NAME),
            **verdict,
        )
        result.settings["task_scheduler"] = task_scheduler
        run.save(result)
        if not result.correct:
            raise TuningError(
                f"the tuned model's output differs from PyTorch's (max relative error "
                f"{result.max_rel_error:.2e} > {MODEL_TOLERANCE:.0e}); everything is kept in "
                f"{session.run.path}"
            )
        return result


def _save_frontend_output(loaded: LoadedModel, work: Path) -> None:
    """What torch.export and the Relax importer printed: in the run's logs, not the terminal."""
    if loaded.frontend_output.strip():
        (work / "logs").mkdir(exist_ok=True)
        with open(work / "logs" / "frontend.log", "a") as log:
            log.write(loaded.frontend_output)


def _tune_tasks(tasks: list[ModelTask], checks: TaskChecks, model: str, shape) -> list[TuneTask]:
    """The model's tasks for the pipeline; each tells the output check its task first."""
    return [
        TuneTask(
            task.name,
            task.mod,
            problem=f"{task.name} (an operator of a model)",
            weight=task.weight,
            before_batch=functools.partial(checks.select, index),
            family=f"{model}/{task.name}",
            shape=shape,
        )
        for index, task in enumerate(tasks)
    ]


def _known(run: Run) -> dict[str, float]:
    """The cached latency of each task built from the tuning cache (an earlier run's)."""
    known = {c.name: run.known_best(c.name) for c in run.cached if c.from_cache}
    return {name: latency for name, latency in known.items() if latency is not None}


def _show_progress(run: Run, tasks: list[ModelTask], untuned: list[float]) -> None:
    """A line per round: samples (or time) left, the model's estimated latency, the task."""
    samples = run.session.samples
    if not run.options.progress or not samples.rows:
        return
    deadline = run.stop.deadline
    left = (
        f"{len(samples)}/{run.trials} samples"
        if deadline is None
        else f"{len(samples)} samples, {max(0.0, deadline - time.perf_counter()):.0f} s left"
    )
    model = _estimated_curve(tasks, untuned, samples)[-1][1]
    before = sum(u * t.weight for u, t in zip(untuned, tasks, strict=True))
    last = samples.rows[-1].get("task", "")
    run.console.print(
        f"  {left}: model {model * 1e3:.3f} ms by its task bests (untuned "
        f"{before * 1e3:.2f} ms); last task {escape(_short(last, 40))}"
    )


def task_table(model: LoadedModel, tasks: list[ModelTask]) -> Table:
    total = sum(t.flops * t.weight for t in tasks) or 1
    table = Table(title=f"{escape(model.describe())}: {len(tasks)} tasks", title_justify="left")
    for column in ("task", "calls", "MFLOP", "share of FLOPs", "output"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for task in tasks:
        out_shape = task.arg_shapes()[-1][0]
        table.add_row(
            escape(_short(task.name)),
            str(task.weight),
            f"{task.flops / 1e6:.2f}",
            f"{task.flops * task.weight / total:.0%}",
            "x".join(map(str, out_shape)),
        )
    return table


def _short(name: str, width: int = 48) -> str:
    return name if len(name) <= width else name[: width - 3] + "..."


class TaskChecks:
    """Each task's expected output and inputs (shape, dtype) as written on seeded inputs, and
    which task the runner measures now.

    The runner's worker reads ``current`` before comparing (see ``measure.CURRENT_TASK``);
    MetaSchedule's task schedulers build and run one task's batch at a time. The inputs as
    written are what a sample that takes its weights packed packs them from (``weight_packing``).
    """

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(exist_ok=True)
        self.check = measure.OutputCheck(str(directory), tolerance=TASK_TOLERANCE)

    def save(self, index: int, output: np.ndarray, inputs: list) -> None:
        np.save(self.directory / f"task{index}.npy", output)
        shapes = [[list(shape), dtype] for shape, dtype in inputs]
        (self.directory / f"task{index}{measure.INPUTS_SUFFIX}").write_text(json.dumps(shapes))

    def select(self, index: int) -> None:
        tmp = self.directory / f"{measure.CURRENT_TASK}.tmp"
        tmp.write_text(f"task{index}")
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
            shapes = task.arg_shapes()
            inputs = random_inputs(shapes, checks.check.seed)
            output, call_s = measure.run_timed(task.mod, target, inputs)
            checks.save(index, output, shapes[:-1])
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
    if call_s >= timing.LONG_CALL_S:
        return call_s, "one call"
    latency, error = measure.measure_module(task.mod, target, runner, np.median)
    if latency is None:  # the reference call ran: its time stands, stated as such
        return call_s, f"one call (the runner failed: {short_error(error)})"
    return latency, f"median of {BASELINE_REPEATS}"


def _build_models(lowered, target, database, untuned_estimate: float):
    """The tuned build (each task's best program from ``database``; a task without one keeps
    its untuned loops) and the untuned build (tasks as written) where it will be timed; and the
    tasks whose database program the tuned build uses. Both builds share the weights of
    ``lowered``. A task tuned but not used would be a silent loss (as when an earlier build
    re-fused already-fused functions into others): the task table says so."""
    try:
        tuned, applied = build(lowered, target, database)
        models = {"tuned": tuned}
        if untuned_estimate < UNTUNED_ESTIMATE_FROM_S:
            models = {"untuned": build(lowered, target)[0], **models}
    except Exception as err:
        raise ModelError("build (Relax)", err) from None
    return models, applied


def _export(executable, run: RunDir) -> None:
    """``model.so``, weights included. Serializing them holds several copies at once (the
    paper-size MoE block: 5 GiB over the run's 3 for 1.4 GB of weights), so this comes last,
    after the model's library has let go of its own."""
    try:
        with captured_output() as output:  # TVM warns once per constant saved ("Scope Saving")
            executable.export_library(str(run.path / LIBRARY_NAME))
    except Exception as err:
        raise ModelError("export (model.so)", err) from None
    if output[0].strip():
        (run.path / "logs").mkdir(exist_ok=True)
        (run.path / "logs" / "export.log").write_text(output[0])


def _vm(executable, device):
    from tvm import relax

    return relax.VirtualMachine(executable, device)


def _run_vm(vm, inputs: list[np.ndarray], device) -> np.ndarray:
    out = vm["main"](*[tvm.runtime.tensor(x, device) for x in inputs])
    return (out[0] if isinstance(out, tvm.ir.Array | list | tuple) else out).numpy()


def _check_outputs(executable, model: LoadedModel, device) -> dict:
    expected = model.reference_output()
    output = _run_vm(_vm(executable, device), model.inputs, device)
    if output.shape != expected.shape:
        return {"correct": False, "max_rel_error": float("inf")}
    error = max_relative_error(output, expected)
    return {"correct": error <= MODEL_TOLERANCE, "max_rel_error": error}


# The untuned model runs naive loops: where its tasks add up to this much, its time is that sum,
# stated as an estimate, rather than minutes of calls (the paper-size Llama layer: ~3 minutes).
UNTUNED_ESTIMATE_FROM_S = 10.0


def _time_models(
    models: dict,
    model: LoadedModel,
    torch_compile: bool,
    untuned_estimate: float,
    console,
    device,
) -> dict:
    """End-to-end seconds per call: the untuned and tuned TVM builds, then the model's own
    library (PyTorch eager and ``torch.compile``, or ONNX Runtime), on the same inputs, one
    after another in this process. Each cell says how it was timed."""
    console.print("timing the untuned and tuned models and the model's own library")
    inputs = [tvm.runtime.tensor(x, device) for x in model.inputs]
    latency = {}
    if "untuned" not in models:  # not built (see _build_models)
        latency["tvm_untuned"] = {
            "seconds": untuned_estimate,
            "protocol": "estimate: the sum of the untuned tasks' times",
        }
    for name, executable in models.items():
        latency[f"tvm_{name}"] = timing.time_vm(_vm(executable, device), inputs, device)
    latency |= model.time_references(torch_compile)
    for name, cell in latency.items():
        if "error" in cell:
            console.print(f"[yellow]{name}: {escape(cell['error'])}[/yellow]")
    return latency


def _best_by_task(samples: SampleLog) -> dict[str, float]:
    best: dict[str, float] = {}
    for row in samples.rows:
        name, latency = row.get("task"), row.get("latency_s")
        if name is not None and latency is not None:
            best[name] = min(latency, best.get(name, latency))
    return best


def _task_rows(
    tasks,
    untuned: list[float],
    protocols: list[str],
    samples: SampleLog,
    applied: set[str],
    known: dict[str, float],
) -> list[dict]:
    best = _best_by_task(samples)
    for name, latency in known.items():
        best[name] = min(latency, best.get(name, latency))
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
                "from_cache": task.name in known,  # tuned_s: the tuning cache's (an earlier run)
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
