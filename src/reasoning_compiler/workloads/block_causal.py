"""Causal attention that skips the masked half: query blocks in folded pairs.

The paper's kernel (`attention.py`) computes every score of the seq_len x seq_len matrix and
masks the upper half, as its definition says; fast libraries skip that half. A loop whose extent
depends on the row (keys j <= i) is dynamic to MetaSchedule, which refuses it, so this kernel
gives every loop a fixed extent by pairing query blocks (blocks of `block` rows; nb of them):
block p needs key blocks 0..p and block nb-1-p needs 0..nb-1-p, nb + 1 key blocks together for
every pair. So a pair p runs over kk = 0..nb: its first query block while kk <= p (key block kk),
its second after (key block kk-p-1). The key blocks on the diagonal (kk = p and kk = nb) are
masked; all others are whole. The same trick balances ring attention across devices ("zigzag").

Work: (nb / 2) (nb + 1) block x block scores, n^2/2 + n block/2 instead of n^2 (0.56 of the dense
kernel at seq_len 512, block 64). Two batched matmuls (QK^T and PV) as in the dense kernel;
the softmax's row statistics and the output gather a query block's nb + 1 per-block results,
masked to the pair's half that is its own.

Each step's query, key and value blocks are first copied into packed buffers (see build), as
libraries pack their operands (measured: benchmarks/results/block-causal-packing).
"""

from __future__ import annotations

import functools
import math
import operator

from . import attention
from .base import KEEP, Workload


def build(q_heads: int, kv_heads: int, seq_len: int, head_dim: int, block: int):
    from tvm import te, tirx  # TVM loads when a kernel is built: listing workloads stays fast

    group, nb = q_heads // kv_heads, seq_len // block
    q = te.placeholder((q_heads, seq_len, head_dim), "float32", name="Q")
    k = te.placeholder((kv_heads, seq_len, head_dim), "float32", name="K")
    v = te.placeholder((kv_heads, seq_len, head_dim), "float32", name="V")
    scale = 1.0 / math.sqrt(head_dim)
    lowest = tirx.min_value("float32")
    pairs = (q_heads, nb // 2, nb + 1, block)  # [head, pair p, key step kk, row r in the block]

    def first(p, kk):
        return kk <= p

    def query_block(p, kk):
        return tirx.Select(first(p, kk), p, nb - 1 - p)

    def key_block(p, kk):
        return tirx.Select(first(p, kk), kk, kk - p - 1)

    def pair_of(qb):
        return tirx.min(qb, nb - 1 - qb)

    # Each step's Q, K and V blocks copied out once, K transposed ([d, c]): the products then
    # read with affine indices (a batched matmul per step, the innermost loop contiguous).
    # Selects in the products' own indices made MetaSchedule relax their reads to whole tensors.
    steps = (nb // 2, nb + 1)
    q_packed = te.compute(
        (q_heads, *steps, block, head_dim),
        lambda h, p, kk, r, d: q[h, query_block(p, kk) * block + r, d],
        name="q_packed",
        attrs=KEEP,
    )
    k_packed = te.compute(
        (kv_heads, *steps, head_dim, block),
        lambda g, p, kk, d, c: k[g, key_block(p, kk) * block + c, d],
        name="k_packed",
        attrs=KEEP,
    )
    v_packed = te.compute(
        (kv_heads, *steps, block, head_dim),
        lambda g, p, kk, c, e: v[g, key_block(p, kk) * block + c, e],
        name="v_packed",
        attrs=KEEP,
    )
    d = te.reduce_axis((0, head_dim), name="d")
    qk = te.compute(
        (*pairs, block),
        lambda h, p, kk, r, c: te.sum(
            q_packed[h, p, kk, r, d] * k_packed[h // group, p, kk, d, c], axis=d
        ),
        name="qk",
    )
    scores = te.compute(
        qk.shape,
        lambda h, p, kk, r, c: te.if_then_else(
            tirx.all(tirx.any(kk == p, kk == nb), c > r), lowest, qk[h, p, kk, r, c] * scale
        ),
        name="scores",
    )

    def per_row(op, x, missing, name):
        """A query row's statistic over its pair's nb + 1 blocks, the other query block's masked
        (twice the reads of its own, but one reduction block, as in the dense kernel: every
        reduction block multiplies MetaSchedule's design spaces)."""
        kk, c = (
            te.reduce_axis((0, nb + 1), name=f"kk_{name}"),
            te.reduce_axis((0, block), name=f"c_{name}"),
        )

        def row(h, i):
            qb, p = i // block, pair_of(i // block)
            own = query_block(p, kk) == qb
            return op(te.if_then_else(own, x[h, p, kk, i % block, c], missing), axis=[kk, c])

        return te.compute((q_heads, seq_len), row, name=name)

    row_max = per_row(te.max, scores, lowest, "row_max")
    probs = te.compute(
        qk.shape,
        lambda h, p, kk, r, c: te.exp(
            scores[h, p, kk, r, c] - row_max[h, query_block(p, kk) * block + r]
        ),
        name="exp",
    )
    row_sum = per_row(te.sum, probs, 0.0, "row_sum")
    # Normalized before PV, as in the dense kernel (see attention.py).
    softmax = te.compute(
        qk.shape,
        lambda h, p, kk, r, c: probs[h, p, kk, r, c] / row_sum[h, query_block(p, kk) * block + r],
        name="softmax",
    )
    c = te.reduce_axis((0, block), name="c")
    pv = te.compute(
        (*pairs, head_dim),
        lambda h, p, kk, r, e: te.sum(
            softmax[h, p, kk, r, c] * v_packed[h // group, p, kk, c, e], axis=c
        ),
        name="pv",
    )

    def output(h, i, e):
        # A sum of nb + 1 terms written out, not a reduction block: each reduction block
        # multiplies MetaSchedule's design spaces (by 3 on CPU), and these terms are few.
        qb, p = i // block, pair_of(i // block)
        terms = [
            te.if_then_else(query_block(p, kk) == qb, pv[h, p, kk, i % block, e], 0.0)
            for kk in range(nb + 1)
        ]
        return functools.reduce(operator.add, terms)

    out = te.compute((q_heads, seq_len, head_dim), output, name="out")
    return te.create_prim_func([q, k, v, out])


def reference(q, k, v, block, **shape):
    return attention.reference(q, k, v, **shape, causal=True)


def flops(block, **shape):
    # Counted as the dense kernel's, so that GFLOP/s compare with it, and with the libraries, as
    # inverse time of the same operator.
    return attention.flops(**shape, causal=True)


def check(q_heads, kv_heads, seq_len, head_dim, block):
    attention.check(q_heads, kv_heads)
    if seq_len % (2 * block):
        raise ValueError(f"seq_len ({seq_len}) must be a multiple of 2 x block ({2 * block})")


LLAMA3_8B_ATTENTION_BLOCK_CAUSAL = Workload(
    name="llama3-8b-attention-block-causal",
    summary="Llama3-8B causal GQA attention that skips the masked half (block-triangular)",
    notes="The same operator as llama3-8b-attention (its FLOP count too), computed the way "
    "fast libraries do: only the blocks on and below the diagonal, query blocks folded in pairs "
    "so that every loop has a fixed extent; about 0.56 of the dense work at seq_len 512.",
    presets={
        "paper": {"q_heads": 32, "kv_heads": 8, "seq_len": 512, "head_dim": 128, "block": 64},
        "small": {"q_heads": 4, "kv_heads": 1, "seq_len": 256, "head_dim": 128, "block": 64},
    },
    build=build,
    flops=flops,
    reference=reference,
    check=check,
)
