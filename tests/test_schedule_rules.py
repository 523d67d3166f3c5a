"""The design space: our rule fires where an operand is read across the vectorized axis (the
attentions' K), nowhere else, and every program it adds computes the workload's reference;
products compute register-blocked tiles two vector registers wide; our postprocessors refuse
reductions recomputed under a loop they do not use and vectorize the steps inside a tile."""

import numpy as np
import pytest
import tvm
import tvm_ffi
from tvm import s_tir
from tvm.s_tir import meta_schedule as ms

from conftest import TINY_SHAPES, sampled_programs
from reasoning_compiler.measure import run_once
from reasoning_compiler.schedule_rules import (
    VECTORS_PER_ROW,
    NoRecomputedReduction,
    RegisterBudget,
    design_space,
    recomputed_reductions,
    register_tiles,
    rule_names,
    spans_whole_vectors,
    transposable_operand,
)
from reasoning_compiler.search.decisions import decision_points
from reasoning_compiler.search.language import Tiling
from reasoning_compiler.target import host_target, make_target, vector_bits, vector_registers
from reasoning_compiler.workloads import WORKLOADS

# Workload -> the block and operand the rule transposes (None: it leaves the workload alone).
EXPECTED = {
    "matmul": None,
    "deepseek-r1-moe": None,
    "flux-conv": None,
    "llama3-8b-attention": ("qk", "K"),
    "flux-attention": ("qk", "K"),
}


def _spaces(mod, target, space):
    context = ms.TuneContext(mod=mod, target=target, space_generator=space, task_name="t")
    return context.generate_design_space()


@pytest.mark.parametrize("workload", sorted(EXPECTED))
def test_the_rule_fires_only_on_products_read_across_the_vectorized_axis(workload):
    kernel = WORKLOADS[workload].resolve("small", TINY_SHAPES[workload])
    sch = s_tir.Schedule(kernel.mod)
    found = {}
    for block in sch.get_child_blocks(sch.get_sblock("root")):
        hit = transposable_operand(sch.get(block))
        if hit is not None:
            index, _dim = hit
            found[sch.get(block).name_hint] = sch.get(block).reads[index].source.name
    expected = EXPECTED[workload]
    assert found == ({} if expected is None else {expected[0]: expected[1]})


