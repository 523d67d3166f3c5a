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
        row_max_rf = T.sblock_alloc_buffer((4, 256, 128))
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        qk_global = T.sblock_alloc_buffer((4, 256, 256))
        for h_0_i_0_j_0_h_1_i_1_j_1_fused_fused in T.parallel(64):
            for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 2, 32, 1, 16):
                for j_3_fused_init in T.vectorized(4):
                    with T.sblock("qk_init"):
                        v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused // 32 * 2 + h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 16 // 8 + h_2_init + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 32 // 16 * 128 + h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 8 // 2 * 32 + i_2_init * 16 + i_3_init)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 2 * 128 + j_2_init * 4 + j_3_fused_init)
                        T.reads()
                        T.writes(qk_global[v_h, v_i, v_j])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        qk_global[v_h, v_i, v_j] = T.float32(0.0)
            for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(2, 1, 2, 32, 64, 1, 16):
                for j_3_fused in T.vectorized(4):
                    with T.sblock("qk_update"):
                        v_h = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused // 32 * 2 + h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 16 // 8 + h_2 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 32 // 16 * 128 + h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 8 // 2 * 32 + i_2 * 16 + i_3)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 2 * 128 + j_2 * 4 + j_3_fused)
                        v_d = T.axis.reduce(128, d_0 * 64 + d_1)
                        T.reads(qk_global[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h, v_j, v_d])
                        T.writes(qk_global[v_h, v_i, v_j])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        qk_global[v_h, v_i, v_j] = qk_global[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h, v_j, v_d]
            for ax0, ax1, ax2 in T.grid(1, 32, 128):
                with T.sblock("qk_global"):
                    v0 = T.axis.spatial(4, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused // 32 * 2 + h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 16 // 8 + ax0)
                    v1 = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 32 // 16 * 128 + h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 8 // 2 * 32 + ax1)
                    v2 = T.axis.spatial(256, h_0_i_0_j_0_h_1_i_1_j_1_fused_fused % 2 * 128 + ax2)
                    T.reads(qk_global[v0, v1, v2])
                    T.writes(qk[v0, v1, v2])
                    qk[v0, v1, v2] = qk_global[v0, v1, v2]
        for h_i_fused in T.parallel(1024):
            for j1_0 in range(128):
                with T.sblock("row_max_rf_init"):
                    vj1_0 = T.axis.spatial(128, j1_0)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads()
                    T.writes(row_max_rf[v_h, v_i, vj1_0])
                    row_max_rf[v_h, v_i, vj1_0] = T.float32(-340282346638528859811704183484516925440.0)
                for j1_1 in range(2):
                    with T.sblock("row_max_rf_update"):
                        vj1_0 = T.axis.spatial(128, j1_0)
                        v_h = T.axis.spatial(4, h_i_fused // 256)
                        v_i = T.axis.spatial(256, h_i_fused % 256)
                        vj1_1 = T.axis.reduce(2, j1_1)
                        T.reads(row_max_rf[v_h, v_i, vj1_0], qk[v_h, v_i, vj1_0 * 2 + vj1_1])
                        T.writes(row_max_rf[v_h, v_i, vj1_0])
                        row_max_rf[v_h, v_i, vj1_0] = T.max(row_max_rf[v_h, v_i, vj1_0], qk[v_h, v_i, vj1_0 * 2 + vj1_1] * T.float32(0.088388347648318433))
        for h_i_fused in T.parallel(1024):
            with T.sblock("row_max_init"):
                v_h = T.axis.spatial(4, h_i_fused // 256)
                v_i = T.axis.spatial(256, h_i_fused % 256)
                T.reads()
                T.writes(row_max[v_h, v_i])
                row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
            for j1_0 in range(128):
                with T.sblock("row_max_update"):
                    vj1_0 = T.axis.reduce(128, j1_0)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_0])
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.max(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_0])
        for h_i_j_fused_0 in T.parallel(4096):
            for h_i_j_fused_1 in T.vectorized(64):
                with T.sblock("exp"):
                    v_h = T.axis.spatial(4, (h_i_j_fused_0 * 64 + h_i_j_fused_1) // 65536)
                    v_i = T.axis.spatial(256, (h_i_j_fused_0 * 64 + h_i_j_fused_1) % 65536 // 256)
                    v_j = T.axis.spatial(256, (h_i_j_fused_0 * 64 + h_i_j_fused_1) % 256)
                    T.reads(qk[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(qk[v_h, v_i, v_j] * T.float32(0.088388347648318433) - row_max[v_h, v_i])
        for h_i_fused in T.parallel(1024):
            for j2_0 in range(128):
                with T.sblock("row_sum_rf_init"):
                    vj2_0 = T.axis.spatial(128, j2_0)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads()
                    T.writes(row_sum_rf[v_h, v_i, vj2_0])
                    row_sum_rf[v_h, v_i, vj2_0] = T.float32(0.0)
                for j2_1 in range(2):
                    with T.sblock("row_sum_rf_update"):
                        vj2_0 = T.axis.spatial(128, j2_0)
                        v_h = T.axis.spatial(4, h_i_fused // 256)
                        v_i = T.axis.spatial(256, h_i_fused % 256)
                        vj2_1 = T.axis.reduce(2, j2_1)
                        T.reads(row_sum_rf[v_h, v_i, vj2_0], exp[v_h, v_i, vj2_0 * 2 + vj2_1])
                        T.writes(row_sum_rf[v_h, v_i, vj2_0])
                        row_sum_rf[v_h, v_i, vj2_0] = row_sum_rf[v_h, v_i, vj2_0] + exp[v_h, v_i, vj2_0 * 2 + vj2_1]
        for h_i_fused in T.parallel(1024):
            with T.sblock("row_sum_init"):
                v_h = T.axis.spatial(4, h_i_fused // 256)
                v_i = T.axis.spatial(256, h_i_fused % 256)
                T.reads()
                T.writes(row_sum[v_h, v_i])
                row_sum[v_h, v_i] = T.float32(0.0)
            for j2_0 in range(128):
                with T.sblock("row_sum_update"):
                    vj2_0 = T.axis.reduce(128, j2_0)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads(row_sum[v_h, v_i], row_sum_rf[v_h, v_i, vj2_0])
                    T.writes(row_sum[v_h, v_i])
                    row_sum[v_h, v_i] = row_sum[v_h, v_i] + row_sum_rf[v_h, v_i, vj2_0]
        for h_0_i_0_fused_fused in T.parallel(256):
            for e_0 in range(1):
                for h_1, i_1, e_1 in T.grid(1, 1, 1):
                    for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init in T.grid(1, 1, 2, 1, 4):
                        for e_3_fused_init in T.vectorized(64):
                            with T.sblock("out_init"):
                                v_h = T.axis.spatial(4, h_0_i_0_fused_fused // 64 + h_1 + h_2_init + h_3_init)
                                v_i = T.axis.spatial(256, h_0_i_0_fused_fused % 64 * 4 + i_1 * 4 + i_2_init * 4 + i_3_init)
                                v_e = T.axis.spatial(128, e_0 * 128 + e_1 * 128 + e_2_init * 64 + e_3_fused_init)
                                T.reads()
                                T.writes(out_global[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out_global[v_h, v_i, v_e] = T.float32(0.0)
                    for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3 in T.grid(4, 1, 1, 2, 64, 1, 4):
                        for e_3_fused in T.vectorized(64):
                            with T.sblock("out_update"):
                                v_h = T.axis.spatial(4, h_0_i_0_fused_fused // 64 + h_1 + h_2 + h_3)
                                v_i = T.axis.spatial(256, h_0_i_0_fused_fused % 64 * 4 + i_1 * 4 + i_2 * 4 + i_3)
                                v_e = T.axis.spatial(128, e_0 * 128 + e_1 * 128 + e_2 * 64 + e_3_fused)
                                v_j3 = T.axis.reduce(256, j3_0 * 64 + j3_1)
                                T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h, v_j3, v_e])
                                T.writes(out_global[v_h, v_i, v_e])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h, v_j3, v_e]
                for ax0, ax1, ax2 in T.grid(1, 4, 128):
                    with T.sblock("out_global"):
                        v0 = T.axis.spatial(4, h_0_i_0_fused_fused // 64 + ax0)
                        v1 = T.axis.spatial(256, h_0_i_0_fused_fused % 64 * 4 + ax1)
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
#   sch.compute_inline(block=b1)
#   l8, l9, l10 = sch.get_loops(block=b4)
#   v11, v12 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[128, 2])
#   l13, l14 = sch.split(loop=l10, factors=[v11, v12], preserve_unit_iters=True, disable_predication=False)
#   b15 = sch.rfactor(loop=l13, factor_axis=2)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   l16, l17, l18 = sch.get_loops(block=b2)
#   v19, v20 = sch.sample_perfect_tile(loop=l18, n=2, max_innermost_factor=64, decision=[128, 2])
#   l21, l22 = sch.split(loop=l18, factors=[v19, v20], preserve_unit_iters=True, disable_predication=False)
#   b23 = sch.rfactor(loop=l21, factor_axis=2)
#   sch.annotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l24, l25, l26, l27 = sch.get_loops(block=b6)
#   v28, v29, v30, v31 = sch.sample_perfect_tile(loop=l24, n=4, max_innermost_factor=64, decision=[4, 1, 1, 1])
#   l32, l33, l34, l35 = sch.split(loop=l24, factors=[v28, v29, v30, v31], preserve_unit_iters=True, disable_predication=False)
#   v36, v37, v38, v39 = sch.sample_perfect_tile(loop=l25, n=4, max_innermost_factor=64, decision=[64, 1, 1, 4])
#   l40, l41, l42, l43 = sch.split(loop=l25, factors=[v36, v37, v38, v39], preserve_unit_iters=True, disable_predication=False)
#   v44, v45, v46, v47 = sch.sample_perfect_tile(loop=l26, n=4, max_innermost_factor=64, decision=[1, 1, 2, 64])
#   l48, l49, l50, l51 = sch.split(loop=l26, factors=[v44, v45, v46, v47], preserve_unit_iters=True, disable_predication=False)
#   v52, v53 = sch.sample_perfect_tile(loop=l27, n=2, max_innermost_factor=64, decision=[4, 64])
#   l54, l55 = sch.split(loop=l27, factors=[v52, v53], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l32, l40, l48, l33, l41, l49, l54, l34, l42, l50, l55, l35, l43, l51)
#   b56 = sch.cache_write(block=b6, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b56, loop=l48, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l57, l58, l59, l60 = sch.get_loops(block=b0)
#   v61, v62, v63, v64 = sch.sample_perfect_tile(loop=l57, n=4, max_innermost_factor=64, decision=[2, 2, 1, 1])
#   l65, l66, l67, l68 = sch.split(loop=l57, factors=[v61, v62, v63, v64], preserve_unit_iters=True, disable_predication=False)
#   v69, v70, v71, v72 = sch.sample_perfect_tile(loop=l58, n=4, max_innermost_factor=64, decision=[2, 4, 2, 16])
#   l73, l74, l75, l76 = sch.split(loop=l58, factors=[v69, v70, v71, v72], preserve_unit_iters=True, disable_predication=False)
#   v77, v78, v79, v80 = sch.sample_perfect_tile(loop=l59, n=4, max_innermost_factor=64, decision=[1, 2, 32, 4])
#   l81, l82, l83, l84 = sch.split(loop=l59, factors=[v77, v78, v79, v80], preserve_unit_iters=True, disable_predication=False)
#   v85, v86 = sch.sample_perfect_tile(loop=l60, n=2, max_innermost_factor=64, decision=[2, 64])
#   l87, l88 = sch.split(loop=l60, factors=[v85, v86], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l65, l73, l81, l66, l74, l82, l87, l67, l75, l83, l88, l68, l76, l84)
#   b89 = sch.cache_write(block=b0, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b89, loop=l82, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v90 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=0)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v90)
#   b91, = sch.get_producers(block=b4)
#   sch.unannotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer")
#   l92 = sch.sample_compute_location(block=b4, decision=-1)
#   sch.compute_at(block=b4, loop=l92, preserve_unit_loops=True, index=-1)
#   l93 = sch.sample_compute_location(block=b91, decision=-1)
#   sch.compute_at(block=b91, loop=l93, preserve_unit_loops=True, index=-1)
#   l94 = sch.sample_compute_location(block=b3, decision=-1)
#   sch.compute_at(block=b3, loop=l94, preserve_unit_loops=True, index=-1)
#   b95, = sch.get_producers(block=b2)
#   sch.unannotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer")
#   l96 = sch.sample_compute_location(block=b2, decision=-1)
#   sch.compute_at(block=b2, loop=l96, preserve_unit_loops=True, index=-1)
#   l97 = sch.sample_compute_location(block=b95, decision=-1)
#   sch.compute_at(block=b95, loop=l97, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b98 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b98, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b98, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b98, ann_key="meta_schedule.unroll_explicit")
#   b99, b100, b101, b102, b103, b104, b105, b106, b107 = sch.get_child_blocks(b98)
#   l108, l109, l110, l111, l112, l113, l114, l115, l116, l117, l118, l119, l120, l121 = sch.get_loops(block=b99)
#   l122 = sch.fuse(l108, l109, l110, l111, l112, l113, preserve_unit_iters=True)
#   sch.parallel(loop=l122)
#   l123 = sch.fuse(l121, preserve_unit_iters=True)
#   sch.vectorize(loop=l123)
#   l124, l125, l126, l127 = sch.get_loops(block=b100)
#   l128 = sch.fuse(l124, preserve_unit_iters=True)
#   sch.parallel(loop=l128)
#   l129, l130, l131, l132 = sch.get_loops(block=b101)
#   l133 = sch.fuse(l129, l130, preserve_unit_iters=True)
#   sch.parallel(loop=l133)
#   l134, l135, l136 = sch.get_loops(block=b102)
#   l137 = sch.fuse(l134, l135, preserve_unit_iters=True)
#   sch.parallel(loop=l137)
#   l138, l139, l140 = sch.get_loops(block=b103)
#   l141 = sch.fuse(l138, l139, l140, preserve_unit_iters=True)
#   l142, l143 = sch.split(loop=l141, factors=[None, 64], preserve_unit_iters=True, disable_predication=False)
#   sch.parallel(loop=l142)
#   sch.vectorize(loop=l143)
#   l144, l145, l146, l147 = sch.get_loops(block=b104)
#   l148 = sch.fuse(l144, l145, preserve_unit_iters=True)
#   sch.parallel(loop=l148)
#   l149, l150, l151 = sch.get_loops(block=b105)
#   l152 = sch.fuse(l149, l150, preserve_unit_iters=True)
#   sch.parallel(loop=l152)
#   l153, l154, l155, l156, l157, l158, l159, l160, l161, l162, l163, l164, l165, l166 = sch.get_loops(block=b106)
#   l167 = sch.fuse(l153, l154, preserve_unit_iters=True)
#   sch.parallel(loop=l167)
#   l168 = sch.fuse(l166, preserve_unit_iters=True)
#   sch.vectorize(loop=l168)
#   l169, l170, l171, l172, l173 = sch.get_loops(block=b107)
#   l174 = sch.fuse(l169, preserve_unit_iters=True)
#   sch.parallel(loop=l174)
#   b175 = sch.get_sblock(name="qk", func_name="main")
#   l176, l177, l178, l179, l180, l181, l182, l183, l184 = sch.get_loops(block=b175)
#   b185 = sch.decompose_reduction(block=b175, loop=l177)
#   b186 = sch.get_sblock(name="row_max_rf", func_name="main")
#   l187, l188, l189 = sch.get_loops(block=b186)
#   b190 = sch.decompose_reduction(block=b186, loop=l189)
#   b191 = sch.get_sblock(name="row_max", func_name="main")
#   l192, l193 = sch.get_loops(block=b191)
#   b194 = sch.decompose_reduction(block=b191, loop=l193)
#   b195 = sch.get_sblock(name="row_sum_rf", func_name="main")
#   l196, l197, l198 = sch.get_loops(block=b195)
#   b199 = sch.decompose_reduction(block=b195, loop=l198)
#   b200 = sch.get_sblock(name="row_sum", func_name="main")
#   l201, l202 = sch.get_loops(block=b200)
#   b203 = sch.decompose_reduction(block=b200, loop=l202)
#   b204 = sch.get_sblock(name="out", func_name="main")
#   l205, l206, l207, l208, l209, l210, l211, l212, l213, l214, l215, l216, l217 = sch.get_loops(block=b204)
#   b218 = sch.decompose_reduction(block=b204, loop=l210)
