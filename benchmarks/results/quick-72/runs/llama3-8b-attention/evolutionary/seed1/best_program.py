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
        row_sum_rf = T.sblock_alloc_buffer((4, 256, 64))
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        for h_0_i_0_j_0_fused in T.parallel(256, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for h_1, i_1, j_1 in T.grid(1, 4, 2):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 8, 2, 1, 4):
                    for j_3_fused_init in T.vectorized(2):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 64 + h_1 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused % 64 // 32 * 128 + i_1 * 32 + i_2_init * 4 + i_3_init)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 32 * 8 + j_1 * 4 + j_2_init * 2 + j_3_fused_init)
                            T.reads()
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(2, 1, 8, 2, 64, 1, 4):
                    for j_3_fused in T.vectorized(2):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 64 + h_1 + h_2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused % 64 // 32 * 128 + i_1 * 32 + i_2 * 4 + i_3)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 32 * 8 + j_1 * 4 + j_2 * 2 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 64 + d_1)
                            T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h // 4, v_j, v_d])
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h // 4, v_j, v_d]
            for ax0, ax1 in T.grid(1, 128):
                for ax2_fused in T.vectorized(8):
                    with T.sblock("scores"):
                        v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 64 + ax0)
                        v_i = T.axis.spatial(256, h_0_i_0_j_0_fused % 64 // 32 * 128 + ax1)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 32 * 8 + ax2_fused)
                        T.reads(qk[v_h, v_i, v_j])
                        T.writes(scores[v_h, v_i, v_j])
                        scores[v_h, v_i, v_j] = T.if_then_else(v_j <= v_i, qk[v_h, v_i, v_j] * T.float32(0.088388347648318433), T.float32(-340282346638528859811704183484516925440.0))
        for h_0_fused in T.parallel(2, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for ax0, ax1 in T.grid(2, 256):
                for ax0_1, ax1_1 in T.grid(1, 1):
                    with T.sblock("row_max_init"):
                        v_h = T.axis.spatial(4, h_0_fused * 2 + ax0 + ax0_1)
                        v_i = T.axis.spatial(256, ax1 + ax1_1)
                        T.reads()
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                    for ax2 in range(256):
                        with T.sblock("row_max_update"):
                            v_h = T.axis.spatial(4, h_0_fused * 2 + ax0 + ax0_1)
                            v_i = T.axis.spatial(256, ax1 + ax1_1)
                            v_j1 = T.axis.reduce(256, ax2)
                            T.reads(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
                            T.writes(row_max[v_h, v_i])
                            row_max[v_h, v_i] = T.max(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
                for ax2 in range(256):
                    with T.sblock("exp"):
                        v_h = T.axis.spatial(4, h_0_fused * 2 + ax0)
                        v_i, v_j = T.axis.remap("SS", [ax1, ax2])
                        T.reads(scores[v_h, v_i, v_j], row_max[v_h, v_i])
                        T.writes(exp[v_h, v_i, v_j])
                        exp[v_h, v_i, v_j] = T.exp(scores[v_h, v_i, v_j] - row_max[v_h, v_i])
            for i_0 in range(16):
                for ax0_init, ax0_init_1, ax1_init, ax2_init in T.grid(64, 1, 2, 16):
                    with T.sblock("row_sum_rf_init"):
                        vj2_0 = T.axis.spatial(64, ax0_init + ax0_init_1)
                        v_h = T.axis.spatial(4, h_0_fused * 2 + ax1_init)
                        v_i = T.axis.spatial(256, i_0 * 16 + ax2_init)
                        T.reads()
                        T.writes(row_sum_rf[v_h, v_i, vj2_0])
                        row_sum_rf[v_h, v_i, vj2_0] = T.float32(0.0)
                for ax1_init in range(2):
                    for ax2_fused_init in T.vectorized(16):
                        with T.sblock("row_sum_init"):
                            v_h = T.axis.spatial(4, h_0_fused * 2 + ax1_init)
                            v_i = T.axis.spatial(256, i_0 * 16 + ax2_fused_init)
                            T.reads()
                            T.writes(row_sum[v_h, v_i])
                            row_sum[v_h, v_i] = T.float32(0.0)
                for ax0 in range(64):
                    for ax0_1, ax1, ax2, ax3 in T.grid(1, 2, 16, 4):
                        with T.sblock("row_sum_rf_update"):
                            vj2_0 = T.axis.spatial(64, ax0 + ax0_1)
                            v_h = T.axis.spatial(4, h_0_fused * 2 + ax1)
                            v_i = T.axis.spatial(256, i_0 * 16 + ax2)
                            vj2_1 = T.axis.reduce(4, ax3)
                            T.reads(row_sum_rf[v_h, v_i, vj2_0], exp[v_h, v_i, vj2_0 * 4 + vj2_1])
                            T.writes(row_sum_rf[v_h, v_i, vj2_0])
                            row_sum_rf[v_h, v_i, vj2_0] = row_sum_rf[v_h, v_i, vj2_0] + exp[v_h, v_i, vj2_0 * 4 + vj2_1]
                    for ax1 in range(2):
                        for ax2_fused in T.vectorized(16):
                            with T.sblock("row_sum_update"):
                                vj2_0 = T.axis.reduce(64, ax0)
                                v_h = T.axis.spatial(4, h_0_fused * 2 + ax1)
                                v_i = T.axis.spatial(256, i_0 * 16 + ax2_fused)
                                T.reads(row_sum[v_h, v_i], row_sum_rf[v_h, v_i, vj2_0])
                                T.writes(row_sum[v_h, v_i])
                                row_sum[v_h, v_i] = row_sum[v_h, v_i] + row_sum_rf[v_h, v_i, vj2_0]
                for e_0 in range(1):
                    for h_1, i_1, e_1 in T.grid(1, 8, 2):
                        for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init, e_3_init in T.grid(2, 2, 64, 1, 1, 1):
                            with T.sblock("out_init"):
                                v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 * 2 + h_2_init + h_3_init)
                                v_i = T.axis.spatial(256, i_0 * 16 + i_1 * 2 + i_2_init + i_3_init)
                                v_e = T.axis.spatial(128, e_0 * 128 + e_1 * 64 + e_2_init + e_3_init)
                                T.reads()
                                T.writes(out_global[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out_global[v_h, v_i, v_e] = T.float32(0.0)
                        for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3, e_3 in T.grid(128, 2, 2, 64, 2, 1, 1, 1):
                            with T.sblock("out_update"):
                                v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 * 2 + h_2 + h_3)
                                v_i = T.axis.spatial(256, i_0 * 16 + i_1 * 2 + i_2 + i_3)
                                v_e = T.axis.spatial(128, e_0 * 128 + e_1 * 64 + e_2 + e_3)
                                v_j3 = T.axis.reduce(256, j3_0 * 2 + j3_1)
                                T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h // 4, v_j3, v_e])
                                T.writes(out_global[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h // 4, v_j3, v_e]
                    for ax0, ax1, ax2 in T.grid(2, 16, 128):
                        with T.sblock("out_global"):
                            v0 = T.axis.spatial(4, h_0_fused * 2 + ax0)
                            v1 = T.axis.spatial(256, i_0 * 16 + ax1)
                            v2 = T.axis.spatial(128, ax2)
                            T.reads(out_global[v0, v1, v2])
                            T.writes(out[v0, v1, v2])
                            out[v0, v1, v2] = out_global[v0, v1, v2]

# Schedule trace:
# # from tvm import s_tir
# def apply_trace(sch: s_tir.Schedule) -> None:
#   b0 = sch.get_sblock(name="qk", func_name="main")
#   b1 = sch.get_sblock(name="row_max", func_name="main")
#   b2 = sch.get_sblock(name="exp", func_name="main")
#   b3 = sch.get_sblock(name="row_sum", func_name="main")
#   b4 = sch.get_sblock(name="softmax", func_name="main")
#   b5 = sch.get_sblock(name="out", func_name="main")
#   b6 = sch.get_sblock(name="root", func_name="main")
#   sch.compute_inline(block=b4)
#   l7, l8, l9 = sch.get_loops(block=b3)
#   v10, v11 = sch.sample_perfect_tile(loop=l9, n=2, max_innermost_factor=64, decision=[64, 4])
#   l12, l13 = sch.split(loop=l9, factors=[v10, v11], preserve_unit_iters=True, disable_predication=False)
#   b14 = sch.rfactor(loop=l12, factor_axis=2)
#   sch.annotate(block_or_loop=b3, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b5, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l15, l16, l17, l18 = sch.get_loops(block=b5)
#   v19, v20, v21, v22 = sch.sample_perfect_tile(loop=l15, n=4, max_innermost_factor=64, decision=[2, 1, 2, 1])
#   l23, l24, l25, l26 = sch.split(loop=l15, factors=[v19, v20, v21, v22], preserve_unit_iters=True, disable_predication=False)
#   v27, v28, v29, v30 = sch.sample_perfect_tile(loop=l16, n=4, max_innermost_factor=64, decision=[16, 8, 2, 1])
#   l31, l32, l33, l34 = sch.split(loop=l16, factors=[v27, v28, v29, v30], preserve_unit_iters=True, disable_predication=False)
#   v35, v36, v37, v38 = sch.sample_perfect_tile(loop=l17, n=4, max_innermost_factor=64, decision=[1, 2, 64, 1])
#   l39, l40, l41, l42 = sch.split(loop=l17, factors=[v35, v36, v37, v38], preserve_unit_iters=True, disable_predication=False)
#   v43, v44 = sch.sample_perfect_tile(loop=l18, n=2, max_innermost_factor=64, decision=[128, 2])
#   l45, l46 = sch.split(loop=l18, factors=[v43, v44], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l23, l31, l39, l24, l32, l40, l45, l25, l33, l41, l46, l26, l34, l42)
#   b47 = sch.cache_write(block=b5, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b47, loop=l39, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l48, l49, l50, l51 = sch.get_loops(block=b0)
#   v52, v53, v54, v55 = sch.sample_perfect_tile(loop=l48, n=4, max_innermost_factor=64, decision=[4, 1, 1, 1])
#   l56, l57, l58, l59 = sch.split(loop=l48, factors=[v52, v53, v54, v55], preserve_unit_iters=True, disable_predication=False)
#   v60, v61, v62, v63 = sch.sample_perfect_tile(loop=l49, n=4, max_innermost_factor=64, decision=[2, 4, 8, 4])
#   l64, l65, l66, l67 = sch.split(loop=l49, factors=[v60, v61, v62, v63], preserve_unit_iters=True, disable_predication=False)
#   v68, v69, v70, v71 = sch.sample_perfect_tile(loop=l50, n=4, max_innermost_factor=64, decision=[32, 2, 2, 2])
#   l72, l73, l74, l75 = sch.split(loop=l50, factors=[v68, v69, v70, v71], preserve_unit_iters=True, disable_predication=False)
#   v76, v77 = sch.sample_perfect_tile(loop=l51, n=2, max_innermost_factor=64, decision=[2, 64])
#   l78, l79 = sch.split(loop=l51, factors=[v76, v77], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l56, l64, l72, l57, l65, l73, l78, l58, l66, l74, l79, l59, l67, l75)
#   b80, = sch.get_consumers(block=b0)
#   sch.reverse_compute_at(block=b80, loop=l72, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.vectorize", ann_val=64)
#   v81 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=3)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.unroll_explicit", ann_val=v81)
#   b82, = sch.get_producers(block=b3)
#   sch.unannotate(block_or_loop=b3, ann_key="meta_schedule.random_compute_producer")
#   l83 = sch.sample_compute_location(block=b3, decision=1)
#   sch.compute_at(block=b3, loop=l83, preserve_unit_loops=True, index=-1)
#   l84 = sch.sample_compute_location(block=b82, decision=2)
#   sch.compute_at(block=b82, loop=l84, preserve_unit_loops=True, index=-1)
#   l85 = sch.sample_compute_location(block=b2, decision=0)
#   sch.compute_at(block=b2, loop=l85, preserve_unit_loops=True, index=-1)
#   l86 = sch.sample_compute_location(block=b1, decision=2)
#   sch.compute_at(block=b1, loop=l86, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b87 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b87, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b87, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b87, ann_key="meta_schedule.unroll_explicit")
#   b88, b89, b90, b91, b92, b93, b94, b95 = sch.get_child_blocks(b87)
#   l96, l97, l98, l99, l100, l101, l102, l103, l104, l105, l106, l107, l108, l109 = sch.get_loops(block=b88)
#   l110 = sch.fuse(l96, l97, l98, preserve_unit_iters=True)
#   sch.parallel(loop=l110)
#   l111 = sch.fuse(l109, preserve_unit_iters=True)
#   sch.vectorize(loop=l111)
#   sch.annotate(block_or_loop=l110, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l110, ann_key="pragma_unroll_explicit", ann_val=1)
#   l112, l113, l114, l115 = sch.get_loops(block=b89)
#   l116 = sch.fuse(l115, preserve_unit_iters=True)
#   sch.vectorize(loop=l116)
#   l117, l118, l119, l120, l121, l122 = sch.get_loops(block=b90)
#   l123 = sch.fuse(l117, preserve_unit_iters=True)
#   sch.parallel(loop=l123)
#   sch.annotate(block_or_loop=l123, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l123, ann_key="pragma_unroll_explicit", ann_val=1)
#   l124, l125, l126, l127 = sch.get_loops(block=b91)
#   l128, l129, l130, l131, l132, l133, l134 = sch.get_loops(block=b92)
#   sch.annotate(block_or_loop=l128, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l128, ann_key="pragma_unroll_explicit", ann_val=1)
#   l135, l136, l137, l138, l139 = sch.get_loops(block=b93)
#   l140 = sch.fuse(l139, preserve_unit_iters=True)
#   sch.vectorize(loop=l140)
#   sch.annotate(block_or_loop=l135, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l135, ann_key="pragma_unroll_explicit", ann_val=1)
#   l141, l142, l143, l144, l145, l146, l147, l148, l149, l150, l151, l152, l153, l154 = sch.get_loops(block=b94)
#   sch.annotate(block_or_loop=l141, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l141, ann_key="pragma_unroll_explicit", ann_val=1)
#   l155, l156, l157, l158, l159, l160 = sch.get_loops(block=b95)
#   b161 = sch.get_sblock(name="qk", func_name="main")
#   l162, l163, l164, l165, l166, l167, l168, l169, l170, l171, l172, l173 = sch.get_loops(block=b161)
#   b174 = sch.decompose_reduction(block=b161, loop=l166)
#   b175 = sch.get_sblock(name="row_max", func_name="main")
#   l176, l177, l178, l179, l180, l181 = sch.get_loops(block=b175)
#   b182 = sch.decompose_reduction(block=b175, loop=l181)
#   b183 = sch.get_sblock(name="row_sum_rf", func_name="main")
#   l184, l185, l186, l187, l188, l189, l190 = sch.get_loops(block=b183)
#   b191 = sch.decompose_reduction(block=b183, loop=l186)
#   b192 = sch.get_sblock(name="row_sum", func_name="main")
#   l193, l194, l195, l196, l197 = sch.get_loops(block=b192)
#   b198 = sch.decompose_reduction(block=b192, loop=l195)
#   b199 = sch.get_sblock(name="out", func_name="main")
#   l200, l201, l202, l203, l204, l205, l206, l207, l208, l209, l210, l211, l212, l213 = sch.get_loops(block=b199)
#   b214 = sch.decompose_reduction(block=b199, loop=l206)
