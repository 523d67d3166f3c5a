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
        row_sum_rf = T.sblock_alloc_buffer((4, 256, 1))
        row_max_rf = T.sblock_alloc_buffer((4, 256, 64))
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        for h_0_i_0_j_0_fused in T.parallel(8, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for h_1, i_1, j_1 in T.grid(2, 1, 1):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(2, 4, 4, 1, 16):
                    for j_3_fused_init in T.vectorized(32):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_1 * 2 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 64 + i_1 * 64 + i_2_init * 16 + i_3_init)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + j_1 * 128 + j_2_init * 32 + j_3_fused_init)
                            T.reads()
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(8, 2, 4, 4, 16, 1, 16):
                    for j_3_fused in T.vectorized(32):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_1 * 2 + h_2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 64 + i_1 * 64 + i_2 * 16 + i_3)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + j_1 * 128 + j_2 * 32 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 16 + d_1)
                            T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h // 4, v_j, v_d])
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h // 4, v_j, v_d]
            for ax0, ax1, ax2 in T.grid(4, 64, 128):
                with T.sblock("scores"):
                    v_h = T.axis.spatial(4, ax0)
                    v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 64 + ax1)
                    v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + ax2)
                    T.reads(qk[v_h, v_i, v_j])
                    T.writes(scores[v_h, v_i, v_j])
                    scores[v_h, v_i, v_j] = T.if_then_else(v_j <= v_i, qk[v_h, v_i, v_j] * T.float32(0.088388347648318433), T.float32(-340282346638528859811704183484516925440.0))
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for j1_0 in range(64):
                with T.sblock("row_max_rf_init"):
                    vj1_0 = T.axis.spatial(64, j1_0)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads()
                    T.writes(row_max_rf[v_h, v_i, vj1_0])
                    row_max_rf[v_h, v_i, vj1_0] = T.float32(-340282346638528859811704183484516925440.0)
                for j1_1 in range(4):
                    with T.sblock("row_max_rf_update"):
                        vj1_0 = T.axis.spatial(64, j1_0)
                        v_h = T.axis.spatial(4, h_i_fused // 256)
                        v_i = T.axis.spatial(256, h_i_fused % 256)
                        vj1_1 = T.axis.reduce(4, j1_1)
                        T.reads(row_max_rf[v_h, v_i, vj1_0], scores[v_h, v_i, vj1_0 * 4 + vj1_1])
                        T.writes(row_max_rf[v_h, v_i, vj1_0])
                        row_max_rf[v_h, v_i, vj1_0] = T.max(row_max_rf[v_h, v_i, vj1_0], scores[v_h, v_i, vj1_0 * 4 + vj1_1])
        for h_0_i_0_e_0_fused in T.parallel(16, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for h_1 in range(2):
                for ax0 in range(2):
                    for ax1_init in range(1):
                        for ax2_fused_init in T.vectorized(16):
                            with T.sblock("row_max_init"):
                                v_h = T.axis.spatial(4, h_1 * 2 + ax0 + ax1_init)
                                v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + ax2_fused_init)
                                T.reads()
                                T.writes(row_max[v_h, v_i])
                                row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                    for ax0_1, ax1 in T.grid(64, 1):
                        for ax2_fused in T.vectorized(16):
                            with T.sblock("row_max_update"):
                                vj1_0 = T.axis.reduce(64, ax0_1)
                                v_h = T.axis.spatial(4, h_1 * 2 + ax0 + ax1)
                                v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + ax2_fused)
                                T.reads(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_0])
                                T.writes(row_max[v_h, v_i])
                                row_max[v_h, v_i] = T.max(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_0])
                    for ax1, ax2 in T.grid(16, 256):
                        with T.sblock("exp"):
                            v_h = T.axis.spatial(4, h_1 * 2 + ax0)
                            v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + ax1)
                            v_j = T.axis.spatial(256, ax2)
                            T.reads(scores[v_h, v_i, v_j], row_max[v_h, v_i])
                            T.writes(exp[v_h, v_i, v_j])
                            exp[v_h, v_i, v_j] = T.exp(scores[v_h, v_i, v_j] - row_max[v_h, v_i])
                for ax0, ax1, ax2 in T.grid(1, 2, 16):
                    with T.sblock("row_sum_rf_init"):
                        vj2_1 = T.axis.spatial(1, ax0)
                        v_h = T.axis.spatial(4, h_1 * 2 + ax1)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + ax2)
                        T.reads()
                        T.writes(row_sum_rf[v_h, v_i, vj2_1])
                        row_sum_rf[v_h, v_i, vj2_1] = T.float32(0.0)
                    for ax3 in range(256):
                        with T.sblock("row_sum_rf_update"):
                            vj2_1 = T.axis.spatial(1, ax0)
                            v_h = T.axis.spatial(4, h_1 * 2 + ax1)
                            v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + ax2)
                            vj2_0 = T.axis.reduce(256, ax3)
                            T.reads(row_sum_rf[v_h, v_i, vj2_1], exp[v_h, v_i, vj2_0 + vj2_1])
                            T.writes(row_sum_rf[v_h, v_i, vj2_1])
                            row_sum_rf[v_h, v_i, vj2_1] = row_sum_rf[v_h, v_i, vj2_1] + exp[v_h, v_i, vj2_0 + vj2_1]
                for i_1 in range(4):
                    for ax1_init in range(2):
                        for ax2_fused_init in T.vectorized(4):
                            with T.sblock("row_sum_init"):
                                v_h = T.axis.spatial(4, h_1 * 2 + ax1_init)
                                v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + i_1 * 4 + ax2_fused_init)
                                T.reads()
                                T.writes(row_sum[v_h, v_i])
                                row_sum[v_h, v_i] = T.float32(0.0)
                    for ax0, ax1 in T.grid(1, 2):
                        for ax2_fused in T.vectorized(4):
                            with T.sblock("row_sum_update"):
                                vj2_1 = T.axis.reduce(1, ax0)
                                v_h = T.axis.spatial(4, h_1 * 2 + ax1)
                                v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + i_1 * 4 + ax2_fused)
                                T.reads(row_sum[v_h, v_i], row_sum_rf[v_h, v_i, vj2_1])
                                T.writes(row_sum[v_h, v_i])
                                row_sum[v_h, v_i] = row_sum[v_h, v_i] + row_sum_rf[v_h, v_i, vj2_1]
                    for e_1 in range(2):
                        for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init, e_3_init in T.grid(2, 2, 64, 1, 2, 1):
                            with T.sblock("out_init"):
                                v_h = T.axis.spatial(4, h_1 * 2 + h_2_init + h_3_init)
                                v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + i_1 * 4 + i_2_init * 2 + i_3_init)
                                v_e = T.axis.spatial(128, e_1 * 64 + e_2_init + e_3_init)
                                T.reads()
                                T.writes(out_global[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out_global[v_h, v_i, v_e] = T.float32(0.0)
                        for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3, e_3 in T.grid(128, 2, 2, 64, 2, 1, 2, 1):
                            with T.sblock("out_update"):
                                v_h = T.axis.spatial(4, h_1 * 2 + h_2 + h_3)
                                v_i = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + i_1 * 4 + i_2 * 2 + i_3)
                                v_e = T.axis.spatial(128, e_1 * 64 + e_2 + e_3)
                                v_j3 = T.axis.reduce(256, j3_0 * 2 + j3_1)
                                T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h // 4, v_j3, v_e])
                                T.writes(out_global[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h // 4, v_j3, v_e]
            for ax0, ax1, ax2 in T.grid(4, 16, 128):
                with T.sblock("out_global"):
                    v0 = T.axis.spatial(4, ax0)
                    v1 = T.axis.spatial(256, h_0_i_0_e_0_fused * 16 + ax1)
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
#   v10, v11 = sch.sample_perfect_tile(loop=l9, n=2, max_innermost_factor=64, decision=[256, 1])
#   l12, l13 = sch.split(loop=l9, factors=[v10, v11], preserve_unit_iters=True, disable_predication=False)
#   b14 = sch.rfactor(loop=l13, factor_axis=2)
#   sch.annotate(block_or_loop=b3, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   l15, l16, l17 = sch.get_loops(block=b1)
#   v18, v19 = sch.sample_perfect_tile(loop=l17, n=2, max_innermost_factor=64, decision=[64, 4])
#   l20, l21 = sch.split(loop=l17, factors=[v18, v19], preserve_unit_iters=True, disable_predication=False)
#   b22 = sch.rfactor(loop=l20, factor_axis=2)
#   sch.annotate(block_or_loop=b1, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b5, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l23, l24, l25, l26 = sch.get_loops(block=b5)
#   v27, v28, v29, v30 = sch.sample_perfect_tile(loop=l23, n=4, max_innermost_factor=64, decision=[1, 2, 2, 1])
#   l31, l32, l33, l34 = sch.split(loop=l23, factors=[v27, v28, v29, v30], preserve_unit_iters=True, disable_predication=False)
#   v35, v36, v37, v38 = sch.sample_perfect_tile(loop=l24, n=4, max_innermost_factor=64, decision=[16, 4, 2, 2])
#   l39, l40, l41, l42 = sch.split(loop=l24, factors=[v35, v36, v37, v38], preserve_unit_iters=True, disable_predication=False)
#   v43, v44, v45, v46 = sch.sample_perfect_tile(loop=l25, n=4, max_innermost_factor=64, decision=[1, 2, 64, 1])
#   l47, l48, l49, l50 = sch.split(loop=l25, factors=[v43, v44, v45, v46], preserve_unit_iters=True, disable_predication=False)
#   v51, v52 = sch.sample_perfect_tile(loop=l26, n=2, max_innermost_factor=64, decision=[128, 2])
#   l53, l54 = sch.split(loop=l26, factors=[v51, v52], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l31, l39, l47, l32, l40, l48, l53, l33, l41, l49, l54, l34, l42, l50)
#   b55 = sch.cache_write(block=b5, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b55, loop=l47, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l56, l57, l58, l59 = sch.get_loops(block=b0)
#   v60, v61, v62, v63 = sch.sample_perfect_tile(loop=l56, n=4, max_innermost_factor=64, decision=[1, 2, 2, 1])
#   l64, l65, l66, l67 = sch.split(loop=l56, factors=[v60, v61, v62, v63], preserve_unit_iters=True, disable_predication=False)
#   v68, v69, v70, v71 = sch.sample_perfect_tile(loop=l57, n=4, max_innermost_factor=64, decision=[4, 1, 4, 16])
#   l72, l73, l74, l75 = sch.split(loop=l57, factors=[v68, v69, v70, v71], preserve_unit_iters=True, disable_predication=False)
#   v76, v77, v78, v79 = sch.sample_perfect_tile(loop=l58, n=4, max_innermost_factor=64, decision=[2, 1, 4, 32])
#   l80, l81, l82, l83 = sch.split(loop=l58, factors=[v76, v77, v78, v79], preserve_unit_iters=True, disable_predication=False)
#   v84, v85 = sch.sample_perfect_tile(loop=l59, n=2, max_innermost_factor=64, decision=[8, 16])
#   l86, l87 = sch.split(loop=l59, factors=[v84, v85], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l64, l72, l80, l65, l73, l81, l86, l66, l74, l82, l87, l67, l75, l83)
#   b88, = sch.get_consumers(block=b0)
#   sch.reverse_compute_at(block=b88, loop=l80, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.vectorize", ann_val=64)
#   v89 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.unroll_explicit", ann_val=v89)
#   b90, = sch.get_producers(block=b3)
#   sch.unannotate(block_or_loop=b3, ann_key="meta_schedule.random_compute_producer")
#   l91 = sch.sample_compute_location(block=b3, decision=4)
#   sch.compute_at(block=b3, loop=l91, preserve_unit_loops=True, index=-1)
#   l92 = sch.sample_compute_location(block=b90, decision=3)
#   sch.compute_at(block=b90, loop=l92, preserve_unit_loops=True, index=-1)
#   l93 = sch.sample_compute_location(block=b2, decision=3)
#   sch.compute_at(block=b2, loop=l93, preserve_unit_loops=True, index=-1)
#   b94, = sch.get_producers(block=b1)
#   sch.unannotate(block_or_loop=b1, ann_key="meta_schedule.random_compute_producer")
#   l95 = sch.sample_compute_location(block=b1, decision=4)
#   sch.compute_at(block=b1, loop=l95, preserve_unit_loops=True, index=-1)
#   l96 = sch.sample_compute_location(block=b94, decision=-1)
#   sch.compute_at(block=b94, loop=l96, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b97 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b97, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b97, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b97, ann_key="meta_schedule.unroll_explicit")
#   b98, b99, b100, b101, b102, b103, b104, b105, b106 = sch.get_child_blocks(b97)
#   l107, l108, l109, l110, l111, l112, l113, l114, l115, l116, l117, l118, l119, l120 = sch.get_loops(block=b98)
#   l121 = sch.fuse(l107, l108, l109, preserve_unit_iters=True)
#   sch.parallel(loop=l121)
#   l122 = sch.fuse(l120, preserve_unit_iters=True)
#   sch.vectorize(loop=l122)
#   sch.annotate(block_or_loop=l121, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l121, ann_key="pragma_unroll_explicit", ann_val=1)
#   l123, l124, l125, l126 = sch.get_loops(block=b99)
#   l127, l128, l129, l130 = sch.get_loops(block=b100)
#   l131 = sch.fuse(l127, l128, preserve_unit_iters=True)
#   sch.parallel(loop=l131)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_unroll_explicit", ann_val=1)
#   l132, l133, l134, l135, l136, l137, l138, l139 = sch.get_loops(block=b101)
#   l140 = sch.fuse(l132, l133, l134, preserve_unit_iters=True)
#   sch.parallel(loop=l140)
#   l141 = sch.fuse(l139, preserve_unit_iters=True)
#   sch.vectorize(loop=l141)
#   sch.annotate(block_or_loop=l140, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l140, ann_key="pragma_unroll_explicit", ann_val=1)
#   l142, l143, l144, l145, l146 = sch.get_loops(block=b102)
#   l147, l148, l149, l150, l151, l152 = sch.get_loops(block=b103)
#   sch.annotate(block_or_loop=l147, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l147, ann_key="pragma_unroll_explicit", ann_val=1)
#   l153, l154, l155, l156, l157, l158 = sch.get_loops(block=b104)
#   l159 = sch.fuse(l158, preserve_unit_iters=True)
#   sch.vectorize(loop=l159)
#   sch.annotate(block_or_loop=l153, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l153, ann_key="pragma_unroll_explicit", ann_val=1)
#   l160, l161, l162, l163, l164, l165, l166, l167, l168, l169, l170, l171 = sch.get_loops(block=b105)
#   sch.annotate(block_or_loop=l160, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l160, ann_key="pragma_unroll_explicit", ann_val=1)
#   l172, l173, l174, l175 = sch.get_loops(block=b106)
#   b176 = sch.get_sblock(name="qk", func_name="main")
#   l177, l178, l179, l180, l181, l182, l183, l184, l185, l186, l187, l188 = sch.get_loops(block=b176)
#   b189 = sch.decompose_reduction(block=b176, loop=l181)
#   b190 = sch.get_sblock(name="row_max_rf", func_name="main")
#   l191, l192, l193 = sch.get_loops(block=b190)
#   b194 = sch.decompose_reduction(block=b190, loop=l193)
#   b195 = sch.get_sblock(name="row_max", func_name="main")
#   l196, l197, l198, l199, l200, l201 = sch.get_loops(block=b195)
#   b202 = sch.decompose_reduction(block=b195, loop=l199)
#   b203 = sch.get_sblock(name="row_sum_rf", func_name="main")
#   l204, l205, l206, l207, l208, l209 = sch.get_loops(block=b203)
#   b210 = sch.decompose_reduction(block=b203, loop=l209)
#   b211 = sch.get_sblock(name="row_sum", func_name="main")
#   l212, l213, l214, l215, l216, l217 = sch.get_loops(block=b211)
#   b218 = sch.decompose_reduction(block=b211, loop=l215)
#   b219 = sch.get_sblock(name="out", func_name="main")
#   l220, l221, l222, l223, l224, l225, l226, l227, l228, l229, l230, l231 = sch.get_loops(block=b219)
#   b232 = sch.decompose_reduction(block=b219, loop=l224)
