"""Reasoning Compiler: tune neural-network kernels with Apache TVM MetaSchedule.

>>> import reasoning_compiler as rc
>>> result = rc.tune("matmul", preset="small", trials=32)
>>> result.speedup, result.best_seconds
>>> model = rc.tune_model("llama3-8b-decoder", strategy="mcts", trials=200)
>>> model.latency, model.plot()
"""

from .target import use_all_cores

use_all_cores()  # before anything starts TVM's thread pool: see use_all_cores

from .benchmark import bench  # noqa: E402
from .errors import TuningError, UserError  # noqa: E402
from .llm import LLMSettings  # noqa: E402
from .measure import MeasureSettings  # noqa: E402
from .model import MODEL_BLOCKS, ModelResult, tune_model  # noqa: E402
from .result import TuneResult  # noqa: E402
from .strategies import STRATEGIES  # noqa: E402
from .tuning import tune  # noqa: E402
from .workloads import PAPER_WORKLOADS, WORKLOADS, Kernel, load_kernel  # noqa: E402

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
