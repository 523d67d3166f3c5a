"""The tuning cache: what a run reuses, concurrent writers, damage, targets kept apart, and
real runs that build from it."""

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reasoning_compiler.cache.plan import fit_tile, nearest_first, shape_distance, tasks_from_cache
from reasoning_compiler.cache.store import FILE_NAME, CacheStore, Known, Sample
from reasoning_compiler.errors import UserError

TINY_MATMUL = {"m": 128, "n": 128, "k": 128}


def test_a_task_is_built_from_the_cache_when_it_holds_its_share():
    assert tasks_from_cache([64], trials=64, finished_run_samples=0) == [True]
    assert tasks_from_cache([63], trials=64, finished_run_samples=0) == [False]
    # A model of four tasks, 64 samples: a task needs 16; a finished run of them covers all.
    assert tasks_from_cache([16, 3, 0, 40], 64, 0) == [True, False, False, True]
    assert tasks_from_cache([16, 3, 0, 40], 64, finished_run_samples=64) == [True] * 4
    # --trials 0: whatever is known, the rest keeps its untuned loops.
    assert tasks_from_cache([5, 0], trials=0, finished_run_samples=0) == [True, False]


def test_tile_sizes_are_refitted_to_a_new_extent():
    assert fit_tile([2, 4, 8, 16], 1024) == [2, 4, 8, 16]
    assert fit_tile([2, 4, 8, 16], 1536) == [3, 4, 8, 16]
    assert fit_tile([4, 64], 96) == [2, 48]  # 64 does not divide 96: its largest divisor below
    assert fit_tile([8, 1, 1, 8], 96) == [12, 1, 1, 8]
    for factors, extent in (([3, 5, 7], 100), ([1, 1, 64], 7), ([16, 16], 384)):
        fitted = fit_tile(factors, extent)
        product = 1
        for f in fitted:
            product *= f
        assert product == extent and len(fitted) == len(factors)


def test_nearest_shapes_come_first_and_incomparable_ones_are_left_out():
    def known(seq, latency):
        return Known("k", "f", {"heads": 4, "seq_len": seq}, [], latency, [])

    cached = [known(1024, 1.0), known(256, 3.0), known(512, 2.0), known(256, 1.5)]
    cached.append(Known("k", "f", {"other": 1}, [], 0.1, []))
    order = nearest_first(cached, {"heads": 4, "seq_len": 384})
    assert [(k.shape["seq_len"], k.latency_s) for k in order] == [
        (512, 2.0),  # |log(512/384)| < |log(256/384)|
        (256, 1.5),
        (256, 3.0),
        (1024, 1.0),
    ]
    assert shape_distance({"a": 2}, {"a": 2}) == 0.0


def _sample(target: str, workload: str, origin: str, latency: float | None = 1e-3) -> Sample:
    return Sample(target, workload, latency, [["trace"], [latency or 1e10]], origin)


def _write_rounds(path: str, writer: int, rounds: int, per_round: int) -> None:
    store = CacheStore(Path(path))
    for r in range(rounds):
        samples = [_sample("t", "w", f"run{writer}#{r * per_round + i}") for i in range(per_round)]
        assert store.add(samples) == per_round
    assert store.broken is None


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / FILE_NAME
    CacheStore(path).add_workload("w", "matmul", {"m": 1}, ["0", "mod"])
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_rounds, args=(str(path), w, 25, 16)) for w in range(2)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(120)
        assert p.exitcode == 0
    store = CacheStore(path)
    assert store.counts("t", ["w"]) == [2 * 25 * 16]
    # A sample stored again (a resumed run, an import of the same file) is kept once.
    assert store.add([_sample("t", "w", "run0#0")]) == 0
    assert store.counts("t", ["w"]) == [800]


def test_a_damaged_cache_is_one_warning_and_is_ignored(tmp_path):
    path = tmp_path / FILE_NAME
    path.write_bytes(b"this is not a database" * 100)
    warnings = []
    store = CacheStore(path, warn=warnings.append)
    assert store.add([_sample("t", "w", "x#1")]) == 0
    assert store.counts("t", ["w"]) == [0]
    assert store.best("t", "w", 4) == []
    assert len(warnings) == 1 and "cannot be used" in warnings[0] and str(path) in warnings[0]
    with pytest.raises(UserError, match="cannot be read"):
        store.export(tmp_path / "out.sqlite")


