"""The work directory and sample log, without TVM tuning."""

import json

import pytest

from reasoning_compiler import UserError
from reasoning_compiler.rundir import RunDir, SampleLog

CONFIG = {
    "workload": "matmul",
    "preset": "small",
    "shape": {"m": 1},
    "strategy": "evolutionary",
    "seed": 0,
    "target": {"kind": "llvm"},
    "trials": 8,
}


def test_sample_log_curve_and_failures(tmp_path):
    log = SampleLog.open(tmp_path / "s.jsonl")
    log.append(latency_s=None, error="build: timeout")
    log.append(latency_s=0.5, error=None)
    log.append(latency_s=0.8, error=None)
    log.append(latency_s=0.25, error=None)
    assert log.failed == 1
    assert log.best_seconds == 0.25
    assert log.curve(1.0) == [[1, 0.0], [2, 2.0], [3, 2.0], [4, 4.0]]
    reopened = SampleLog.open(tmp_path / "s.jsonl")
    assert [r["index"] for r in reopened.rows] == [1, 2, 3, 4]


def test_sample_log_survives_a_torn_last_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"index": 1, "latency_s": 0.1}\n{"index": 2, "lat')
    assert len(SampleLog.open(path)) == 1


def test_existing_run_is_never_silently_overwritten(tmp_path):
    RunDir.prepare(tmp_path / "run", CONFIG, resume=False, overwrite=False)
    with pytest.raises(UserError, match="already holds a run; pass --resume"):
        RunDir.prepare(tmp_path / "run", CONFIG, resume=False, overwrite=False)
    (tmp_path / "run" / "samples.jsonl").write_text("{}\n")
    RunDir.prepare(tmp_path / "run", CONFIG, resume=False, overwrite=True)
    assert not (tmp_path / "run" / "samples.jsonl").exists()


def test_foreign_directories_are_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="is not a reasoning-compiler run"):
        RunDir.prepare(tmp_path, CONFIG, resume=False, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_resume_checks_settings(tmp_path):
    with pytest.raises(UserError, match="nothing to resume"):
        RunDir.prepare(tmp_path / "run", CONFIG, resume=True, overwrite=False)
    RunDir.prepare(tmp_path / "run", CONFIG, resume=False, overwrite=False)
    with pytest.raises(UserError, match="seed: run has 0, asked for 3"):
        RunDir.prepare(tmp_path / "run", {**CONFIG, "seed": 3}, resume=True, overwrite=False)
    run = RunDir.prepare(tmp_path / "run", {**CONFIG, "trials": 16}, resume=True, overwrite=False)
    config = json.loads(run.config_path.read_text())
    assert config["sessions"] == 2 and config["trials"] == 16


def test_unwritable_work_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot write to work dir"):
        RunDir.prepare(blocker / "run", CONFIG, resume=False, overwrite=False)
