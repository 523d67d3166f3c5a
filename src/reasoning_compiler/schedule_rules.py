"""The design space every strategy searches: MetaSchedule's own rules for the target, plus ours
where upstream has none.

Added on CPU targets:

- ``TransposedOperand``: a reduction whose operand is read along the reduction axis while the
  output's innermost axis walks another dimension of it (attention's Q K^T reads K[j, d]; a
  matmul against a weight stored [out, in]) gets a second design space in which that operand
  is first copied into a transposed buffer. MetaSchedule vectorizes only the innermost spatial
  loop; without the copy that loop strides through the operand, and the searches settle on
  scalar code for the whole product (read in the best Llama-attention program of 320 samples).
  The copy is part of the kernel and timed with it. The space keeps the original as well, so
  the search decides, shape by shape, whether the copy pays.
- ``RegisterTiling`` (in place of upstream's ``MultiLevelTiling``, with its settings): a
  product's innermost tile along the output's last axis is exactly ``VECTORS_PER_ROW`` vector
  registers wide, so the innermost loop nest is a register-blocked micro-kernel (rows x two
  vectors of columns, the shape of oneDNN's and OpenBLAS's f32 kernels: 6 x 16 on AVX2, 14 x 32
  on AVX-512) that MetaSchedule vectorizes. Upstream samples that tile from all its divisors up
  to 64, 1 included: the best fused-MoE program of a 15-minute paper-size run computed its
  stacked product 8 rows x 1 column, scalar. Built on upstream's ``MultiLevelTilingWideVector``;
  the width is read from the target's CPU (two 256-bit registers on AVX2, two 512-bit ones on
  AVX-512). Where the axis is no multiple of that width the block keeps upstream's tiling (no
  predicated tails).

And three postprocessors. Before upstream's:

- ``VectorizeInsideTiles``: a block under the root that holds blocks of its own (a tile: one
  query block of the fused attention, its intermediates allocated inside, its loop parallel in
  the kernel's definition) gets upstream's vectorize and unroll decisions one scope down, on
  the blocks inside it. Upstream's ``RewriteParallelVectorizeUnroll`` reads the root's
  decisions and applies them to the root's children only: it vectorized the tile's own loop
  (wrong outputs) and left the products inside scalar. Kernels without tiles are untouched.

After upstream's:

- ``NoRecomputedReduction``: a reduction placed (compute-at) under a loop that none of its
  iterators uses runs again on each of that loop's iterations. Where MetaSchedule's
  ``RewriteReductionBlock`` puts its init above such a loop, the sums pile up: on Llama
  attention, ``row_sum`` under the output's reduction loop gave wrong outputs (relative error
  0.08-0.54), 165 of the 2,016 samples of the tuning-cache benchmark, every one caught by the
  output check but each a wasted build. The check refuses exactly that case (an update block
  under an unused loop that its own init block is not under); correct recomputation, init
  and all inside the loop, stays in the space (431 such samples there, some the fastest).
- ``RegisterBudget``: refuses a tiled product whose register tile (the loops inside its
  innermost reduction loop, in vectors) needs more accumulators than the CPU has vector
  registers to spare: all of them but four, which hold the loaded row of the other operand, the
  broadcast element and a temporary (12 of AVX2's 16, 28 of AVX-512's 32: oneDNN's 6 x 16 and
  14 x 32 kernels). Past that, the accumulators spill to the stack on every step of the
  reduction: the best fused-MoE program of a 15-minute paper-size run had 8 rows x 2 vectors,
  16 accumulators, on AVX2.
"""

from __future__ import annotations

import math

import tvm
from tvm.ir.utils import derived_object
from tvm.s_tir import SBlockRealize
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.postproc import PyPostproc
from tvm.s_tir.meta_schedule.schedule_rule import PyScheduleRule
from tvm.tirx import For, ForKind, IndexMap, IterVar, Var
from tvm.tirx.analysis import undefined_vars

from .target import needs, vector_bits, vector_registers

# Replaced by RegisterTiling, and TransposedOperand goes right before it (tiling must see the
# transposed operand).
_TILING = "MultiLevelTiling"
# Vector registers of output columns per row of the micro-kernel (see the module doc).
VECTORS_PER_ROW = 2
# Upstream's settings for its CPU MultiLevelTiling (ScheduleRule::DefaultLLVM in TVM 0.27),
# which the wide tiling repeats.
_STRUCTURE, _MAX_INNERMOST = "SSRSRS", 64
# Vector registers a register tile leaves free: a loaded row of the other operand (two
# vectors), the broadcast element, one temporary.
_SPARE_REGISTERS = 4


