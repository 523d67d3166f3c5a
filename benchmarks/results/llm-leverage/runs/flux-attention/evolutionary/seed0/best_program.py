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
        row_sum_rf = T.sblock_alloc_buffer((4, 256, 16))
        row_max_rf = T.sblock_alloc_buffer((4, 256, 32))
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        for h_0_i_0_j_0_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for h_1, i_1, j_1 in T.grid(1, 8, 1):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 4, 1, 1, 4):
                    for j_3_fused_init in T.vectorized(2):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 256 + h_1 + h_2_init + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused % 256 // 128 * 128 + i_1 * 16 + i_2_init * 4 + i_3_init)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 128 * 2 + j_1 * 2 + j_2_init * 2 + j_3_fused_init)
                            T.reads()
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(4, 1, 4, 1, 32, 1, 4):
                    for j_3_fused in T.vectorized(2):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_0_i_0_j_0_fused // 256 + h_1 + h_2 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused % 256 // 128 * 128 + i_1 * 16 + i_2 * 4 + i_3)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 128 * 2 + j_1 * 2 + j_2 * 2 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 32 + d_1)
                            T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h, v_j, v_d])
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h, v_j, v_d]
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for j1_1_fused_init in T.vectorized(32):
                with T.sblock("row_max_rf_init"):
                    vj1_1 = T.axis.spatial(32, j1_1_fused_init)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads()
                    T.writes(row_max_rf[v_h, v_i, vj1_1])
                    row_max_rf[v_h, v_i, vj1_1] = T.float32(-340282346638528859811704183484516925440.0)
            for j1_0 in range(8):
                for j1_1_fused in T.vectorized(32):
                    with T.sblock("row_max_rf_update"):
                        vj1_1 = T.axis.spatial(32, j1_1_fused)
                        v_h = T.axis.spatial(4, h_i_fused // 256)
                        v_i = T.axis.spatial(256, h_i_fused % 256)
                        vj1_0 = T.axis.reduce(8, j1_0)
                        T.reads(row_max_rf[v_h, v_i, vj1_1], qk[v_h, v_i, vj1_0 * 32 + vj1_1])
                        T.writes(row_max_rf[v_h, v_i, vj1_1])
                        row_max_rf[v_h, v_i, vj1_1] = T.max(row_max_rf[v_h, v_i, vj1_1], qk[v_h, v_i, vj1_0 * 32 + vj1_1] * T.float32(0.088388347648318433))
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            with T.sblock("row_max_init"):
                v_h = T.axis.spatial(4, h_i_fused // 256)
                v_i = T.axis.spatial(256, h_i_fused % 256)
                T.reads()
                T.writes(row_max[v_h, v_i])
                row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
            for j1_1 in range(32):
                with T.sblock("row_max_update"):
                    vj1_1 = T.axis.reduce(32, j1_1)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.max(row_max[v_h, v_i], row_max_rf[v_h, v_i, vj1_1])
        for h_i_j_fused_0 in T.parallel(4096):
            for h_i_j_fused_1 in T.vectorized(64):
                with T.sblock("exp"):
                    v_h = T.axis.spatial(4, (h_i_j_fused_0 * 64 + h_i_j_fused_1) // 65536)
                    v_i = T.axis.spatial(256, (h_i_j_fused_0 * 64 + h_i_j_fused_1) % 65536 // 256)
                    v_j = T.axis.spatial(256, (h_i_j_fused_0 * 64 + h_i_j_fused_1) % 256)
                    T.reads(qk[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(qk[v_h, v_i, v_j] * T.float32(0.088388347648318433) - row_max[v_h, v_i])
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for j2_1_fused_init in T.vectorized(16):
                with T.sblock("row_sum_rf_init"):
                    vj2_1 = T.axis.spatial(16, j2_1_fused_init)
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    T.reads()
                    T.writes(row_sum_rf[v_h, v_i, vj2_1])
                    row_sum_rf[v_h, v_i, vj2_1] = T.float32(0.0)
            for j2_0 in range(16):
                for j2_1_fused in T.vectorized(16):
                    with T.sblock("row_sum_rf_update"):
                        vj2_1 = T.axis.spatial(16, j2_1_fused)
                        v_h = T.axis.spatial(4, h_i_fused // 256)
                        v_i = T.axis.spatial(256, h_i_fused % 256)
                        vj2_0 = T.axis.reduce(16, j2_0)
                        T.reads(row_sum_rf[v_h, v_i, vj2_1], exp[v_h, v_i, vj2_0 * 16 + vj2_1])
                        T.writes(row_sum_rf[v_h, v_i, vj2_1])
                        row_sum_rf[v_h, v_i, vj2_1] = row_sum_rf[v_h, v_i, vj2_1] + exp[v_h, v_i, vj2_0 * 16 + vj2_1]
        for h_0_i_0_e_0_h_1_i_1_fused in T.parallel(128, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for e_1 in range(4):
                for ax1_init in range(1):
                    for ax2_fused_init in T.vectorized(8):
                        with T.sblock("row_sum_init"):
                            v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused // 32 + ax1_init)
                            v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused % 32 * 8 + ax2_fused_init)
                            T.reads()
                            T.writes(row_sum[v_h, v_i])
                            row_sum[v_h, v_i] = T.float32(0.0)
                for ax0, ax1 in T.grid(16, 1):
                    for ax2_fused in T.vectorized(8):
                        with T.sblock("row_sum_update"):
                            vj2_1 = T.axis.reduce(16, ax0)
                            v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused // 32 + ax1)
                            v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused % 32 * 8 + ax2_fused)
                            T.reads(row_sum[v_h, v_i], row_sum_rf[v_h, v_i, vj2_1])
                            T.writes(row_sum[v_h, v_i])
                            row_sum[v_h, v_i] = row_sum[v_h, v_i] + row_sum_rf[v_h, v_i, vj2_1]
                for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init, e_3_init in T.grid(1, 2, 32, 1, 4, 1):
                    with T.sblock("out_init"):
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused // 32 + h_2_init + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused % 32 * 8 + i_2_init * 4 + i_3_init)
                        v_e = T.axis.spatial(128, e_1 * 32 + e_2_init + e_3_init)
                        T.reads()
                        T.writes(out_global[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out_global[v_h, v_i, v_e] = T.float32(0.0)
                for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3, e_3 in T.grid(256, 1, 2, 32, 1, 1, 4, 1):
                    with T.sblock("out_update"):
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused // 32 + h_2 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused % 32 * 8 + i_2 * 4 + i_3)
                        v_e = T.axis.spatial(128, e_1 * 32 + e_2 + e_3)
                        v_j3 = T.axis.reduce(256, j3_0 + j3_1)
                        T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h, v_j3, v_e])
                        T.writes(out_global[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h, v_j3, v_e]
                for ax0, ax1 in T.grid(1, 8):
                    for ax2_fused in T.vectorized(32):
                        with T.sblock("out_global"):
                            v0 = T.axis.spatial(4, h_0_i_0_e_0_h_1_i_1_fused // 32 + ax0)
                            v1 = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_fused % 32 * 8 + ax1)
                            v2 = T.axis.spatial(128, e_1 * 32 + ax2_fused)
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
#   v11, v12 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[16, 16])
#   l13, l14 = sch.split(loop=l10, factors=[v11, v12], preserve_unit_iters=True, disable_predication=False)
#   b15 = sch.rfactor(loop=l14, factor_axis=2)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   l16, l17, l18 = sch.get_loops(block=b2)
#   v19, v20 = sch.sample_perfect_tile(loop=l18, n=2, max_innermost_factor=64, decision=[8, 32])
#   l21, l22 = sch.split(loop=l18, factors=[v19, v20], preserve_unit_iters=True, disable_predication=False)
#   b23 = sch.rfactor(loop=l22, factor_axis=2)
#   sch.annotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l24, l25, l26, l27 = sch.get_loops(block=b6)
#   v28, v29, v30, v31 = sch.sample_perfect_tile(loop=l24, n=4, max_innermost_factor=64, decision=[4, 1, 1, 1])
#   l32, l33, l34, l35 = sch.split(loop=l24, factors=[v28, v29, v30, v31], preserve_unit_iters=True, disable_predication=False)
#   v36, v37, v38, v39 = sch.sample_perfect_tile(loop=l25, n=4, max_innermost_factor=64, decision=[2, 16, 2, 4])
#   l40, l41, l42, l43 = sch.split(loop=l25, factors=[v36, v37, v38, v39], preserve_unit_iters=True, disable_predication=False)
#   v44, v45, v46, v47 = sch.sample_perfect_tile(loop=l26, n=4, max_innermost_factor=64, decision=[1, 4, 32, 1])
#   l48, l49, l50, l51 = sch.split(loop=l26, factors=[v44, v45, v46, v47], preserve_unit_iters=True, disable_predication=False)
#   v52, v53 = sch.sample_perfect_tile(loop=l27, n=2, max_innermost_factor=64, decision=[256, 1])
#   l54, l55 = sch.split(loop=l27, factors=[v52, v53], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l32, l40, l48, l33, l41, l49, l54, l34, l42, l50, l55, l35, l43, l51)
#   b56 = sch.cache_write(block=b6, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b56, loop=l49, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l57, l58, l59, l60 = sch.get_loops(block=b0)
#   v61, v62, v63, v64 = sch.sample_perfect_tile(loop=l57, n=4, max_innermost_factor=64, decision=[4, 1, 1, 1])
#   l65, l66, l67, l68 = sch.split(loop=l57, factors=[v61, v62, v63, v64], preserve_unit_iters=True, disable_predication=False)
#   v69, v70, v71, v72 = sch.sample_perfect_tile(loop=l58, n=4, max_innermost_factor=64, decision=[2, 8, 4, 4])
#   l73, l74, l75, l76 = sch.split(loop=l58, factors=[v69, v70, v71, v72], preserve_unit_iters=True, disable_predication=False)
#   v77, v78, v79, v80 = sch.sample_perfect_tile(loop=l59, n=4, max_innermost_factor=64, decision=[128, 1, 1, 2])
#   l81, l82, l83, l84 = sch.split(loop=l59, factors=[v77, v78, v79, v80], preserve_unit_iters=True, disable_predication=False)
#   v85, v86 = sch.sample_perfect_tile(loop=l60, n=2, max_innermost_factor=64, decision=[4, 32])
#   l87, l88 = sch.split(loop=l60, factors=[v85, v86], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l65, l73, l81, l66, l74, l82, l87, l67, l75, l83, l88, l68, l76, l84)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v89 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=3)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v89)
#   b90, = sch.get_producers(block=b4)
#   sch.unannotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer")
#   l91 = sch.sample_compute_location(block=b4, decision=5)
#   sch.compute_at(block=b4, loop=l91, preserve_unit_loops=True, index=-1)
#   l92 = sch.sample_compute_location(block=b90, decision=-1)
#   sch.compute_at(block=b90, loop=l92, preserve_unit_loops=True, index=-1)
#   l93 = sch.sample_compute_location(block=b3, decision=-1)
#   sch.compute_at(block=b3, loop=l93, preserve_unit_loops=True, index=-1)
#   b94, = sch.get_producers(block=b2)
#   sch.unannotate(block_or_loop=b2, ann_key="meta_schedule.random_compute_producer")
#   l95 = sch.sample_compute_location(block=b2, decision=-1)
#   sch.compute_at(block=b2, loop=l95, preserve_unit_loops=True, index=-1)
#   l96 = sch.sample_compute_location(block=b94, decision=-1)
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
#   sch.annotate(block_or_loop=l120, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l120, ann_key="pragma_unroll_explicit", ann_val=1)
#   l122, l123, l124, l125 = sch.get_loops(block=b99)
#   l126 = sch.fuse(l122, l123, preserve_unit_iters=True)
#   sch.parallel(loop=l126)
#   l127 = sch.fuse(l125, preserve_unit_iters=True)
#   sch.vectorize(loop=l127)
#   sch.annotate(block_or_loop=l126, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l126, ann_key="pragma_unroll_explicit", ann_val=1)
#   l128, l129, l130 = sch.get_loops(block=b100)
#   l131 = sch.fuse(l128, l129, preserve_unit_iters=True)
#   sch.parallel(loop=l131)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_unroll_explicit", ann_val=1)
#   l132, l133, l134 = sch.get_loops(block=b101)
#   l135 = sch.fuse(l132, l133, l134, preserve_unit_iters=True)
#   l136, l137 = sch.split(loop=l135, factors=[None, 64], preserve_unit_iters=True, disable_predication=False)
#   sch.parallel(loop=l136)
#   sch.vectorize(loop=l137)
#   l138, l139, l140, l141 = sch.get_loops(block=b102)
#   l142 = sch.fuse(l138, l139, preserve_unit_iters=True)
#   sch.parallel(loop=l142)
#   l143 = sch.fuse(l141, preserve_unit_iters=True)
#   sch.vectorize(loop=l143)
#   sch.annotate(block_or_loop=l142, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l142, ann_key="pragma_unroll_explicit", ann_val=1)
#   l144, l145, l146, l147, l148, l149, l150, l151, l152 = sch.get_loops(block=b103)
#   l153 = sch.fuse(l144, l145, l146, l147, l148, preserve_unit_iters=True)
#   sch.parallel(loop=l153)
#   l154 = sch.fuse(l152, preserve_unit_iters=True)
#   sch.vectorize(loop=l154)
#   sch.annotate(block_or_loop=l153, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l153, ann_key="pragma_unroll_explicit", ann_val=1)
#   l155, l156, l157, l158, l159, l160, l161, l162, l163, l164 = sch.get_loops(block=b104)
#   sch.annotate(block_or_loop=l155, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l155, ann_key="pragma_unroll_explicit", ann_val=1)
#   l165, l166, l167, l168, l169 = sch.get_loops(block=b105)
#   l170 = sch.fuse(l169, preserve_unit_iters=True)
#   sch.vectorize(loop=l170)
#   b171 = sch.get_sblock(name="qk", func_name="main")
#   l172, l173, l174, l175, l176, l177, l178, l179, l180, l181, l182, l183 = sch.get_loops(block=b171)
#   b184 = sch.decompose_reduction(block=b171, loop=l176)
#   b185 = sch.get_sblock(name="row_max_rf", func_name="main")
#   l186, l187, l188 = sch.get_loops(block=b185)
#   b189 = sch.decompose_reduction(block=b185, loop=l187)
#   b190 = sch.get_sblock(name="row_max", func_name="main")
#   l191, l192 = sch.get_loops(block=b190)
#   b193 = sch.decompose_reduction(block=b190, loop=l192)
#   b194 = sch.get_sblock(name="row_sum_rf", func_name="main")
#   l195, l196, l197 = sch.get_loops(block=b194)
#   b198 = sch.decompose_reduction(block=b194, loop=l196)
#   b199 = sch.get_sblock(name="row_sum", func_name="main")
#   l200, l201, l202, l203, l204 = sch.get_loops(block=b199)
#   b205 = sch.decompose_reduction(block=b199, loop=l202)
#   b206 = sch.get_sblock(name="out", func_name="main")
#   l207, l208, l209, l210, l211, l212, l213, l214, l215, l216 = sch.get_loops(block=b206)
#   b217 = sch.decompose_reduction(block=b206, loop=l209)
