"""DeepSeek-R1 routed-expert FFN with SiLU gating (the MoE layer's compute after dispatch).

Tokens are already dispatched: X is [experts, tokens, hidden], one row block per active expert.
Each expert computes down( silu(X @ W_gate) * (X @ W_up) ). Routing (top-k gate) and the weighted
combine are cheap and outside the kernel.
"""

import numpy as np

from .base import KEEP, Workload, weights


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
        attrs=weights(w_gate),
    )
    k2 = te.reduce_axis((0, hidden), name="k2")
    up = te.compute(
        (experts, tokens, intermediate),
        lambda e, t, i: te.sum(x[e, t, k2] * w_up[e, k2, i], axis=k2),
        name="up",
        attrs=weights(w_up),
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
        attrs=weights(w_down),
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
    "experts = experts computed in this call, tokens = tokens routed to each. The weights are "
    "packed once into the layout the tuned program reads, outside the timed call.",
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


def build_fused(experts: int, tokens: int, hidden: int, intermediate: int):
    """The same experts with gate and up stacked in one weight, [experts, hidden, 2,
    intermediate], as serving stacks store them (vLLM's w13): one product of twice the width
    instead of two, and two reduction blocks instead of three (MetaSchedule's design spaces
    multiply by about 3 per reduction block)."""
    from tvm import te

    x = te.placeholder((experts, tokens, hidden), "float32", name="X")
    w_gate_up = te.placeholder((experts, hidden, 2, intermediate), "float32", name="W_gate_up")
    w_down = te.placeholder((experts, intermediate, hidden), "float32", name="W_down")
    k = te.reduce_axis((0, hidden), name="k")
    gate_up = te.compute(
        (experts, tokens, 2, intermediate),
        lambda e, t, s, i: te.sum(x[e, t, k] * w_gate_up[e, k, s, i], axis=k),
        name="gate_up",
        attrs=weights(w_gate_up),
    )
    # SiLU kept a block of its own that reads the gate half, the multiply by the up half in the
    # down product, as in the unfused kernel. A block computing silu(gate) * up would be the
    # product's one consumer, and MetaSchedule's tiling then fuses it into the product's tiles,
    # which fails on its constant index into the stacked axis (SolveBlockVarDomain).
    silu = te.compute(
        (experts, tokens, intermediate),
        lambda e, t, i: gate_up[e, t, 0, i] * te.sigmoid(gate_up[e, t, 0, i]),
        name="silu",
        attrs=KEEP,
    )
    r = te.reduce_axis((0, intermediate), name="r")
    out = te.compute(
        (experts, tokens, hidden),
        lambda e, t, h: te.sum(silu[e, t, r] * gate_up[e, t, 1, r] * w_down[e, r, h], axis=r),
        name="down",
        attrs=weights(w_down),
    )
    return te.create_prim_func([x, w_gate_up, w_down, out])


def reference_fused(x, w_gate_up, w_down, **_):
    return reference(x, w_gate_up[:, :, 0], w_gate_up[:, :, 1], w_down)


DEEPSEEK_R1_MOE_FUSED = Workload(
    name="deepseek-r1-moe-fused",
    summary="DeepSeek-R1 routed experts with gate and up stacked in one weight (one product)",
    notes="The same operator as deepseek-r1-moe (its FLOP count too), with W_gate and W_up "
    "stored as one [experts, hidden, 2, intermediate] weight, as serving stacks keep them "
    "(vLLM's w13): X is multiplied by both in one product. Weights packed as there.",
    presets=DEEPSEEK_R1_MOE.presets,
    build=build_fused,
    flops=DEEPSEEK_R1_MOE.flops,
    reference=reference_fused,
)
