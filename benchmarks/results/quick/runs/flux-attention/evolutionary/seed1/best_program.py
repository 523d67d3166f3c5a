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
        row_sum = T.sblock_alloc_buffer((4, 256))
        row_sum_rf = T.sblock_alloc_buffer((4, 256, 1))
        for h_0_i_0_j_0_h_1_i_1_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for j_1 in range(2):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 1, 8, 2, 4):
                    for j_3_fused_init in T.vectorized(2):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused // 512 * 2 + h_2_init * 2 + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused % 64 * 4 + i_2_init * 4 + i_3_init)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused % 512 // 64 * 32 + j_1 * 16 + j_2_init * 2 + j_3_fused_init)
                            T.reads()
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(2, 1, 1, 8, 64, 2, 4):
                    for j_3_fused in T.vectorized(2):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_fused // 512 * 2 + h_2 * 2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused % 64 * 4 + i_2 * 4 + i_3)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_fused % 512 // 64 * 32 + j_1 * 16 + j_2 * 2 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 64 + d_1)
                            T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h, v_j, v_d])
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h, v_j, v_d]
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
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
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for j2_1_init in range(1):
                with T.sblock("row_sum_rf_init"):
                    vj2_1 = T.axis.spatial(1, j2_1_init)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads()
                    T.writes(row_sum_rf[v_h, v_i, vj2_1])
                    row_sum_rf[v_h, v_i, vj2_1] = T.float32(0.0)
            for j2_0, j2_1 in T.grid(256, 1):
                with T.sblock("row_sum_rf_update"):
                    vj2_1 = T.axis.spatial(1, j2_1)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    vj2_0 = T.axis.reduce(256, j2_0)
                    T.reads(row_sum_rf[v_h, v_i, vj2_1], qk[v_h, v_i, vj2_0 + vj2_1], row_max[v_h, v_i])
                    T.writes(row_sum_rf[v_h, v_i, vj2_1])
                    row_sum_rf[v_h, v_i, vj2_1] = row_sum_rf[v_h, v_i, vj2_1] + T.exp(qk[v_h, v_i, vj2_0 + vj2_1] * T.float32(0.088388347648318433) - row_max[v_h, v_i])
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            with T.sblock("row_sum_init"):
                v_h = T.axis.spatial(4, h_i_fused // 256)
                v_i = T.axis.spatial(256, h_i_fused % 256)
                T.reads()
                T.writes(row_sum[v_h, v_i])
                row_sum[v_h, v_i] = T.float32(0.0)
            for j2_1 in range(1):
                with T.sblock("row_sum_update"):
                    vj2_1 = T.axis.reduce(1, j2_1)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads(row_sum[v_h, v_i], row_sum_rf[v_h, v_i, vj2_1])
                    T.writes(row_sum[v_h, v_i])
                    row_sum[v_h, v_i] = row_sum[v_h, v_i] + row_sum_rf[v_h, v_i, vj2_1]
        for h_0_i_0_e_0_h_1_i_1_e_1_fused in T.parallel(32, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init in T.grid(1, 8, 8, 4, 2):
                for e_3_fused_init in T.vectorized(8):
                    with T.sblock("out_init"):
                        v_h = T.axis.spatial(4, h_2_init * 4 + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_e_1_fused // 2 * 16 + i_2_init * 2 + i_3_init)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_h_1_i_1_e_1_fused % 2 * 64 + e_2_init * 8 + e_3_fused_init)
                        T.reads()
                        T.writes(out[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out[v_h, v_i, v_e] = T.float32(0.0)
            for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3 in T.grid(16, 1, 8, 8, 16, 4, 2):
                for e_3_fused in T.vectorized(8):
                    with T.sblock("out_update"):
                        v_h = T.axis.spatial(4, h_2 * 4 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_e_1_fused // 2 * 16 + i_2 * 2 + i_3)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_h_1_i_1_e_1_fused % 2 * 64 + e_2 * 8 + e_3_fused)
                        v_j3 = T.axis.reduce(256, j3_0 * 16 + j3_1)
                        T.reads(out[v_h, v_i, v_e], qk[v_h, v_i, v_j3], row_max[v_h, v_i], row_sum[v_h, v_i], V[v_h, v_j3, v_e])
                        T.writes(out[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out[v_h, v_i, v_e] = out[v_h, v_i, v_e] + T.exp(qk[v_h, v_i, v_j3] * T.float32(0.088388347648318433) - row_max[v_h, v_i]) / row_sum[v_h, v_i] * V[v_h, v_j3, v_e]

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
#   v11, v12 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[256, 1])
#   l13, l14 = sch.split(loop=l10, factors=[v11, v12], preserve_unit_iters=True, disable_predication=False)
#   b15 = sch.rfactor(loop=l14, factor_axis=2)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l16, l17, l18, l19 = sch.get_loops(block=b6)
#   v20, v21, v22, v23 = sch.sample_perfect_tile(loop=l16, n=4, max_innermost_factor=64, decision=[1, 1, 1, 4])
#   l24, l25, l26, l27 = sch.split(loop=l16, factors=[v20, v21, v22, v23], preserve_unit_iters=True, disable_predication=False)
#   v28, v29, v30, v31 = sch.sample_perfect_tile(loop=l17, n=4, max_innermost_factor=64, decision=[16, 1, 8, 2])
#   l32, l33, l34, l35 = sch.split(loop=l17, factors=[v28, v29, v30, v31], preserve_unit_iters=True, disable_predication=False)
#   v36, v37, v38, v39 = sch.sample_perfect_tile(loop=l18, n=4, max_innermost_factor=64, decision=[2, 1, 8, 8])
#   l40, l41, l42, l43 = sch.split(loop=l18, factors=[v36, v37, v38, v39], preserve_unit_iters=True, disable_predication=False)
#   v44, v45 = sch.sample_perfect_tile(loop=l19, n=2, max_innermost_factor=64, decision=[16, 16])
#   l46, l47 = sch.split(loop=l19, factors=[v44, v45], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l24, l32, l40, l25, l33, l41, l46, l26, l34, l42, l47, l27, l35, l43)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l48, l49, l50, l51 = sch.get_loops(block=b0)
#   v52, v53, v54, v55 = sch.sample_perfect_tile(loop=l48, n=4, max_innermost_factor=64, decision=[2, 1, 1, 2])
#   l56, l57, l58, l59 = sch.split(loop=l48, factors=[v52, v53, v54, v55], preserve_unit_iters=True, disable_predication=False)
#   v60, v61, v62, v63 = sch.sample_perfect_tile(loop=l49, n=4, max_innermost_factor=64, decision=[1, 64, 1, 4])
#   l64, l65, l66, l67 = sch.split(loop=l49, factors=[v60, v61, v62, v63], preserve_unit_iters=True, disable_predication=False)
#   v68, v69, v70, v71 = sch.sample_perfect_tile(loop=l50, n=4, max_innermost_factor=64, decision=[8, 2, 8, 2])
#   l72, l73, l74, l75 = sch.split(loop=l50, factors=[v68, v69, v70, v71], preserve_unit_iters=True, disable_predication=False)
#   v76, v77 = sch.sample_perfect_tile(loop=l51, n=2, max_innermost_factor=64, decision=[2, 64])
#   l78, l79 = sch.split(loop=l51, factors=[v76, v77], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l56, l64, l72, l57, l65, l73, l78, l58, l66, l74, l79, l59, l67, l75)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v80 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=3)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v80)
#   b81, = sch.get_producers(block=b4)
#   sch.unannotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer")
#   l82 = sch.sample_compute_location(block=b4, decision=-1)
#   sch.compute_at(block=b4, loop=l82, preserve_unit_loops=True, index=-1)
#   l83 = sch.sample_compute_location(block=b81, decision=-1)
#   sch.compute_at(block=b81, loop=l83, preserve_unit_loops=True, index=-1)
#   l84 = sch.sample_compute_location(block=b3, decision=-2)
#   sch.compute_at(block=b3, loop=l84, preserve_unit_loops=True, index=-1)
#   l85 = sch.sample_compute_location(block=b2, decision=-1)
#   sch.compute_at(block=b2, loop=l85, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b86 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b86, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b86, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b86, ann_key="meta_schedule.unroll_explicit")
#   b87, b88, b89, b90, b91 = sch.get_child_blocks(b86)
#   l92, l93, l94, l95, l96, l97, l98, l99, l100, l101, l102, l103, l104, l105 = sch.get_loops(block=b87)
#   l106 = sch.fuse(l92, l93, l94, l95, l96, preserve_unit_iters=True)
#   sch.parallel(loop=l106)
#   l107 = sch.fuse(l105, preserve_unit_iters=True)
#   sch.vectorize(loop=l107)
#   sch.annotate(block_or_loop=l106, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l106, ann_key="pragma_unroll_explicit", ann_val=1)
#   l108, l109, l110 = sch.get_loops(block=b88)
#   l111 = sch.fuse(l108, l109, preserve_unit_iters=True)
#   sch.parallel(loop=l111)
#   sch.annotate(block_or_loop=l111, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l111, ann_key="pragma_unroll_explicit", ann_val=1)
#   l112, l113, l114, l115 = sch.get_loops(block=b89)
#   l116 = sch.fuse(l112, l113, preserve_unit_iters=True)
#   sch.parallel(loop=l116)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_unroll_explicit", ann_val=1)
#   l117, l118, l119 = sch.get_loops(block=b90)
#   l120 = sch.fuse(l117, l118, preserve_unit_iters=True)
#   sch.parallel(loop=l120)
#   sch.annotate(block_or_loop=l120, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l120, ann_key="pragma_unroll_explicit", ann_val=1)
#   l121, l122, l123, l124, l125, l126, l127, l128, l129, l130, l131, l132, l133, l134 = sch.get_loops(block=b91)
#   l135 = sch.fuse(l121, l122, l123, l124, l125, l126, preserve_unit_iters=True)
#   sch.parallel(loop=l135)
#   l136 = sch.fuse(l134, preserve_unit_iters=True)
#   sch.vectorize(loop=l136)
#   sch.annotate(block_or_loop=l135, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l135, ann_key="pragma_unroll_explicit", ann_val=1)
#   b137 = sch.get_sblock(name="qk", func_name="main")
#   l138, l139, l140, l141, l142, l143, l144, l145, l146, l147 = sch.get_loops(block=b137)
#   b148 = sch.decompose_reduction(block=b137, loop=l140)
#   b149 = sch.get_sblock(name="row_max", func_name="main")
#   l150, l151 = sch.get_loops(block=b149)
#   b152 = sch.decompose_reduction(block=b149, loop=l151)
#   b153 = sch.get_sblock(name="row_sum_rf", func_name="main")
#   l154, l155, l156 = sch.get_loops(block=b153)
#   b157 = sch.decompose_reduction(block=b153, loop=l155)
#   b158 = sch.get_sblock(name="row_sum", func_name="main")
#   l159, l160 = sch.get_loops(block=b158)
#   b161 = sch.decompose_reduction(block=b158, loop=l160)
#   b162 = sch.get_sblock(name="out", func_name="main")
#   l163, l164, l165, l166, l167, l168, l169, l170, l171 = sch.get_loops(block=b162)
#   b172 = sch.decompose_reduction(block=b162, loop=l164)
