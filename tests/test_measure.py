"""The runner worker's check-then-time, with a stand-in module (no build, no threads)."""

import time

import numpy as np
import pytest

from reasoning_compiler import measure


class Output:
    def __init__(self, value):
        self.value = value

    def numpy(self):
        return self.value


class SleepyModule:
    """Writes the expected output after ``seconds``; counts its calls."""

    entry_name = "main"

    def __init__(self, seconds, output):
        self.seconds, self.output, self.calls = seconds, output, 0

    def __getitem__(self, name):
        def run(*args):
            self.calls += 1
            time.sleep(self.seconds)
            args[-1].value = self.output

        return run


class Device:
    def sync(self):
        pass


@pytest.fixture
def expected(tmp_path, monkeypatch):
    path = tmp_path / "expected.npy"
    np.save(path, np.arange(4, dtype="float32"))
    timed = []
    monkeypatch.setattr(measure, "run_evaluator_common", lambda *args: timed.append(args) or [1e-3])
    return str(path), timed


def check(module, path, long_s, time_once_from_s=None):
    args = [[Output(None), Output(np.full(4, np.nan, dtype="float32"))]]
    return measure.check_then_time(
        module,
        Device(),
        None,
        args,
        expected_path=path,
        tolerance=1e-3,
        long_s=long_s,
        time_once_from_s=time_once_from_s,
    )


def test_a_long_sample_is_timed_by_one_call_after_its_check(expected):
    path, timed = expected
    module = SleepyModule(0.05, np.arange(4, dtype="float32"))
    (seconds,) = check(module, path, long_s=0.01)
    assert module.calls == 2 and not timed  # the check, then the timed call
    assert seconds >= 0.05  # the timed call (a sleep) itself, not the check before it


def test_other_samples_are_timed_as_metaschedule_does(expected):
    path, timed = expected
    module = SleepyModule(0.0, np.arange(4, dtype="float32"))
    assert check(module, path, long_s=10.0) == [1e-3]  # shorter than long_s
    assert check(module, path, long_s=None) == [1e-3]
    assert len(timed) == 2 and module.calls == 2


def test_a_wrong_output_fails_before_any_timing(expected):
    path, timed = expected
    module = SleepyModule(0.05, np.zeros(4, dtype="float32"))
    with pytest.raises(ValueError, match="wrong output"):
        check(module, path, long_s=0.01)
    assert not timed


# A sample much slower than the fastest so far is stopped early, and counts as a lower bound.


def test_a_sample_far_slower_than_the_fastest_is_timed_by_its_check_alone(expected):
    path, timed = expected
    module = SleepyModule(0.05, np.arange(4, dtype="float32"))
    (seconds,) = check(module, path, long_s=10.0, time_once_from_s=0.03)
    assert module.calls == 1 and not timed and seconds >= 0.05
    assert check(module, path, long_s=10.0, time_once_from_s=1.0) == [1e-3]  # not that slow


def test_the_runners_limits_reach_the_worker_with_each_sample(tmp_path):
    settings = measure.MeasureSettings()
    check_spec = measure.OutputCheck(str(tmp_path / "expected.npy"), long_s=0.1)
    runner = measure.make_runner(settings, check_spec, timeout_s=45.0)
    try:
        measure.set_sample_limits(runner, 12.5, settings.time_once_from_s(0.2))
        assert runner.timeout_sec == 12.5 and runner.pool._timeout == 12.5
        evaluate = runner.f_run_evaluator  # what LocalRunner sends with each sample
        assert evaluate.func is measure.check_then_time
        assert evaluate.keywords["time_once_from_s"] == pytest.approx(0.6)
        assert evaluate.keywords["long_s"] == 0.1 and evaluate.keywords["tolerance"] == 1e-3
    finally:
        runner.pool.shutdown()


def test_a_sample_may_run_long_enough_to_be_seen_ten_times_slower_than_the_fastest():
    settings = measure.MeasureSettings()  # 10x, 10 s allowance
    assert settings.run_deadline_s(None, ceiling_s=45.0) == 45.0  # nothing timed yet
    assert settings.run_deadline_s(0.5, ceiling_s=45.0) == pytest.approx(10 + 2 * 10 * 0.5)
    assert settings.run_deadline_s(5.0, ceiling_s=45.0) == 45.0  # never past the ceiling
    off = measure.MeasureSettings(stop_slower_than=0)
    assert off.run_deadline_s(0.5, ceiling_s=45.0) == 45.0