def design_space(target: tvm.target.Target) -> ms.space_generator.PostOrderApply:
    """MetaSchedule's post-order space generator with this project's rules for ``target``."""
    rules = needs(target).schedule_rules()
    if rules is None:
        return ms.space_generator.PostOrderApply()
    postprocs = [VectorizeInsideTiles(), *ms.postproc.Postproc.create(target.kind.name)]
    postprocs.append(NoRecomputedReduction())
    bits, registers = vector_bits(target), vector_registers(target)
    if bits and registers:
        postprocs.append(RegisterBudget(registers - _SPARE_REGISTERS, bits))
    return ms.space_generator.PostOrderApply(sch_rules=rules, postprocs=postprocs)


def rule_names(target: tvm.target.Target) -> list[str]:
    """The schedule rules of ``target``'s space, in order, for results."""
    rules = needs(target).schedule_rules() or []
    return [type(rule).__name__ for rule in rules] or ["MetaSchedule defaults"]


def schedule_rules(target: tvm.target.Target) -> list:
    rules = list(ms.schedule_rule.ScheduleRule.create("llvm"))
    at = next(i for i, rule in enumerate(rules) if type(rule).__name__ == _TILING)
    bits = vector_bits(target)
    tiling = RegisterTiling(VECTORS_PER_ROW * bits, rules[at]) if bits else rules[at]
    return [*rules[:at], TransposedOperand(), tiling, *rules[at + 1 :]]


def spans_whole_vectors(block, width_bits: int) -> bool:
    """Whether the output's last axis is a whole number of ``width_bits``-wide vectors (of the
    output's element type), at least one."""
    write = block.writes[0] if len(block.writes) == 1 else None
    if write is None or not isinstance(write.region[-1].min, Var):
        return False
    lanes = width_bits // write.source.dtype.bits
    last = write.region[-1].min
    extent = next((iv.dom.extent for iv in block.iter_vars if iv.var.same_as(last)), None)
    return isinstance(extent, tvm.tirx.IntImm) and int(extent) % lanes == 0


@derived_object
class RegisterTiling(PyScheduleRule):
    """Upstream's multi-level tiling with a register-blocked innermost tile (see the module
    doc): ``MultiLevelTilingWideVector`` where the output's last axis splits into whole
    vectors of ``width_bits``, upstream's ``MultiLevelTiling`` (``upstream``) elsewhere."""

    def __init__(self, width_bits: int, upstream):
        super().__init__()
        self.width_bits, self.plain = width_bits, upstream
        reuse_write = ms.schedule_rule.ReuseType(req="may", levels=[1, 2], scope="global")
        self.wide = ms.schedule_rule.MultiLevelTilingWideVector(
            _STRUCTURE, width_bits, _MAX_INNERMOST, reuse_write=reuse_write
        )

    def _initialize_with_tune_context(self, context) -> None:
        for rule in (self.wide, self.plain):
            rule._initialize_with_tune_context(context)  # noqa: SLF001

    def apply(self, sch, block):
        wide = spans_whole_vectors(sch.get(block), self.width_bits)
        return (self.wide if wide else self.plain).apply(sch, block)

    def clone(self):
        return RegisterTiling(self.width_bits, self.plain.clone())


def transposable_operand(block) -> tuple[int, int] | None:
    """``(read index, dimension)``: the read to copy transposed, and which of its dimensions
    goes last, or None. The operand's last dimension must be indexed by a reduction variable
    alone, and an earlier one by the variable of the output's last dimension. Only products
    (two operands or more) qualify: a row reduction (softmax's max and sum) would copy its
    whole input to vectorize across rows."""
    if len(block.writes) != 1:
        return None
    output = block.writes[0].source
    operands = [i for i, r in enumerate(block.reads) if not r.source.same_as(output)]
    if len({block.reads[i].source.name for i in operands}) < 2:
        return None
    reduce = [iv.var for iv in block.iter_vars if iv.iter_type == IterVar.CommReduce]
    inner = block.writes[0].region[-1].min
    if not reduce or not isinstance(inner, Var):
        return None
    for index in operands:
        read = block.reads[index]
        if len(read.region) < 2:
            continue
        dims = [r.min for r in read.region]
        if not (isinstance(dims[-1], Var) and any(dims[-1].same_as(v) for v in reduce)):
            continue
        for dim, expr in enumerate(dims[:-1]):
            if isinstance(expr, Var) and expr.same_as(inner):
                return index, dim
    return None


