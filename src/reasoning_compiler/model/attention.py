"""A model's scaled-dot-product attention lowered to the fused, per-query-block kernel.

PyTorch's ``scaled_dot_product_attention`` imports into Relax as ``relax.nn.attention``, whose
own legalization writes the whole score matrix (heads x seq x seq, three times) the way the
paper's kernel does. Fast libraries compute it per block of query rows with the scores kept in
cache; so does ``workloads.fused_attention`` (FLUX attention at its paper size: 1.17x PyTorch's
SDPA and 1.33x the dense kernel in one session, one seed each: an example, no paired test). This
legalization gives a model the same kernel: the query, key and value are copied from Relax's
(batch, seq, heads, dim) into (batch x heads, seq, dim), the fused kernel runs, and its output
is copied back. Batches fold into heads: query head ``b * heads + h`` reads key head
``(b * heads + h) // group = b * kv_heads + h // group``, the right one.

Calls the kernel does not cover (a causal mask, a custom scale, a sliding window, unequal query
and key lengths, a length that is not a multiple of 16, dtypes other than float32, symbolic
shapes) keep Relax's own legalization.
"""

from __future__ import annotations

from ..workloads import fused_attention

# A block's three row buffers (scores, exponentials, probabilities) at block x seq_len float32
# should fit a core's L2 cache together: the block is the largest of these whose buffer stays
# under SCORE_BYTES (64 rows at seq_len 512, as measured; 16 at 4096).
BLOCKS = (64, 32, 16)  # multiples of fused_attention.LANES
SCORE_BYTES = 128 * 1024


def legalize_map() -> dict:
    """For ``relax.transform.LegalizeOps(customize_legalize_map=...)``."""
    return {"relax.nn.attention": _legalize_attention}


def _legalize_attention(bb, call):
    import tvm
    from tvm import relax, te

    shape = _fused_shape(call)
    if shape is None:  # what the fused kernel does not compute: Relax's own legalization
        return tvm.ir.Op.get("relax.nn.attention").get_attr("FLegalize")(bb, call)
    batch, heads, kv_heads, seq, dim, block = shape

    def fold(x, n):  # (batch, seq, n, dim) -> (batch * n, seq, dim)
        return te.compute(
            (batch * n, seq, dim), lambda i, s, d: x[i // n, s, i % n, d], name="fold_heads"
        )

    def unfold(x):  # (batch * heads, seq, dim) -> (batch, seq, heads, dim)
        return te.compute(
            (batch, seq, heads, dim),
            lambda b, s, h, d: x[b * heads + h, s, d],
            name="unfold_heads",
        )

    q, k, v = call.args
    folded = [
        bb.emit_te(fold, q, heads, primfunc_name_hint="fold_heads"),
        bb.emit_te(fold, k, kv_heads, primfunc_name_hint="fold_heads"),
        bb.emit_te(fold, v, kv_heads, primfunc_name_hint="fold_heads"),
    ]
    kernel = fused_attention.build(batch * heads, batch * kv_heads, seq, dim, block)
    kernel = kernel.with_attr("op_pattern", _OPAQUE)  # fused with no neighbour: tuned alone
    gv = bb.add_func(kernel, KERNEL_NAME)
    out_info = relax.TensorType((batch * heads, seq, dim), "float32")
    out = bb.emit(relax.call_tir(gv, folded, out_info))
    return bb.call_te(unfold, out, primfunc_name_hint="unfold_heads")


KERNEL_NAME = "attention_per_block"  # in the model's task names
_OPAQUE = 8  # relay's OpPatternKind.kOpaque: FuseOps leaves the call as it is


def _fused_shape(call) -> tuple[int, ...] | None:
    """``(batch, heads, kv_heads, seq_len, head_dim, block)`` of this call, or None where the
    fused kernel does not compute it."""
    attrs = call.attrs
    if attrs.causal_mask is not None or attrs.scale is not None or attrs.window_size is not None:
        return None
    infos = [arg.ty for arg in call.args]
    if any(str(info.dtype) != "float32" or info.shape is None for info in infos):
        return None
    try:
        (b, s, n, d), (kb, ks, kn, kd), vshape = (
            [int(x) for x in info.shape.values] for info in infos
        )
    except (TypeError, ValueError):  # symbolic dimensions
        return None
    if (kb, ks, kd) != (b, s, d) or tuple(vshape) != (kb, ks, kn, kd) or n % kn:
        return None
    block = next((blk for blk in BLOCKS if s % blk == 0 and blk * s * 4 <= SCORE_BYTES), None)
    if block is None and s % BLOCKS[-1] == 0:
        block = BLOCKS[-1]  # long sequences: the smallest block, past the cache
    return None if block is None else (b, n, kn, s, d, block)
