"""Real tuning runs interrupted at randomized moments (Ctrl-C once or twice, SIGKILL) and resumed,
and finished work dirs with each file damaged in turn: what was measured is counted exactly
once, or resume says in one line what is damaged."""

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from reasoning_compiler.rundir import SampleLog

TRIALS, PER_ROUND = 24, 4
# A small matmul with a space wide enough that nothing repeats by chance in 24 samples.
SHAPE = "m=128,n=128,k=128"
pytestmark = pytest.mark.tuning


def tune_command(run, strategy, trials=TRIALS, resume=False):
    command = [sys.executable, "-m", "reasoning_compiler", "tune", "matmul", "--shape", SHAPE]
    command += ["--strategy", strategy, "--trials", str(trials), "--per-round", str(PER_ROUND)]
    command += ["--work-dir", str(run), "--quiet"]
    return command + (["--resume"] if resume else [])


def logged(run) -> int:
    path = run / "samples.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def interrupted(run, strategy, signals, after_samples, delay_s) -> int:
    """Start (or resume) the run; once ``after_samples`` samples are logged (a new run: once its
    work dir exists) and ``delay_s`` more seconds have passed, send ``signals`` to its whole
    process group, as a terminal's Ctrl-C does; return its exit code."""
    process = subprocess.Popen(
        tune_command(run, strategy, resume=(run / "run.json").exists()),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started = (run / "run.json").exists()  # a resumed session: count samples from here
    while process.poll() is None and (
        logged(run) < after_samples if started else not (run / "run.json").exists()
    ):
        time.sleep(0.05)
    time.sleep(delay_s)
    for signum in signals:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        time.sleep(0.3)
    code = process.wait(timeout=300)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # builder or runner workers left behind
    return code


def check_invariants(run, trials=TRIALS):
    rows = SampleLog.open(run / "samples.jsonl").rows
    records = [json.loads(line) for line in (run / "database_tuning_record.json").open()]
    traces = {json.dumps(record[1][0]) for record in records}
    result = json.loads((run / "result.json").read_text())
    assert len(records) == len(rows) == result["trials"] == trials
    # Nothing fails on this kernel: a failure would be an interruption logged as a sample.
    assert all(row["error"] is None for row in rows), [r["error"] for r in rows if r["error"]]
    assert len(traces) == len(records)  # no trace measured twice
    assert [row["index"] for row in rows] == list(range(1, trials + 1))
    assert len(result["curve"]) == trials
    # Row i is record i: the same latency wherever the sample succeeded.
    for row, (_, record) in zip(rows, records, strict=True):
        if row["latency_s"] is not None:
            assert row["latency_s"] == pytest.approx(sum(record[1]) / len(record[1]))


# llm-mcts spends most of its time in LLM calls: its interruptions land mostly there.
@pytest.mark.parametrize("strategy", ["evolutionary", "mcts", "llm-mcts"])
def test_interrupted_at_random_points_and_resumed_every_sample_counts_once(tmp_path, strategy):
    rng = random.Random(f"interruptions-{strategy}")
    run = tmp_path / strategy
    int_, kill = signal.SIGINT, signal.SIGKILL
    # The first as the baseline is measured (the work dir exists, no sample yet), the others
    # after a few more samples.
    points = [([int_], 0, 0.5)] + [
        (signals, rng.randint(1, 3), rng.uniform(0.0, 1.5))
        for signals in ([kill], [int_], [int_, int_], [kill], [kill])
    ]
    for signals, more_samples, delay_s in points:
        code = interrupted(run, strategy, signals, logged(run) + more_samples, delay_s)
        assert code in (130, -kill), code  # stopped: no crash, no traceback
        if (run / "database_tuning_record.json").exists():
            rows = len(SampleLog.open(run / "samples.jsonl"))
            records = len((run / "database_tuning_record.json").read_text().splitlines())
            assert rows <= records <= rows + PER_ROUND  # only a kill leaves records unlogged
    assert subprocess.run(tune_command(run, strategy, resume=True), timeout=600).returncode == 0
    check_invariants(run)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("finished") / "run"
    subprocess.run(tune_command(run, "mcts", trials=8), check=True, timeout=600)
    return run


def _cut_last_line(path):
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 1 + 20])  # 20 bytes of it left


# (what is done to which file, and the error resume must give; None: it must recover)
CORRUPTIONS = {
    "samples.jsonl torn": (lambda run: _cut_last_line(run / "samples.jsonl"), None),
    "samples.jsonl deleted": (lambda run: (run / "samples.jsonl").unlink(), None),
    "samples.jsonl garbage": (
        lambda run: (run / "samples.jsonl").write_text("x\n" * 3),
        "samples.jsonl is damaged",
    ),
    "database records torn": (
        lambda run: _cut_last_line(run / "database_tuning_record.json"),
        "database_tuning_record.json is damaged",
    ),
    "database records deleted": (
        lambda run: (run / "database_tuning_record.json").unlink(),
        "database_tuning_record.json is damaged",
    ),
    "database workloads deleted": (
        lambda run: (run / "database_workload.json").unlink(),
        "database_workload.json is damaged",
    ),
    "run.json garbage": (lambda run: (run / "run.json").write_text("{"), "run.json is damaged"),
    "cost_model.tar deleted": (lambda run: (run / "cost_model.tar").unlink(), None),
    "cost_model.tar garbage": (lambda run: (run / "cost_model.tar").write_text("x"), None),
    "expected_output.npy garbage": (
        lambda run: (run / "expected_output.npy").write_text("x"),
        None,
    ),
    "result.json garbage": (lambda run: (run / "result.json").write_text("{"), None),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_each_damaged_file_is_recovered_or_named(finished_run, tmp_path, corruption):
    damage, error = CORRUPTIONS[corruption]
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    damage(run)
    proc = subprocess.run(
        tune_command(run, "mcts", trials=10, resume=True),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if error is None:
        assert proc.returncode == 0, proc.stderr[-2000:]
        check_invariants(run, trials=10)
    else:
        assert proc.returncode == 2, proc.stderr[-2000:]
        message = proc.stderr.strip()
        assert error in message and "--overwrite" in message and "\n" not in message
