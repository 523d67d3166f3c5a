# Best program found for llama3-8b-attention [small] (q_heads=4, kv_heads=1, seq_len=256, head_dim=128)
# from tvm.script import ir as I
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@I.ir_module
class Module:
    @T.prim_func(s_tir=True)
    def main(Q: T.Buffer((4, 256, 128), "float32"), K: T.Buffer((1, 256, 128), "float32"), V: T.Buffer((1, 256, 128), "float32"), out: T.Buffer((4, 256, 128), "float32")):
        T.func_attr({"tirx.noalias": True})
        # with T.sblock("root"):
        qk = T.sblock_alloc_buffer((4, 256, 256))
        scores = T.sblock_alloc_buffer((4, 256, 256))
        row_max = T.sblock_alloc_buffer((4, 256))
        exp = T.sblock_alloc_buffer((4, 256, 256))
        row_sum = T.sblock_alloc_buffer((4, 256))
        for h_0_i_0_j_0_fused in T.parallel(16, annotations={"pragma_auto_unroll_max_step": 64, "pragma_unroll_explicit": 1}):
            for h_1, i_1, j_1 in T.grid(4, 4, 16):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 1, 4, 1, 8):
                    for j_3_fused_init in T.vectorized(2):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_1 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 32 + i_1 * 8 + i_2_init * 8 + i_3_init)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + j_1 * 8 + j_2_init * 2 + j_3_fused_init)
                            T.reads()
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(32, 1, 1, 4, 4, 1, 8):
                    for j_3_fused in T.vectorized(2):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_1 + h_2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 32 + i_1 * 8 + i_2 * 8 + i_3)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + j_1 * 8 + j_2 * 2 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 4 + d_1)
                            T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h // 4, v_j, v_d])
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h // 4, v_j, v_d]
            for ax0, ax1, ax2 in T.grid(4, 32, 128):
                with T.sblock("scores"):
                    v_h = T.axis.spatial(4, ax0)
                    v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 32 + ax1)
                    v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + ax2)
                    T.reads(qk[v_h, v_i, v_j])
                    T.writes(scores[v_h, v_i, v_j])
                    scores[v_h, v_i, v_j] = T.if_then_else(v_j <= v_i, qk[v_h, v_i, v_j] * T.float32(0.088388347648318433), T.float32(-340282346638528859811704183484516925440.0))
        for h_0_fused in T.parallel(2, annotations={"pragma_auto_unroll_max_step": 64, "pragma_unroll_explicit": 1}):
            for ax0, ax1 in T.grid(2, 256):
                with T.sblock("row_max_init"):
                    v_h = T.axis.spatial(4, h_0_fused * 2 + ax0)
                    v_i = T.axis.spatial(256, ax1)
                    T.reads()
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                for ax2 in range(256):
                    with T.sblock("row_max_update"):
                        v_h = T.axis.spatial(4, h_0_fused * 2 + ax0)
                        v_i, v_j1 = T.axis.remap("SR", [ax1, ax2])
                        T.reads(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.max(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
            for i_0 in range(8):
                for ax0, ax1, ax2 in T.grid(2, 32, 256):
                    with T.sblock("exp"):
                        v_h = T.axis.spatial(4, h_0_fused * 2 + ax0)
                        v_i = T.axis.spatial(256, i_0 * 32 + ax1)
                        v_j = T.axis.spatial(256, ax2)
                        T.reads(scores[v_h, v_i, v_j], row_max[v_h, v_i])
                        T.writes(exp[v_h, v_i, v_j])
                        exp[v_h, v_i, v_j] = T.exp(scores[v_h, v_i, v_j] - row_max[v_h, v_i])
                for e_0, h_1, i_1 in T.grid(8, 2, 4):
                    for ax0, ax1 in T.grid(1, 8):
                        with T.sblock("row_sum_init"):
                            v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 + ax0)
                            v_i = T.axis.spatial(256, i_0 * 32 + i_1 * 8 + ax1)
                            T.reads()
                            T.writes(row_sum[v_h, v_i])
                            row_sum[v_h, v_i] = T.float32(0.0)
                        for ax2 in range(256):
                            with T.sblock("row_sum_update"):
                                v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 + ax0)
                                v_i = T.axis.spatial(256, i_0 * 32 + i_1 * 8 + ax1)
                                v_j2 = T.axis.reduce(256, ax2)
                                T.reads(row_sum[v_h, v_i], exp[v_h, v_i, v_j2])
                                T.writes(row_sum[v_h, v_i])
                                row_sum[v_h, v_i] = row_sum[v_h, v_i] + exp[v_h, v_i, v_j2]
                    for e_1 in range(4):
                        for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init, e_3_init in T.grid(1, 8, 4, 1, 1, 1):
                            with T.sblock("out_init"):
                                v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 + h_2_init + h_3_init)
                                v_i = T.axis.spatial(256, i_0 * 32 + i_1 * 8 + i_2_init + i_3_init)
                                v_e = T.axis.spatial(128, e_0 * 16 + e_1 * 4 + e_2_init + e_3_init)
                                T.reads()
                                T.writes(out[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out[v_h, v_i, v_e] = T.float32(0.0)
                        for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3, e_3 in T.grid(16, 1, 8, 4, 16, 1, 1, 1):
                            with T.sblock("out_update"):
                                v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 + h_2 + h_3)
                                v_i = T.axis.spatial(256, i_0 * 32 + i_1 * 8 + i_2 + i_3)
                                v_e = T.axis.spatial(128, e_0 * 16 + e_1 * 4 + e_2 + e_3)
                                v_j3 = T.axis.reduce(256, j3_0 * 16 + j3_1)
                                T.reads(out[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h // 4, v_j3, v_e])
                                T.writes(out[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out[v_h, v_i, v_e] = out[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h // 4, v_j3, v_e]

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
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l8, l9, l10, l11 = sch.get_loops(block=b6)
#   v12, v13, v14, v15 = sch.sample_perfect_tile(loop=l8, n=4, max_innermost_factor=64, decision=[2, 2, 1, 1])
#   l16, l17, l18, l19 = sch.split(loop=l8, factors=[v12, v13, v14, v15], preserve_unit_iters=True, disable_predication=False)
#   v20, v21, v22, v23 = sch.sample_perfect_tile(loop=l9, n=4, max_innermost_factor=64, decision=[8, 4, 8, 1])
#   l24, l25, l26, l27 = sch.split(loop=l9, factors=[v20, v21, v22, v23], preserve_unit_iters=True, disable_predication=False)
#   v28, v29, v30, v31 = sch.sample_perfect_tile(loop=l10, n=4, max_innermost_factor=64, decision=[8, 4, 4, 1])
#   l32, l33, l34, l35 = sch.split(loop=l10, factors=[v28, v29, v30, v31], preserve_unit_iters=True, disable_predication=False)
#   v36, v37 = sch.sample_perfect_tile(loop=l11, n=2, max_innermost_factor=64, decision=[16, 16])
#   l38, l39 = sch.split(loop=l11, factors=[v36, v37], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l16, l24, l32, l17, l25, l33, l38, l18, l26, l34, l39, l19, l27, l35)
#   sch.get_consumers(block=b6)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l40, l41, l42, l43 = sch.get_loops(block=b0)
#   v44, v45, v46, v47 = sch.sample_perfect_tile(loop=l40, n=4, max_innermost_factor=64, decision=[1, 4, 1, 1])
#   l48, l49, l50, l51 = sch.split(loop=l40, factors=[v44, v45, v46, v47], preserve_unit_iters=True, disable_predication=False)
#   v52, v53, v54, v55 = sch.sample_perfect_tile(loop=l41, n=4, max_innermost_factor=64, decision=[8, 4, 1, 8])
#   l56, l57, l58, l59 = sch.split(loop=l41, factors=[v52, v53, v54, v55], preserve_unit_iters=True, disable_predication=False)
#   v60, v61, v62, v63 = sch.sample_perfect_tile(loop=l42, n=4, max_innermost_factor=64, decision=[2, 16, 4, 2])
#   l64, l65, l66, l67 = sch.split(loop=l42, factors=[v60, v61, v62, v63], preserve_unit_iters=True, disable_predication=False)
#   v68, v69 = sch.sample_perfect_tile(loop=l43, n=2, max_innermost_factor=64, decision=[32, 4])
#   l70, l71 = sch.split(loop=l43, factors=[v68, v69], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l48, l56, l64, l49, l57, l65, l70, l50, l58, l66, l71, l51, l59, l67)
#   b72, = sch.get_consumers(block=b0)
#   sch.reverse_compute_at(block=b72, loop=l64, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v73 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=2)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v73)
#   l74 = sch.sample_compute_location(block=b4, decision=4)
#   sch.compute_at(block=b4, loop=l74, preserve_unit_loops=True, index=-1)
#   l75 = sch.sample_compute_location(block=b3, decision=1)
#   sch.compute_at(block=b3, loop=l75, preserve_unit_loops=True, index=-1)
#   l76 = sch.sample_compute_location(block=b2, decision=0)
#   sch.compute_at(block=b2, loop=l76, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b77 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b77, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b77, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b77, ann_key="meta_schedule.unroll_explicit")
#   b78, b79, b80, b81, b82, b83 = sch.get_child_blocks(b77)
#   l84, l85, l86, l87, l88, l89, l90, l91, l92, l93, l94, l95, l96, l97 = sch.get_loops(block=b78)
#   l98 = sch.fuse(l84, l85, l86, preserve_unit_iters=True)
#   sch.parallel(loop=l98)
#   l99 = sch.fuse(l97, preserve_unit_iters=True)
#   sch.vectorize(loop=l99)
#   sch.annotate(block_or_loop=l98, ann_key="pragma_auto_unroll_max_step", ann_val=64)
#   sch.annotate(block_or_loop=l98, ann_key="pragma_unroll_explicit", ann_val=1)
#   l100, l101, l102, l103 = sch.get_loops(block=b79)
#   l104, l105, l106, l107 = sch.get_loops(block=b80)
#   l108 = sch.fuse(l104, preserve_unit_iters=True)
#   sch.parallel(loop=l108)
#   sch.annotate(block_or_loop=l108, ann_key="pragma_auto_unroll_max_step", ann_val=64)
#   sch.annotate(block_or_loop=l108, ann_key="pragma_unroll_explicit", ann_val=1)
#   l109, l110, l111, l112, l113 = sch.get_loops(block=b81)
#   l114, l115, l116, l117, l118, l119, l120, l121 = sch.get_loops(block=b82)
#   sch.annotate(block_or_loop=l114, ann_key="pragma_auto_unroll_max_step", ann_val=64)
#   sch.annotate(block_or_loop=l114, ann_key="pragma_unroll_explicit", ann_val=1)
#   l122, l123, l124, l125, l126, l127, l128, l129, l130, l131, l132, l133, l134, l135 = sch.get_loops(block=b83)
#   sch.annotate(block_or_loop=l122, ann_key="pragma_auto_unroll_max_step", ann_val=64)
#   sch.annotate(block_or_loop=l122, ann_key="pragma_unroll_explicit", ann_val=1)
#   b136 = sch.get_sblock(name="qk", func_name="main")
#   l137, l138, l139, l140, l141, l142, l143, l144, l145, l146, l147, l148 = sch.get_loops(block=b136)
#   b149 = sch.decompose_reduction(block=b136, loop=l141)
#   b150 = sch.get_sblock(name="row_max", func_name="main")
#   l151, l152, l153, l154 = sch.get_loops(block=b150)
#   b155 = sch.decompose_reduction(block=b150, loop=l154)
#   b156 = sch.get_sblock(name="row_sum", func_name="main")
#   l157, l158, l159, l160, l161, l162, l163, l164 = sch.get_loops(block=b156)
#   b165 = sch.decompose_reduction(block=b156, loop=l164)
#   b166 = sch.get_sblock(name="out", func_name="main")
#   l167, l168, l169, l170, l171, l172, l173, l174, l175, l176, l177, l178, l179, l180 = sch.get_loops(block=b166)
#   b181 = sch.decompose_reduction(block=b166, loop=l173)
