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
    assert log.curve(1.0) == [[1, 1.0], [2, 2.0], [3, 2.0], [4, 4.0]]
    assert log.curve(0.4) == [[1, 1.0], [2, 1.0], [3, 1.0], [4, 1.6]]  # never below untuned
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


def _record(run_secs) -> str:
    return json.dumps([0, [["trace"], run_secs, {"kind": "llvm"}, []]]) + "\n"


def _killed_run(tmp_path, rows: int, records: list) -> RunDir:
    """A work dir as a killed session leaves it: ``records`` in the database, ``rows`` logged."""
    run = RunDir.prepare(tmp_path / "run", CONFIG, resume=False, overwrite=False)
    log = SampleLog.open(run.samples_path)
    for i in range(rows):
        log.append(latency_s=records[i][0], error=None, wall_s=float(i), session=1)
    run.workloads_path.write_text('["workload"]\n')
    run.records_path.write_text("".join(_record(r) for r in records))
    return RunDir.prepare(tmp_path / "run", CONFIG, resume=True, overwrite=False)


def test_resume_logs_what_the_database_holds_and_the_log_lacks(tmp_path):
    run = _killed_run(tmp_path, 1, [[0.5], [0.25, 0.75], [1e10]])
    with run.samples_path.open("a") as file:
        file.write('{"index": 2, "lat')  # torn by the kill
    with run.records_path.open("a") as file:
        file.write('[0, [["tra')  # the commit that was under way: never logged
    notes = run.recover()
    assert len(notes) == 3  # two torn lines cut, two samples logged from the database
    rows = SampleLog.open(run.samples_path).rows
    assert [r["index"] for r in rows] == [1, 2, 3]
    assert rows[1]["latency_s"] == 0.5 and rows[1]["recovered"] and rows[1]["session"] == 1
    assert rows[1]["wall_s"] == 0.0  # a lower bound: the sample before it in that session
    assert rows[2]["latency_s"] is None and "recovered" in rows[2]["error"]
    assert len(run.records_path.read_text().splitlines()) == 3
    assert run.recover() == []  # consistent now


@pytest.mark.parametrize(
    ("damage", "file"),
    [
        (lambda run: run.records_path.write_text(_record([0.5])), "database_tuning_record"),
        (lambda run: run.records_path.unlink(), "database_tuning_record"),
        (lambda run: run.workloads_path.unlink(), "database_workload"),
        (lambda run: run.samples_path.write_text("garbage\n" * 2), "samples.jsonl"),
        (lambda run: run.config_path.write_text("{not json"), "run.json"),
    ],
)
def test_damage_no_kill_can_cause_is_a_one_line_error(tmp_path, damage, file):
    run = _killed_run(tmp_path, 2, [[0.5], [0.25]])
    damage(run)
    with pytest.raises(UserError, match=file) as error:
        RunDir.prepare(run.path, CONFIG, resume=True, overwrite=False).recover()
    assert "--overwrite" in str(error.value) and "\n" not in str(error.value)
