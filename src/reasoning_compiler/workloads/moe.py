"""DeepSeek-R1 routed-expert FFN with SiLU gating (the MoE layer's compute after dispatch).

Tokens are already dispatched: X is [experts, tokens, hidden], one row block per active expert.
Each expert computes down( silu(X @ W_gate) * (X @ W_up) ). Routing (top-k gate) and the weighted
combine are cheap and outside the kernel.
"""

import numpy as np

from .base import KEEP, Workload


def build(experts: int, tokens: int, hidden: int, intermediate: int):
    from tvm import te  # TVM loads when a kernel is built: listing workloads stays fast

    x = te.placeholder((experts, tokens, hidden), "float32", name="X")
    w_gate = te.placeholder((experts, hidden, intermediate), "float32", name="W_gate")
    w_up = te.placeholder((experts, hidden, intermediate), "float32", name="W_up")
    w_down = te.placeholder((experts, intermediate, hidden), "float32", name="W_down")
    k1 = te.reduce_axis((0, hidden), name="k1")
    gate = te.compute(
        (experts, tokens, intermediate),
        lambda e, t, i: te.sum(x[e, t, k1] * w_gate[e, k1, i], axis=k1),
        name="gate",
    )
    k2 = te.reduce_axis((0, hidden), name="k2")
    up = te.compute(
        (experts, tokens, intermediate),
        lambda e, t, i: te.sum(x[e, t, k2] * w_up[e, k2, i], axis=k2),
        name="up",
    )
    # SiLU kept a block of its own that reads the gate product only: inlined into the down
    # product (MetaSchedule's AutoInline), the sigmoid was recomputed for every output column,
    # hundreds of times per element; a block reading both products cannot be fused into
    # either's tiles (MetaSchedule's design-space generation fails). The multiply by `up` is
    # one multiply in the down product.
    silu = te.compute(
        gate.shape,
        lambda e, t, i: gate[e, t, i] * te.sigmoid(gate[e, t, i]),
        name="silu",
        attrs=KEEP,
    )
    r = te.reduce_axis((0, intermediate), name="r")
    out = te.compute(
        (experts, tokens, hidden),
        lambda e, t, h: te.sum(silu[e, t, r] * up[e, t, r] * w_down[e, r, h], axis=r),
        name="down",
    )
    return te.create_prim_func([x, w_gate, w_up, w_down, out])


def reference(x, w_gate, w_up, w_down, **_):
    x = x.astype(np.float64)
    gate = x @ w_gate
    act = gate / (1.0 + np.exp(-gate)) * (x @ w_up)
    return act @ w_down


DEEPSEEK_R1_MOE = Workload(
    name="deepseek-r1-moe",
    summary="DeepSeek-R1 routed experts: SiLU-gated FFN, hidden 7168, expert intermediate 2048",
    notes="DeepSeek-R1: hidden 7168, 256 routed experts of intermediate 2048, 8 active per token. "
    "experts = experts computed in this call, tokens = tokens routed to each.",
    presets={
        "paper": {"experts": 2, "tokens": 32, "hidden": 7168, "intermediate": 2048},
        "small": {"experts": 4, "tokens": 32, "hidden": 1024, "intermediate": 512},
    },
    build=build,
    flops=lambda experts, tokens, hidden, intermediate: (
        6 * experts * tokens * hidden * intermediate + 4 * experts * tokens * intermediate
    ),
    reference=reference,
)
