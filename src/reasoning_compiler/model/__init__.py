"""Whole models: a PyTorch module in, every operator tuned under one budget, a verified model out.

``blocks``: the paper's layers in PyTorch; ``frontend``: export, import into Relax, tasks;
``tune``: the tuning pipeline; ``result``: what it returns.
"""

from .blocks import MODEL_BLOCKS
from .frontend import ModelError, load_model
from .result import ModelResult
from .tune import tune_model

__all__ = ["MODEL_BLOCKS", "ModelError", "ModelResult", "load_model", "tune_model"]
