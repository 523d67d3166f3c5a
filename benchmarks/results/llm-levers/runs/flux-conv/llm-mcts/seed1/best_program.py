# Best program found for flux-conv [small] (batch=1, in_channels=128, out_channels=128, size=64)
# from tvm.script import ir as I
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@I.ir_module
class Module:
    @T.prim_func(s_tir=True)
    def main(X: T.Buffer((1, 128, 64, 64), "float32"), W: T.Buffer((128, 128, 3, 3), "float32"), bias: T.Buffer((128,), "float32"), out: T.Buffer((1, 128, 64, 64), "float32")):
        T.func_attr({"tirx.noalias": True})
        # with T.sblock("root"):
        pad = T.sblock_alloc_buffer((1, 128, 66, 66))
        conv = T.sblock_alloc_buffer((1, 128, 64, 64))
        for n_0_k_0_fused_fused in T.parallel(32, annotations={"pragma_auto_unroll_max_step": 16, "pragma_unroll_explicit": 1}):
            for ax0, ax1, ax2, ax3 in T.grid(1, 128, 66, 66):
                with T.sblock("pad"):
                    v_n, v_c, v_y, v_xx = T.axis.remap("SSSS", [ax0, ax1, ax2, ax3])
                    T.reads(X[v_n, v_c, v_y - 1, v_xx - 1])
                    T.writes(pad[v_n, v_c, v_y, v_xx])
                    pad[v_n, v_c, v_y, v_xx] = T.if_then_else(1 <= v_y and v_y <= 64 and 1 <= v_xx and v_xx <= 64, X[v_n, v_c, v_y - 1, v_xx - 1], T.float32(0.0))
            for y_0, xx_0, n_1, k_1, y_1, xx_1 in T.grid(2, 1, 1, 1, 4, 8):
                for n_2_init, k_2_init, y_2_init, xx_2_init, n_3_init, k_3_init, y_3_init in T.grid(1, 2, 2, 1, 1, 2, 4):
                    for xx_3_fused_init in T.vectorized(8):
                        with T.sblock("conv_init"):
                            v_n = T.axis.spatial(1, n_1 + n_2_init + n_3_init)
                            v_k = T.axis.spatial(128, n_0_k_0_fused_fused * 4 + k_1 * 4 + k_2_init * 2 + k_3_init)
                            v_y = T.axis.spatial(64, y_0 * 32 + y_1 * 8 + y_2_init * 4 + y_3_init)
                            v_xx = T.axis.spatial(64, xx_0 * 64 + xx_1 * 8 + xx_2_init * 8 + xx_3_fused_init)
                            T.reads()
                            T.writes(conv[v_n, v_k, v_y, v_xx])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            conv[v_n, v_k, v_y, v_xx] = T.float32(0.0)
                for rc_0, ry_0, rx_0, n_2, k_2, y_2, xx_2, rc_1, ry_1, rx_1, n_3, k_3, y_3 in T.grid(4, 3, 1, 1, 2, 2, 1, 32, 1, 3, 1, 2, 4):
                    for xx_3_fused in T.vectorized(8):
                        with T.sblock("conv_update"):
                            v_n = T.axis.spatial(1, n_1 + n_2 + n_3)
                            v_k = T.axis.spatial(128, n_0_k_0_fused_fused * 4 + k_1 * 4 + k_2 * 2 + k_3)
                            v_y = T.axis.spatial(64, y_0 * 32 + y_1 * 8 + y_2 * 4 + y_3)
                            v_xx = T.axis.spatial(64, xx_0 * 64 + xx_1 * 8 + xx_2 * 8 + xx_3_fused)
                            v_rc = T.axis.reduce(128, rc_0 * 32 + rc_1)
                            v_ry = T.axis.reduce(3, ry_0 + ry_1)
                            v_rx = T.axis.reduce(3, rx_0 * 3 + rx_1)
                            T.reads(conv[v_n, v_k, v_y, v_xx], pad[v_n, v_rc, v_y + v_ry, v_xx + v_rx], W[v_k, v_rc, v_ry, v_rx])
                            T.writes(conv[v_n, v_k, v_y, v_xx])
                            T.sblock_attr({"meta_schedule.tiling_structure": "SSRSRS"})
                            conv[v_n, v_k, v_y, v_xx] = conv[v_n, v_k, v_y, v_xx] + pad[v_n, v_rc, v_y + v_ry, v_xx + v_rx] * W[v_k, v_rc, v_ry, v_rx]
                for ax0, ax1, ax2 in T.grid(1, 4, 8):
                    for ax3_fused in T.vectorized(8):
                        with T.sblock("out"):
                            v_n = T.axis.spatial(1, ax0)
                            v_k = T.axis.spatial(128, n_0_k_0_fused_fused * 4 + ax1)
                            v_y = T.axis.spatial(64, y_0 * 32 + y_1 * 8 + ax2)
                            v_xx = T.axis.spatial(64, xx_1 * 8 + ax3_fused)
                            T.reads(conv[v_n, v_k, v_y, v_xx], bias[v_k])
                            T.writes(out[v_n, v_k, v_y, v_xx])
                            out[v_n, v_k, v_y, v_xx] = conv[v_n, v_k, v_y, v_xx] + bias[v_k]

