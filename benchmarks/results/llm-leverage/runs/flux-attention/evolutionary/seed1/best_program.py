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
        row_sum_rf = T.sblock_alloc_buffer((4, 256, 64))
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        for h_0_i_0_j_0_fused in T.parallel(64, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for h_1, i_1, j_1 in T.grid(1, 8, 1):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(1, 2, 4, 4, 4):
                    for j_3_fused_init in T.vectorized(4):
                        with T.sblock("qk_init"):
                            v_h = T.axis.spatial(4, h_1 * 4 + h_2_init * 4 + h_3_init)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 16 * 64 + i_1 * 8 + i_2_init * 4 + i_3_init)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 16 * 16 + j_1 * 16 + j_2_init * 4 + j_3_fused_init)
                            T.reads()
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(64, 1, 2, 4, 2, 4, 4):
                    for j_3_fused in T.vectorized(4):
                        with T.sblock("qk_update"):
                            v_h = T.axis.spatial(4, h_1 * 4 + h_2 * 4 + h_3)
                            v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 16 * 64 + i_1 * 8 + i_2 * 4 + i_3)
                            v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 16 * 16 + j_1 * 16 + j_2 * 4 + j_3_fused)
                            v_d = T.axis.reduce(128, d_0 * 2 + d_1)
                            T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h, v_j, v_d])
                            T.writes(qk[v_h, v_i, v_j])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h, v_j, v_d]
        for h_0_i_0_e_0_fused in T.parallel(4, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for ax0, ax1 in T.grid(2, 256):
                with T.sblock("row_max_init"):
                    v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax0)
                    v_i = T.axis.spatial(256, ax1)
                    T.reads()
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                for ax2 in range(256):
                    with T.sblock("row_max_update"):
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax0)
                        v_i, v_j1 = T.axis.remap("SR", [ax1, ax2])
                        T.reads(row_max[v_h, v_i], qk[v_h, v_i, v_j1])
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.max(row_max[v_h, v_i], qk[v_h, v_i, v_j1] * T.float32(0.088388347648318433))
            for ax0, ax1, ax2 in T.grid(2, 256, 256):
                with T.sblock("exp"):
                    v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax0)
                    v_i, v_j = T.axis.remap("SS", [ax1, ax2])
                    T.reads(qk[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(qk[v_h, v_i, v_j] * T.float32(0.088388347648318433) - row_max[v_h, v_i])
            for ax0, ax1, ax2 in T.grid(64, 2, 256):
                with T.sblock("row_sum_rf_init"):
                    vj2_0 = T.axis.spatial(64, ax0)
                    v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax1)
                    v_i = T.axis.spatial(256, ax2)
                    T.reads()
                    T.writes(row_sum_rf[v_h, v_i, vj2_0])
                    row_sum_rf[v_h, v_i, vj2_0] = T.float32(0.0)
                for ax3 in range(4):
                    with T.sblock("row_sum_rf_update"):
                        vj2_0 = T.axis.spatial(64, ax0)
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax1)
                        v_i, vj2_1 = T.axis.remap("SR", [ax2, ax3])
                        T.reads(row_sum_rf[v_h, v_i, vj2_0], exp[v_h, v_i, vj2_0 * 4 + vj2_1])
                        T.writes(row_sum_rf[v_h, v_i, vj2_0])
                        row_sum_rf[v_h, v_i, vj2_0] = row_sum_rf[v_h, v_i, vj2_0] + exp[v_h, v_i, vj2_0 * 4 + vj2_1]
            for h_1, i_1, e_1 in T.grid(1, 1, 2):
                for ax1_init, ax2_init in T.grid(2, 256):
                    with T.sblock("row_sum_init"):
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax1_init)
                        v_i = T.axis.spatial(256, ax2_init)
                        T.reads()
                        T.writes(row_sum[v_h, v_i])
                        row_sum[v_h, v_i] = T.float32(0.0)
                for ax0, ax1, ax2 in T.grid(64, 2, 256):
                    with T.sblock("row_sum_update"):
                        vj2_0 = T.axis.reduce(64, ax0)
                        v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax1)
                        v_i = T.axis.spatial(256, ax2)
                        T.reads(row_sum[v_h, v_i], row_sum_rf[v_h, v_i, vj2_0])
                        T.writes(row_sum[v_h, v_i])
                        row_sum[v_h, v_i] = row_sum[v_h, v_i] + row_sum_rf[v_h, v_i, vj2_0]
                for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init in T.grid(1, 64, 1, 2, 4):
                    for e_3_fused_init in T.vectorized(32):
                        with T.sblock("out_init"):
                            v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + h_1 * 2 + h_2_init * 2 + h_3_init)
                            v_i = T.axis.spatial(256, i_1 * 256 + i_2_init * 4 + i_3_init)
                            v_e = T.axis.spatial(128, h_0_i_0_e_0_fused % 2 * 64 + e_1 * 32 + e_2_init * 32 + e_3_fused_init)
                            T.reads()
                            T.writes(out_global[v_h, v_i, v_e])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            out_global[v_h, v_i, v_e] = T.float32(0.0)
                for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3 in T.grid(8, 1, 64, 1, 32, 2, 4):
                    for e_3_fused in T.vectorized(32):
                        with T.sblock("out_update"):
                            v_h = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + h_1 * 2 + h_2 * 2 + h_3)
                            v_i = T.axis.spatial(256, i_1 * 256 + i_2 * 4 + i_3)
                            v_e = T.axis.spatial(128, h_0_i_0_e_0_fused % 2 * 64 + e_1 * 32 + e_2 * 32 + e_3_fused)
                            v_j3 = T.axis.reduce(256, j3_0 * 32 + j3_1)
                            T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h, v_j3, v_e])
                            T.writes(out_global[v_h, v_i, v_e])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h, v_j3, v_e]
                for ax0, ax1 in T.grid(2, 256):
                    for ax2_fused in T.vectorized(32):
                        with T.sblock("out_global"):
                            v0 = T.axis.spatial(4, h_0_i_0_e_0_fused // 2 * 2 + ax0)
                            v1 = T.axis.spatial(256, ax1)
                            v2 = T.axis.spatial(128, h_0_i_0_e_0_fused % 2 * 64 + e_1 * 32 + ax2_fused)
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
#   v11, v12 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[64, 4])
#   l13, l14 = sch.split(loop=l10, factors=[v11, v12], preserve_unit_iters=True, disable_predication=False)
#   b15 = sch.rfactor(loop=l13, factor_axis=2)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer", ann_val=1)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l16, l17, l18, l19 = sch.get_loops(block=b6)
#   v20, v21, v22, v23 = sch.sample_perfect_tile(loop=l16, n=4, max_innermost_factor=64, decision=[2, 1, 1, 2])
#   l24, l25, l26, l27 = sch.split(loop=l16, factors=[v20, v21, v22, v23], preserve_unit_iters=True, disable_predication=False)
#   v28, v29, v30, v31 = sch.sample_perfect_tile(loop=l17, n=4, max_innermost_factor=64, decision=[1, 1, 64, 4])
#   l32, l33, l34, l35 = sch.split(loop=l17, factors=[v28, v29, v30, v31], preserve_unit_iters=True, disable_predication=False)
#   v36, v37, v38, v39 = sch.sample_perfect_tile(loop=l18, n=4, max_innermost_factor=64, decision=[2, 2, 1, 32])
#   l40, l41, l42, l43 = sch.split(loop=l18, factors=[v36, v37, v38, v39], preserve_unit_iters=True, disable_predication=False)
#   v44, v45 = sch.sample_perfect_tile(loop=l19, n=2, max_innermost_factor=64, decision=[8, 32])
#   l46, l47 = sch.split(loop=l19, factors=[v44, v45], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l24, l32, l40, l25, l33, l41, l46, l26, l34, l42, l47, l27, l35, l43)
#   b48 = sch.cache_write(block=b6, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b48, loop=l41, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l49, l50, l51, l52 = sch.get_loops(block=b0)
#   v53, v54, v55, v56 = sch.sample_perfect_tile(loop=l49, n=4, max_innermost_factor=64, decision=[1, 1, 1, 4])
#   l57, l58, l59, l60 = sch.split(loop=l49, factors=[v53, v54, v55, v56], preserve_unit_iters=True, disable_predication=False)
#   v61, v62, v63, v64 = sch.sample_perfect_tile(loop=l50, n=4, max_innermost_factor=64, decision=[4, 8, 2, 4])
#   l65, l66, l67, l68 = sch.split(loop=l50, factors=[v61, v62, v63, v64], preserve_unit_iters=True, disable_predication=False)
#   v69, v70, v71, v72 = sch.sample_perfect_tile(loop=l51, n=4, max_innermost_factor=64, decision=[16, 1, 4, 4])
#   l73, l74, l75, l76 = sch.split(loop=l51, factors=[v69, v70, v71, v72], preserve_unit_iters=True, disable_predication=False)
#   v77, v78 = sch.sample_perfect_tile(loop=l52, n=2, max_innermost_factor=64, decision=[64, 2])
#   l79, l80 = sch.split(loop=l52, factors=[v77, v78], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l57, l65, l73, l58, l66, l74, l79, l59, l67, l75, l80, l60, l68, l76)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v81 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=3)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v81)
#   b82, = sch.get_producers(block=b4)
#   sch.unannotate(block_or_loop=b4, ann_key="meta_schedule.random_compute_producer")
#   l83 = sch.sample_compute_location(block=b4, decision=5)
#   sch.compute_at(block=b4, loop=l83, preserve_unit_loops=True, index=-1)
#   l84 = sch.sample_compute_location(block=b82, decision=2)
#   sch.compute_at(block=b82, loop=l84, preserve_unit_loops=True, index=-1)
#   l85 = sch.sample_compute_location(block=b3, decision=2)
#   sch.compute_at(block=b3, loop=l85, preserve_unit_loops=True, index=-1)
#   l86 = sch.sample_compute_location(block=b2, decision=2)
#   sch.compute_at(block=b2, loop=l86, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b87 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b87, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b87, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b87, ann_key="meta_schedule.unroll_explicit")
#   b88, b89, b90, b91, b92, b93, b94 = sch.get_child_blocks(b87)
#   l95, l96, l97, l98, l99, l100, l101, l102, l103, l104, l105, l106, l107, l108 = sch.get_loops(block=b88)
#   l109 = sch.fuse(l95, l96, l97, preserve_unit_iters=True)
#   sch.parallel(loop=l109)
#   l110 = sch.fuse(l108, preserve_unit_iters=True)
#   sch.vectorize(loop=l110)
#   sch.annotate(block_or_loop=l109, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l109, ann_key="pragma_unroll_explicit", ann_val=1)
#   l111, l112, l113, l114, l115, l116 = sch.get_loops(block=b89)
#   l117 = sch.fuse(l111, l112, l113, preserve_unit_iters=True)
#   sch.parallel(loop=l117)
#   sch.annotate(block_or_loop=l117, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l117, ann_key="pragma_unroll_explicit", ann_val=1)
#   l118, l119, l120, l121 = sch.get_loops(block=b90)
#   l122, l123, l124, l125, l126 = sch.get_loops(block=b91)
#   sch.annotate(block_or_loop=l122, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l122, ann_key="pragma_unroll_explicit", ann_val=1)
#   l127, l128, l129, l130, l131, l132, l133 = sch.get_loops(block=b92)
#   sch.annotate(block_or_loop=l127, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l127, ann_key="pragma_unroll_explicit", ann_val=1)
#   l134, l135, l136, l137, l138, l139, l140, l141, l142, l143, l144, l145 = sch.get_loops(block=b93)
#   l146 = sch.fuse(l145, preserve_unit_iters=True)
#   sch.vectorize(loop=l146)
#   sch.annotate(block_or_loop=l134, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l134, ann_key="pragma_unroll_explicit", ann_val=1)
#   l147, l148, l149, l150, l151, l152, l153 = sch.get_loops(block=b94)
#   l154 = sch.fuse(l153, preserve_unit_iters=True)
#   sch.vectorize(loop=l154)
#   b155 = sch.get_sblock(name="qk", func_name="main")
#   l156, l157, l158, l159, l160, l161, l162, l163, l164, l165, l166, l167 = sch.get_loops(block=b155)
#   b168 = sch.decompose_reduction(block=b155, loop=l160)
#   b169 = sch.get_sblock(name="row_max", func_name="main")
#   l170, l171, l172, l173 = sch.get_loops(block=b169)
#   b174 = sch.decompose_reduction(block=b169, loop=l173)
#   b175 = sch.get_sblock(name="row_sum_rf", func_name="main")
#   l176, l177, l178, l179, l180 = sch.get_loops(block=b175)
#   b181 = sch.decompose_reduction(block=b175, loop=l180)
#   b182 = sch.get_sblock(name="row_sum", func_name="main")
#   l183, l184, l185, l186, l187, l188, l189 = sch.get_loops(block=b182)
#   b190 = sch.decompose_reduction(block=b182, loop=l187)
#   b191 = sch.get_sblock(name="out", func_name="main")
#   l192, l193, l194, l195, l196, l197, l198, l199, l200, l201, l202, l203 = sch.get_loops(block=b191)
#   b204 = sch.decompose_reduction(block=b191, loop=l196)
