"""Whole models: a PyTorch module in, every operator tuned under one budget, a verified model out.

``blocks``: the built-in models (a registry, no torch); ``layers``: their PyTorch code;
``frontend``: export, import into Relax, tasks; ``tune``: the tuning pipeline; ``result``: what
it returns. Names load their module on first use (``tune`` imports TVM).
"""

import importlib

_HOMES = {
    "MODEL_BLOCKS": "blocks",
    "ModelError": "frontend",
    "load_model": "frontend",
    "ModelResult": "result",
    "tune_model": "tune",
}
__all__ = list(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'reasoning_compiler.model' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