def test_the_build_timeout_follows_this_runs_builds_between_floor_and_ceiling():
    settings = measure.MeasureSettings()  # 5x the median, 10-30 s
    few = [1.0] * (measure.BUILDS_BEFORE_SCALING - 1)
    assert settings.build_deadline_s(few) == 30.0
    assert settings.build_deadline_s([1.0] * 8) == 10.0
    assert settings.build_deadline_s([3.0] * 8) == 15.0
    assert settings.build_deadline_s([9.0] * 8) == 30.0


class FakeRunner:
    """Samples whose artifact names their latency; slower than the timeout: a timeout."""

    def __init__(self, timeout_sec):
        self.timeout_sec, self.seen = timeout_sec, []

    def run(self, runner_inputs):
        from tvm.s_tir.meta_schedule.runner.local_runner import LocalRunnerFuture

        (runner_input,) = runner_inputs
        latency = float(runner_input.artifact_path)
        self.seen.append(self.timeout_sec)
        if 2 * latency > self.timeout_sec:
            return [LocalRunnerFuture(None, f"LocalRunner: Timeout, killed after {latency} s")]
        return [LocalRunnerFuture([latency], None)]


def test_the_runner_stops_a_much_slower_sample_and_notes_its_lower_bound():
    from tvm.s_tir.meta_schedule.arg_info import TensorInfo
    from tvm.s_tir.meta_schedule.runner import RunnerInput

    from reasoning_compiler.session import Clock, StopFlag, TimedRunner

    inner, clock = FakeRunner(timeout_sec=100.0), Clock()
    settings = measure.MeasureSettings(stop_slower_than=10, stop_allowance_s=1.0)
    runner = TimedRunner(inner, clock, StopFlag(), settings=settings)
    args = [TensorInfo("float32", [4])]
    inputs = [RunnerInput(str(s), "cpu", args) for s in (2.0, 1.0, 30.0, 3.0)]
    results = [f.result() for f in runner.run(inputs)]
    # first: the ceiling; then 1 s + 2 x 10 x the fastest so far (2 s, then 1 s)
    assert inner.seen == [100.0, 41.0, 21.0, 21.0]
    assert [r.error_msg is None for r in results] == [True, True, False, True]
    assert results[2].error_msg.startswith(measure.STOPPED_SLOW)
    assert clock.at_least_s == {"30.0": 10.0}  # 10 x the fastest (1 s)


def test_a_stopped_sample_is_logged_as_a_lower_bound_and_learned_as_one(tmp_path):
    from tvm.s_tir.meta_schedule.builder import BuilderResult
    from tvm.s_tir.meta_schedule.runner import RunnerResult

    from reasoning_compiler.rundir import SampleLog
    from reasoning_compiler.session import Clock, SampleRecorder, StopFlag

    clock = Clock(build_s={"a": 1.5, "b": 2.0}, at_least_s={"b": 10.0})
    log = SampleLog.open(tmp_path / "samples.jsonl")
    recorder = SampleRecorder(log, 1, lambda: None, StopFlag(), clock, 0.0)
    built = [BuilderResult("a", None), BuilderResult("b", None)]
    ran = [RunnerResult([1.0], None), RunnerResult(None, measure.STOPPED_SLOW + " 10x")]
    _, _, learned = recorder._with_lower_bounds([None, None], built, ran)
    assert [float(s) for s in learned[1].run_secs] == [10.0] and learned[1].error_msg is None
    rows = [recorder._row(b, r) for b, r in zip(built, ran, strict=True)]
    assert rows[0]["latency_s"] == 1.0 and rows[0]["build_s"] == 1.5
    assert rows[1]["latency_s"] is None and rows[1]["error"] is None
    assert rows[1]["at_least_s"] == 10.0 and rows[1]["build_s"] == 2.0
    for row in rows:
        log.append(**row)
    assert (log.failed, log.stopped_slow, log.best_seconds) == (0, 1, 1.0)