def test_an_imported_cache_keeps_another_targets_records_apart(tmp_path):
    theirs = CacheStore(tmp_path / "theirs.sqlite")
    theirs.add_workload("w", "matmul", {"m": 1}, ["0", "mod"])
    theirs.add([_sample("their-cpu", "w", f"r#{i}") for i in range(5)])
    shared = tmp_path / "shared.sqlite"
    assert theirs.export(shared) == 5

    ours = CacheStore(tmp_path / "ours" / FILE_NAME)
    ours.add([_sample("our-cpu", "w", "mine#1")])
    added = ours.import_from(shared)
    assert added["new_records"] == 5 and added["records_by_target"] == {"their-cpu": 5}
    assert ours.counts("our-cpu", ["w"]) == [1]  # this target sees its own record only
    assert ours.counts("their-cpu", ["w"]) == [5]
    assert ours.import_from(shared)["new_records"] == 0  # importing twice adds nothing
    with pytest.raises(UserError, match="not a tuning cache"):
        bad = tmp_path / "bad.sqlite"
        bad.write_text("nope")
        ours.import_from(bad)


def test_an_export_can_hold_one_workload_or_one_target(tmp_path):
    store = CacheStore(tmp_path / FILE_NAME)
    store.add_workload("w1", "matmul", {"m": 1}, ["1", "a"])
    store.add_workload("w2", "conv", {"n": 1}, ["2", "b"])
    store.add([_sample("cpu-a", "w1", "r#1"), _sample("cpu-b", "w1", "r#2")])
    store.add([_sample("cpu-a", "w2", "r#3")])
    assert store.export(tmp_path / "matmul.sqlite", family="matmul") == 2
    assert store.export(tmp_path / "a.sqlite", target_key="cpu-a") == 2
    assert store.export(tmp_path / "a-matmul.sqlite", family="matmul", target_key="cpu-a") == 1
    with pytest.raises(UserError, match="exists"):
        store.export(tmp_path / "a.sqlite")


def test_trials_zero_with_another_targets_records_is_a_clear_error(tmp_path):
    from reasoning_compiler import tune
    from reasoning_compiler.cache.tuning_cache import workload_key
    from reasoning_compiler.workloads import load_kernel

    key = workload_key(load_kernel("matmul", None, TINY_MATMUL).mod)
    theirs = CacheStore(tmp_path / "cache" / FILE_NAME)
    theirs.add_workload(key, "matmul", TINY_MATMUL, ["0", "mod"])
    theirs.add([_sample("another-machine", key, f"r#{i}") for i in range(50)])
    with pytest.raises(UserError, match="knows nothing of .* on this target"):
        tune(
            "matmul",
            shape=TINY_MATMUL,
            strategy="mcts",
            trials=0,
            work_dir=tmp_path / "run",
            cache=tmp_path / "cache",
            progress=False,
        )


def test_cache_commands(tmp_path):
    from reasoning_compiler.cli import main

    store = CacheStore(tmp_path / FILE_NAME)
    store.add_workload("w", "matmul", {"m": 1}, ["0", "mod"])
    store.add([_sample("cpu-a", "w", "r#1", 2e-3), _sample("cpu-a", "w", "r#2", None)])
    assert main(["cache", "--cache", str(tmp_path), "export", str(tmp_path / "x.sqlite")]) == 0
    assert (
        main(["cache", "--cache", str(tmp_path / "new"), "import", str(tmp_path / "x.sqlite")]) == 0
    )
    assert CacheStore(tmp_path / "new" / FILE_NAME).counts("cpu-a", ["w"]) == [2]
    assert main(["cache", "--cache", str(tmp_path), "clear"]) == 2  # asks for --yes
    assert main(["cache", "--cache", str(tmp_path), "clear", "--yes"]) == 0
    assert not (tmp_path / FILE_NAME).exists()