# Schedule trace:
# # from tvm import s_tir
# def apply_trace(sch: s_tir.Schedule) -> None:
#   b0 = sch.get_sblock(name="pad", func_name="main")
#   b1 = sch.get_sblock(name="conv", func_name="main")
#   b2 = sch.get_sblock(name="out", func_name="main")
#   b3 = sch.get_sblock(name="root", func_name="main")
#   sch.annotate(block_or_loop=b1, ann_key="meta_schedule.tiling_structure", ann_val="SSRSRS")
#   l4, l5, l6, l7, l8, l9, l10 = sch.get_loops(block=b1)
#   v11, v12, v13, v14 = sch.sample_perfect_tile(loop=l4, n=4, max_innermost_factor=64, decision=[1, 1, 1, 1])
#   l15, l16, l17, l18 = sch.split(loop=l4, factors=[v11, v12, v13, v14], preserve_unit_iters=True, disable_predication=False)
#   v19, v20, v21, v22 = sch.sample_perfect_tile(loop=l5, n=4, max_innermost_factor=64, decision=[32, 1, 2, 2])
#   l23, l24, l25, l26 = sch.split(loop=l5, factors=[v19, v20, v21, v22], preserve_unit_iters=True, disable_predication=False)
#   v27, v28, v29, v30 = sch.sample_perfect_tile(loop=l6, n=4, max_innermost_factor=64, decision=[2, 4, 2, 4])
#   l31, l32, l33, l34 = sch.split(loop=l6, factors=[v27, v28, v29, v30], preserve_unit_iters=True, disable_predication=False)
#   v35, v36, v37, v38 = sch.sample_perfect_tile(loop=l7, n=4, max_innermost_factor=64, decision=[1, 8, 1, 8])
#   l39, l40, l41, l42 = sch.split(loop=l7, factors=[v35, v36, v37, v38], preserve_unit_iters=True, disable_predication=False)
#   v43, v44 = sch.sample_perfect_tile(loop=l8, n=2, max_innermost_factor=64, decision=[4, 32])
#   l45, l46 = sch.split(loop=l8, factors=[v43, v44], preserve_unit_iters=True, disable_predication=False)
#   v47, v48 = sch.sample_perfect_tile(loop=l9, n=2, max_innermost_factor=64, decision=[3, 1])
#   l49, l50 = sch.split(loop=l9, factors=[v47, v48], preserve_unit_iters=True, disable_predication=False)
#   v51, v52 = sch.sample_perfect_tile(loop=l10, n=2, max_innermost_factor=64, decision=[1, 3])
#   l53, l54 = sch.split(loop=l10, factors=[v51, v52], preserve_unit_iters=True, disable_predication=False)
#   sch.reorder(l15, l23, l31, l39, l16, l24, l32, l40, l45, l49, l53, l17, l25, l33, l41, l46, l50, l54, l18, l26, l34, l42)
#   b55, = sch.get_consumers(block=b1)
#   sch.reverse_compute_at(block=b55, loop=l40, preserve_unit_loops=True, index=-1)
#   sch.annotate(block_or_loop=b3, ann_key="meta_schedule.parallel", ann_val=32)
#   sch.annotate(block_or_loop=b3, ann_key="meta_schedule.vectorize", ann_val=64)
#   v56 = sch.sample_categorical(candidates=[0, 16, 64, 512], probs=[0.25, 0.25, 0.25, 0.25], decision=1)
#   sch.annotate(block_or_loop=b3, ann_key="meta_schedule.unroll_explicit", ann_val=v56)
#   l57 = sch.sample_compute_location(block=b0, decision=1)
#   sch.compute_at(block=b0, loop=l57, preserve_unit_loops=True, index=-1)
#   sch.enter_postproc()
#   b58 = sch.get_sblock(name="root", func_name="main")
#   sch.unannotate(block_or_loop=b58, ann_key="meta_schedule.parallel")
#   sch.unannotate(block_or_loop=b58, ann_key="meta_schedule.vectorize")
#   sch.unannotate(block_or_loop=b58, ann_key="meta_schedule.unroll_explicit")
#   b59, b60, b61 = sch.get_child_blocks(b58)
#   l62, l63, l64, l65, l66, l67 = sch.get_loops(block=b59)
#   l68 = sch.fuse(l62, l63, preserve_unit_iters=True)
#   sch.parallel(loop=l68)
#   l69, l70, l71, l72, l73, l74, l75, l76, l77, l78, l79, l80, l81, l82, l83, l84, l85, l86, l87, l88, l89 = sch.get_loops(block=b60)
#   l90 = sch.fuse(l69, preserve_unit_iters=True)
#   sch.parallel(loop=l90)
#   l91 = sch.fuse(l89, preserve_unit_iters=True)
#   sch.vectorize(loop=l91)
#   sch.annotate(block_or_loop=l90, ann_key="pragma_auto_unroll_max_step", ann_val=16)
#   sch.annotate(block_or_loop=l90, ann_key="pragma_unroll_explicit", ann_val=1)
#   l92, l93, l94, l95, l96, l97, l98, l99, l100, l101, l102 = sch.get_loops(block=b61)
#   l103 = sch.fuse(l102, preserve_unit_iters=True)
#   sch.vectorize(loop=l103)
#   b104 = sch.get_sblock(name="conv", func_name="main")
#   l105, l106, l107, l108, l109, l110, l111, l112, l113, l114, l115, l116, l117, l118, l119, l120, l121, l122, l123, l124, l125 = sch.get_loops(block=b104)
#   b126 = sch.decompose_reduction(block=b104, loop=l112)
