"""What a workload is: a kernel builder, its shape presets, FLOP count and NumPy reference."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError

# A block annotation (te.compute's attrs) that keeps MetaSchedule's AutoInline from folding a
# block into its readers: for a copy that packs an operand, or an elementwise step that is
# expensive (a sigmoid, a division) where inlining would repeat it for every column a
# product's consumer reads it for. The search may still compute it at a loop of its reader.
KEEP = {"meta_schedule.inline_rule": "disable"}


def weights(*tensors) -> dict:
    """te.compute attrs marking ``tensors`` (placeholders) as weights: constants where the
    model is served, so MetaSchedule's layout rewrite may store them in the layout the product
    reads them in, packed once (see ``weight_packing``)."""
    return {"layout_free_placeholders": list(tensors)}


if TYPE_CHECKING:  # TVM loads when a kernel is built: listing workloads stays fast
    import tvm


@dataclass(frozen=True)
class Workload:
    """A family of kernels with named shape parameters.

    ``build(**shape)`` returns a TIR PrimFunc whose last parameter is the output;
    ``reference(*inputs, **shape)`` computes that output with NumPy; ``flops(**shape)`` counts
    floating-point operations (multiply-add = 2).
    """

    name: str
    summary: str
    presets: Mapping[str, Mapping[str, int]]
    build: Callable[..., tvm.tirx.PrimFunc]
    flops: Callable[..., int]
    reference: Callable[..., np.ndarray] | None = None
    check: Callable[..., None] = lambda **shape: None  # raises ValueError for impossible shapes
    notes: str = ""
    dtype: str = "float32"

    def resolve(self, preset: str | None, overrides: Mapping[str, int] | None = None) -> Kernel:
        """Pick a preset, apply shape overrides, validate, and build the PrimFunc."""
        preset = preset or "small"
        shape = self.shape(preset, overrides)
        return Kernel(
            name=self.name,
            preset=preset,
            shape=shape,
            func=self.build(**shape),
            flops=int(self.flops(**shape)),
            reference=(lambda *xs: self.reference(*xs, **shape)) if self.reference else None,
            dtype=self.dtype,
        )

    def shape(self, preset: str, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
        """The shape of ``preset`` with ``overrides`` applied, validated (nothing is built)."""
        if preset not in self.presets:
            raise UserError(
                f"workload {self.name!r} has no preset {preset!r}; "
                f"choose one of: {', '.join(self.presets)}"
            )
        shape = dict(self.presets[preset])
        for key, value in (overrides or {}).items():
            if key not in shape:
                raise UserError(
                    f"workload {self.name!r} has no shape parameter {key!r}; "
                    f"its parameters are: {', '.join(shape)}"
                )
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise UserError(f"shape parameter {key}={value!r} must be a positive integer")
            shape[key] = value
        try:
            self.check(**shape)
        except ValueError as err:
            raise UserError(f"{self.name}: {err}") from None
        return shape


@dataclass
class Kernel:
    """One concrete kernel to tune: a workload at fixed shapes."""

    name: str
    preset: str
    shape: dict[str, int]
    func: tvm.tirx.PrimFunc
    flops: int
    reference: Callable[..., np.ndarray] | None = None
    dtype: str = "float32"
    source: str = field(default="builtin")

    @property
    def mod(self) -> tvm.IRModule:
        import tvm

        return tvm.IRModule({"main": self.func.with_attr("global_symbol", "main")})

    def arg_shapes(self) -> list[tuple[tuple[int, ...], str]]:
        """(shape, dtype) of every parameter, in order; the last is the output."""
        from tvm.s_tir.meta_schedule.arg_info import ArgInfo

        infos = [info.as_json() for info in ArgInfo.from_prim_func(self.func)]
        return [(tuple(int(d) for d in shape), dtype) for _, dtype, shape in infos]

    def random_inputs(self, seed: int = 0) -> list[np.ndarray]:
        return random_inputs(self.arg_shapes(), seed)

    def describe(self) -> str:
        shape = ", ".join(f"{k}={v}" for k, v in self.shape.items())
        return f"{self.name} [{self.preset}] ({shape})"


def random_inputs(arg_shapes: list[tuple[tuple[int, ...], str]], seed: int) -> list[np.ndarray]:
    """Inputs in [-1, 1) for every parameter but the last (the output), from ``seed``."""
    return seeded_inputs(arg_shapes[:-1], seed)


def seeded_inputs(input_shapes, seed: int) -> list[np.ndarray]:
    """Arrays in [-1, 1) of the (shape, dtype) ``input_shapes``, from ``seed``."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=shape).astype(dtype) for shape, dtype in input_shapes]


def prim_func_from(result) -> tvm.tirx.PrimFunc:
    """Accept a PrimFunc, an IRModule with one PrimFunc, or a list of TE tensors."""
    import tvm
    from tvm import te

    if isinstance(result, tvm.tirx.PrimFunc):
        return result
    if isinstance(result, tvm.IRModule):
        funcs = [f for _, f in result.functions_items() if isinstance(f, tvm.tirx.PrimFunc)]
        if len(funcs) != 1:
            raise UserError(f"the IRModule must hold exactly one PrimFunc, it holds {len(funcs)}")
        return funcs[0]
    if (
        isinstance(result, list | tuple)
        and result
        and all(isinstance(t, te.Tensor) for t in result)
    ):
        return te.create_prim_func(list(result))
    raise UserError(
        f"a workload function must return a PrimFunc, an IRModule or a list of TE tensors "
        f"(inputs then output), not {type(result).__name__}"
    )
