"""Attention computed one query block at a time, its scores never leaving the cache.

The paper's kernel (`attention.py`) writes the whole heads x seq_len x seq_len score matrix
three times (scores, exponentials, probabilities: 75 MB at FLUX's paper size), far more than
the caches hold, and reads it back for each step of the softmax and for PV. Fast libraries
(PyTorch's CPU flash attention, oneDNN's SDPA) work per block of query rows: that block's
scores against all keys, their softmax and the product with V, in buffers of block x seq_len
(128 KB at block 64, seq_len 512: in L2), then the next block. At seq_len up to the libraries'
key block (512 in PyTorch) a block's row of keys fits at once, so the exact softmax needs no
online rescaling; longer sequences would need it (flash attention's running max and sum).

The kernel is written as a loop over (head, query block), parallel, around one block ("tile")
holding the per-block buffers and the steps: QK^T, row max, exp, row sum, normalize, PV, the
copy out. Before it, a parallel loop over KV heads copies K transposed (once per head, not per
query block), and the row statistics are first taken in LANES partial results per row, so that
their innermost loop runs across keys in vectors. MetaSchedule tiles and places the steps inside
the tiles; a tile itself carries no schedule rule ("schedule_rule": "None"), and the root's
vectorize and unroll decisions are applied inside it by ``schedule_rules.VectorizeInsideTiles``.
"""

from __future__ import annotations

import math

from . import attention
from .base import Workload

# Partial row statistics per row: one AVX-512 vector of float32, two AVX2 ones.
LANES = 16


