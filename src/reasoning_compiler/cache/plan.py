"""What a run reuses from the cache, in plain Python: which tasks are known well enough to
build from the cache, which known shapes are nearest a new one, and tile sizes refitted to
new loop extents."""

from __future__ import annotations

import math
from collections.abc import Sequence


def tasks_from_cache(counts: Sequence[int], trials: int, finished_run_samples: int) -> list[bool]:
    """Which tasks are built from what the cache knows instead of being tuned.

    ``counts`` are the samples cached per task (this target), ``trials`` the run's sample
    budget, ``finished_run_samples`` the most a finished run spent on exactly these tasks.
    ``trials == 0`` builds every known task from the cache (the others keep their untuned
    loops); a run that a finished run already covered is built whole; otherwise a task is
    known when it holds its share of the budget.
    """
    if trials == 0:
        return [count > 0 for count in counts]
    if finished_run_samples >= trials:
        return [True] * len(counts)
    share = math.ceil(trials / max(1, len(counts)))
    return [count >= share for count in counts]


def shape_distance(a: dict | None, b: dict | None) -> float:
    """How far two shapes are: the summed |log ratio| of their numbers (inf: not comparable)."""
    xs, ys = _numbers(a), _numbers(b)
    if len(xs) != len(ys) or not xs:
        return math.inf
    if any(x <= 0 or y <= 0 for x, y in zip(xs, ys, strict=True)):
        return 0.0 if xs == ys else math.inf
    return sum(abs(math.log(x / y)) for x, y in zip(xs, ys, strict=True))


def _numbers(shape) -> list[float]:
    if isinstance(shape, dict):
        return [n for key in sorted(shape) for n in _numbers(shape[key])]
    if isinstance(shape, list | tuple):
        return [n for item in shape for n in _numbers(item)]
    return [float(shape)] if isinstance(shape, int | float) else []


def nearest_first(known: Sequence, shape: dict | None) -> list:
    """Cached samples (with ``.shape`` and ``.latency_s``), nearest shape first, then fastest;
    those of incomparable shapes are left out."""
    near = [(shape_distance(k.shape, shape), k.latency_s, i) for i, k in enumerate(known)]
    return [known[i] for d, _, i in sorted(near) if d < math.inf]


def fit_tile(factors: Sequence[int], extent: int) -> list[int]:
    """Tile factors refitted to a new loop extent: each inner factor kept where it divides
    what is left (else the largest divisor below it), the outermost takes the rest."""
    rest, inner = int(extent), []
    for factor in reversed(list(factors)[1:]):
        fitted = max(d for d in range(1, min(int(factor), rest) + 1) if rest % d == 0)
        inner.append(fitted)
        rest //= fitted
    return [rest, *reversed(inner)]
