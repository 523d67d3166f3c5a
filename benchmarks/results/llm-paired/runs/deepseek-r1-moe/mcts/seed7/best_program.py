# Best program found for deepseek-r1-moe [small] (experts=4, tokens=32, hidden=1024, intermediate=512)
# from tvm.script import ir as I
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@I.ir_module
class Module:
    @T.prim_func(s_tir=True)
    def main(X: T.Buffer((4, 32, 1024), "float32"), W_gate: T.Buffer((4, 1024, 512), "float32"), W_up: T.Buffer((4, 1024, 512), "float32"), W_down: T.Buffer((4, 512, 1024), "float32"), down: T.Buffer((4, 32, 1024), "float32")):
        T.func_attr({"tirx.noalias": True})
        # with T.sblock("root"):
        gate = T.sblock_alloc_buffer((4, 32, 512))
        up = T.sblock_alloc_buffer((4, 32, 512))
        down_global = T.sblock_alloc_buffer((4, 32, 1024))
        gate_global = T.sblock_alloc_buffer((4, 32, 512))
        for e_0_t_0_i_0_fused_fused in T.parallel(64):
            for e_1, t_1, i_1 in T.grid(1, 1, 1):
                for e_2_init, t_2_init, i_2_init, e_3_init, t_3_init in T.grid(2, 2, 16, 1, 1):
                    for i_3_fused_init in T.vectorized(16):
                        with T.sblock("gate_init"):
                            v_e = T.axis.spatial(4, e_0_t_0_i_0_fused_fused // 32 * 2 + e_1 * 2 + e_2_init + e_3_init)
                            v_t = T.axis.spatial(32, e_0_t_0_i_0_fused_fused % 32 // 2 * 2 + t_1 * 2 + t_2_init + t_3_init)
                            v_i = T.axis.spatial(512, e_0_t_0_i_0_fused_fused % 2 * 256 + i_1 * 256 + i_2_init * 16 + i_3_fused_init)
                            T.reads()
                            T.writes(gate_global[v_e, v_t, v_i])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            gate_global[v_e, v_t, v_i] = T.float32(0.0)
                for k1_0, e_2, t_2, i_2, k1_1, e_3, t_3 in T.grid(256, 2, 2, 16, 4, 1, 1):
                    for i_3_fused in T.vectorized(16):
                        with T.sblock("gate_update"):
                            v_e = T.axis.spatial(4, e_0_t_0_i_0_fused_fused // 32 * 2 + e_1 * 2 + e_2 + e_3)
                            v_t = T.axis.spatial(32, e_0_t_0_i_0_fused_fused % 32 // 2 * 2 + t_1 * 2 + t_2 + t_3)
                            v_i = T.axis.spatial(512, e_0_t_0_i_0_fused_fused % 2 * 256 + i_1 * 256 + i_2 * 16 + i_3_fused)
                            v_k1 = T.axis.reduce(1024, k1_0 * 4 + k1_1)
                            T.reads(gate_global[v_e, v_t, v_i], X[v_e, v_t, v_k1], W_gate[v_e, v_k1, v_i])
                            T.writes(gate_global[v_e, v_t, v_i])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            gate_global[v_e, v_t, v_i] = gate_global[v_e, v_t, v_i] + X[v_e, v_t, v_k1] * W_gate[v_e, v_k1, v_i]
                for ax0, ax1, ax2 in T.grid(2, 2, 256):
                    with T.sblock("gate_global"):
                        v0 = T.axis.spatial(4, e_0_t_0_i_0_fused_fused // 32 * 2 + ax0)
                        v1 = T.axis.spatial(32, e_0_t_0_i_0_fused_fused % 32 // 2 * 2 + ax1)
                        v2 = T.axis.spatial(512, e_0_t_0_i_0_fused_fused % 2 * 256 + ax2)
                        T.reads(gate_global[v0, v1, v2])
                        T.writes(gate[v0, v1, v2])
                        gate[v0, v1, v2] = gate_global[v0, v1, v2]
        for e_0_t_0_i_0_e_1_t_1_fused in T.parallel(64):
            for i_1 in range(1):
                for e_2_init, t_2_init, i_2_init, e_3_init, t_3_init, i_3_init in T.grid(1, 1, 512, 1, 2, 1):
                    with T.sblock("up_init"):
                        v_e = T.axis.spatial(4, e_0_t_0_i_0_e_1_t_1_fused // 16 + e_2_init + e_3_init)
                        v_t = T.axis.spatial(32, e_0_t_0_i_0_e_1_t_1_fused % 16 * 2 + t_2_init * 2 + t_3_init)
                        v_i = T.axis.spatial(512, i_1 * 512 + i_2_init + i_3_init)
                        T.reads()
                        T.writes(up[v_e, v_t, v_i])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        up[v_e, v_t, v_i] = T.float32(0.0)
                for k2_0, e_2, t_2, i_2, k2_1, e_3, t_3, i_3 in T.grid(64, 1, 1, 512, 16, 1, 2, 1):
                    with T.sblock("up_update"):
                        v_e = T.axis.spatial(4, e_0_t_0_i_0_e_1_t_1_fused // 16 + e_2 + e_3)
                        v_t = T.axis.spatial(32, e_0_t_0_i_0_e_1_t_1_fused % 16 * 2 + t_2 * 2 + t_3)
                        v_i = T.axis.spatial(512, i_1 * 512 + i_2 + i_3)
                        v_k2 = T.axis.reduce(1024, k2_0 * 16 + k2_1)
                        T.reads(up[v_e, v_t, v_i], X[v_e, v_t, v_k2], W_up[v_e, v_k2, v_i])
                        T.writes(up[v_e, v_t, v_i])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        up[v_e, v_t, v_i] = up[v_e, v_t, v_i] + X[v_e, v_t, v_k2] * W_up[v_e, v_k2, v_i]
        for e_0_t_0_h_0_fused_fused in T.parallel(2):
            for e_1, t_1, h_1 in T.grid(1, 8, 2):
                for e_2_init, t_2_init, h_2_init, e_3_init, t_3_init, h_3_init in T.grid(4, 2, 512, 1, 1, 1):
                    with T.sblock("down_init"):
                        v_e = T.axis.spatial(4, e_1 * 4 + e_2_init + e_3_init)
                        v_t = T.axis.spatial(32, e_0_t_0_h_0_fused_fused * 16 + t_1 * 2 + t_2_init + t_3_init)
                        v_h = T.axis.spatial(1024, h_1 * 512 + h_2_init + h_3_init)
                        T.reads()
                        T.writes(down_global[v_e, v_t, v_h])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        down_global[v_e, v_t, v_h] = T.float32(0.0)
                for r_0, e_2, t_2, h_2, r_1, e_3, t_3, h_3 in T.grid(128, 4, 2, 512, 4, 1, 1, 1):
                    with T.sblock("down_update"):
                        v_e = T.axis.spatial(4, e_1 * 4 + e_2 + e_3)
                        v_t = T.axis.spatial(32, e_0_t_0_h_0_fused_fused * 16 + t_1 * 2 + t_2 + t_3)
                        v_h = T.axis.spatial(1024, h_1 * 512 + h_2 + h_3)
                        v_r = T.axis.reduce(512, r_0 * 4 + r_1)
                        T.reads(down_global[v_e, v_t, v_h], gate[v_e, v_t, v_r], up[v_e, v_t, v_r], W_down[v_e, v_r, v_h])
                        T.writes(down_global[v_e, v_t, v_h])
                        T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                        down_global[v_e, v_t, v_h] = down_global[v_e, v_t, v_h] + gate[v_e, v_t, v_r] * T.sigmoid(gate[v_e, v_t, v_r]) * up[v_e, v_t, v_r] * W_down[v_e, v_r, v_h]
            for ax0, ax1, ax2 in T.grid(4, 16, 1024):
                with T.sblock("down_global"):
                    v0 = T.axis.spatial(4, ax0)
                    v1 = T.axis.spatial(32, e_0_t_0_h_0_fused_fused * 16 + ax1)
                    v2 = T.axis.spatial(1024, ax2)
                    T.reads(down_global[v0, v1, v2])
                    T.writes(down[v0, v1, v2])
                    down[v0, v1, v2] = down_global[v0, v1, v2]

# Schedule trace:
# # from tvm import s_tir
# def apply_trace(sch: s_tir.Schedule) -> None:
#   b0 = sch.get_sblock(name="gate", func_name="main")
#   b1 = sch.get_sblock(name="up", func_name="main")
#   b2 = sch.get_sblock(name="silu_mul", func_name="main")
#   b3 = sch.get_sblock(name="down", func_name="main")
#   b4 = sch.get_sblock(name="root", func_name="main")
#   sch.compute_inline(block=b2)
#   sch.annotate(block_or_loop=b3, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l5, l6, l7, l8 = sch.get_loops(block=b3)
#   v9, v10, v11, v12 = sch.sample_perfect_tile(loop=l5, n=4, max_innermost_factor=64, decision=[1, 1, 4, 1])
#   l13, l14, l15, l16 = sch.split(loop=l5, factors=[v9, v10, v11, v12], preserve_unit_iters=True, disable_predication=False)
#   v17, v18, v19, v20 = sch.sample_perfect_tile(loop=l6, n=4, max_innermost_factor=64, decision=[2, 8, 2, 1])
#   l21, l22, l23, l24 = sch.split(loop=l6, factors=[v17, v18, v19, v20], preserve_unit_iters=True, disable_predication=False)
#   v25, v26, v27, v28 = sch.sample_perfect_tile(loop=l7, n=4, max_innermost_factor=64, decision=[1, 2, 512, 1])
#   l29, l30, l31, l32 = sch.split(loop=l7, factors=[v25, v26, v27, v28], preserve_unit_iters=True, disable_predication=False)
#   v33, v34 = sch.sample_perfect_tile(loop=l8, n=2, max_innermost_factor=64, decision=[128, 4])
#   l35, l36 = sch.split(loop=l8, factors=[v33, v34], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l13, l21, l29, l14, l22, l30, l35, l15, l23, l31, l36, l16, l24, l32)
#   sch.get_consumers(block=b3)
#   b37 = sch.cache_write(block=b3, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b37, loop=l29, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b1, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l38, l39, l40, l41 = sch.get_loops(block=b1)
#   v42, v43, v44, v45 = sch.sample_perfect_tile(loop=l38, n=4, max_innermost_factor=64, decision=[1, 4, 1, 1])
#   l46, l47, l48, l49 = sch.split(loop=l38, factors=[v42, v43, v44, v45], preserve_unit_iters=True, disable_predication=False)
#   v50, v51, v52, v53 = sch.sample_perfect_tile(loop=l39, n=4, max_innermost_factor=64, decision=[1, 16, 1, 2])
#   l54, l55, l56, l57 = sch.split(loop=l39, factors=[v50, v51, v52, v53], preserve_unit_iters=True, disable_predication=False)
#   v58, v59, v60, v61 = sch.sample_perfect_tile(loop=l40, n=4, max_innermost_factor=64, decision=[1, 1, 512, 1])
#   l62, l63, l64, l65 = sch.split(loop=l40, factors=[v58, v59, v60, v61], preserve_unit_iters=True, disable_predication=False)
#   v66, v67 = sch.sample_perfect_tile(loop=l41, n=2, max_innermost_factor=64, decision=[64, 16])
#   l68, l69 = sch.split(loop=l41, factors=[v66, v67], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l46, l54, l62, l47, l55, l63, l68, l48, l56, l64, l69, l49, l57, l65)
#   b70, = sch.get_consumers(block=b1)
#   sch.annotate(block_or_loop=b0, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l71, l72, l73, l74 = sch.get_loops(block=b0)
#   v75, v76, v77, v78 = sch.sample_perfect_tile(loop=l71, n=4, max_innermost_factor=64, decision=[2, 1, 2, 1])
#   l79, l80, l81, l82 = sch.split(loop=l71, factors=[v75, v76, v77, v78], preserve_unit_iters=True, disable_predication=False)
#   v83, v84, v85, v86 = sch.sample_perfect_tile(loop=l72, n=4, max_innermost_factor=64, decision=[16, 1, 2, 1])
#   l87, l88, l89, l90 = sch.split(loop=l72, factors=[v83, v84, v85, v86], preserve_unit_iters=True, disable_predication=False)
#   v91, v92, v93, v94 = sch.sample_perfect_tile(loop=l73, n=4, max_innermost_factor=64, decision=[2, 1, 16, 16])
#   l95, l96, l97, l98 = sch.split(loop=l73, factors=[v91, v92, v93, v94], preserve_unit_iters=True, disable_predication=False)
#   v99, v100 = sch.sample_perfect_tile(loop=l74, n=2, max_innermost_factor=64, decision=[256, 4])
#   l101, l102 = sch.split(loop=l74, factors=[v99, v100], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l79, l87, l95, l80, l88, l96, l101, l81, l89, l97, l102, l82, l90, l98)
#   b103, = sch.get_consumers(block=b0)
#   b104 = sch.cache_write(block=b0, write_buffer_index=0, storage_scope="global")
#   sch.reverse_compute_at(block=b104, loop=l96, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.vectorize", ann_val=64)
#   v105 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=0)
#   sch.annotate(block_or_loop=b4, ann_key="meta_schedule.unroll_explicit", ann_val=v105)
#   sch.enter_postproc()
#   b106 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b106, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b106, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b106, ann_key="meta_schedule.unroll_explicit")
#   b107, b108, b109, b110, b111 = sch.get_child_blocks(b106)
#   l112, l113, l114, l115, l116, l117, l118, l119, l120, l121, l122, l123, l124, l125 = sch.get_loops(block=b107)
#   l126 = sch.fuse(l112, l113, l114, preserve_unit_iters=True)
#   sch.parallel(loop=l126)
#   l127 = sch.fuse(l125, preserve_unit_iters=True)
#   sch.vectorize(loop=l127)
#   l128, l129, l130, l131, l132, l133, l134 = sch.get_loops(block=b108)
#   l135 = sch.fuse(l128, preserve_unit_iters=True)
#   sch.parallel(loop=l135)
#   l136, l137, l138, l139, l140, l141, l142, l143, l144, l145, l146, l147, l148, l149 = sch.get_loops(block=b109)
#   l150 = sch.fuse(l136, l137, l138, l139, l140, preserve_unit_iters=True)
#   sch.parallel(loop=l150)
#   l151, l152, l153, l154, l155, l156, l157, l158, l159, l160, l161, l162, l163, l164 = sch.get_loops(block=b110)
#   l165 = sch.fuse(l151, l152, l153, preserve_unit_iters=True)
#   sch.parallel(loop=l165)
#   l166, l167, l168, l169 = sch.get_loops(block=b111)
#   l170 = sch.fuse(l166, preserve_unit_iters=True)
#   sch.parallel(loop=l170)
#   b171 = sch.get_sblock(name="gate", func_name="main")
#   l172, l173, l174, l175, l176, l177, l178, l179, l180, l181, l182, l183 = sch.get_loops(block=b171)
#   b184 = sch.decompose_reduction(block=b171, loop=l176)
#   b185 = sch.get_sblock(name="up", func_name="main")
#   l186, l187, l188, l189, l190, l191, l192, l193, l194, l195 = sch.get_loops(block=b185)
#   b196 = sch.decompose_reduction(block=b185, loop=l188)
#   b197 = sch.get_sblock(name="down", func_name="main")
#   l198, l199, l200, l201, l202, l203, l204, l205, l206, l207, l208, l209 = sch.get_loops(block=b197)
#   b210 = sch.decompose_reduction(block=b197, loop=l202)
