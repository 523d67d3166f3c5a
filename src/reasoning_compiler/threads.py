"""How many threads tuned code runs on. Plain Python: the package sets this on import, before
anything starts TVM's thread pool, without importing TVM."""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def use_all_cores() -> int:
    """Have TVM's runtime run parallel loops on every core this process may use; returns the
    thread count.

    TVM's thread pool assumes x86 CPUs are hyper-threaded and starts half as many threads as
    there are CPUs: on a 2-vCPU machine without SMT that is one thread, and every tuned kernel
    ran on one core (matmul 512^3, one hand schedule: 112 GFLOP/s on 1 thread, 222 on 2). The
    pool reads ``TVM_NUM_THREADS`` once, when first used, so this runs when the package is
    imported (worker processes inherit it); a value the user set wins.
    """
    os.environ.setdefault("TVM_NUM_THREADS", str(available_cores()))
    return runtime_threads()


def runtime_threads() -> int:
    """The thread count TVM's runtime uses in this process and its workers."""
    try:
        return int(os.environ["TVM_NUM_THREADS"])
    except (KeyError, ValueError):
        return max(1, available_cores() // 2)  # TVM's own default on x86
