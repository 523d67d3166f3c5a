# Best program found for matmul [small] (m=512, n=512, k=512)
# from tvm.script import ir as I
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@I.ir_module
class Module:
    @T.prim_func(s_tir=True)
    def main(A: T.Buffer((512, 512), "float32"), B: T.Buffer((512, 512), "float32"), C: T.Buffer((512, 512), "float32")):
        T.func_attr({"tirx.noalias": True})
        # with T.sblock("root"):
        C_global = T.sblock_alloc_buffer((512, 512))
        for i_0_j_0_fused in T.parallel(4, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for i_1, j_1 in T.grid(64, 4):
                for i_2_init, j_2_init, i_3_init in T.grid(1, 1, 4):
                    for j_3_fused_init in T.vectorized(64):
                        with T.sblock("C_init"):
                            v_i = T.axis.spatial(512, i_0_j_0_fused // 2 * 256 + i_1 * 4 + i_2_init * 4 + i_3_init)
                            v_j = T.axis.spatial(512, i_0_j_0_fused % 2 * 256 + j_1 * 64 + j_2_init * 64 + j_3_fused_init)
                            T.reads()
                            T.writes(C_global[v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            C_global[v_i, v_j] = T.float32(0.0)
                for k_0, i_2, j_2, k_1, i_3 in T.grid(256, 1, 1, 2, 4):
                    for j_3_fused in T.vectorized(64):
                        with T.sblock("C_update"):
                            v_i = T.axis.spatial(512, i_0_j_0_fused // 2 * 256 + i_1 * 4 + i_2 * 4 + i_3)
                            v_j = T.axis.spatial(512, i_0_j_0_fused % 2 * 256 + j_1 * 64 + j_2 * 64 + j_3_fused)
                            v_k = T.axis.reduce(512, k_0 * 2 + k_1)
                            T.reads(C_global[v_i, v_j], A[v_i, v_k], B[v_k, v_j])
                            T.writes(C_global[v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            C_global[v_i, v_j] = C_global[v_i, v_j] + A[v_i, v_k] * B[v_k, v_j]
                for ax0 in range(4):
                    for ax1_fused in T.vectorized(64):
                        with T.sblock("C_global"):
                            v0 = T.axis.spatial(512, i_0_j_0_fused // 2 * 256 + i_1 * 4 + ax0)
                            v1 = T.axis.spatial(512, i_0_j_0_fused % 2 * 256 + j_1 * 64 + ax1_fused)
                            T.reads(C_global[v0, v1])
                            T.writes(C[v0, v1])
                            C[v0, v1] = C_global[v0, v1]

# Schedule trace:
# # from tvm import s_tir
# def apply_trace(sch: s_tir.Schedule) -> None:
#   b0 = sch.get_sblock(name="C", func_name="main")
#   b1 = sch.get_sblock(name="root", func_name="main")
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l2, l3, l4 = sch.get_loops(block=b0)
#   v5, v6, v7, v8 = sch.sample_perfect_tile(loop=l2, n=4, max_innermost_factor=64, decision=[2, 64, 1, 4])
#   l9, l10, l11, l12 = sch.split(loop=l2, factors=[v5, v6, v7, v8], preserve_unit_iters=True, disable_predication=False)
#   v13, v14, v15, v16 = sch.sample_perfect_tile(loop=l3, n=4, max_innermost_factor=64, decision=[2, 4, 1, 64])
#   l17, l18, l19, l20 = sch.split(loop=l3, factors=[v13, v14, v15, v16], preserve_unit_iters=True, disable_predication=False)
#   v21, v22 = sch.sample_perfect_tile(loop=l4, n=2, max_innermost_factor=64, decision=[256, 2])
#   l23, l24 = sch.split(loop=l4, factors=[v21, v22], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l9, l17, l10, l18, l23, l11, l19, l24, l12, l20)
#   sch.get_consumers(block=b0)
#   b25 = sch.cache_write(block=b0, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b25, loop=l18, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b1, ann_key="meta_schedule.parallel", ann_val=2)
#   sch.annotate(block_or_loop=b1, ann_key="meta_schedule.vectorize", ann_val=64)
#   v26 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=3)
#   sch.annotate(block_or_loop=b1, ann_key="meta_schedule.unroll_explicit", ann_val=v26)
#   sch.enter_postproc()
#   b27 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b27, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b27, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b27, ann_key="meta_schedule.unroll_explicit")
#   b28, b29 = sch.get_child_blocks(b27)
#   l30, l31, l32, l33, l34, l35, l36, l37, l38, l39 = sch.get_loops(block=b28)
#   l40 = sch.fuse(l30, l31, preserve_unit_iters=True)
#   sch.parallel(loop=l40)
#   l41 = sch.fuse(l39, preserve_unit_iters=True)
#   sch.vectorize(loop=l41)
#   sch.annotate(block_or_loop=l40, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l40, ann_key="pragma_unroll_explicit", ann_val=1)
#   l42, l43, l44, l45, l46 = sch.get_loops(block=b29)
#   l47 = sch.fuse(l46, preserve_unit_iters=True)
#   sch.vectorize(loop=l47)
#   b48 = sch.get_sblock(name="C", func_name="main")
#   l49, l50, l51, l52, l53, l54, l55, l56, l57 = sch.get_loops(block=b48)
#   b58 = sch.decompose_reduction(block=b48, loop=l52)