@derived_object
class TransposedOperand(PyScheduleRule):
    """Fork the space: as is, and with the operand copied transposed (see the module doc)."""

    def _initialize_with_tune_context(self, context) -> None:
        pass

    def apply(self, sch, block):
        found = transposable_operand(sch.get(block))
        if found is None:
            return [sch]
        index, dim = found
        ndim = len(sch.get(block).reads[index].region)
        order = [d for d in range(ndim) if d != dim] + [dim]
        transposed = sch.copy()
        copy = transposed.cache_read(block, index, "global")
        layout = IndexMap.from_func(lambda *axes: [axes[d] for d in order], ndim=ndim)
        transposed.transform_layout(copy, ("write", 0), layout)
        return [sch, transposed]

    def clone(self):
        return TransposedOperand()


def _realizes(func) -> list[tuple[SBlockRealize, list]]:
    """Each block of ``func`` (as realized) with the loops around it, outermost first, counted
    from its parent block (loops outside a block do not iterate the blocks inside it)."""
    found = []

    def walk(stmt, loops: list) -> None:
        if isinstance(stmt, For):
            walk(stmt.body, [*loops, stmt])
        elif isinstance(stmt, SBlockRealize):
            found.append((stmt, loops))
            walk(stmt.block.body, [])
        else:
            for child in _children(stmt):
                walk(child, loops)

    walk(func.body, [])
    return found


def recomputed_reductions(func) -> list[str]:
    """The decomposed reductions of ``func`` whose update block sits, below its ``_init`` block,
    under a loop of extent > 1 that none of its iterators uses: each iteration of that loop adds
    the whole reduction again onto sums initialised once."""
    seen = {  # block name -> (enclosing loops, variables it uses)
        realize.block.name_hint: (loops, _used_vars(realize.iter_values))
        for realize, loops in _realizes(func)
    }
    found = []
    for name, (loops, used) in seen.items():
        init = (
            seen.get(name.removesuffix("_update") + "_init") if name.endswith("_update") else None
        )
        if init is None:
            continue
        below_init = [loop for loop in loops if not any(loop.same_as(o) for o in init[0])]
        if any(_repeats(loop) and loop.loop_var not in used for loop in below_init):
            found.append(name)
    return found


