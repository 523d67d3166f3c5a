"""Benchmarks: strategies x workloads x seeds, measured resumably, summarized in the shape of the
paper's Table 1 and Figures 3 and 4.

>>> import reasoning_compiler as rc
>>> results = rc.bench("benchmarks/configs/quick.toml")        # or rc.bench(workloads=[...])
>>> results["arms"][0]["at"]["36"]["mean"]

Layout of the output directory (``out``):
  config.json          the benchmark as run
  runs/W/ARM/seedS/    each run's work dir (samples.jsonl, result.json, ...; see rundir.py)
  bench_runs.json      per run: peak memory, exit status, error, duration
  machine.json         CPU, versions, float32 peak, NumPy/PyTorch timings of each operator
  results.json         every number of the report; report.md; figure3.png; figure4.png
  artifacts.tar.xz     the runs' files, packed when the report is written (see artifacts.py)
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from . import artifacts
from .config import Arm, BenchConfig, load_config
from .report import write_report  # before ``def report``: the function, not the module, wins

MACHINE_NAME = "machine.json"

__all__ = ["Arm", "BenchConfig", "bench", "load_config", "report"]


def bench(
    config: BenchConfig | str | Path | None = None,
    *,
    progress: bool = True,
    console: Console | None = None,
    **overrides,
) -> dict:
    """Run every unfinished run of ``config`` (a BenchConfig, or a TOML/YAML path with
    ``overrides`` of its keys), then write and return the report's numbers.

    Finished runs are not repeated, so the same call after a Ctrl-C continues where it stopped.
    """
    from .runner import run_all  # imports TVM: artifacts and configs load without it

    console = console or Console(stderr=True)
    if not isinstance(config, BenchConfig):
        config = load_config(config, **overrides)
    artifacts.unpack(config.out)  # finished runs packed by an earlier session are kept
    complete = run_all(config, console, progress)
    return report(config, measure_machine=complete, console=console) | {"stopped": not complete}


def report(
    config: BenchConfig | str | Path | None = None,
    *,
    measure_machine: bool = True,
    console: Console | None = None,
    **overrides,
) -> dict:
    """Write report.md, results.json and the figures from the runs on disk (measuring nothing
    but, once per output directory, the machine's NumPy/PyTorch reference timings)."""
    from .analysis import analyse, load_runs

    console = console or Console(stderr=True)
    if not isinstance(config, BenchConfig):
        config = load_config(config, **overrides)
    config.out.mkdir(parents=True, exist_ok=True)
    artifacts.unpack(config.out)
    machine = _machine(config, measure_machine, console)
    runs, missing = load_runs(config)
    results = analyse(config, runs, machine)
    write_report(results, missing, config.out)
    artifacts.pack(config.out)
    console.print(f"report: {config.out / 'report.md'} ({len(runs)} runs, {len(missing)} missing)")
    return results | {"missing": missing}


def _machine(config: BenchConfig, measure: bool, console: Console) -> dict:
    """machine.json, measured once (after the runs) and reused while it covers the workloads."""
    path = config.out / MACHINE_NAME
    if path.exists():
        machine = json.loads(path.read_text())
        covered = machine.get("references", {})
        same = (machine.get("preset"), machine.get("shape")) == (config.preset, config.shape)
        if same and all(w in covered for w in config.workloads):
            return machine
    if not measure:
        return {}
    from .quality import machine_info

    console.print("measuring NumPy/PyTorch reference timings and the machine's peak ...")
    machine = machine_info(config) | {"preset": config.preset, "shape": config.shape}
    path.write_text(json.dumps(machine, indent=2) + "\n")
    return machine
