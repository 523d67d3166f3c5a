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
        row_max_rf = T.sblock_alloc_buffer((4, 256, 16))
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        for h_0_i_0_j_0_h_1_i_1_fused_fused in T.parallel(64):
            for j_1 in range(2):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init, j_3_init in T.grid(1, 64, 16, 2, 1, 1):
                    with T.sblock("qk_init"):
                        v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused_fused // 32 * 2 + h_2_init * 2 + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused_fused % 4 * 64 + i_2_init + i_3_init)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused_fused % 32 // 4 * 32 + j_1 * 16 + j_2_init + j_3_init)
                        T.reads()
                        T.writes(qk[v_h, v_i, v_j])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3, j_3 in T.grid(8, 1, 64, 16, 16, 2, 1, 1):
                    with T.sblock("qk_update"):
                        v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused_fused // 32 * 2 + h_2 * 2 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused_fused % 4 * 64 + i_2 + i_3)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused_fused % 32 // 4 * 32 + j_1 * 16 + j_2 + j_3)
                        v_d = T.axis.reduce(128, d_0 * 16 + d_1)
                        T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h // 4, v_j, v_d])
                        T.writes(qk[v_h, v_i, v_j])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h // 4, v_j, v_d]
                for ax0, ax1 in T.grid(2, 64):
                    for ax2_fused in T.vectorized(16):
                        with T.sblock("scores"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused_fused // 32 * 2 + ax0)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused_fused % 4 * 64 + ax1)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused_fused % 32 // 4 * 32 + j_1 * 16 + ax2_fused)
                            T.reads(qk[v_h, v_i, v_j])
                            T.writes(scores[v_h, v_i, v_j])
                            scores[v_h, v_i, v_j] = T.if_then_else(v_j <= v_i, qk[v_h, v_i, v_j] * T.float32(0.088388347648318433), T.float32(-340282346638528859811704183484516925440.0))
        for h_i_fused in T.parallel(1024):
            for j1_1_fused_init in T.vectorized(16):
                with T.sblock("row_max_rf_init"):
                    vj1_1 = T.axis.spatial(16, j1_1_fused_init)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads()
                    T.writes(row_max_rf[v_h, v_i, vj1_1])
                    row_max_rf[v_h, v_i, vj1_1] = T.float32(-340282346638528859811704183484516925440.0)
            for j1_0 in range(16):
                for j1_1_fused in T.vectorized(16):
                    with T.sblock("row_max_rf_update"):
                        vj1_1 = T.axis.spatial(16, j1_1_fused)
                        v_h = T.axis.spatial(4, h_i_fused // 256)
                        v_i = T.axis.spatial(256, h_i_fused % 256)
                        vj1_0 = T.axis.reduce(16, j1_0)
                        T.reads(row_max_rf[v_h, v_i, vj1_1], scores[v_h, v_i, vj1_0 * 16 + vj1_1])
                        T.writes(row_max_rf[v_h, v_i, vj1_1])
                        row_max_rf[v_h, v_i, vj1_1] = T.max(row_max_rf[v_h, v_i, vj1_1], scores[v_h, v_i, vj1_0 * 16 + vj1_1])
        for h_i_fused_fused in T.parallel(1024):
            for j in range(256):
                for ax1_init, ax2_init in T.grid(1, 1):
                    with T.sblock("row_max_init"):
                        v_h = T.axis.spatial(4, h_i_fused_fused // 256 + ax1_init)
                        v_i = T.axis.spatial(256, h_i_fused_fused % 256 + ax2_init)
                        T.reads()
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                for ax0, ax1, ax2 in T.grid(16, 1, 1):
                    with T.sblock("row_max_update"):
                        vj1_1 = T.axis.reduce(16, ax0)
                        v_h = T.axis.spatial(4, h_i_fused_fused // 256 + ax1)
                        v_i = T.axis.spatial(256, h_i_fused_fused % 256 + ax2)
                        T.reads(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.max(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
                with T.sblock("exp"):
                    v_h = T.axis.spatial(4, h_i_fused_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused_fused % 256)
                    v_j = T.axis.spatial(256, j)
                    T.reads(scores[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(scores[v_h, v_i, v_j] - row_max[v_h, v_i])
        for h_0_i_0_fused_fused_fused in T.parallel(2):
            for ax0, ax1 in T.grid(4, 128):
                with T.sblock("row_sum_init"):
                    v_h = T.axis.spatial(4, ax0)
                    v_i = T.axis.spatial(256, h_0_i_0_fused_fused_fused * 128 + ax1)
                    T.reads()
                    T.writes(row_sum[v_h, v_i])
                    row_sum[v_h, v_i] = T.float32(0.0)
                for ax2 in range(256):
                    with T.sblock("row_sum_update"):
                        v_h = T.axis.spatial(4, ax0)
                        v_i = T.axis.spatial(256, h_0_i_0_fused_fused_fused * 128 + ax1)
                        v_j2 = T.axis.reduce(256, ax2)
                        T.reads(row_sum[v_h, v_i], exp[v_h, v_i, v_j2])
                        T.writes(row_sum[v_h, v_i])
                        row_sum[v_h, v_i] = row_sum[v_h, v_i] + exp[v_h, v_i, v_j2]
            for e_0, h_1, i_1, e_1 in T.grid(1, 1, 2, 1):
                for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init in T.grid(4, 2, 2, 1, 32):
                    for e_3_fused_init in T.vectorized(64):
                        with T.sblock("out_init"):
                            v_h = T.axis.spatial(4, h_1 * 4 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_fused_fused_fused * 128 + i_1 * 64 + i_2_init * 32 + i_3_init)
                            v_e = T.axis.spatial(128, e_0 * 128 + e_1 * 128 + e_2_init * 64 + e_3_fused_init)
                            T.reads()
                            T.writes(out_global[v_h, v_i, v_e])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            out_global[v_h, v_i, v_e] = T.float32(0.0)
                for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3 in T.grid(32, 4, 2, 2, 8, 1, 32):
                    for e_3_fused in T.vectorized(64):
                        with T.sblock("out_update"):
                            v_h = T.axis.spatial(4, h_1 * 4 + h_2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_fused_fused_fused * 128 + i_1 * 64 + i_2 * 32 + i_3)
                            v_e = T.axis.spatial(128, e_0 * 128 + e_1 * 128 + e_2 * 64 + e_3_fused)
                            v_j3 = T.axis.reduce(256, j3_0 * 8 + j3_1)
                            T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h // 4, v_j3, v_e])
                            T.writes(out_global[v_h, v_i, v_e])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h // 4, v_j3, v_e]
                for ax0, ax1, ax2 in T.grid(4, 64, 128):
                    with T.sblock("out_global"):
                        v0 = T.axis.spatial(4, ax0)
                        v1 = T.axis.spatial(256, h_0_i_0_fused_fused_fused * 128 + i_1 * 64 + ax1)
                        v2 = T.axis.spatial(128, ax2)
                        T.reads(out_global[v0, v1, v2])
                        T.writes(out[v0, v1, v2])
                        out[v0, v1, v2] = out_global[v0, v1, v2]

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
#   l8, l9, l10 = sch.get_loops(block=b2)
#   v11, v12 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[16, 16])
#   l13, l14 = sch.split(loop=l10, factors=[v11, v12], preserve_unit_iters=True, disable_predication=False)
#   b15 = sch.rfactor(loop=l14, factor_axis=2)
#   l16, l17, l18, l19 = sch.get_loops(block=b15)
#   sch.annotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l20, l21, l22, l23 = sch.get_loops(block=b6)
#   v24, v25, v26, v27 = sch.sample_perfect_tile(loop=l20, n=4, max_innermost_factor=64, decision=[1, 1, 4, 1])
#   l28, l29, l30, l31 = sch.split(loop=l20, factors=[v24, v25, v26, v27], preserve_unit_iters=True, disable_predication=False)
#   v32, v33, v34, v35 = sch.sample_perfect_tile(loop=l21, n=4, max_innermost_factor=64, decision=[2, 2, 2, 32])
#   l36, l37, l38, l39 = sch.split(loop=l21, factors=[v32, v33, v34, v35], preserve_unit_iters=True, disable_predication=False)
#   v40, v41, v42, v43 = sch.sample_perfect_tile(loop=l22, n=4, max_innermost_factor=64, decision=[1, 1, 2, 64])
#   l44, l45, l46, l47 = sch.split(loop=l22, factors=[v40, v41, v42, v43], preserve_unit_iters=True, disable_predication=False)
#   v48, v49 = sch.sample_perfect_tile(loop=l23, n=2, max_innermost_factor=64, decision=[32, 8])
#   l50, l51 = sch.split(loop=l23, factors=[v48, v49], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l28, l36, l44, l29, l37, l45, l50, l30, l38, l46, l51, l31, l39, l47)
#   sch.get_consumers(block=b6)
#   b52 = sch.cache_write(block=b6, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b52, loop=l45, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l53, l54, l55, l56 = sch.get_loops(block=b0)
#   v57, v58, v59, v60 = sch.sample_perfect_tile(loop=l53, n=4, max_innermost_factor=64, decision=[2, 1, 1, 2])
#   l61, l62, l63, l64 = sch.split(loop=l53, factors=[v57, v58, v59, v60], preserve_unit_iters=True, disable_predication=False)
#   v65, v66, v67, v68 = sch.sample_perfect_tile(loop=l54, n=4, max_innermost_factor=64, decision=[1, 4, 64, 1])
#   l69, l70, l71, l72 = sch.split(loop=l54, factors=[v65, v66, v67, v68], preserve_unit_iters=True, disable_predication=False)
#   v73, v74, v75, v76 = sch.sample_perfect_tile(loop=l55, n=4, max_innermost_factor=64, decision=[8, 2, 16, 1])
#   l77, l78, l79, l80 = sch.split(loop=l55, factors=[v73, v74, v75, v76], preserve_unit_iters=True, disable_predication=False)
#   v81, v82 = sch.sample_perfect_tile(loop=l56, n=2, max_innermost_factor=64, decision=[8, 16])
#   l83, l84 = sch.split(loop=l56, factors=[v81, v82], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l61, l69, l77, l62, l70, l78, l83, l63, l71, l79, l84, l64, l72, l80)
#   b85, = sch.get_consumers(block=b0)
#   sch.reverse_compute_at(block=b85, loop=l78, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v86 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=0)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v86)
#   l87 = sch.sample_compute_location(block=b4, decision=1)
#   sch.compute_at(block=b4, loop=l87, preserve_unit_loops=True, index=-1)
#   l88 = sch.sample_compute_location(block=b3, decision=-1)
#   sch.compute_at(block=b3, loop=l88, preserve_unit_loops=True, index=-1)
#   b89, = sch.get_producers(block=b2)
#   sch.unannotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer")
#   l90 = sch.sample_compute_location(block=b2, decision=2)
#   sch.compute_at(block=b2, loop=l90, preserve_unit_loops=True, index=-1)
#   l91 = sch.sample_compute_location(block=b89, decision=-1)
#   sch.compute_at(block=b89, loop=l91, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b92 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b92, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b92, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b92, ann_key="meta_schedule.unroll_explicit")
#   b93, b94, b95, b96, b97, b98, b99, b100 = sch.get_child_blocks(b92)
#   l101, l102, l103, l104, l105, l106, l107, l108, l109, l110, l111, l112, l113, l114 = sch.get_loops(block=b93)
#   l115 = sch.fuse(l101, l102, l103, l104, l105, preserve_unit_iters=True)
#   sch.parallel(loop=l115)
#   l116, l117, l118, l119, l120 = sch.get_loops(block=b94)
#   l121 = sch.fuse(l116, preserve_unit_iters=True)
#   sch.parallel(loop=l121)
#   l122 = sch.fuse(l120, preserve_unit_iters=True)
#   sch.vectorize(loop=l122)
#   l123, l124, l125, l126 = sch.get_loops(block=b95)
#   l127 = sch.fuse(l123, l124, preserve_unit_iters=True)
#   sch.parallel(loop=l127)
#   l128 = sch.fuse(l126, preserve_unit_iters=True)
#   sch.vectorize(loop=l128)
#   l129, l130, l131, l132, l133, l134 = sch.get_loops(block=b96)
#   l135 = sch.fuse(l129, l130, preserve_unit_iters=True)
#   sch.parallel(loop=l135)
#   l136, l137 = sch.get_loops(block=b97)
#   l138 = sch.fuse(l136, preserve_unit_iters=True)
#   sch.parallel(loop=l138)
#   l139, l140, l141, l142, l143 = sch.get_loops(block=b98)
#   l144 = sch.fuse(l139, l140, preserve_unit_iters=True)
#   sch.parallel(loop=l144)
#   l145, l146, l147, l148, l149, l150, l151, l152, l153, l154, l155, l156, l157 = sch.get_loops(block=b99)
#   l158 = sch.fuse(l145, preserve_unit_iters=True)
#   sch.parallel(loop=l158)
#   l159 = sch.fuse(l157, preserve_unit_iters=True)
#   sch.vectorize(loop=l159)
#   l160, l161, l162, l163, l164, l165, l166, l167 = sch.get_loops(block=b100)
#   l168 = sch.fuse(l160, preserve_unit_iters=True)
#   sch.parallel(loop=l168)
#   b169 = sch.get_sblock(name="qk", func_name="main")
#   l170, l171, l172, l173, l174, l175, l176, l177, l178, l179 = sch.get_loops(block=b169)
#   b180 = sch.decompose_reduction(block=b169, loop=l172)
#   b181 = sch.get_sblock(name="row_max_rf", func_name="main")
#   l182, l183, l184 = sch.get_loops(block=b181)
#   b185 = sch.decompose_reduction(block=b181, loop=l183)
#   b186 = sch.get_sblock(name="row_max", func_name="main")
#   l187, l188, l189, l190, l191 = sch.get_loops(block=b186)
#   b192 = sch.decompose_reduction(block=b186, loop=l189)
#   b193 = sch.get_sblock(name="row_sum", func_name="main")
#   l194, l195, l196, l197 = sch.get_loops(block=b193)
#   b198 = sch.decompose_reduction(block=b193, loop=l197)
#   b199 = sch.get_sblock(name="out", func_name="main")
#   l200, l201, l202, l203, l204, l205, l206, l207, l208, l209, l210, l211, l212 = sch.get_loops(block=b199)
#   b213 = sch.decompose_reduction(block=b199, loop=l205)