def register_tiles(func, vector_bits: int) -> dict[str, int]:
    """Each tiled product of ``func`` whose innermost loop is vectorized -> the vector registers
    its register tile accumulates in: the loops inside its innermost reduction loop, in vectors
    of ``vector_bits``."""
    tiles = {}
    for realize, loops in _realizes(func):
        block = realize.block
        if "meta_schedule.tiling_structure" not in block.annotations or not loops:
            continue
        reduction = _used_vars(
            value
            for iv, value in zip(block.iter_vars, realize.iter_values, strict=True)
            if iv.iter_type == IterVar.CommReduce
        )
        inside = [i for i, loop in enumerate(loops) if loop.loop_var in reduction]
        tile = loops[inside[-1] + 1 :] if inside else []
        if not tile or tile[-1].kind != ForKind.VECTORIZED:
            continue
        if not all(isinstance(loop.extent, tvm.tirx.IntImm) for loop in tile):
            continue
        lanes = max(1, vector_bits // block.writes[0].source.dtype.bits)
        elements = math.prod(int(loop.extent) for loop in tile)
        tiles[block.name_hint] = -(-elements // lanes)
    return tiles


def _used_vars(values) -> set:
    return {v for value in values for v in undefined_vars(value)}


def _repeats(loop) -> bool:
    return not (isinstance(loop.extent, tvm.tirx.IntImm) and int(loop.extent) <= 1)


def _children(stmt) -> list:
    if hasattr(stmt, "seq"):
        return list(stmt.seq)
    return [
        getattr(stmt, name)
        for name in ("body", "then_case", "else_case")
        if getattr(stmt, name, None) is not None
    ]


@derived_object
class NoRecomputedReduction(PyPostproc):
    """Refuses a schedule whose reduction sums again onto one init (see the module doc)."""

    def _initialize_with_tune_context(self, context) -> None:
        pass

    def apply(self, sch) -> bool:
        return not any(
            recomputed_reductions(func)
            for func in sch.mod.functions.values()
            if isinstance(func, tvm.tirx.PrimFunc)
        )

    def clone(self):
        return NoRecomputedReduction()


@derived_object
class RegisterBudget(PyPostproc):
    """Refuses a schedule with a register tile of more than ``registers`` vectors of
    ``vector_bits`` (see the module doc)."""

    def __init__(self, registers: int, vector_bits: int):
        super().__init__()
        self.registers, self.vector_bits = registers, vector_bits

    def _initialize_with_tune_context(self, context) -> None:
        pass

    def apply(self, sch) -> bool:
        return all(
            count <= self.registers
            for func in sch.mod.functions.values()
            if isinstance(func, tvm.tirx.PrimFunc)
            for count in register_tiles(func, self.vector_bits).values()
        )

    def clone(self):
        return RegisterBudget(self.registers, self.vector_bits)


# The root's annotations that upstream's ParallelizeVectorizeUnroll rule samples and its
# RewriteParallelVectorizeUnroll postprocessor applies.
_PARALLEL, _VECTORIZE = "meta_schedule.parallel", "meta_schedule.vectorize"
_UNROLL = ("meta_schedule.unroll_explicit", "meta_schedule.unroll_implicit")


@derived_object
class VectorizeInsideTiles(PyPostproc):
    """Applies the root's vectorize and unroll decisions inside tiles (see the module doc)."""

    def _initialize_with_tune_context(self, context) -> None:
        pass

    def apply(self, sch) -> bool:
        for name, func in sch.mod.functions.items():
            # Only functions whose body is one root block, as upstream's postprocessor reads.
            if isinstance(func, tvm.tirx.PrimFunc) and isinstance(func.body, SBlockRealize):
                root = sch.get_sblock(func.body.block.name_hint, name.name_hint)
                _vectorize_inside_tiles(sch, root)
        return True

    def clone(self):
        return VectorizeInsideTiles()


def _vectorize_inside_tiles(sch, root) -> None:
    tiles = [block for block in sch.get_child_blocks(root) if sch.get_child_blocks(block)]
    if not tiles:
        return
    annotations = sch.get(root).annotations
    keys = (_PARALLEL, _VECTORIZE, *_UNROLL)
    decided = {key: int(annotations[key]) for key in keys if key in annotations}
    for key in decided:
        sch.unannotate(root, key)  # upstream's postprocessor would vectorize the tile loop
    vector_extent = decided.get(_VECTORIZE, 0)
    unroll = next((decided[k] for k in _UNROLL if k in decided), 0)
    explicit = int(_UNROLL[0] in decided)
    for tile in tiles:
        for block in sch.get_child_blocks(tile):
            loops = sch.get_loops(block)
            if not loops:
                continue
            if vector_extent > 1:
                _vectorize_innermost(sch, loops[-1], vector_extent)
            if unroll > 0 and not _spatial(sch.get(block)):
                sch.annotate(loops[0], "pragma_auto_unroll_max_step", unroll)
                sch.annotate(loops[0], "pragma_unroll_explicit", explicit)


def _vectorize_innermost(sch, loop, max_extent: int) -> None:
    """Vectorize ``loop`` (a block's innermost) where it walks data-parallel iterators only:
    whole when it is at most ``max_extent`` long, else its inner ``max_extent`` iterations."""
    stmt = sch.get(loop)
    if not isinstance(stmt.body, SBlockRealize) or not isinstance(stmt.extent, tvm.tirx.IntImm):
        return
    realize, extent = stmt.body, int(stmt.extent)
    for iv, value in zip(realize.block.iter_vars, realize.iter_values, strict=True):
        if iv.iter_type != IterVar.DataPar and stmt.loop_var in undefined_vars(value):
            return
    if extent > max_extent:
        if extent % max_extent:
            return
        loop = sch.split(loop, [None, max_extent])[1]
    sch.vectorize(loop)


def _spatial(block) -> bool:
    return all(iv.iter_type == IterVar.DataPar for iv in block.iter_vars)
