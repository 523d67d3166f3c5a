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
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        for h_0_i_0_j_0_fused in T.parallel(32, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for h_1, i_1, j_1 in T.grid(1, 8, 8):
                for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init, j_3_init in T.grid(4, 2, 16, 1, 1, 1):
                    with T.sblock("qk_init"):
                        v_h = T.axis.spatial(4, h_1 * 4 + h_2_init + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 16 + i_1 * 2 + i_2_init + i_3_init)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + j_1 * 16 + j_2_init + j_3_init)
                        T.reads()
                        T.writes(qk[v_h, v_i, v_j])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        qk[v_h, v_i, v_j] = T.float32(0.0)
                for d_0, h_2, i_2, j_2, d_1, h_3, i_3, j_3 in T.grid(16, 4, 2, 16, 8, 1, 1, 1):
                    with T.sblock("qk_update"):
                        v_h = T.axis.spatial(4, h_1 * 4 + h_2 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 16 + i_1 * 2 + i_2 + i_3)
                        v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + j_1 * 16 + j_2 + j_3)
                        v_d = T.axis.reduce(128, d_0 * 8 + d_1)
                        T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K[v_h // 4, v_j, v_d])
                        T.writes(qk[v_h, v_i, v_j])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K[v_h // 4, v_j, v_d]
            for ax0, ax1, ax2 in T.grid(4, 16, 128):
                with T.sblock("scores"):
                    v_h = T.axis.spatial(4, ax0)
                    v_i = T.axis.spatial(256, h_0_i_0_j_0_fused // 2 * 16 + ax1)
                    v_j = T.axis.spatial(256, h_0_i_0_j_0_fused % 2 * 128 + ax2)
                    T.reads(qk[v_h, v_i, v_j])
                    T.writes(scores[v_h, v_i, v_j])
                    scores[v_h, v_i, v_j] = T.if_then_else(v_j <= v_i, qk[v_h, v_i, v_j] * T.float32(0.088388347648318433), T.float32(-340282346638528859811704183484516925440.0))
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for ax0, ax1 in T.grid(1, 1):
                with T.sblock("row_max_init"):
                    v_h = T.axis.spatial(4, h_i_fused // 256 + ax0)
                    v_i = T.axis.spatial(256, h_i_fused % 256 + ax1)
                    T.reads()
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                for ax2 in range(256):
                    with T.sblock("row_max_update"):
                        v_h = T.axis.spatial(4, h_i_fused // 256 + ax0)
                        v_i = T.axis.spatial(256, h_i_fused % 256 + ax1)
                        v_j1 = T.axis.reduce(256, ax2)
                        T.reads(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.max(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
            for j in range(256):
                with T.sblock("exp"):
                    v_h = T.axis.spatial(4, h_i_fused // 256)
                    v_i = T.axis.spatial(256, h_i_fused % 256)
                    v_j = T.axis.spatial(256, j)
                    T.reads(scores[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(scores[v_h, v_i, v_j] - row_max[v_h, v_i])
        for h_i_fused in T.parallel(1024, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
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
        for h_0_i_0_e_0_h_1_i_1_e_1_fused in T.parallel(32, annotations={"pragma_auto_unroll_max_step": 512, "pragma_unroll_explicit": 1}):
            for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init in T.grid(4, 16, 1, 1, 2):
                for e_3_fused_init in T.vectorized(32):
                    with T.sblock("out_init"):
                        v_h = T.axis.spatial(4, h_2_init + h_3_init)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_e_1_fused // 4 * 32 + i_2_init * 2 + i_3_init)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_h_1_i_1_e_1_fused % 4 * 32 + e_2_init * 32 + e_3_fused_init)
                        T.reads()
                        T.writes(out_global[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out_global[v_h, v_i, v_e] = T.float32(0.0)
            for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3 in T.grid(4, 4, 16, 1, 64, 1, 2):
                for e_3_fused in T.vectorized(32):
                    with T.sblock("out_update"):
                        v_h = T.axis.spatial(4, h_2 + h_3)
                        v_i = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_e_1_fused // 4 * 32 + i_2 * 2 + i_3)
                        v_e = T.axis.spatial(128, h_0_i_0_e_0_h_1_i_1_e_1_fused % 4 * 32 + e_2 * 32 + e_3_fused)
                        v_j3 = T.axis.reduce(256, j3_0 * 64 + j3_1)
                        T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h // 4, v_j3, v_e])
                        T.writes(out_global[v_h, v_i, v_e])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h // 4, v_j3, v_e]
            for ax0, ax1 in T.grid(4, 32):
                for ax2_fused in T.vectorized(32):
                    with T.sblock("out_global"):
                        v0 = T.axis.spatial(4, ax0)
                        v1 = T.axis.spatial(256, h_0_i_0_e_0_h_1_i_1_e_1_fused // 4 * 32 + ax1)
                        v2 = T.axis.spatial(128, h_0_i_0_e_0_h_1_i_1_e_1_fused % 4 * 32 + ax2_fused)
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
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l8, l9, l10, l11 = sch.get_loops(block=b6)
#   v12, v13, v14, v15 = sch.sample_perfect_tile(loop=l8, n=4, max_innermost_factor=64, decision=[1, 1, 4, 1])
#   l16, l17, l18, l19 = sch.split(loop=l8, factors=[v12, v13, v14, v15], preserve_unit_iters=True, disable_predication=False)
#   v20, v21, v22, v23 = sch.sample_perfect_tile(loop=l9, n=4, max_innermost_factor=64, decision=[1, 8, 16, 2])
#   l24, l25, l26, l27 = sch.split(loop=l9, factors=[v20, v21, v22, v23], preserve_unit_iters=True, disable_predication=False)
#   v28, v29, v30, v31 = sch.sample_perfect_tile(loop=l10, n=4, max_innermost_factor=64, decision=[1, 4, 1, 32])
#   l32, l33, l34, l35 = sch.split(loop=l10, factors=[v28, v29, v30, v31], preserve_unit_iters=True, disable_predication=False)
#   v36, v37 = sch.sample_perfect_tile(loop=l11, n=2, max_innermost_factor=64, decision=[4, 64])
#   l38, l39 = sch.split(loop=l11, factors=[v36, v37], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l16, l24, l32, l17, l25, l33, l38, l18, l26, l34, l39, l19, l27, l35)
#   sch.get_consumers(block=b6)
#   b40 = sch.cache_write(block=b6, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b40, loop=l33, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l41, l42, l43, l44 = sch.get_loops(block=b0)
#   v45, v46, v47, v48 = sch.sample_perfect_tile(loop=l41, n=4, max_innermost_factor=64, decision=[1, 1, 4, 1])
#   l49, l50, l51, l52 = sch.split(loop=l41, factors=[v45, v46, v47, v48], preserve_unit_iters=True, disable_predication=False)
#   v53, v54, v55, v56 = sch.sample_perfect_tile(loop=l42, n=4, max_innermost_factor=64, decision=[16, 8, 2, 1])
#   l57, l58, l59, l60 = sch.split(loop=l42, factors=[v53, v54, v55, v56], preserve_unit_iters=True, disable_predication=False)
#   v61, v62, v63, v64 = sch.sample_perfect_tile(loop=l43, n=4, max_innermost_factor=64, decision=[2, 8, 16, 1])
#   l65, l66, l67, l68 = sch.split(loop=l43, factors=[v61, v62, v63, v64], preserve_unit_iters=True, disable_predication=False)
#   v69, v70 = sch.sample_perfect_tile(loop=l44, n=2, max_innermost_factor=64, decision=[16, 8])
#   l71, l72 = sch.split(loop=l44, factors=[v69, v70], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l49, l57, l65, l50, l58, l66, l71, l51, l59, l67, l72, l52, l60, l68)
#   b73, = sch.get_consumers(block=b0)
#   sch.reverse_compute_at(block=b73, loop=l65, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v74 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=3)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v74)
#   l75 = sch.sample_compute_location(block=b4, decision=-1)
#   sch.compute_at(block=b4, loop=l75, preserve_unit_loops=True, index=-1)
#   l76 = sch.sample_compute_location(block=b3, decision=-1)
#   sch.compute_at(block=b3, loop=l76, preserve_unit_loops=True, index=-1)
#   l77 = sch.sample_compute_location(block=b2, decision=1)
#   sch.compute_at(block=b2, loop=l77, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b78 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b78, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b78, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b78, ann_key="meta_schedule.unroll_explicit")
#   b79, b80, b81, b82, b83, b84, b85 = sch.get_child_blocks(b78)
#   l86, l87, l88, l89, l90, l91, l92, l93, l94, l95, l96, l97, l98, l99 = sch.get_loops(block=b79)
#   l100 = sch.fuse(l86, l87, l88, preserve_unit_iters=True)
#   sch.parallel(loop=l100)
#   sch.annotate(block_or_loop=l100, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l100, ann_key="pragma_unroll_explicit", ann_val=1)
#   l101, l102, l103, l104 = sch.get_loops(block=b80)
#   l105, l106, l107, l108, l109 = sch.get_loops(block=b81)
#   l110 = sch.fuse(l105, l106, preserve_unit_iters=True)
#   sch.parallel(loop=l110)
#   sch.annotate(block_or_loop=l110, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l110, ann_key="pragma_unroll_explicit", ann_val=1)
#   l111, l112 = sch.get_loops(block=b82)
#   l113, l114, l115 = sch.get_loops(block=b83)
#   l116 = sch.fuse(l113, l114, preserve_unit_iters=True)
#   sch.parallel(loop=l116)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_unroll_explicit", ann_val=1)
#   l117, l118, l119, l120, l121, l122, l123, l124, l125, l126, l127, l128, l129, l130 = sch.get_loops(block=b84)
#   l131 = sch.fuse(l117, l118, l119, l120, l121, l122, preserve_unit_iters=True)
#   sch.parallel(loop=l131)
#   l132 = sch.fuse(l130, preserve_unit_iters=True)
#   sch.vectorize(loop=l132)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_auto_unroll_max_step", ann_val=512)
#   sch.annotate(block_or_loop=l131, ann_key="pragma_unroll_explicit", ann_val=1)
#   l133, l134, l135, l136 = sch.get_loops(block=b85)
#   l137 = sch.fuse(l136, preserve_unit_iters=True)
#   sch.vectorize(loop=l137)
#   b138 = sch.get_sblock(name="qk", func_name="main")
#   l139, l140, l141, l142, l143, l144, l145, l146, l147, l148, l149, l150 = sch.get_loops(block=b138)
#   b151 = sch.decompose_reduction(block=b138, loop=l143)
#   b152 = sch.get_sblock(name="row_max", func_name="main")
#   l153, l154, l155, l156 = sch.get_loops(block=b152)
#   b157 = sch.decompose_reduction(block=b152, loop=l156)
#   b158 = sch.get_sblock(name="row_sum", func_name="main")
#   l159, l160 = sch.get_loops(block=b158)
#   b161 = sch.decompose_reduction(block=b158, loop=l160)
#   b162 = sch.get_sblock(name="out", func_name="main")
#   l163, l164, l165, l166, l167, l168, l169, l170, l171 = sch.get_loops(block=b162)
#   b172 = sch.decompose_reduction(block=b162, loop=l164)
