"""Weights packed once: programs whose weights MetaSchedule's layout rewrite re-laid out.

A workload marks the inputs that are weights (constants where a model is served) as layout-free
(``workloads.base.weights``). MetaSchedule's ``RewriteLayout`` postprocessor then copies each
into the layout its product's tiles read it in (tile by tile, so the innermost loops read
consecutive addresses), in a block marked as preprocessing. Served, that copy runs once, when
the weights are loaded (what Relax's ``LiftTransformParams`` does for a whole model); inside
every call it would move as many bytes as the product reads. So a program is built as two
functions: ``main``, which takes the packed weights (upstream's
``RemoveWeightLayoutRewriteBlock`` strips the copies), and ``pack_weights``, the copies alone,
which the runner runs once on the inputs as written before the program is checked and timed.

``pack_weights`` takes the program's inputs as written, then its inputs as ``main`` takes them
(a weight that was not packed is passed twice and left alone).
"""

from __future__ import annotations

import tvm
from tvm.s_tir import SBlock, SBlockRealize
from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock
from tvm.tirx import For, PrimFunc, SeqStmt

PACK_WEIGHTS = "pack_weights"
_PREPROCESSING = "meta_schedule.layout_rewrite_preproc"  # RewriteLayout's mark


def split(mod: tvm.IRModule) -> tvm.IRModule:
    """``mod`` as it is built: ``main`` without the weight copies, and ``pack_weights`` where
    it had any."""
    stripped = RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)
    func = mod["main"]
    nests = [stmt for stmt in _root_statements(func) if _copy_block(stmt) is not None]
    if not nests:
        return stripped
    return tvm.IRModule({"main": stripped["main"], PACK_WEIGHTS: _packing(func, nests)})


def has_copies(func: PrimFunc) -> bool:
    """Whether a scheduled function re-lays out weights (before ``split``)."""
    return any(_copy_block(stmt) is not None for stmt in _root_statements(func))


def packs(rt_mod) -> bool:
    """Whether a built program takes packed weights (so its inputs go through ``pack``)."""
    try:
        return bool(rt_mod.implements_function(PACK_WEIGHTS))
    except Exception:  # a module that cannot say (over RPC) is taken as one that does not
        return False


def arguments(inputs: list, arg_shapes: list, device) -> list:
    """The program's input arguments on ``device`` for ``inputs`` (NumPy, as written): each
    input whose shape the program keeps, an empty buffer of the packed shape for each weight
    it packs (``pack`` fills them)."""
    return [
        tvm.runtime.tensor(x, device)
        if x.shape == tuple(shape)
        else tvm.runtime.empty(shape, dtype, device)
        for x, (shape, dtype) in zip(inputs, arg_shapes, strict=True)
    ]


def pack(rt_mod, inputs: list, args: list, device) -> None:
    """Fill the packed weights among ``args`` (from ``arguments``) from ``inputs`` (NumPy)."""
    written = [
        arg if x.shape == tuple(arg.shape) else tvm.runtime.tensor(x, device)
        for x, arg in zip(inputs, args, strict=True)
    ]
    rt_mod[PACK_WEIGHTS](*written, *args)


def _root_statements(func: PrimFunc) -> list:
    body = func.body.block.body if isinstance(func.body, SBlockRealize) else func.body
    return list(body.seq) if isinstance(body, SeqStmt) else [body]


def _copy_block(stmt) -> SBlock | None:
    """The weight copy that ``stmt`` is the loop nest of, if it is one."""
    while isinstance(stmt, For):
        stmt = stmt.body
    if isinstance(stmt, SBlockRealize) and _PREPROCESSING in stmt.block.annotations:
        return stmt.block
    return None


def _packing(func: PrimFunc, nests: list) -> PrimFunc:
    inputs = list(func.params[:-1])
    packed = [None] * len(inputs)
    for nest in nests:
        block = _copy_block(nest)
        source = block.reads[0].source
        at = next(i for i, buffer in enumerate(inputs) if buffer.same_as(source))
        packed[at] = block.writes[0].source
    targets = [
        into if into is not None else tvm.tirx.decl_buffer(x.shape, x.dtype, f"{x.name}_kept")
        for x, into in zip(inputs, packed, strict=True)
    ]
    body = nests[0] if len(nests) == 1 else SeqStmt(nests)
    root = SBlockRealize([], True, SBlock([], [], [], "root", body))
    func = PrimFunc(inputs + targets, root).with_attr("tirx.noalias", True)
    return _on_all_cores(func).with_attr("global_symbol", PACK_WEIGHTS)


def _on_all_cores(func: PrimFunc) -> PrimFunc:
    """Each copy's loops but the innermost fused into one parallel loop: the runner packs the
    weights for every sample, 350 MB at the paper-size MoE."""
    sch = tvm.s_tir.Schedule(func)
    for block in sch.get_child_blocks(sch.get_sblock("root")):
        loops = sch.get_loops(block)
        sch.parallel(sch.fuse(*loops[:-1]) if len(loops) > 1 else loops[0])
    return sch.mod["main"]