def build(q_heads: int, kv_heads: int, seq_len: int, head_dim: int, block: int):
    from tvm.script import tirx as T  # TVM loads when a kernel is built: listing stays fast

    heads, n, d, rows = q_heads, seq_len, head_dim, block
    group, blocks, wide = q_heads // kv_heads, seq_len // block, seq_len // LANES
    scale, lowest = 1.0 / math.sqrt(head_dim), -3.4028234663852886e38

    @T.prim_func(s_tir=True)
    def main(
        Q: T.Buffer((heads, n, d), "float32"),
        K: T.Buffer((kv_heads, n, d), "float32"),
        V: T.Buffer((kv_heads, n, d), "float32"),
        out: T.Buffer((heads, n, d), "float32"),
    ):
        T.func_attr({"tirx.noalias": True})
        k_transposed = T.sblock_alloc_buffer((kv_heads, d, n))
        for g in T.parallel(kv_heads):
            # K transposed once per head, so that QK^T's innermost loop (keys) reads
            # contiguously; inside the tiles the copy would be made once per query block.
            with T.sblock("k_tile"):
                vg = T.axis.spatial(kv_heads, g)
                T.reads(K[vg, 0:n, 0:d])
                T.writes(k_transposed[vg, 0:d, 0:n])
                T.sblock_attr({"schedule_rule": "None"})
                for k, j in T.grid(d, n):
                    with T.sblock("k_transposed"):
                        vk, vj = T.axis.remap("SS", [k, j])
                        k_transposed[vg, vk, vj] = K[vg, vj, vk]
        for t in T.parallel(heads * blocks):
            with T.sblock("tile"):
                h = T.axis.spatial(heads, t // blocks)
                b = T.axis.spatial(blocks, t % blocks)
                T.reads(
                    Q[h, b * rows : b * rows + rows, 0:d],
                    k_transposed[h // group, 0:d, 0:n],
                    V[h // group, 0:n, 0:d],
                )
                T.writes(out[h, b * rows : b * rows + rows, 0:d])
                T.sblock_attr({"schedule_rule": "None"})
                qk = T.sblock_alloc_buffer((rows, n))
                max_lanes = T.sblock_alloc_buffer((rows, LANES))
                row_max = T.sblock_alloc_buffer((rows,))
                probs = T.sblock_alloc_buffer((rows, n))
                sum_lanes = T.sblock_alloc_buffer((rows, LANES))
                row_sum = T.sblock_alloc_buffer((rows,))
                softmax = T.sblock_alloc_buffer((rows, n))
                pv = T.sblock_alloc_buffer((rows, d))
                for r, j, k in T.grid(rows, n, d):
                    with T.sblock("qk"):
                        vr, vj, vk = T.axis.remap("SSR", [r, j, k])
                        with T.init():
                            qk[vr, vj] = T.float32(0)
                        qk[vr, vj] = (
                            qk[vr, vj] + Q[h, b * rows + vr, vk] * k_transposed[h // group, vk, vj]
                        )
                # Row statistics in two steps, LANES partial results per row first: the
                # innermost loop then runs across keys in vectors (a row reduction alone is a
                # scalar chain: measured, 2 x 6 M dependent steps at the paper size).
                for r, jo, lane in T.grid(rows, wide, LANES):
                    with T.sblock("max_lanes"):
                        vr, vjo, vl = T.axis.remap("SRS", [r, jo, lane])
                        with T.init():
                            max_lanes[vr, vl] = T.float32(lowest)
                        max_lanes[vr, vl] = T.max(max_lanes[vr, vl], qk[vr, vjo * LANES + vl])
                for r, lane in T.grid(rows, LANES):
                    with T.sblock("row_max"):
                        vr, vl = T.axis.remap("SR", [r, lane])
                        with T.init():
                            row_max[vr] = T.float32(lowest)
                        row_max[vr] = T.max(row_max[vr], max_lanes[vr, vl])
                for r, j in T.grid(rows, n):
                    with T.sblock("exp"):
                        vr, vj = T.axis.remap("SS", [r, j])
                        probs[vr, vj] = T.exp((qk[vr, vj] - row_max[vr]) * T.float32(scale))
                for r, jo, lane in T.grid(rows, wide, LANES):
                    with T.sblock("sum_lanes"):
                        vr, vjo, vl = T.axis.remap("SRS", [r, jo, lane])
                        with T.init():
                            sum_lanes[vr, vl] = T.float32(0)
                        sum_lanes[vr, vl] = sum_lanes[vr, vl] + probs[vr, vjo * LANES + vl]
                for r, lane in T.grid(rows, LANES):
                    with T.sblock("row_sum"):
                        vr, vl = T.axis.remap("SR", [r, lane])
                        with T.init():
                            row_sum[vr] = T.float32(0)
                        row_sum[vr] = row_sum[vr] + sum_lanes[vr, vl]
                for r, j in T.grid(rows, n):
                    # Normalized before PV, as in the dense kernel (see attention.py).
                    with T.sblock("softmax"):
                        vr, vj = T.axis.remap("SS", [r, j])
                        T.sblock_attr({"meta_schedule.inline_rule": "disable"})
                        softmax[vr, vj] = probs[vr, vj] / row_sum[vr]
                for r, e, j in T.grid(rows, d, n):
                    # Into a block-sized buffer: MetaSchedule's wide-vector tiling cannot split
                    # a product that writes out[h, b * rows + r, e] directly.
                    with T.sblock("pv"):
                        vr, ve, vj = T.axis.remap("SSR", [r, e, j])
                        with T.init():
                            pv[vr, ve] = T.float32(0)
                        pv[vr, ve] = pv[vr, ve] + softmax[vr, vj] * V[h // group, vj, ve]
                for r, e in T.grid(rows, d):
                    with T.sblock("out"):
                        vr, ve = T.axis.remap("SS", [r, e])
                        out[h, b * rows + vr, ve] = pv[vr, ve]

    return main


def reference(q, k, v, block, **shape):
    return attention.reference(q, k, v, **shape, causal=False)


def flops(block, **shape):
    return attention.flops(**shape, causal=False)  # the same operator as the dense kernel


def check(q_heads, kv_heads, seq_len, head_dim, block):
    attention.check(q_heads, kv_heads)
    if seq_len % block or seq_len % LANES:
        raise ValueError(
            f"seq_len ({seq_len}) must be a multiple of block ({block}) and of {LANES}"
        )


FLUX_ATTENTION_FUSED = Workload(
    name="flux-attention-fused",
    summary="FLUX.1 joint self-attention computed per block of query rows (fused, in cache)",
    notes="The same operator as flux-attention (its FLOP count too), computed the way fast "
    "libraries do: for each head and block of query rows, the scores against all keys, their "
    "softmax and the product with V in block-sized buffers, never the whole score matrix.",
    presets={
        "paper": {"q_heads": 24, "kv_heads": 24, "seq_len": 512, "head_dim": 128, "block": 64},
        "small": {"q_heads": 4, "kv_heads": 4, "seq_len": 256, "head_dim": 128, "block": 64},
    },
    build=build,
    flops=flops,
    reference=reference,
    check=check,
)
