"""Every way this project times code, and the estimator each one reports, in one place.

What is timed, by what, and the estimator (the ``protocol`` a result records):

- a tuning sample: MetaSchedule's runner (``measure.py``), the mean of the evaluator's calls
  (number 3, repeat 1, min_repeat_ms 100); one call after the checking run when that took
  ``single_call_from_s`` or more;
- an untuned kernel or model task: the same runner, the median of ``BASELINE_REPEATS``
  repeats; one call when a call takes ``LONG_CALL_S`` or more;
- a whole TVM model: ``time_vm``, the median of 5 repeats of 3 calls; one call when the first
  takes ``LONG_CALL_S`` or more;
- a PyTorch model (eager, ``torch.compile``): ``time_torch``, ``torch.utils.benchmark``'s
  median (blocked autorange, 0.5 s);
- an ONNX Runtime model: ``time_median``, the median of 5 repeats (``timeit`` autorange);
- a library operator (``--compare``): ``best_of`` in fresh processes (``compare.py``), the
  minimum of 10 calls per process, the fastest process.

Samples and baselines use MetaSchedule's runner so that a speedup divides like by like; whole
models and libraries are timed in this process, one after another, on the same inputs.
No module imports TVM or torch here until a timer runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

# Untuned programs are naive loops; at the sizes people serve one call can take a minute (the
# paper-size Llama MLP product: ~55 s on 2 cores). A call at least this long is timed once:
# more calls would refine a figure already known to a few percent and cost minutes.
LONG_CALL_S = 1.0
# Every speedup divides by the untuned latency, so it is the median of this many repeats of the
# samples' own measurement (one repeat varied by up to 50% between runs here).
BASELINE_REPEATS = 3


def sample_estimator(measure: dict, seconds: float | None = None) -> str:
    """How a tuning sample's latency was taken, from a result's ``settings["measure"]`` (and
    the latency: a long sample is timed by one call after its checking run)."""
    single_from = measure.get("single_call_from_s")
    if seconds is not None and single_from is not None and seconds >= single_from:
        return "one call after its checking run"
    number, window = measure.get("number", 3), measure.get("min_repeat_ms", 100)
    repeats = measure.get("repeat", 1)
    text = f"mean call over >= {number} calls and >= {window} ms"
    return text if repeats == 1 else f"{text}, mean of {repeats} repeats"


def baseline_estimator(measure: dict) -> str:
    """How an untuned kernel's latency was taken (results before the field: one repeat)."""
    repeats = measure.get("baseline_repeats", 1)
    return f"median of {repeats} runs" if repeats > 1 else "one run"


def library_estimator(calls: int, processes: int) -> str:
    """How ``--compare`` timed a library operator."""
    return f"fastest of {calls} calls x {processes} fresh processes"


def timed_call(fn: Callable[[], object]) -> tuple[object, float]:
    """``fn()``'s result and the seconds it took."""
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def time_vm(vm, inputs: list, device) -> dict:
    """A Relax VM's ``main``: a first call (also the warm-up); if it took ``LONG_CALL_S`` or
    more it is the time, else the median of 5 repeats of 3 calls."""
    _, first = timed_call(lambda: vm["main"](*inputs))
    if first >= LONG_CALL_S:
        return {"seconds": first, "protocol": "one call"}
    timer = vm.time_evaluator("main", device, number=3, repeat=5, min_repeat_ms=200)
    return {"seconds": float(np.median(timer(*inputs).results)), "protocol": "median of 5"}


def time_torch(module, inputs: tuple, threads: int) -> dict:
    """A PyTorch module on ``threads`` threads, without autograd."""
    import torch
    from torch.utils import benchmark

    torch.set_num_threads(threads)
    timer = benchmark.Timer(
        "with torch.no_grad(): f(*x)", globals={"f": module, "x": inputs, "torch": torch}
    )
    seconds = float(timer.blocked_autorange(min_run_time=0.5).median)
    return {"seconds": seconds, "protocol": "torch.utils.benchmark median"}


def time_median(fn: Callable[[], object], repeats: int = 5) -> dict:
    """Any callable: ``timeit``'s autorange sets calls per repeat; the median of ``repeats``."""
    import timeit

    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    runs = [t / number for t in timer.repeat(repeat=repeats, number=number)]
    return {"seconds": float(np.median(runs)), "protocol": f"median of {repeats}"}


def best_of(fn: Callable[[], object], calls: int) -> float:
    """The fastest of ``calls`` calls after one warm-up (thread pools, page faults)."""
    fn()
    return min(timed_call(fn)[1] for _ in range(calls))