@pytest.mark.slow
@pytest.mark.parametrize("workload", sorted(EXPECTED))
def test_every_added_program_matches_the_reference(workload):
    kernel = WORKLOADS[workload].resolve("small", TINY_SHAPES[workload])
    target = host_target()
    upstream = _spaces(kernel.mod, target, "post-order-apply")
    ours = _spaces(kernel.mod, target, design_space(target))
    added = [s for s in ours if "TransformLayout" in {i.kind.name for i in s.trace.insts}]
    if EXPECTED[workload] is None:
        assert not added and len(ours) == len(upstream)
        return
    assert len(ours) == 2 * len(upstream) and len(added) == len(upstream)
    inputs = kernel.random_inputs(0)
    expected = kernel.reference(*inputs)
    device = tvm.cpu()
    for sch in added[:: max(1, len(added) // 6)]:  # a spread of the added spaces
        lib = tvm.tirx.build(sch.mod, target=target)
        output = tvm.runtime.tensor(np.zeros(expected.shape, "float32"), device)
        lib(*[tvm.runtime.tensor(x, device) for x in inputs], output)
        np.testing.assert_allclose(output.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_rules_are_stated_and_gpu_targets_keep_upstream_defaults():
    assert "TransposedOperand" in rule_names(host_target())
    names = rule_names(host_target())
    assert names.index("TransposedOperand") == names.index("RegisterTiling") - 1
    assert "MultiLevelTiling" not in names  # replaced, with its settings
    assert rule_names(make_target('{"kind": "cuda", "arch": "sm_90"}')) == ["MetaSchedule defaults"]


def _attention_with_row_sum_at(where: str):
    """Llama attention (tiny) with softmax and exp inlined into the output, the output's
    reduction loop split, ``row_sum`` computed at the output's ``where`` loop, and upstream's
    RewriteReductionBlock applied (the reductions decomposed into init and update)."""
    kernel = WORKLOADS["llama3-8b-attention"].resolve("small", TINY_SHAPES["llama3-8b-attention"])
    sch = s_tir.Schedule(kernel.mod)
    sch.compute_inline(sch.get_sblock("softmax"))
    sch.compute_inline(sch.get_sblock("exp"))
    h, i, e, j = sch.get_loops(sch.get_sblock("out"))
    j_outer, _ = sch.split(j, [4, None])
    loop = {"rows": i, "columns": e, "reduction": j_outer}[where]
    sch.compute_at(sch.get_sblock("row_sum"), loop)
    sch.enter_postproc()
    postprocs = design_space(host_target()).postprocs
    rewrite = next(p for p in postprocs if type(p).__name__ == "RewriteReductionBlock")
    assert rewrite.apply(sch)
    return sch


def test_a_reduction_summed_again_onto_one_init_is_refused():
    # Under the output's reduction loop, row_sum runs 4 times per row while upstream's
    # RewriteReductionBlock puts its init above that loop: the sums pile up (TVM 0.27).
    bad = _attention_with_row_sum_at("reduction")
    assert recomputed_reductions(bad.mod["main"]) == ["row_sum_update"]
    assert NoRecomputedReduction().apply(bad) is False
    # Under a loop of the output's columns, row_sum is computed again per column, each time
    # from its own init: correct (if slower), and kept.
    for where in ("rows", "columns"):
        fine = _attention_with_row_sum_at(where)
        assert recomputed_reductions(fine.mod["main"]) == []
        assert NoRecomputedReduction().apply(fine) is True


def test_the_cpu_space_checks_reductions_and_register_tiles_after_upstreams_postprocessors():
    inside_tiles, *upstream, recomputed, budget = design_space(host_target()).postprocs
    # Ours (Python postprocessors) first, VectorizeInsideTiles before upstream's vectorizing.
    names = [type(p).__name__ for p in upstream]
    assert "RewriteParallelVectorizeUnroll" in names and "_PyPostproc" not in names
    assert type(inside_tiles).__name__ == "_PyPostproc"
    assert recomputed.apply(_attention_with_row_sum_at("reduction")) is False  # ours, last
    assert "RewriteReductionBlock" in {type(p).__name__ for p in upstream}
    # Rows x two vectors: up to 12 of AVX2's 16 vector registers, 28 of AVX-512's 32.
    rows, columns = (vector_registers(host_target()) - 4) // 2, vector_bits(host_target()) // 16
    assert budget.apply(_matmul_register_tile(rows, columns)) is True
    assert budget.apply(_matmul_register_tile(rows + 2, columns)) is False


def _matmul_register_tile(rows: int, columns: int):
    """The tiny matmul with a register tile of ``rows`` x ``columns`` inside its reduction
    loop, the columns vectorized, marked as a tiled product (as MetaSchedule's tiling marks)."""
    kernel = WORKLOADS["matmul"].resolve("small", TINY_SHAPES["matmul"])
    sch = s_tir.Schedule(kernel.mod)
    block = sch.get_sblock("C")
    i, j, k = sch.get_loops(block)
    i_outer, i_inner = sch.split(i, [None, rows])
    j_outer, j_inner = sch.split(j, [None, columns])
    sch.reorder(i_outer, j_outer, k, i_inner, j_inner)
    sch.vectorize(j_inner)
    sch.annotate(block, "meta_schedule.tiling_structure", "SSRSRS")
    return sch


def test_a_register_tile_past_the_spare_registers_is_refused():
    # 256-bit vectors: 8 float32 lanes, 16 columns two registers; rows x 2 accumulators.
    assert register_tiles(_matmul_register_tile(8, 16).mod["main"], 256) == {"C": 16}
    assert register_tiles(_matmul_register_tile(6, 16).mod["main"], 256) == {"C": 12}
    assert RegisterBudget(12, 256).apply(_matmul_register_tile(8, 16)) is False
    assert RegisterBudget(12, 256).apply(_matmul_register_tile(6, 16)) is True
    # On 512-bit vectors the same 8 x 16 tile is 8 registers.
    assert RegisterBudget(28, 512).apply(_matmul_register_tile(8, 16)) is True


# Workload -> its expensive elementwise step, kept out of the product that reads it (KEEP in
# workloads/base.py): inlined by AutoInline, it ran once per element and output column of that
# product. The search may still inline it (a sampled compute location), as one choice of several.
KEPT = {
    "deepseek-r1-moe": "silu",
    "deepseek-r1-moe-fused": "silu",
    "flux-attention": "softmax",
    "llama3-8b-attention": "softmax",
}


@pytest.mark.slow
@pytest.mark.parametrize("workload", sorted(KEPT))
def test_expensive_elementwise_steps_are_not_inlined_by_rule(workload):
    kernel = WORKLOADS[workload].resolve("small", TINY_SHAPES[workload])
    spaces = _spaces(kernel.mod, host_target(), design_space(host_target()))
    assert spaces and not any(_inlined(s.trace, KEPT[workload]) for s in spaces)
    if workload == "deepseek-r1-moe":  # without the annotation, every space inlines it
        sch = s_tir.Schedule(kernel.mod)
        sch.unannotate(sch.get_sblock("silu"), "meta_schedule.inline_rule")
        plain = _spaces(sch.mod, host_target(), design_space(host_target()))
        assert all(_inlined(s.trace, "silu") for s in plain)


@pytest.mark.slow
def test_the_fused_moe_has_fewer_design_spaces_than_the_moe():
    # Gate and up in one product: a reduction block fewer, and spaces multiply per block.
    def count(name):
        kernel = WORKLOADS[name].resolve("small", TINY_SHAPES[name])
        return len(_spaces(kernel.mod, host_target(), design_space(host_target())))

    assert 0 < count("deepseek-r1-moe-fused") < count("deepseek-r1-moe")


def _inlined(trace, name: str) -> bool:
    """Whether ``trace`` inlines block ``name`` by a ComputeInline step (AutoInline's)."""
    block = next(
        i.outputs[0] for i in trace.insts if i.kind.name == "GetSBlock" and i.attrs[0] == name
    )
    return any(i.kind.name == "ComputeInline" and i.inputs[0].same_as(block) for i in trace.insts)


def _innermost_product_loops(mod) -> dict[str, tuple[bool, int]]:
    """Each tiled product's update block -> whether the loop right around it is vectorized, and
    its extent."""
    found = {}

    def walk(stmt, loop) -> None:
        if isinstance(stmt, tvm.tirx.For):
            walk(stmt.body, stmt)
        elif isinstance(stmt, tvm.s_tir.SBlockRealize):
            block = stmt.block
            if block.name_hint.endswith("_update") and "meta_schedule.tiling_structure" in (
                block.annotations
            ):
                vectorized = loop.kind == tvm.tirx.ForKind.VECTORIZED
                found[block.name_hint] = (vectorized, int(loop.extent))
            walk(block.body, None)
        else:
            for name in ("seq", "body", "then_case", "else_case"):
                child = getattr(stmt, name, None)
                for part in child if name == "seq" and child is not None else [child]:
                    if part is not None:
                        walk(part, loop)

    walk(mod["main"].body, None)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("workload", ["deepseek-r1-moe-fused", "llama3-8b-attention"])
def test_products_compute_register_blocked_tiles_two_vectors_wide(workload):
    kernel = WORKLOADS[workload].resolve("small", TINY_SHAPES[workload])
    lanes = VECTORS_PER_ROW * vector_bits(host_target()) // 32
    ours = sampled_programs(kernel.mod, 12, design_space(host_target()))
    assert len(ours) == 12
    budget = vector_registers(host_target()) - 4
    for program in ours:
        loops = _innermost_product_loops(program.mod)
        assert loops and set(loops.values()) == {(True, lanes)}, loops
        tiles = register_tiles(program.mod["main"], vector_bits(host_target()))
        assert tiles.keys() == loops.keys() and max(tiles.values()) <= budget, tiles
        # The decision points say which axis had its vector tile split off (for the LLM).
        tiled = [point.legal for point, _ in decision_points(program.trace)]
        assert {t.vector_tile for t in tiled if isinstance(t, Tiling)} == {0, lanes}
    # Upstream's space draws that tile from all divisors up to 64: scalar tiles among them.
    upstream = sampled_programs(kernel.mod, 12, "post-order-apply")
    tiles = {v for program in upstream for v in _innermost_product_loops(program.mod).values()}
    assert tiles - {(True, lanes)}


def test_an_axis_of_no_whole_vectors_keeps_upstreams_tiling():
    kernel = WORKLOADS["matmul"].resolve("small", {"m": 64, "n": 100, "k": 64})
    sch = s_tir.Schedule(kernel.mod)
    (block,) = sch.get_child_blocks(sch.get_sblock("root"))
    width = VECTORS_PER_ROW * (vector_bits(host_target()) or 256)
    assert not spans_whole_vectors(sch.get(block), width)
    assert sampled_programs(kernel.mod, 2, design_space(host_target()))  # it still tunes
    square = WORKLOADS["matmul"].resolve("small", TINY_SHAPES["matmul"])
    sch = s_tir.Schedule(square.mod)
    (block,) = sch.get_child_blocks(sch.get_sblock("root"))
    assert spans_whole_vectors(sch.get(block), width)


@pytest.mark.slow
def test_steps_inside_a_tile_are_vectorized_and_match_the_reference():
    # The fused attention: one parallel loop of tiles, each holding its own blocks. Upstream's
    # postprocessor alone vectorized the tile loop itself (wrong outputs) and nothing inside.
    kernel = WORKLOADS["flux-attention-fused"].resolve("small", TINY_SHAPES["flux-attention-fused"])
    inputs = kernel.random_inputs(0)
    expected = kernel.reference(*inputs)
    mod = kernel.mod
    written = tvm_ffi.structural_hash(mod)
    programs = sampled_programs(mod, 4)
    assert len(programs) == 4
    # A tile's postprocessing copies the kernel, never edits it in place: TVM's copy-on-write
    # missed a root body shared with the kernel (seen with a kernel whose trace changed
    # nothing above its tiles; kept on the wip/fused-causal branch).
    assert tvm_ffi.structural_hash(mod) == written
    for sch in programs:
        lines = sch.mod.script().splitlines()
        tiles = [i for i, line in enumerate(lines) if 'tile")' in line]  # k_tile and tile
        assert len(tiles) == 2 and all("T.parallel" in lines[i - 1] for i in tiles)
        assert any("T.vectorized" in line for line in lines[tiles[-1] :])
        output = run_once(sch.mod, host_target(), inputs)
        np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-4)
