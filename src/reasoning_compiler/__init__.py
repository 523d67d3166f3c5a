"""Reasoning Compiler: tune neural-network kernels with Apache TVM MetaSchedule.

>>> import reasoning_compiler as rc
>>> result = rc.tune("matmul", preset="small", trials=32)
>>> result.speedup, result.best_seconds
>>> model = rc.tune_model("llama3-8b-decoder", strategy="mcts", trials=200)
>>> model.latency, model.plot()
"""

from .benchmark import bench
from .errors import TuningError, UserError
from .llm import LLMSettings
from .measure import MeasureSettings
from .model import MODEL_BLOCKS, ModelResult, tune_model
from .result import TuneResult
from .strategies import STRATEGIES
from .tuning import tune
from .workloads import PAPER_WORKLOADS, WORKLOADS, Kernel, load_kernel

__all__ = [
    "tune",
    "tune_model",
    "bench",
    "ModelResult",
    "MODEL_BLOCKS",
    "TuneResult",
    "TuningError",
    "UserError",
    "MeasureSettings",
    "WORKLOADS",
    "PAPER_WORKLOADS",
    "STRATEGIES",
    "Kernel",
    "LLMSettings",
    "load_kernel",
]
__version__ = "0.1.0"
