"""Every workload compiles with TVM and matches its NumPy reference; shapes are validated."""

import numpy as np
import pytest
import tvm

from conftest import TINY_SHAPES
from reasoning_compiler import UserError, load_kernel
from reasoning_compiler.measure import max_relative_error, run_once
from reasoning_compiler.target import host_target
from reasoning_compiler.workloads import WORKLOADS, parse_shape


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_untuned_kernel_matches_reference(name):
    kernel = load_kernel(name, "small", TINY_SHAPES[name])
    inputs = kernel.random_inputs(seed=3)
    actual = run_once(kernel.mod, host_target(), inputs)
    expected = kernel.reference(*inputs)
    assert actual.shape == expected.shape
    assert max_relative_error(actual, expected) < 1e-4


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_presets_have_documented_flops(name):
    for preset in WORKLOADS[name].presets:
        kernel = load_kernel(name, preset)
        assert kernel.flops > 0
        assert isinstance(kernel.func, tvm.tirx.PrimFunc)


def test_paper_presets_use_the_real_layer_dimensions():
    llama = load_kernel("llama3-8b-attention", "paper").shape
    assert (llama["q_heads"], llama["kv_heads"], llama["head_dim"]) == (32, 8, 128)
    moe = load_kernel("deepseek-r1-moe", "paper").shape
    assert (moe["hidden"], moe["intermediate"]) == (7168, 2048)
    flux = load_kernel("flux-attention", "paper").shape
    assert (flux["q_heads"], flux["head_dim"]) == (24, 128)
    conv = load_kernel("flux-conv", "paper").shape
    assert conv["in_channels"] == conv["out_channels"] == 512


def test_causal_mask_changes_llama_but_not_flux():
    # Same shapes, different masking: Llama is causal, FLUX bidirectional.
    shape = {"q_heads": 1, "kv_heads": 1, "seq_len": 8, "head_dim": 4}
    llama = load_kernel("llama3-8b-attention", shape=shape)
    flux = load_kernel("flux-attention", shape=shape)
    inputs = llama.random_inputs(seed=0)
    causal, full = llama.reference(*inputs), flux.reference(*inputs)
    np.testing.assert_allclose(causal[:, -1], full[:, -1], rtol=1e-12)  # last row sees all
    assert not np.allclose(causal[:, 0], full[:, 0])


@pytest.mark.parametrize(
    "shape",
    [
        {"q_heads": 4, "kv_heads": 2, "seq_len": 96, "head_dim": 8, "block": 16},  # 3 pairs
        {"q_heads": 1, "kv_heads": 1, "seq_len": 32, "head_dim": 8, "block": 16},  # 1 pair
    ],
)
def test_block_causal_attention_is_the_causal_operator(shape):
    blocked = load_kernel("llama3-8b-attention-block-causal", shape=shape)
    dense = load_kernel(
        "llama3-8b-attention", shape={k: v for k, v in shape.items() if k != "block"}
    )
    inputs = blocked.random_inputs(seed=1)
    expected = dense.reference(*inputs)
    assert max_relative_error(run_once(blocked.mod, host_target(), inputs), expected) < 1e-4
    assert max_relative_error(run_once(dense.mod, host_target(), inputs), expected) < 1e-4


def test_block_causal_attention_skips_the_masked_half():
    # What TVM counts in the two programs: the folded pairs compute the blocks on and below
    # the diagonal (0.5625 of the scores at seq_len 512, block 64), the dense kernel all.
    from tvm.s_tir.analysis import estimate_tir_flops

    shape = {"q_heads": 1, "kv_heads": 1, "seq_len": 512, "head_dim": 128}
    dense = load_kernel("llama3-8b-attention", shape=shape)
    blocked = load_kernel("llama3-8b-attention-block-causal", shape={**shape, "block": 64})
    ratio = estimate_tir_flops(blocked.mod) / estimate_tir_flops(dense.mod)
    assert 0.55 < ratio < 0.62
    assert blocked.flops == dense.flops  # the same operator, so GFLOP/s compare as 1 / time
    with pytest.raises(UserError, match="multiple of 2 x block"):
        load_kernel("llama3-8b-attention-block-causal", shape={**shape, "seq_len": 448})


