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
        row_max_rf = T.sblock_alloc_buffer((4, 256, 32))
        for h_0_i_0_j_0_fused in T.parallel(16, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for h_1, i_1, j_1 in T.grid(1, 32, 1):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 2, 8, 1, 4):
                    for j_3_fused_init in T.vectorized(8):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 4 + h_1 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, i_1 * 8 + i_2_init * 4 + i_3_init)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 4 * 64 + j_1 * 64 + j_2_init * 8 + j_3_fused_init)
                            T.reads()
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(2, 1, 2, 8, 64, 1, 4):
                    for j_3_fused in T.vectorized(8):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 4 + h_1 + h_2 + h_3)
                            v_i = T.axis.spatial(256, i_1 * 8 + i_2 * 4 + i_3)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 4 * 64 + j_1 * 64 + j_2 * 8 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 64 + d_1)
                            T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h // 4, v_j, v_d])
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h // 4, v_j, v_d]
            for ax0, ax1 in T.grid(1, 256):
                for ax2_fused in T.vectorized(64):
                    with T.sblock("scores"):
                        v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 4 + ax0)
                        v_i = T.axis.spatial(256, ax1)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 4 * 64 + ax2_fused)
                        T.reads(qk[v_h, v_i, v_j])
                        T.writes(scores[v_h, v_i, v_j])
                        scores[v_h, v_i, v_j] = T.if_then_else(v_j <= v_i, qk[v_h, v_i, v_j] * T.float32(0.088388347648318433), T.float32(-340282346638528859811704183484516925440.0))
        for h_fused in T.parallel(4, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for ax0_init, ax0_init_1, ax1_init, ax2_init in T.grid(32, 1, 1, 256):
                with T.sblock("row_max_rf_init"):
                    vj1_1 = T.axis.spatial(32, ax0_init + ax0_init_1)
                    v_h = T.axis.spatial(4, h_fused + ax1_init)
                    v_i = T.axis.spatial(256, ax2_init)
                    T.reads()
                    T.writes(row_max_rf[v_h, v_i, vj1_1])
                    row_max_rf[v_h, v_i, vj1_1] = T.float32(-340282346638528859811704183484516925440.0)
            for ax1_init, ax2_init in T.grid(1, 256):
                with T.sblock("row_max_init"):
                    v_h = T.axis.spatial(4, h_fused + ax1_init)
                    v_i = T.axis.spatial(256, ax2_init)
                    T.reads()
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
            for ax0 in range(32):
                for ax0_1, ax1, ax2, ax3 in T.grid(1, 1, 256, 8):
                    with T.sblock("row_max_rf_update"):
                        vj1_1 = T.axis.spatial(32, ax0 + ax0_1)
                        v_h = T.axis.spatial(4, h_fused + ax1)
                        v_i, vj1_0 = T.axis.remap("SR", [ax2, ax3])
                        T.reads(row_max_rf[v_h, v_i, vj1_1], scores[v_h, v_i, vj1_0 * 32 + vj1_1])
                        T.writes(row_max_rf[v_h, v_i, vj1_1])
                        row_max_rf[v_h, v_i, vj1_1] = T.max(row_max_rf[v_h, v_i, vj1_1], scores[v_h, v_i, vj1_0 * 32 + vj1_1])
                for ax1, ax2 in T.grid(1, 256):
                    with T.sblock("row_max_update"):
                        vj1_1 = T.axis.reduce(32, ax0)
                        v_h = T.axis.spatial(4, h_fused + ax1)
                        v_i = T.axis.spatial(256, ax2)
                        T.reads(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.max(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
            for i, j in T.grid(256, 256):
                with T.sblock("exp"):
                    v_h, v_i, v_j = T.axis.remap("SSS", [h_fused, i, j])
                    T.reads(scores[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(scores[v_h, v_i, v_j] - row_max[v_h, v_i])
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            with T.sblock("row_sum_init"):
                v_h = T.axis.spatial(4, h_i_fused // 256)
                v_i = T.axis.spatial(256, h_i_fused % 256)
                T.reads()
                T.writes(row_sum[v_h, v_i])
                row_sum[v_h, v_i] = T.float32(0.0)
            for j2 in range(256):
                with T.sblock("row_sum_update"):
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    v_j2 = T.axis.reduce(256, j2)
                    T.reads(row_sum[v_h, v_i], exp[v_h, v_i, v_j2])
                    T.writes(row_sum[v_h, v_i])
                    row_sum[v_h, v_i] = row_sum[v_h, v_i] + exp[v_h, v_i, v_j2]
        for h_0_i_0_e_0_fused in T.parallel(128, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for h_1, i_1, e_1 in T.grid(1, 4, 2):
                for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init, e_3_init in T.grid(4, 2, 8, 1, 2, 1):
                    with T.sblock("out_init"):
                        v_h = T.axis.spatial(4, h_1 * 4 + h_2_init + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_fused // 8 * 16 + i_1 * 4 + i_2_init * 2 + i_3_init)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_fused % 8 * 16 + e_1 * 8 + e_2_init + e_3_init)
                        T.reads()
                        T.writes(out[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out[v_h, v_i, v_e] = T.float32(0.0)
                for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3, e_3 in T.grid(32, 4, 2, 8, 8, 1, 2, 1):
                    with T.sblock("out_update"):
                        v_h = T.axis.spatial(4, h_1 * 4 + h_2 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_fused // 8 * 16 + i_1 * 4 + i_2 * 2 + i_3)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_fused % 8 * 16 + e_1 * 8 + e_2 + e_3)
                        v_j3 = T.axis.reduce(256, j3_0 * 8 + j3_1)
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
#   l8, l9, l10 = sch.get_loops(block=b2)
#   v11, v12 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[8, 32])
#   l13, l14 = sch.split(loop=l10, factors=[v11, v12], preserve_unit_iters=True, disable_predication=False)
#   b15 = sch.rfactor(loop=l14, factor_axis=2)
#   l16, l17, l18, l19 = sch.get_loops(block=b15)
#   sch.annotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l20, l21, l22, l23 = sch.get_loops(block=b6)
#   v24, v25, v26, v27 = sch.sample_perfect_tile(loop=l20, n=4, max_innermost_factor=64, decision=[1, 1, 4, 1])
#   l28, l29, l30, l31 = sch.split(loop=l20, factors=[v24, v25, v26, v27], preserve_unit_iters=True, disable_predication=False)
#   v32, v33, v34, v35 = sch.sample_perfect_tile(loop=l21, n=4, max_innermost_factor=64, decision=[16, 4, 2, 2])
#   l36, l37, l38, l39 = sch.split(loop=l21, factors=[v32, v33, v34, v35], preserve_unit_iters=True, disable_predication=False)
#   v40, v41, v42, v43 = sch.sample_perfect_tile(loop=l22, n=4, max_innermost_factor=64, decision=[8, 2, 8, 1])
#   l44, l45, l46, l47 = sch.split(loop=l22, factors=[v40, v41, v42, v43], preserve_unit_iters=True, disable_predication=False)
#   v48, v49 = sch.sample_perfect_tile(loop=l23, n=2, max_innermost_factor=64, decision=[32, 8])
#   l50, l51 = sch.split(loop=l23, factors=[v48, v49], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l28, l36, l44, l29, l37, l45, l50, l30, l38, l46, l51, l31, l39, l47)
#   sch.get_consumers(block=b6)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l52, l53, l54, l55 = sch.get_loops(block=b0)
#   v56, v57, v58, v59 = sch.sample_perfect_tile(loop=l52, n=4, max_innermost_factor=64, decision=[4, 1, 1, 1])
#   l60, l61, l62, l63 = sch.split(loop=l52, factors=[v56, v57, v58, v59], preserve_unit_iters=True, disable_predication=False)
#   v64, v65, v66, v67 = sch.sample_perfect_tile(loop=l53, n=4, max_innermost_factor=64, decision=[1, 32, 2, 4])
#   l68, l69, l70, l71 = sch.split(loop=l53, factors=[v64, v65, v66, v67], preserve_unit_iters=True, disable_predication=False)
#   v72, v73, v74, v75 = sch.sample_perfect_tile(loop=l54, n=4, max_innermost_factor=64, decision=[4, 1, 8, 8])
#   l76, l77, l78, l79 = sch.split(loop=l54, factors=[v72, v73, v74, v75], preserve_unit_iters=True, disable_predication=False)
#   v80, v81 = sch.sample_perfect_tile(loop=l55, n=2, max_innermost_factor=64, decision=[2, 64])
#   l82, l83 = sch.split(loop=l55, factors=[v80, v81], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l60, l68, l76, l61, l69, l77, l82, l62, l70, l78, l83, l63, l71, l79)
#   b84, = sch.get_consumers(block=b0)
#   sch.reverse_compute_at(block=b84, loop=l76, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v85 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v85)
#   l86 = sch.sample_compute_location(block=b4, decision=-1)
#   sch.compute_at(block=b4, loop=l86, preserve_unit_loops=True, index=-1)
#   l87 = sch.sample_compute_location(block=b3, decision=-1)
#   sch.compute_at(block=b3, loop=l87, preserve_unit_loops=True, index=-1)
#   b88, = sch.get_producers(block=b2)
#   sch.unannotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer")
#   l89 = sch.sample_compute_location(block=b2, decision=0)
#   sch.compute_at(block=b2, loop=l89, preserve_unit_loops=True, index=-1)
#   l90 = sch.sample_compute_location(block=b88, decision=1)
#   sch.compute_at(block=b88, loop=l90, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b91 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b91, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b91, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b91, ann_key="meta_schedule.unroll_explicit")
#   b92, b93, b94, b95, b96, b97, b98 = sch.get_child_blocks(b91)
#   l99, l100, l101, l102, l103, l104, l105, l106, l107, l108, l109, l110, l111, l112 = sch.get_loops(block=b92)
#   l113 = sch.fuse(l99, l100, l101, preserve_unit_iters=True)
#   sch.parallel(loop=l113)
#   l114 = sch.fuse(l112, preserve_unit_iters=True)
#   sch.vectorize(loop=l114)
#   sch.annotate(block_or_loop=l113, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l113, ann_key="pragma_unroll_explicit", ann_val=1)
#   l115, l116, l117, l118 = sch.get_loops(block=b93)
#   l119 = sch.fuse(l118, preserve_unit_iters=True)
#   sch.vectorize(loop=l119)
#   l120, l121, l122, l123, l124, l125 = sch.get_loops(block=b94)
#   l126 = sch.fuse(l120, preserve_unit_iters=True)
#   sch.parallel(loop=l126)
#   sch.annotate(block_or_loop=l126, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l126, ann_key="pragma_unroll_explicit", ann_val=1)
#   l127, l128, l129, l130 = sch.get_loops(block=b95)
#   sch.annotate(block_or_loop=l127, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l127, ann_key="pragma_unroll_explicit", ann_val=1)
#   l131, l132, l133 = sch.get_loops(block=b96)
#   l134, l135, l136 = sch.get_loops(block=b97)
#   l137 = sch.fuse(l134, l135, preserve_unit_iters=True)
#   sch.parallel(loop=l137)
#   sch.annotate(block_or_loop=l137, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l137, ann_key="pragma_unroll_explicit", ann_val=1)
#   l138, l139, l140, l141, l142, l143, l144, l145, l146, l147, l148, l149, l150, l151 = sch.get_loops(block=b98)
#   l152 = sch.fuse(l138, l139, l140, preserve_unit_iters=True)
#   sch.parallel(loop=l152)
#   sch.annotate(block_or_loop=l152, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l152, ann_key="pragma_unroll_explicit", ann_val=1)
#   b153 = sch.get_sblock(name="qk", func_name="main")
#   l154, l155, l156, l157, l158, l159, l160, l161, l162, l163, l164, l165 = sch.get_loops(block=b153)
#   b166 = sch.decompose_reduction(block=b153, loop=l158)
#   b167 = sch.get_sblock(name="row_max_rf", func_name="main")
#   l168, l169, l170, l171, l172, l173 = sch.get_loops(block=b167)
#   b174 = sch.decompose_reduction(block=b167, loop=l169)
#   b175 = sch.get_sblock(name="row_max", func_name="main")
#   l176, l177, l178, l179 = sch.get_loops(block=b175)
#   b180 = sch.decompose_reduction(block=b175, loop=l177)
#   b181 = sch.get_sblock(name="row_sum", func_name="main")
#   l182, l183 = sch.get_loops(block=b181)
#   b184 = sch.decompose_reduction(block=b181, loop=l183)
#   b185 = sch.get_sblock(name="out", func_name="main")
#   l186, l187, l188, l189, l190, l191, l192, l193, l194, l195, l196, l197 = sch.get_loops(block=b185)
#   b198 = sch.decompose_reduction(block=b185, loop=l190)
