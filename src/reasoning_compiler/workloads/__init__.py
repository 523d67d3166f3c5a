"""The workload registry: built-in kernels from the paper, plus users' own from a Python file."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

from ..errors import UserError
from .attention import FLUX_ATTENTION, LLAMA3_8B_ATTENTION
from .base import Kernel, Workload, prim_func_from
from .block_causal import LLAMA3_8B_ATTENTION_BLOCK_CAUSAL
from .conv import FLUX_CONV
from .fused_attention import FLUX_ATTENTION_FUSED
from .matmul import MATMUL
from .moe import DEEPSEEK_R1_MOE, DEEPSEEK_R1_MOE_FUSED

WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        MATMUL,
        LLAMA3_8B_ATTENTION,
        DEEPSEEK_R1_MOE,
        FLUX_ATTENTION,
        FLUX_CONV,
        LLAMA3_8B_ATTENTION_BLOCK_CAUSAL,
        DEEPSEEK_R1_MOE_FUSED,
        FLUX_ATTENTION_FUSED,
    )
}
PAPER_WORKLOADS = ["llama3-8b-attention", "deepseek-r1-moe", "flux-attention", "flux-conv"]

__all__ = ["WORKLOADS", "PAPER_WORKLOADS", "Kernel", "Workload", "load_kernel", "parse_shape"]


def parse_shape(text: str | None) -> dict[str, int]:
    """Parse ``"seq_len=1024,tokens=64"`` into a dict of positive ints."""
    if not text:
        return {}
    shape: dict[str, int] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UserError(f"malformed --shape {text!r}: expected NAME=INT[,NAME=INT...]")
        try:
            number = int(value)
        except ValueError:
            raise UserError(
                f"malformed --shape {text!r}: {key}={value!r} is not an integer"
            ) from None
        if number <= 0:
            raise UserError(f"malformed --shape {text!r}: {key} must be positive, got {number}")
        shape[key] = number
    return shape


def load_kernel(spec: str, preset: str | None = None, shape: dict | str | None = None) -> Kernel:
    """Resolve a workload name (``matmul``) or a user file (``path/to/file.py:function``)."""
    overrides = parse_shape(shape) if isinstance(shape, str) or shape is None else dict(shape)
    if spec in WORKLOADS:
        return WORKLOADS[spec].resolve(preset, overrides)
    if ":" in spec and spec.split(":", 1)[0].endswith(".py"):
        return _load_user_kernel(spec, preset, overrides)
    raise UserError(
        f"unknown workload {spec!r}; built-in workloads are: {', '.join(WORKLOADS)} "
        f"(or give path/to/file.py:function)"
    )


def _load_user_kernel(spec: str, preset: str | None, overrides: dict[str, int]) -> Kernel:
    path_text, func_name = spec.rsplit(":", 1)
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"workload file {path} does not exist")
    if preset not in (None, "default"):
        raise UserError("presets apply to built-in workloads; use --shape with a workload file")
    module_name = f"_rc_user_workload_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as err:
        raise UserError(f"importing {path} failed: {type(err).__name__}: {err}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise UserError(f"{path} does not define a function named {func_name!r}")
    params = inspect.signature(func).parameters
    unknown = [k for k in overrides if k not in params]
    if unknown:
        raise UserError(
            f"{func_name}() takes no parameter {unknown[0]!r}; "
            f"its parameters are: {', '.join(params) or '(none)'}"
        )
    try:
        result = func(**overrides)
    except Exception as err:
        raise UserError(f"{spec} raised {type(err).__name__}: {err}") from None
    prim_func = prim_func_from(result)
    reference = getattr(module, f"{func_name}_reference", None)
    shape = {
        k: overrides.get(k, p.default)
        for k, p in params.items()
        if k in overrides or p.default is not inspect.Parameter.empty
    }
    import tvm
    from tvm.s_tir.analysis import estimate_tir_flops

    flops = int(estimate_tir_flops(tvm.IRModule({"main": prim_func})))
    return Kernel(
        name=f"{path.name}:{func_name}",
        preset="default",
        shape=shape,
        func=prim_func,
        flops=flops,
        reference=(lambda *xs: reference(*xs, **shape)) if callable(reference) else None,
        source=str(path.resolve()),
    )
