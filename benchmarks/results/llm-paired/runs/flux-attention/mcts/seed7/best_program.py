# Best program found for flux-attention [small] (q_heads=4, kv_heads=4, seq_len=256, head_dim=128)
# from tvm.script import ir as I
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@I.ir_module
class Module:
    @T.prim_func(s_tir=True)
    def main(Q: T.Buffer((4, 256, 128), "float32"), K: T.Buffer((4, 256, 128), "float32"), V: T.Buffer((4, 256, 128), "float32"), out: T.Buffer((4, 256, 128), "float32")):
        T.func_attr({"tirx.noalias": True})
        # with T.sblock("root"):
        qk = T.sblock_alloc_buffer((4, 256, 256))
        row_max = T.sblock_alloc_buffer((4, 256))
        exp = T.sblock_alloc_buffer((4, 256, 256))
        row_sum = T.sblock_alloc_buffer((4, 256))
        K_global = T.sblock_alloc_buffer((4, 128, 256))
        qk_global = T.sblock_alloc_buffer((4, 256, 256))
        for ax0_ax1_fused in T.parallel(1024):
            for ax2 in range(128):
                with T.sblock("K_global"):
                    v0 = T.axis.spatial(4, ax0_ax1_fused // 256)
                    v1 = T.axis.spatial(256, ax0_ax1_fused % 256)
                    v2 = T.axis.spatial(128, ax2)
                    T.reads(K[v0, v1, v2])
                    T.writes(K_global[v0, v2, v1])
                    K_global[v0, v2, v1] = K[v0, v1, v2]
        for h_0_i_0_j_0_h_1_i_1_fused in T.parallel(128, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for j_1 in range(2):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 2, 4, 1, 4):
                    for j_3_fused_init in T.vectorized(32):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused // 32 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused % 32 * 8 + i_2_init * 4 + i_3_init)
                            v_j = T.axis.spatial(256, j_1 * 128 + j_2_init * 32 + j_3_fused_init)
                            T.reads()
                            T.writes(qk_global[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk_global[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(4, 1, 2, 4, 32, 1, 4):
                    for j_3_fused in T.vectorized(32):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused // 32 + h_2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused % 32 * 8 + i_2 * 4 + i_3)
                            v_j = T.axis.spatial(256, j_1 * 128 + j_2 * 32 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 32 + d_1)
                            T.reads(qk_global[v_h, v_i, v_j], Q[v_h, v_i, v_d], K_global[v_h, v_d, v_j])
                            T.writes(qk_global[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk_global[v_h, v_i, v_j] = qk_global[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K_global[v_h, v_d, v_j]
                for ax0, ax1, ax2 in T.grid(1, 8, 128):
                    with T.sblock("qk_global"):
                        v0 = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused // 32 + ax0)
                        v1 = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused % 32 * 8 + ax1)
                        v2 = T.axis.spatial(256, j_1 * 128 + ax2)
                        T.reads(qk_global[v0, v1, v2])
                        T.writes(qk[v0, v1, v2])
                        qk[v0, v1, v2] = qk_global[v0, v1, v2]
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            with T.sblock("row_max_init"):
                v_h = T.axis.spatial(4, h_i_fused // 256)
                v_i = T.axis.spatial(256, h_i_fused % 256)
                T.reads()
                T.writes(row_max[v_h, v_i])
                row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
            for j1 in range(256):
                with T.sblock("row_max_update"):
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    v_j1 = T.axis.reduce(256, j1)
                    T.reads(row_max[v_h, v_i], qk[v_h, v_i, v_j1])
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.max(row_max[v_h, v_i], qk[v_h, v_i, v_j1] * T.float32(0.088388347648318433))
        for h_0_i_0_e_0_h_1_i_1_fused_fused in T.parallel(128, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for ax0, ax1, ax2 in T.grid(1, 16, 256):
                with T.sblock("exp"):
                    v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused_fused % 16 // 4 + ax0)
                    v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused_fused // 32 * 64 + h_0_i_0_e_0_h_1_i_1_fused_fused % 4 * 16 + ax1)
                    v_j = T.axis.spatial(256, ax2)
                    T.reads(qk[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(qk[v_h, v_i, v_j] * T.float32(0.088388347648318433) - row_max[v_h, v_i])
            for ax0, ax1 in T.grid(1, 16):
                with T.sblock("row_sum_init"):
                    v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused_fused % 16 // 4 + ax0)
                    v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused_fused // 32 * 64 + h_0_i_0_e_0_h_1_i_1_fused_fused % 4 * 16 + ax1)
                    T.reads()
                    T.writes(row_sum[v_h, v_i])
                    row_sum[v_h, v_i] = T.float32(0.0)
                for ax2 in range(256):
                    with T.sblock("row_sum_update"):
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused_fused % 16 // 4 + ax0)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused_fused // 32 * 64 + h_0_i_0_e_0_h_1_i_1_fused_fused % 4 * 16 + ax1)
                        v_j2 = T.axis.reduce(256, ax2)
                        T.reads(row_sum[v_h, v_i], exp[v_h, v_i, v_j2])
                        T.writes(row_sum[v_h, v_i])
                        row_sum[v_h, v_i] = row_sum[v_h, v_i] + exp[v_h, v_i, v_j2]
            for e_1 in range(2):
                for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init, e_3_init in T.grid(1, 16, 32, 1, 1, 1):
                    with T.sblock("out_init"):
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused_fused % 16 // 4 + h_2_init + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused_fused // 32 * 64 + h_0_i_0_e_0_h_1_i_1_fused_fused % 4 * 16 + i_2_init + i_3_init)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_h_1_i_1_fused_fused % 32 // 16 * 64 + e_1 * 32 + e_2_init + e_3_init)
                        T.reads()
                        T.writes(out[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out[v_h, v_i, v_e] = T.float32(0.0)
                for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3, e_3 in T.grid(64, 1, 16, 32, 4, 1, 1, 1):
                    with T.sblock("out_update"):
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused_fused % 16 // 4 + h_2 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused_fused // 32 * 64 + h_0_i_0_e_0_h_1_i_1_fused_fused % 4 * 16 + i_2 + i_3)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_h_1_i_1_fused_fused % 32 // 16 * 64 + e_1 * 32 + e_2 + e_3)
                        v_j3 = T.axis.reduce(256, j3_0 * 4 + j3_1)
                        T.reads(out[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h, v_j3, v_e])
                        T.writes(out[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out[v_h, v_i, v_e] = out[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h, v_j3, v_e]

# Schedule trace:
# # from tvm import s_tir
# def apply_trace(sch: s_tir.Schedule) -> None:
#   b0 = sch.get_sblock(name="qk", func_name="main")
#   b1 = sch.get_sblock(name="scores", func_name="main")
#   b2 = sch.get_sblock(name="row_max", func_name="main")
#   b3 = sch.get_sblock(name="exp", func_name="main")
#   b4 = sch.get_sblock(name="row_sum", func_name="main")
#   b5 = sch.get_sblock(name="softmax", func_name="main")
#   b6 = sch.get_sblock(name="out", func_name="main")
#   b7 = sch.get_sblock(name="root", func_name="main")
#   sch.compute_inline(block=b5)
#   sch.compute_inline(block=b1)
#   b8 = sch.cache_read(block=b0, read_buffer_index=1, storage_scope="global")
#   sch.transform_layout(block=b8, buffer=("write", 0), index_map=lambda axes_0, axes_1, axes_2: (axes_0, axes_2, axes_1,), pad_value=None, assume_injective_transform=False)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l9, l10, l11, l12 = sch.get_loops(block=b6)
#   v13, v14, v15, v16 = sch.sample_perfect_tile(loop=l9, n=4, max_innermost_factor=64, decision=[1, 4, 1, 1])
#   l17, l18, l19, l20 = sch.split(loop=l9, factors=[v13, v14, v15, v16], preserve_unit_iters=True, disable_predication=False)
#   v21, v22, v23, v24 = sch.sample_perfect_tile(loop=l10, n=4, max_innermost_factor=64, decision=[4, 4, 16, 1])
#   l25, l26, l27, l28 = sch.split(loop=l10, factors=[v21, v22, v23, v24], preserve_unit_iters=True, disable_predication=False)
#   v29, v30, v31, v32 = sch.sample_perfect_tile(loop=l11, n=4, max_innermost_factor=64, decision=[2, 2, 32, 1])
#   l33, l34, l35, l36 = sch.split(loop=l11, factors=[v29, v30, v31, v32], preserve_unit_iters=True, disable_predication=False)
#   v37, v38 = sch.sample_perfect_tile(loop=l12, n=2, max_innermost_factor=64, decision=[64, 4])
#   l39, l40 = sch.split(loop=l12, factors=[v37, v38], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l17, l25, l33, l18, l26, l34, l39, l19, l27, l35, l40, l20, l28, l36)
#   sch.get_consumers(block=b6)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l41, l42, l43, l44 = sch.get_loops(block=b0)
#   v45, v46, v47, v48 = sch.sample_perfect_tile(loop=l41, n=4, max_innermost_factor=64, decision=[1, 4, 1, 1])
#   l49, l50, l51, l52 = sch.split(loop=l41, factors=[v45, v46, v47, v48], preserve_unit_iters=True, disable_predication=False)
#   v53, v54, v55, v56 = sch.sample_perfect_tile(loop=l42, n=4, max_innermost_factor=64, decision=[1, 32, 2, 4])
#   l57, l58, l59, l60 = sch.split(loop=l42, factors=[v53, v54, v55, v56], preserve_unit_iters=True, disable_predication=False)
#   v61, v62, v63, v64 = sch.sample_perfect_tile(loop=l43, n=4, max_innermost_factor=64, decision=[1, 2, 4, 32])
#   l65, l66, l67, l68 = sch.split(loop=l43, factors=[v61, v62, v63, v64], preserve_unit_iters=True, disable_predication=False)
#   v69, v70 = sch.sample_perfect_tile(loop=l44, n=2, max_innermost_factor=64, decision=[4, 32])
#   l71, l72 = sch.split(loop=l44, factors=[v69, v70], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l49, l57, l65, l50, l58, l66, l71, l51, l59, l67, l72, l52, l60, l68)
#   b73, b74 = sch.get_consumers(block=b0)
#   b75 = sch.cache_write(block=b0, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b75, loop=l66, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v76 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v76)
#   l77 = sch.sample_compute_location(block=b4, decision=4)
#   sch.compute_at(block=b4, loop=l77, preserve_unit_loops=True, index=-1)
#   l78 = sch.sample_compute_location(block=b3, decision=4)
#   sch.compute_at(block=b3, loop=l78, preserve_unit_loops=True, index=-1)
#   l79 = sch.sample_compute_location(block=b2, decision=-1)
#   sch.compute_at(block=b2, loop=l79, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b80 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b80, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b80, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b80, ann_key="meta_schedule.unroll_explicit")
#   b81, b82, b83, b84, b85, b86, b87 = sch.get_child_blocks(b80)
#   l88, l89, l90 = sch.get_loops(block=b81)
#   l91 = sch.fuse(l88, l89, preserve_unit_iters=True)
#   sch.parallel(loop=l91)
#   l92, l93, l94, l95, l96, l97, l98, l99, l100, l101, l102, l103, l104, l105 = sch.get_loops(block=b82)
#   l106 = sch.fuse(l92, l93, l94, l95, l96, preserve_unit_iters=True)
#   sch.parallel(loop=l106)
#   l107 = sch.fuse(l105, preserve_unit_iters=True)
#   sch.vectorize(loop=l107)
#   sch.annotate(block_or_loop=l106, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l106, ann_key="pragma_unroll_explicit", ann_val=1)
#   l108, l109, l110, l111, l112 = sch.get_loops(block=b83)
#   l113, l114, l115 = sch.get_loops(block=b84)
#   l116 = sch.fuse(l113, l114, preserve_unit_iters=True)
#   sch.parallel(loop=l116)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_unroll_explicit", ann_val=1)
#   l117, l118, l119, l120, l121, l122, l123, l124 = sch.get_loops(block=b85)
#   l125 = sch.fuse(l117, l118, l119, l120, l121, preserve_unit_iters=True)
#   sch.parallel(loop=l125)
#   l126, l127, l128, l129 = sch.get_loops(block=b86)
#   l130 = sch.fuse(l126, preserve_unit_iters=True)
#   sch.parallel(loop=l130)
#   sch.annotate(block_or_loop=l130, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l130, ann_key="pragma_unroll_explicit", ann_val=1)
#   l131, l132, l133, l134, l135, l136, l137, l138, l139, l140 = sch.get_loops(block=b87)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_unroll_explicit", ann_val=1)
#   b141 = sch.get_sblock(name="qk", func_name="main")
#   l142, l143, l144, l145, l146, l147, l148, l149, l150, l151 = sch.get_loops(block=b141)
#   b152 = sch.decompose_reduction(block=b141, loop=l144)
#   b153 = sch.get_sblock(name="row_max", func_name="main")
#   l154, l155 = sch.get_loops(block=b153)
#   b156 = sch.decompose_reduction(block=b153, loop=l155)
#   b157 = sch.get_sblock(name="row_sum", func_name="main")
#   l158, l159, l160, l161 = sch.get_loops(block=b157)
#   b162 = sch.decompose_reduction(block=b157, loop=l161)
#   b163 = sch.get_sblock(name="out", func_name="main")
#   l164, l165, l166, l167, l168, l169, l170, l171, l172, l173 = sch.get_loops(block=b163)
#   b174 = sch.decompose_reduction(block=b163, loop=l166)
