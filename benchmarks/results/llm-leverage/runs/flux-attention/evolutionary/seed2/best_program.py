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
        row_sum_rf = T.sblock_alloc_buffer((4, 256, 128))
        row_max_rf = T.sblock_alloc_buffer((4, 256, 8))
        qk_global = T.sblock_alloc_buffer((4, 256, 256))
        for h_0_i_0_j_0_fused_fused in T.parallel(2):
            for h_1, i_1, j_1 in T.grid(2, 32, 16):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 2, 1, 2, 2):
                    for j_3_fused_init in T.vectorized(16):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_1 * 2 + h_2_init * 2 + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused_fused * 128 + i_1 * 4 + i_2_init * 2 + i_3_init)
                            v_j = T.axis.spatial(256, j_1 * 16 + j_2_init * 16 + j_3_fused_init)
                            T.reads()
                            T.writes(qk_global[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk_global[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(128, 1, 2, 1, 1, 2, 2):
                    for j_3_fused in T.vectorized(16):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_1 * 2 + h_2 * 2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused_fused * 128 + i_1 * 4 + i_2 * 2 + i_3)
                            v_j = T.axis.spatial(256, j_1 * 16 + j_2 * 16 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 + d_1)
                            T.reads(qk_global[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h, v_j, v_d])
                            T.writes(qk_global[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk_global[v_h, v_i, v_j] = qk_global[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h, v_j, v_d]
            for ax0, ax1, ax2 in T.grid(4, 128, 256):
                with T.sblock("qk_global"):
                    v0 = T.axis.spatial(4, ax0)
                    v1 = T.axis.spatial(256, h_0_i_0_j_0_fused_fused * 128 + ax1)
                    v2 = T.axis.spatial(256, ax2)
                    T.reads(qk_global[v0, v1, v2])
                    T.writes(qk[v0, v1, v2])
                    qk[v0, v1, v2] = qk_global[v0, v1, v2]
        for h_0_fused_fused_fused_fused_fused_fused in T.parallel(2):
            for ax0 in range(2):
                for ax0_init, ax0_init_1, ax1_init, ax2_init in T.grid(8, 1, 1, 256):
                    with T.sblock("row_max_rf_init"):
                        vj1_1 = T.axis.spatial(8, ax0_init + ax0_init_1)
                        v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax0 + ax1_init)
                        v_i = T.axis.spatial(256, ax2_init)
                        T.reads()
                        T.writes(row_max_rf[v_h, v_i, vj1_1])
                        row_max_rf[v_h, v_i, vj1_1] = T.float32(-340282346638528859811704183484516925440.0)
                for ax1_init, ax2_init in T.grid(1, 256):
                    with T.sblock("row_max_init"):
                        v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax0 + ax1_init)
                        v_i = T.axis.spatial(256, ax2_init)
                        T.reads()
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                for ax0_1 in range(8):
                    for ax0_2, ax1, ax2, ax3 in T.grid(1, 1, 256, 32):
                        with T.sblock("row_max_rf_update"):
                            vj1_1 = T.axis.spatial(8, ax0_1 + ax0_2)
                            v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax0 + ax1)
                            v_i, vj1_0 = T.axis.remap("SR", [ax2, ax3])
                            T.reads(row_max_rf[v_h, v_i, vj1_1], qk[v_h, v_i, vj1_0 * 8 + vj1_1])
                            T.writes(row_max_rf[v_h, v_i, vj1_1])
                            row_max_rf[v_h, v_i, vj1_1] = T.max(row_max_rf[v_h, v_i, vj1_1], qk[v_h, v_i, vj1_0 * 8 + vj1_1] * T.float32(0.088388347648318433))
                    for ax1, ax2 in T.grid(1, 256):
                        with T.sblock("row_max_update"):
                            vj1_1 = T.axis.reduce(8, ax0_1)
                            v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax0 + ax1)
                            v_i = T.axis.spatial(256, ax2)
                            T.reads(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
                            T.writes(row_max[v_h, v_i])
                            row_max[v_h, v_i] = T.max(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
                for ax1, ax2 in T.grid(256, 256):
                    with T.sblock("exp"):
                        v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax0)
                        v_i, v_j = T.axis.remap("SS", [ax1, ax2])
                        T.reads(qk[v_h, v_i, v_j], row_max[v_h, v_i])
                        T.writes(exp[v_h, v_i, v_j])
                        exp[v_h, v_i, v_j] = T.exp(qk[v_h, v_i, v_j] * T.float32(0.088388347648318433) - row_max[v_h, v_i])
            for ax0_init, ax0_init_1, ax1_init, ax2_init in T.grid(128, 1, 2, 256):
                with T.sblock("row_sum_rf_init"):
                    vj2_0 = T.axis.spatial(128, ax0_init + ax0_init_1)
                    v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax1_init)
                    v_i = T.axis.spatial(256, ax2_init)
                    T.reads()
                    T.writes(row_sum_rf[v_h, v_i, vj2_0])
                    row_sum_rf[v_h, v_i, vj2_0] = T.float32(0.0)
            for ax1_init, ax2_init in T.grid(2, 256):
                with T.sblock("row_sum_init"):
                    v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax1_init)
                    v_i = T.axis.spatial(256, ax2_init)
                    T.reads()
                    T.writes(row_sum[v_h, v_i])
                    row_sum[v_h, v_i] = T.float32(0.0)
            for ax0 in range(128):
                for ax0_1, ax1, ax2, ax3 in T.grid(1, 2, 256, 2):
                    with T.sblock("row_sum_rf_update"):
                        vj2_0 = T.axis.spatial(128, ax0 + ax0_1)
                        v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax1)
                        v_i, vj2_1 = T.axis.remap("SR", [ax2, ax3])
                        T.reads(row_sum_rf[v_h, v_i, vj2_0], exp[v_h, v_i, vj2_0 * 2 + vj2_1])
                        T.writes(row_sum_rf[v_h, v_i, vj2_0])
                        row_sum_rf[v_h, v_i, vj2_0] = row_sum_rf[v_h, v_i, vj2_0] + exp[v_h, v_i, vj2_0 * 2 + vj2_1]
                for ax1, ax2 in T.grid(2, 256):
                    with T.sblock("row_sum_update"):
                        vj2_0 = T.axis.reduce(128, ax0)
                        v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + ax1)
                        v_i = T.axis.spatial(256, ax2)
                        T.reads(row_sum[v_h, v_i], row_sum_rf[v_h, v_i, vj2_0])
                        T.writes(row_sum[v_h, v_i])
                        row_sum[v_h, v_i] = row_sum[v_h, v_i] + row_sum_rf[v_h, v_i, vj2_0]
            for i_0, e_0, h_1, i_1, e_1 in T.grid(4, 2, 2, 16, 1):
                for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init in T.grid(1, 2, 1, 1, 2):
                    for e_3_fused_init in T.vectorized(64):
                        with T.sblock("out_init"):
                            v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + h_1 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, i_0 * 64 + i_1 * 4 + i_2_init * 2 + i_3_init)
                            v_e = T.axis.spatial(128, e_0 * 64 + e_1 * 64 + e_2_init * 64 + e_3_fused_init)
                            T.reads()
                            T.writes(out[v_h, v_i, v_e])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            out[v_h, v_i, v_e] = T.float32(0.0)
                for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3 in T.grid(4, 1, 2, 1, 64, 1, 2):
                    for e_3_fused in T.vectorized(64):
                        with T.sblock("out_update"):
                            v_h = T.axis.spatial(4, h_0_fused_fused_fused_fused_fused_fused * 2 + h_1 + h_2 + h_3)
                            v_i = T.axis.spatial(256, i_0 * 64 + i_1 * 4 + i_2 * 2 + i_3)
                            v_e = T.axis.spatial(128, e_0 * 64 + e_1 * 64 + e_2 * 64 + e_3_fused)
                            v_j3 = T.axis.reduce(256, j3_0 * 64 + j3_1)
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
#   l8, l9, l10 = sch.get_loops(block=b4)
#   v11, v12 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[128, 2])
#   l13, l14 = sch.split(loop=l10, factors=[v11, v12], preserve_unit_iters=True, disable_predication=False)
#   b15 = sch.rfactor(loop=l13, factor_axis=2)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   l16, l17, l18 = sch.get_loops(block=b2)
#   v19, v20 = sch.sample_perfect_tile(loop=l18, n=2, max_innermost_factor=64, decision=[32, 8])
#   l21, l22 = sch.split(loop=l18, factors=[v19, v20], preserve_unit_iters=True, disable_predication=False)
#   b23 = sch.rfactor(loop=l22, factor_axis=2)
#   sch.annotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l24, l25, l26, l27 = sch.get_loops(block=b6)
#   v28, v29, v30, v31 = sch.sample_perfect_tile(loop=l24, n=4, max_innermost_factor=64, decision=[2, 2, 1, 1])
#   l32, l33, l34, l35 = sch.split(loop=l24, factors=[v28, v29, v30, v31], preserve_unit_iters=True, disable_predication=False)
#   v36, v37, v38, v39 = sch.sample_perfect_tile(loop=l25, n=4, max_innermost_factor=64, decision=[4, 16, 2, 2])
#   l40, l41, l42, l43 = sch.split(loop=l25, factors=[v36, v37, v38, v39], preserve_unit_iters=True, disable_predication=False)
#   v44, v45, v46, v47 = sch.sample_perfect_tile(loop=l26, n=4, max_innermost_factor=64, decision=[2, 1, 1, 64])
#   l48, l49, l50, l51 = sch.split(loop=l26, factors=[v44, v45, v46, v47], preserve_unit_iters=True, disable_predication=False)
#   v52, v53 = sch.sample_perfect_tile(loop=l27, n=2, max_innermost_factor=64, decision=[4, 64])
#   l54, l55 = sch.split(loop=l27, factors=[v52, v53], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l32, l40, l48, l33, l41, l49, l54, l34, l42, l50, l55, l35, l43, l51)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l56, l57, l58, l59 = sch.get_loops(block=b0)
#   v60, v61, v62, v63 = sch.sample_perfect_tile(loop=l56, n=4, max_innermost_factor=64, decision=[1, 2, 1, 2])
#   l64, l65, l66, l67 = sch.split(loop=l56, factors=[v60, v61, v62, v63], preserve_unit_iters=True, disable_predication=False)
#   v68, v69, v70, v71 = sch.sample_perfect_tile(loop=l57, n=4, max_innermost_factor=64, decision=[2, 32, 2, 2])
#   l72, l73, l74, l75 = sch.split(loop=l57, factors=[v68, v69, v70, v71], preserve_unit_iters=True, disable_predication=False)
#   v76, v77, v78, v79 = sch.sample_perfect_tile(loop=l58, n=4, max_innermost_factor=64, decision=[1, 16, 1, 16])
#   l80, l81, l82, l83 = sch.split(loop=l58, factors=[v76, v77, v78, v79], preserve_unit_iters=True, disable_predication=False)
#   v84, v85 = sch.sample_perfect_tile(loop=l59, n=2, max_innermost_factor=64, decision=[128, 1])
#   l86, l87 = sch.split(loop=l59, factors=[v84, v85], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l64, l72, l80, l65, l73, l81, l86, l66, l74, l82, l87, l67, l75, l83)
#   b88 = sch.cache_write(block=b0, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b88, loop=l80, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v89 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=0)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v89)
#   b90, = sch.get_producers(block=b4)
#   sch.unannotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer")
#   l91 = sch.sample_compute_location(block=b4, decision=0)
#   sch.compute_at(block=b4, loop=l91, preserve_unit_loops=True, index=-1)
#   l92 = sch.sample_compute_location(block=b90, decision=1)
#   sch.compute_at(block=b90, loop=l92, preserve_unit_loops=True, index=-1)
#   l93 = sch.sample_compute_location(block=b3, decision=0)
#   sch.compute_at(block=b3, loop=l93, preserve_unit_loops=True, index=-1)
#   b94, = sch.get_producers(block=b2)
#   sch.unannotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer")
#   l95 = sch.sample_compute_location(block=b2, decision=1)
#   sch.compute_at(block=b2, loop=l95, preserve_unit_loops=True, index=-1)
#   l96 = sch.sample_compute_location(block=b94, decision=2)
#   sch.compute_at(block=b94, loop=l96, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b97 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b97, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b97, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b97, ann_key="meta_schedule.unroll_explicit")
#   b98, b99, b100, b101, b102, b103, b104, b105 = sch.get_child_blocks(b97)
#   l106, l107, l108, l109, l110, l111, l112, l113, l114, l115, l116, l117, l118, l119 = sch.get_loops(block=b98)
#   l120 = sch.fuse(l106, l107, l108, preserve_unit_iters=True)
#   sch.parallel(loop=l120)
#   l121 = sch.fuse(l119, preserve_unit_iters=True)
#   sch.vectorize(loop=l121)
#   l122, l123, l124, l125 = sch.get_loops(block=b99)
#   l126 = sch.fuse(l122, preserve_unit_iters=True)
#   sch.parallel(loop=l126)
#   l127, l128, l129, l130, l131, l132, l133 = sch.get_loops(block=b100)
#   l134 = sch.fuse(l127, preserve_unit_iters=True)
#   sch.parallel(loop=l134)
#   l135, l136, l137, l138, l139 = sch.get_loops(block=b101)
#   l140 = sch.fuse(l135, preserve_unit_iters=True)
#   sch.parallel(loop=l140)
#   l141, l142, l143, l144 = sch.get_loops(block=b102)
#   l145 = sch.fuse(l141, preserve_unit_iters=True)
#   sch.parallel(loop=l145)
#   l146, l147, l148, l149, l150, l151 = sch.get_loops(block=b103)
#   l152 = sch.fuse(l146, preserve_unit_iters=True)
#   sch.parallel(loop=l152)
#   l153, l154, l155, l156 = sch.get_loops(block=b104)
#   l157 = sch.fuse(l153, preserve_unit_iters=True)
#   sch.parallel(loop=l157)
#   l158, l159, l160, l161, l162, l163, l164, l165, l166, l167, l168, l169, l170, l171 = sch.get_loops(block=b105)
#   l172 = sch.fuse(l158, preserve_unit_iters=True)
#   sch.parallel(loop=l172)
#   l173 = sch.fuse(l171, preserve_unit_iters=True)
#   sch.vectorize(loop=l173)
#   b174 = sch.get_sblock(name="qk", func_name="main")
#   l175, l176, l177, l178, l179, l180, l181, l182, l183, l184, l185, l186 = sch.get_loops(block=b174)
#   b187 = sch.decompose_reduction(block=b174, loop=l179)
#   b188 = sch.get_sblock(name="row_max_rf", func_name="main")
#   l189, l190, l191, l192, l193, l194, l195 = sch.get_loops(block=b188)
#   b196 = sch.decompose_reduction(block=b188, loop=l191)
#   b197 = sch.get_sblock(name="row_max", func_name="main")
#   l198, l199, l200, l201, l202 = sch.get_loops(block=b197)
#   b203 = sch.decompose_reduction(block=b197, loop=l200)
#   b204 = sch.get_sblock(name="row_sum_rf", func_name="main")
#   l205, l206, l207, l208, l209, l210 = sch.get_loops(block=b204)
#   b211 = sch.decompose_reduction(block=b204, loop=l206)
#   b212 = sch.get_sblock(name="row_sum", func_name="main")
#   l213, l214, l215, l216 = sch.get_loops(block=b212)
#   b217 = sch.decompose_reduction(block=b212, loop=l214)
#   b218 = sch.get_sblock(name="out", func_name="main")
#   l219, l220, l221, l222, l223, l224, l225, l226, l227, l228, l229, l230, l231, l232 = sch.get_loops(block=b218)
#   b233 = sch.decompose_reduction(block=b218, loop=l225)
