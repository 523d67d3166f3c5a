"""Run a benchmark's tuning runs one after another, each in its own process, resumably.

One process per run keeps runs independent (a fresh TVM, cost model and LLM) and lets us read its
peak memory, model included. Runs never overlap: on 2 cores they would time each other's noise.
A run that finished is not repeated; one that was stopped continues from its database.
"""

from __future__ import annotations

import _thread
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..session import StopFlag, ctrl_c_stops
from .config import BenchConfig, RunSpec

RECORDS_NAME = "bench_runs.json"  # per run: peak memory, exit status, error, when
INTERRUPTED_EXIT = 130


@dataclass
class RunState:
    spec: RunSpec
    measured: int  # samples already in the run's log
    done: bool  # finished with the budget asked for: not run again


def run_state(spec: RunSpec, trials: int) -> RunState:
    """Where a run stands on disk: finished, part-measured (resume) or not started."""
    samples = spec.work_dir / "samples.jsonl"
    measured = _count_lines(samples)
    result_path = spec.work_dir / "result.json"
    done = False
    if result_path.exists():
        try:
            result = json.loads(result_path.read_text())
            done = result["trials"] >= trials and not result.get("interrupted")
        except (json.JSONDecodeError, KeyError):
            done = False
    return RunState(spec, measured, done)


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    except FileNotFoundError:
        return 0


def _tune_in_child(kwargs: dict, errors) -> None:
    """The child process: one tune() call; its exit code says how it ended."""
    from ..errors import TuningError, UserError
    from ..kernels import tune

    threading.Thread(target=interrupt_when_orphaned, args=(os.getppid(),), daemon=True).start()
    try:
        result = tune(**kwargs)
    except (UserError, TuningError) as err:
        errors.put(str(err))
        sys.exit(2 if isinstance(err, UserError) else 1)
    except KeyboardInterrupt:
        sys.exit(INTERRUPTED_EXIT)
    sys.exit(INTERRUPTED_EXIT if result.interrupted else 0)


def interrupt_when_orphaned(parent: int, interval_s: float = 0.5) -> None:
    """If the bench process goes away without stopping this run (``kill`` of its pid, not
    Ctrl-C of the terminal), stop the run as Ctrl-C would: it finishes its sample and saves,
    instead of tuning on unseen beside the next bench's runs."""
    while os.getppid() == parent:
        time.sleep(interval_s)
    # Calls the run's own SIGINT handler in the main thread, whatever the process's signal mask.
    _thread.interrupt_main(signal.SIGINT)


def tune_arguments(spec: RunSpec, config: BenchConfig, resume: bool) -> dict:
    """The tune() call of one run (the LLM settings as an LLMSettings)."""
    from ..llm import LLMSettings

    return {
        "workload": spec.workload,
        "preset": config.preset,
        "shape": config.shape.get(spec.workload),
        "strategy": spec.arm.strategy,
        "strategy_options": spec.arm.options,
        "llm": LLMSettings(**spec.arm.llm) if spec.arm.llm else None,
        "trials": config.trials,
        "per_round": config.per_round,
        "seed": spec.seed,
        "work_dir": str(spec.work_dir),
        "resume": resume,
        "progress": False,
        "cache": False,  # strategies compared cold: no arm starts from another's work
    }


class _Records:
    """bench_runs.json: what the harness saw of each run (kept across resumed benchmarks)."""

    def __init__(self, out: Path):
        self.path = out / RECORDS_NAME
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}

    def update(self, spec: RunSpec, **fields) -> None:
        key = str(spec.work_dir.relative_to(self.path.parent))
        self.data[key] = self.data.get(key, {}) | fields
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2) + "\n")
        tmp.replace(self.path)


def run_all(config: BenchConfig, console: Console, progress: bool = True) -> bool:
    """Measure every run not finished yet. Returns False if stopped by Ctrl-C."""
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "config.json").write_text(json.dumps(config.as_dict(), indent=2) + "\n")
    states = [run_state(spec, config.trials) for spec in config.runs()]
    todo = [s for s in states if not s.done]
    finished = len(states) - len(todo)
    console.print(
        f"[bold]{config.name}[/bold]: {len(states)} runs ({len(config.workloads)} workloads x "
        f"{len(config.arms)} arms x {len(config.seeds)} seeds, {config.trials} samples each); "
        f"{finished} already finished, {len(todo)} to measure; results in {config.out}"
    )
    records = _Records(config.out)
    # Ctrl-C reaches the running child too, which finishes its sample and saves; we then stop
    # before the next run (the default handler would kill us mid-run).
    stop = StopFlag()
    with _progress(progress, console) as bar, ctrl_c_stops(stop, console):
        overall = bar.add_task(
            "all runs", total=sum(config.trials - s.measured for s in todo), status=""
        )
        for number, state in enumerate(todo, start=finished + 1):
            if stop.requested:
                break
            spec = state.spec
            label = f"{spec.workload} · {spec.arm.label} · seed {spec.seed}"
            task = bar.add_task(label, total=config.trials, completed=state.measured, status="")
            bar.update(overall, status=f"run {number}/{len(states)}")
            record = _run_one(spec, config, state, bar, task, overall)
            records.update(spec, **record)
            bar.remove_task(task)
            if record["exit"] == INTERRUPTED_EXIT:
                stop.by_user = True
            elif record["exit"] != 0:
                console.print(f"[red]{label} failed:[/red] {record.get('error')}")
            elif not progress:
                console.print(f"{label}: done in {record['seconds']:.0f} s")
    if stop.requested:
        console.print(
            "[yellow]stopped; measured samples are kept. Run the same command again to "
            "continue where it stopped.[/yellow]"
        )
    return not stop.requested


def _run_one(spec: RunSpec, config, state: RunState, bar, task, overall) -> dict:
    resume = (spec.work_dir / "run.json").exists()
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no forked TVM state
    errors = context.SimpleQueue()
    child = context.Process(
        target=_tune_in_child, args=(tune_arguments(spec, config, resume), errors)
    )
    start = time.time()
    child.start()
    peak, seen = 0, state.measured
    while child.is_alive():
        peak = max(peak, tree_rss(child.pid))
        measured = _count_lines(spec.work_dir / "samples.jsonl")
        bar.update(task, completed=measured)
        bar.advance(overall, measured - seen)
        seen = measured
        child.join(0.5)
    measured = _count_lines(spec.work_dir / "samples.jsonl")
    bar.advance(overall, measured - seen)
    record = {
        "exit": child.exitcode,
        "seconds": round(time.time() - start, 1),
        "peak_rss_gib": round(peak / 2**30, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "resumed": resume,
        "error": None,
    }
    if child.exitcode not in (0, INTERRUPTED_EXIT):
        record["error"] = errors.get() if not errors.empty() else f"exit code {child.exitcode}"
    return record


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 if it is gone)."""
    try:
        process = psutil.Process(pid)
        tree = [process, *process.children(recursive=True)]
        return sum(p.memory_info().rss for p in tree if p.is_running())
    except psutil.Error:
        return 0


class _NoBar:
    def add_task(self, *args, **kwargs):
        return 0

    def update(self, *args, **kwargs):
        pass

    advance = remove_task = update


@contextmanager
def _progress(enabled: bool, console: Console):
    if not enabled:
        yield _NoBar()
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    with bar:
        yield bar
