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