@pytest.mark.parametrize("kv_heads", [4, 2])  # FLUX's own heads, and grouped queries
def test_fused_attention_is_the_attention_operator(kv_heads):
    shape = {"q_heads": 4, "kv_heads": kv_heads, "seq_len": 96, "head_dim": 16}
    fused = load_kernel("flux-attention-fused", shape={**shape, "block": 32})
    dense = load_kernel("flux-attention", shape=shape)
    inputs = fused.random_inputs(seed=1)
    expected = dense.reference(*inputs)
    assert max_relative_error(run_once(fused.mod, host_target(), inputs), expected) < 1e-4
    assert fused.flops == dense.flops  # the same operator, so GFLOP/s compare as 1 / time
    with pytest.raises(UserError, match="multiple of block"):
        load_kernel("flux-attention-fused", shape={**shape, "block": 64})


def test_shape_overrides_apply():
    kernel = load_kernel("llama3-8b-attention", "paper", "seq_len=1024")
    assert kernel.shape["seq_len"] == 1024
    assert kernel.flops == load_kernel("llama3-8b-attention", "paper").flops * 4


@pytest.mark.parametrize(
    "text, message",
    [
        ("seq_len", "expected NAME=INT"),
        ("seq_len=abc", "not an integer"),
        ("seq_len=-4", "must be positive"),
        ("seq_len=4,,", "expected NAME=INT"),
    ],
)
def test_malformed_shapes_are_rejected(text, message):
    with pytest.raises(UserError, match=message):
        parse_shape(text)


def test_bad_workload_preset_and_parameters():
    with pytest.raises(UserError, match="unknown workload 'resnet'"):
        load_kernel("resnet")
    with pytest.raises(UserError, match="no preset 'huge'"):
        load_kernel("flux-conv", "huge")
    with pytest.raises(UserError, match="no shape parameter 'heads'"):
        load_kernel("flux-attention", shape={"heads": 3})
    with pytest.raises(UserError, match="multiple of kv_heads"):
        load_kernel("llama3-8b-attention", shape={"q_heads": 6, "kv_heads": 4})


USER_FILE = """
from tvm import te


def scaled_add(n=64):
    a = te.placeholder((n,), "float32", name="a")
    b = te.placeholder((n,), "float32", name="b")
    c = te.compute((n,), lambda i: a[i] * 2.0 + b[i], name="c")
    return [a, b, c]


def scaled_add_reference(a, b, n):
    return a * 2.0 + b


def not_a_kernel():
    return 42
"""


def test_user_workload_file(tmp_path):
    path = tmp_path / "kernels.py"
    path.write_text(USER_FILE)
    kernel = load_kernel(f"{path}:scaled_add", shape="n=32")
    assert kernel.shape == {"n": 32}
    assert kernel.flops > 0
    inputs = kernel.random_inputs()
    np.testing.assert_allclose(
        run_once(kernel.mod, host_target(), inputs), kernel.reference(*inputs)
    )

    with pytest.raises(UserError, match="does not define a function named 'missing'"):
        load_kernel(f"{path}:missing")
    with pytest.raises(UserError, match="must return a PrimFunc"):
        load_kernel(f"{path}:not_a_kernel")
    with pytest.raises(UserError, match="takes no parameter 'm'"):
        load_kernel(f"{path}:scaled_add", shape="m=3")
    with pytest.raises(UserError, match="does not exist"):
        load_kernel(f"{tmp_path}/nope.py:scaled_add")
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_real_module\n")
    with pytest.raises(UserError, match="importing .* failed: ModuleNotFoundError"):
        load_kernel(f"{broken}:f")
