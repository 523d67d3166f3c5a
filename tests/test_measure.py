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


def check(module, path, long_s):
    args = [[Output(None), Output(np.full(4, np.nan, dtype="float32"))]]
    return measure.check_then_time(
        module, Device(), None, args, expected_path=path, tolerance=1e-3, long_s=long_s
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
