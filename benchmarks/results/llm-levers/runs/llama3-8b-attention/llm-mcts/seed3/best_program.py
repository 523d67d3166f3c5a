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
        K_global = T.sblock_alloc_buffer((1, 128, 256))
        out_global = T.sblock_alloc_buffer((4, 256, 128))
        for ax0_ax1_fused in T.parallel(256):
            for ax2 in range(128):
                with T.sblock("K_global"):
                    v0 = T.axis.spatial(1, 0)
                    v1, v2 = T.axis.remap("SS", [ax0_ax1_fused, ax2])
                    T.reads(K[v0, v1, v2])
                    T.writes(K_global[v0, v2, v1])
                    K_global[v0, v2, v1] = K[v0, v1, v2]
        for h_0_i_0_fused in T.parallel(8, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for j_0 in range(1):
                for h_1, i_1, j_1 in T.grid(2, 4, 1):
                    for h_2_init, i_2_init, j_2_init, h_3_init, i_3_init in T.grid(2, 1, 32, 1, 8):
                        for j_3_fused_init in T.vectorized(8):
                            with T.sblock("qk_init"):
                                v_h = T.axis.spatial(4, h_1 * 2 + h_2_init + h_3_init)
                                v_i = T.axis.spatial(256, h_0_i_0_fused * 32 + i_1 * 8 + i_2_init * 8 + i_3_init)
                                v_j = T.axis.spatial(256, j_0 * 256 + j_1 * 256 + j_2_init * 8 + j_3_fused_init)
                                T.reads()
                                T.writes(qk[v_h, v_i, v_j])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                qk[v_h, v_i, v_j] = T.float32(0.0)
                    for d_0, h_2, i_2, j_2, d_1, h_3, i_3 in T.grid(64, 2, 1, 32, 2, 1, 8):
                        for j_3_fused in T.vectorized(8):
                            with T.sblock("qk_update"):
                                v_h = T.axis.spatial(4, h_1 * 2 + h_2 + h_3)
                                v_i = T.axis.spatial(256, h_0_i_0_fused * 32 + i_1 * 8 + i_2 * 8 + i_3)
                                v_j = T.axis.spatial(256, j_0 * 256 + j_1 * 256 + j_2 * 8 + j_3_fused)
                                v_d = T.axis.reduce(128, d_0 * 2 + d_1)
                                T.reads(qk[v_h, v_i, v_j], Q[v_h, v_i, v_d], K_global[0, v_d, v_j])
                                T.writes(qk[v_h, v_i, v_j])
                                T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                                qk[v_h, v_i, v_j] = qk[v_h, v_i, v_j] + Q[v_h, v_i, v_d] * K_global[0, v_d, v_j]
                for ax0, ax1, ax2 in T.grid(4, 32, 256):
                    with T.sblock("scores"):
                        v_h = T.axis.spatial(4, ax0)
                        v_i = T.axis.spatial(256, h_0_i_0_fused * 32 + ax1)
                        v_j = T.axis.spatial(256, ax2)
                        T.reads(qk[v_h, v_i, v_j])
                        T.writes(scores[v_h, v_i, v_j])
                        scores[v_h, v_i, v_j] = T.if_then_else(v_j <= v_i, qk[v_h, v_i, v_j] * T.float32(0.088388347648318433), T.float32(-340282346638528859811704183484516925440.0))
        for h_fused in T.parallel(4, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for i in range(256):
                with T.sblock("row_max_init"):
                    v_h, v_i = T.axis.remap("SS", [h_fused, i])
                    T.reads()
                    T.writes(row_max[v_h, v_i])
                    row_max[v_h, v_i] = T.float32(-340282346638528859811704183484516925440.0)
                for j1 in range(256):
                    with T.sblock("row_max_update"):
                        v_h, v_i, v_j1 = T.axis.remap("SSR", [h_fused, i, j1])
                        T.reads(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
                        T.writes(row_max[v_h, v_i])
                        row_max[v_h, v_i] = T.max(row_max[v_h, v_i], scores[v_h, v_i, v_j1])
        for h_i_j_fused_0 in T.parallel(4096):
            for h_i_j_fused_1 in T.vectorized(64):
                with T.sblock("exp"):
                    v_h = T.axis.spatial(4, (h_i_j_fused_0 * 64 + h_i_j_fused_1) // 65536)
                    v_i = T.axis.spatial(256, (h_i_j_fused_0 * 64 + h_i_j_fused_1) % 65536 // 256)
                    v_j = T.axis.spatial(256, (h_i_j_fused_0 * 64 + h_i_j_fused_1) % 256)
                    T.reads(scores[v_h, v_i, v_j], row_max[v_h, v_i])
                    T.writes(exp[v_h, v_i, v_j])
                    exp[v_h, v_i, v_j] = T.exp(scores[v_h, v_i, v_j] - row_max[v_h, v_i])
        for h_0_fused in T.parallel(2, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for i_0, e_0 in T.grid(2, 4):
                for ax0, ax1 in T.grid(2, 128):
                    with T.sblock("row_sum_init"):
                        v_h = T.axis.spatial(4, h_0_fused * 2 + ax0)
                        v_i = T.axis.spatial(256, i_0 * 128 + ax1)
                        T.reads()
                        T.writes(row_sum[v_h, v_i])
                        row_sum[v_h, v_i] = T.float32(0.0)
                    for ax2 in range(256):
                        with T.sblock("row_sum_update"):
                            v_h = T.axis.spatial(4, h_0_fused * 2 + ax0)
                            v_i = T.axis.spatial(256, i_0 * 128 + ax1)
                            v_j2 = T.axis.reduce(256, ax2)
                            T.reads(row_sum[v_h, v_i], exp[v_h, v_i, v_j2])
                            T.writes(row_sum[v_h, v_i])
                            row_sum[v_h, v_i] = row_sum[v_h, v_i] + exp[v_h, v_i, v_j2]
                for h_1, i_1, e_1 in T.grid(1, 1, 1):
                    for h_2_init, i_2_init, e_2_init, h_3_init, i_3_init, e_3_init in T.grid(1, 128, 32, 2, 1, 1):
                        with T.sblock("out_init"):
                            v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 * 2 + h_2_init * 2 + h_3_init)
                            v_i = T.axis.spatial(256, i_0 * 128 + i_1 * 128 + i_2_init + i_3_init)
                            v_e = T.axis.spatial(128, e_0 * 32 + e_1 * 32 + e_2_init + e_3_init)
                            T.reads()
                            T.writes(out_global[v_h, v_i, v_e])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            out_global[v_h, v_i, v_e] = T.float32(0.0)
                    for j3_0, h_2, i_2, e_2, j3_1, h_3, i_3, e_3 in T.grid(64, 1, 128, 32, 4, 2, 1, 1):
                        with T.sblock("out_update"):
                            v_h = T.axis.spatial(4, h_0_fused * 2 + h_1 * 2 + h_2 * 2 + h_3)
                            v_i = T.axis.spatial(256, i_0 * 128 + i_1 * 128 + i_2 + i_3)
                            v_e = T.axis.spatial(128, e_0 * 32 + e_1 * 32 + e_2 + e_3)
                            v_j3 = T.axis.reduce(256, j3_0 * 4 + j3_1)
                            T.reads(out_global[v_h, v_i, v_e], exp[v_h, v_i, v_j3], row_sum[v_h, v_i], V[v_h // 4, v_j3, v_e])
                            T.writes(out_global[v_h, v_i, v_e])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            out_global[v_h, v_i, v_e] = out_global[v_h, v_i, v_e] + exp[v_h, v_i, v_j3] / row_sum[v_h, v_i] * V[v_h // 4, v_j3, v_e]
                for ax0, ax1 in T.grid(2, 128):
                    for ax2_fused in T.vectorized(32):
                        with T.sblock("out_global"):
                            v0 = T.axis.spatial(4, h_0_fused * 2 + ax0)
                            v1 = T.axis.spatial(256, i_0 * 128 + ax1)
                            v2 = T.axis.spatial(128, e_0 * 32 + ax2_fused)
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
#   b8 = sch.cache_read(block=b0, read_buffer_index=1, storage_scope="global")
#   sch.transform_layout(block=b8, buffer=("write", 0), index_map=lambda axes_0, axes_1, axes_2: (axes_0, axes_2, axes_1,), pad_value=None, assume_injective_transform=False)
#   sch.annotate(block_or_loop=b6, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l9, l10, l11, l12 = sch.get_loops(block=b6)
#   v13, v14, v15, v16 = sch.sample_perfect_tile(loop=l9, n=4, max_innermost_factor=64, decision=[2, 1, 1, 2])
#   l17, l18, l19, l20 = sch.split(loop=l9, factors=[v13, v14, v15, v16], preserve_unit_iters=True, disable_predication=False)
#   v21, v22, v23, v24 = sch.sample_perfect_tile(loop=l10, n=4, max_innermost_factor=64, decision=[2, 1, 128, 1])
#   l25, l26, l27, l28 = sch.split(loop=l10, factors=[v21, v22, v23, v24], preserve_unit_iters=True, disable_predication=False)
#   v29, v30, v31, v32 = sch.sample_perfect_tile(loop=l11, n=4, max_innermost_factor=64, decision=[4, 1, 32, 1])
#   l33, l34, l35, l36 = sch.split(loop=l11, factors=[v29, v30, v31, v32], preserve_unit_iters=True, disable_predication=False)
#   v37, v38 = sch.sample_perfect_tile(loop=l12, n=2, max_innermost_factor=64, decision=[64, 4])
#   l39, l40 = sch.split(loop=l12, factors=[v37, v38], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l17, l25, l33, l18, l26, l34, l39, l19, l27, l35, l40, l20, l28, l36)
#   sch.get_consumers(block=b6)
#   b41 = sch.cache_write(block=b6, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b41, loop=l33, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l42, l43, l44, l45 = sch.get_loops(block=b0)
#   v46, v47, v48, v49 = sch.sample_perfect_tile(loop=l42, n=4, max_innermost_factor=64, decision=[1, 2, 2, 1])
#   l50, l51, l52, l53 = sch.split(loop=l42, factors=[v46, v47, v48, v49], preserve_unit_iters=True, disable_predication=False)
#   v54, v55, v56, v57 = sch.sample_perfect_tile(loop=l43, n=4, max_innermost_factor=64, decision=[8, 4, 1, 8])
#   l58, l59, l60, l61 = sch.split(loop=l43, factors=[v54, v55, v56, v57], preserve_unit_iters=True, disable_predication=False)
#   v62, v63, v64, v65 = sch.sample_perfect_tile(loop=l44, n=4, max_innermost_factor=64, decision=[1, 1, 32, 8])
#   l66, l67, l68, l69 = sch.split(loop=l44, factors=[v62, v63, v64, v65], preserve_unit_iters=True, disable_predication=False)
#   v70, v71 = sch.sample_perfect_tile(loop=l45, n=2, max_innermost_factor=64, decision=[64, 2])
#   l72, l73 = sch.split(loop=l45, factors=[v70, v71], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l50, l58, l66, l51, l59, l67, l72, l52, l60, l68, l73, l53, l61, l69)
#   b74, = sch.get_consumers(block=b0)
#   sch.reverse_compute_at(block=b74, loop=l66, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.parallel", ann_val=1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.vectorize", ann_val=64)
#   v75 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=1)
#   sch.annotate(block_or_loop=b7, ann_key="meta_schedule.unroll_explicit", ann_val=v75)
#   l76 = sch.sample_compute_location(block=b4, decision=2)
#   sch.compute_at(block=b4, loop=l76, preserve_unit_loops=True, index=-1)
#   l77 = sch.sample_compute_location(block=b3, decision=-1)
#   sch.compute_at(block=b3, loop=l77, preserve_unit_loops=True, index=-1)
#   l78 = sch.sample_compute_location(block=b2, decision=-1)
#   sch.compute_at(block=b2, loop=l78, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b79 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b79, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b79, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b79, ann_key="meta_schedule.unroll_explicit")
#   b80, b81, b82, b83, b84, b85, b86, b87 = sch.get_child_blocks(b79)
#   l88, l89, l90 = sch.get_loops(block=b80)
#   l91 = sch.fuse(l88, l89, preserve_unit_iters=True)
#   sch.parallel(loop=l91)
#   l92, l93, l94, l95, l96, l97, l98, l99, l100, l101, l102, l103, l104, l105 = sch.get_loops(block=b81)
#   l106 = sch.fuse(l92, l93, preserve_unit_iters=True)
#   sch.parallel(loop=l106)
#   l107 = sch.fuse(l105, preserve_unit_iters=True)
#   sch.vectorize(loop=l107)
#   sch.annotate(block_or_loop=l106, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l106, ann_key="pragma_unroll_explicit", ann_val=1)
#   l108, l109, l110, l111, l112 = sch.get_loops(block=b82)
#   l113, l114, l115 = sch.get_loops(block=b83)
#   l116 = sch.fuse(l113, preserve_unit_iters=True)
#   sch.parallel(loop=l116)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l116, ann_key="pragma_unroll_explicit", ann_val=1)
#   l117, l118, l119 = sch.get_loops(block=b84)
#   l120 = sch.fuse(l117, l118, l119, preserve_unit_iters=True)
#   l121, l122 = sch.split(loop=l120, factors=[None, 64], preserve_unit_iters=True, disable_predication=False)
#   sch.parallel(loop=l121)
#   sch.vectorize(loop=l122)
#   l123, l124, l125, l126, l127, l128 = sch.get_loops(block=b85)
#   l129 = sch.fuse(l123, preserve_unit_iters=True)
#   sch.parallel(loop=l129)
#   sch.annotate(block_or_loop=l129, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l129, ann_key="pragma_unroll_explicit", ann_val=1)
#   l130, l131, l132, l133, l134, l135, l136, l137, l138, l139, l140, l141, l142, l143 = sch.get_loops(block=b86)
#   sch.annotate(block_or_loop=l130, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l130, ann_key="pragma_unroll_explicit", ann_val=1)
#   l144, l145, l146, l147, l148, l149 = sch.get_loops(block=b87)
#   l150 = sch.fuse(l149, preserve_unit_iters=True)
#   sch.vectorize(loop=l150)
#   b151 = sch.get_sblock(name="qk", func_name="main")
#   l152, l153, l154, l155, l156, l157, l158, l159, l160, l161, l162, l163, l164 = sch.get_loops(block=b151)
#   b165 = sch.decompose_reduction(block=b151, loop=l157)
#   b166 = sch.get_sblock(name="row_max", func_name="main")
#   l167, l168, l169 = sch.get_loops(block=b166)
#   b170 = sch.decompose_reduction(block=b166, loop=l169)
#   b171 = sch.get_sblock(name="row_sum", func_name="main")
#   l172, l173, l174, l175, l176, l177 = sch.get_loops(block=b171)
#   b178 = sch.decompose_reduction(block=b171, loop=l177)
#   b179 = sch.get_sblock(name="out", func_name="main")
#   l180, l181, l182, l183, l184, l185, l186, l187, l188, l189, l190, l191, l192, l193 = sch.get_loops(block=b179)
#   b194 = sch.decompose_reduction(block=b179, loop=l186)