@pytest.mark.tuning
def test_a_second_identical_run_builds_from_the_cache(tmp_path):
    from reasoning_compiler import tune

    def run(name):
        return tune(
            "matmul",
            shape=TINY_MATMUL,
            strategy="mcts",
            trials=8,
            per_round=4,
            work_dir=tmp_path / name,
            cache=tmp_path / "cache",
            progress=False,
        )

    first = run("first")
    second = run("second")
    assert first.trials == 8 and first.reuse["tasks_from_cache"] == []
    assert second.trials == 0  # nothing measured: built from the cache
    assert second.reuse["tasks_from_cache"] == ["main"]
    assert second.reuse["known_samples"] == {"main": 8}
    assert second.correct and first.correct

    def program(result):
        text = (tmp_path / result.work_dir / "best_program.py").read_text()
        return text.split("\n", 1)[1].split("# Schedule trace:")[0]

    assert program(second) == program(first)  # the same program: the same output
    assert "built from 8 known samples" in str(second)


@pytest.mark.tuning
def test_two_concurrent_runs_write_the_cache_without_loss(tmp_path):
    cache = tmp_path / "cache"

    def start(seed):
        return subprocess.Popen(
            [sys.executable, "-m", "reasoning_compiler", "tune", "matmul"]
            + ["--shape", "m=128,n=128,k=128", "--strategy", "mcts", "--trials", "8"]
            + ["--per-round", "4", "--seed", str(seed), "--quiet", "--cache", str(cache)]
            + ["--work-dir", str(tmp_path / f"run{seed}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "REASONING_COMPILER_TUNING_CACHE": "off"},
        )

    runs = [start(0), start(1)]
    for run in runs:
        _, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr
    rows = CacheStore(cache / FILE_NAME).summary()
    assert [r["samples"] for r in rows] == [16]  # 8 + 8: one workload, one target
    logged = sum(
        len((tmp_path / f"run{s}" / "samples.jsonl").read_text().splitlines()) for s in (0, 1)
    )
    assert logged == 16


@pytest.mark.tuning
def test_a_run_with_a_damaged_cache_warns_once_and_goes_on(tmp_path):
    from rich.console import Console

    from reasoning_compiler import tune

    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE_NAME).write_bytes(b"\x00garbage" * 64)
    console = Console(record=True, width=300)
    result = tune(
        "matmul",
        shape=TINY_MATMUL,
        strategy="mcts",
        trials=4,
        per_round=4,
        work_dir=tmp_path / "run",
        cache=tmp_path / "cache",
        progress=False,
        console=console,
    )
    assert result.trials == 4 and result.correct
    assert result.reuse["broken"]  # why, in the result
    assert console.export_text().count("tuning cache") == 1
    saved = json.loads((tmp_path / "run" / "result.json").read_text())
    assert saved["reuse"]["broken"]


def test_a_record_with_a_layout_transform_goes_in_and_comes_back(tmp_path):
    """Traces hold objects MetaSchedule's JSON writes as text (a layout's IndexMap)."""
    from tvm.s_tir import Schedule
    from tvm.s_tir import meta_schedule as ms
    from tvm.s_tir.meta_schedule.arg_info import ArgInfo
    from tvm.s_tir.meta_schedule.runner import RunnerResult
    from tvm.s_tir.meta_schedule.search_strategy import MeasureCandidate

    from reasoning_compiler.cache import CachedTask, TuningCache
    from reasoning_compiler.target import host_target
    from reasoning_compiler.workloads import load_kernel

    mod = load_kernel("matmul", None, TINY_MATMUL).mod
    sch = Schedule(mod)
    block = sch.get_sblock("C")
    sch.transform_layout(block, ("write", 0), lambda i, j: (j, i))
    assert "transform_layout" in str(sch.trace)
    candidate = MeasureCandidate(sch, ArgInfo.from_entry_func(sch.mod))
    built = ms.builder.BuilderResult(artifact_path=None, error_msg=None)
    ran = RunnerResult(run_secs=[2e-3], error_msg=None)

    warnings = []
    cache = TuningCache(tmp_path, host_target(), warnings.append)
    (task,) = cache.plan([CachedTask("main", mod, "matmul", TINY_MATMUL)], trials=8)
    cache.add(task, [(candidate, built, ran)], "run", 1)
    assert warnings == [] and cache.store.counts(cache.target_key, [task.key]) == [1]
    task.known = 1
    found = cache.database([task]).query_schedule(mod, cache.target, workload_name="main")
    assert "transform_layout" in str(found.trace)
