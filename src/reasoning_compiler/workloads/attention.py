"""Scaled dot-product self-attention for one sequence, as one fused kernel.

Q is [q_heads, seq_len, head_dim]; K and V are [kv_heads, seq_len, head_dim] (grouped-query
attention when kv_heads < q_heads: query head h reads KV head h // (q_heads // kv_heads)).
The kernel computes softmax(Q K^T / sqrt(head_dim) [+ causal mask]) V, writing
[q_heads, seq_len, head_dim]. The Q/K/V and output projections are separate matmuls, not part of it.
"""

import math

import numpy as np

from .base import KEEP, Workload


def build(q_heads: int, kv_heads: int, seq_len: int, head_dim: int, causal: bool):
    from tvm import te, tirx  # TVM loads when a kernel is built: listing workloads stays fast

    group = q_heads // kv_heads
    q = te.placeholder((q_heads, seq_len, head_dim), "float32", name="Q")
    k = te.placeholder((kv_heads, seq_len, head_dim), "float32", name="K")
    v = te.placeholder((kv_heads, seq_len, head_dim), "float32", name="V")
    scale = 1.0 / math.sqrt(head_dim)
    rows = (q_heads, seq_len)

    d = te.reduce_axis((0, head_dim), name="d")
    qk = te.compute(
        (*rows, seq_len),
        lambda h, i, j: te.sum(q[h, i, d] * k[h // group, j, d], axis=d),
        name="qk",
    )
    if causal:
        scores = te.compute(
            qk.shape,
            lambda h, i, j: te.if_then_else(j <= i, qk[h, i, j] * scale, tirx.min_value("float32")),
            name="scores",
        )
    else:
        scores = te.compute(qk.shape, lambda h, i, j: qk[h, i, j] * scale, name="scores")
    j1 = te.reduce_axis((0, seq_len), name="j1")
    row_max = te.compute(rows, lambda h, i: te.max(scores[h, i, j1], axis=j1), name="row_max")
    probs = te.compute(
        qk.shape, lambda h, i, j: te.exp(scores[h, i, j] - row_max[h, i]), name="exp"
    )
    j2 = te.reduce_axis((0, seq_len), name="j2")
    row_sum = te.compute(rows, lambda h, i: te.sum(probs[h, i, j2], axis=j2), name="row_sum")
    # Normalize before PV so that the output block is the PV reduction itself: a trailing
    # `pv / row_sum` block makes MetaSchedule's design-space generation fail (its
    # reverse_compute_at needs every producer of the consumer under the PV loop).
    # Kept a block of its own (computed once per score): inlined into PV, the division ran
    # once per score and output column.
    softmax = te.compute(
        qk.shape, lambda h, i, j: probs[h, i, j] / row_sum[h, i], name="softmax", attrs=KEEP
    )
    j3 = te.reduce_axis((0, seq_len), name="j3")
    out = te.compute(
        (*rows, head_dim),
        lambda h, i, e: te.sum(softmax[h, i, j3] * v[h // group, j3, e], axis=j3),
        name="out",
    )
    return te.create_prim_func([q, k, v, out])


def reference(q, k, v, q_heads, kv_heads, seq_len, head_dim, causal):
    group = q_heads // kv_heads
    k = np.repeat(k, group, axis=0).astype(np.float64)
    v = np.repeat(v, group, axis=0).astype(np.float64)
    s = q.astype(np.float64) @ k.transpose(0, 2, 1) / math.sqrt(head_dim)
    if causal:
        s = np.where(np.tril(np.ones((seq_len, seq_len), bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def flops(q_heads, kv_heads, seq_len, head_dim, causal):
    # Two matmuls (QK^T and PV) dominate; softmax adds ~5 ops per score. Causal masking is
    # computed densely by this kernel, so the count is dense too.
    return 4 * q_heads * seq_len * seq_len * head_dim + 5 * q_heads * seq_len * seq_len


def check(q_heads, kv_heads, **_):
    if q_heads % kv_heads:
        raise ValueError(f"q_heads ({q_heads}) must be a multiple of kv_heads ({kv_heads})")


def _attention(name, summary, notes, paper, small, causal):
    def shaped(f):
        return lambda *args, **shape: f(*args, **shape, causal=causal)

    return Workload(
        name=name,
        summary=summary,
        notes=notes,
        presets={"paper": paper, "small": small},
        build=shaped(build),
        flops=shaped(flops),
        reference=shaped(reference),
        check=check,
    )


LLAMA3_8B_ATTENTION = _attention(
    "llama3-8b-attention",
    "Llama3-8B causal GQA self-attention: 32 query heads, 8 KV heads, head dim 128",
    "Llama3-8B: hidden 4096 = 32 heads x 128, 8 KV heads (GQA group 4), causal prefill. "
    "seq_len is the prompt length (the model supports up to 8192).",
    paper={"q_heads": 32, "kv_heads": 8, "seq_len": 512, "head_dim": 128},
    small={"q_heads": 4, "kv_heads": 1, "seq_len": 256, "head_dim": 128},
    causal=True,
)

FLUX_ATTENTION = _attention(
    "flux-attention",
    "FLUX.1 joint self-attention: 24 heads, head dim 128, bidirectional",
    "FLUX.1 DiT: hidden 3072 = 24 heads x 128, full (non-causal) attention over text+image "
    "tokens; a 1024x1024 image gives 4096 image + 512 text tokens (seq_len=4608).",
    paper={"q_heads": 24, "kv_heads": 24, "seq_len": 512, "head_dim": 128},
    small={"q_heads": 4, "kv_heads": 4, "seq_len": 256, "head_dim": 128},
    causal=False,
)
