"""Reasoning Compiler: tune neural-network kernels with Apache TVM MetaSchedule.

>>> import reasoning_compiler as rc
>>> result = rc.tune("matmul", preset="small", trials=32)
>>> result.speedup, result.best_seconds
>>> model = rc.tune_model("llama3-8b-decoder", strategy="mcts", trials=200)
>>> model.latency, model.plot()

Importing the package is instant: each name below loads its module (TVM, torch) when first
used, so ``reasoning-compiler --help`` and a plain ``import`` stay fast, and torch is needed
only by what uses it.
"""

import importlib

from .threads import use_all_cores

use_all_cores()  # before anything starts TVM's thread pool: see use_all_cores

_HOMES = {
    "tune": "kernels",
    "tune_model": "model",
    "bench": "benchmark",
    "ModelResult": "model",
    "MODEL_BLOCKS": "model.blocks",
    "TuneResult": "result",
    "TuningError": "errors",
    "UserError": "errors",
    "MeasureSettings": "measure",
    "WORKLOADS": "workloads",
    "PAPER_WORKLOADS": "workloads",
    "STRATEGIES": "strategies",
    "Kernel": "workloads",
    "LLMSettings": "llm",
    "load_kernel": "workloads",
}
__all__ = list(_HOMES)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'reasoning_compiler' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value  # once: later lookups are plain
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
