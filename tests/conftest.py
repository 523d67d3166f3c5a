import os

import pytest

# Tests never read or write the user's tuning cache (a run would be built from an earlier test's
# samples). Set at import, not in a fixture, so module-scoped fixtures that tune see it too.
# Tests of the cache pass their own directory.
os.environ["REASONING_COMPILER_TUNING_CACHE"] = "off"

# Shapes small enough that a handful of samples tunes in seconds, same structure as the presets.
TINY_SHAPES = {
    "matmul": {"m": 128, "n": 128, "k": 128},
    "llama3-8b-attention": {"q_heads": 2, "kv_heads": 1, "seq_len": 64, "head_dim": 32},
    "deepseek-r1-moe": {"experts": 2, "tokens": 8, "hidden": 128, "intermediate": 64},
    "deepseek-r1-moe-fused": {"experts": 2, "tokens": 8, "hidden": 128, "intermediate": 64},
    "flux-attention": {"q_heads": 2, "kv_heads": 2, "seq_len": 64, "head_dim": 32},
    "flux-attention-fused": {
        "q_heads": 2,
        "kv_heads": 2,
        "seq_len": 64,
        "head_dim": 32,
        "block": 16,
    },
    "flux-conv": {"batch": 1, "in_channels": 16, "out_channels": 16, "size": 16},
    "llama3-8b-attention-block-causal": {
        "q_heads": 2,
        "kv_heads": 1,
        "seq_len": 64,
        "head_dim": 32,
        "block": 16,
    },
}


@pytest.fixture
def tiny_shapes():
    return TINY_SHAPES


def sampled_programs(mod, count: int, space=None) -> list:
    """``count`` programs of ``mod`` sampled as the tree search samples them (postprocessors
    applied), from our design space or ``space`` (a space generator or its name)."""
    import random

    from tvm.s_tir import meta_schedule as ms

    from reasoning_compiler.schedule_rules import design_space
    from reasoning_compiler.search.schedule_space import ScheduleSpace
    from reasoning_compiler.target import host_target

    target = host_target()
    context = ms.TuneContext(
        mod=mod, target=target, space_generator=space or design_space(target), task_name="t"
    )
    schedules = ScheduleSpace(context, context.generate_design_space(), ms.cost_model.RandomModel())
    return schedules.sample(count, random.Random(0))
