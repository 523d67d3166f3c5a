"""exp on CPUs is the vector polynomial of ``fast_math`` in every build: close to the exact
value where float32 can hold it, exact at the edges softmax and sigmoid meet (-inf, huge
negatives, overflow), and no libm call left in a vectorized loop."""

import numpy as np
import pytest
import tvm
from tvm import te

from reasoning_compiler import fast_math
from reasoning_compiler.measure import fast_build
from reasoning_compiler.target import host_target

LANES = 16


def built(op, dtype: str = "float32", polynomial: bool = True):
    """``op`` over a vectorized loop of LANES elements, built as every sample is."""
    a = te.placeholder((LANES,), dtype, name="A")
    b = te.compute(a.shape, lambda i: op(a[i]), name="B")
    sch = tvm.s_tir.Schedule(te.create_prim_func([a, b]))
    sch.vectorize(sch.get_loops(sch.get_sblock("B"))[0])
    fast_math.enabled = polynomial
    try:
        return fast_build(sch.mod, host_target())
    finally:
        fast_math.enabled = True


def run(module, values, dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    x = np.resize(np.array(values, dtype), LANES)
    y = tvm.runtime.tensor(np.zeros_like(x))
    module["main"](tvm.runtime.tensor(x), y)
    return x, y.numpy()


def test_exp_is_within_3e_7_of_the_exact_value_where_float32_holds_it():
    x = np.linspace(-87, 88, 4 * LANES, dtype="float32")
    module = built(te.exp)
    for chunk in x.reshape(-1, LANES):
        _, y = run(module, chunk)
        exact = np.exp(chunk.astype(np.float64))
        assert np.max(np.abs(y / exact - 1)) < 3e-7


def test_exp_at_the_edges():
    values = [0.0, -88.5, -1e30, -3.4e38, -np.inf, 89.0, np.inf, np.nan]
    _, y = run(built(te.exp), values)
    assert y[0] == 1.0
    assert np.all(y[1:5] == 0.0), "results below float32's normal range flush to zero"
    assert np.all(np.isposinf(y[5:7])), "overflow is inf, as libm's"
    assert np.isnan(y[7])


def test_sigmoid_stays_exact_at_its_tails():
    x, y = run(built(te.sigmoid), [-100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 3.0])
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    assert np.max(np.abs(y - exact)) < 1e-7
    assert y[0] == 0.0 and y[6] == 1.0


def test_float64_keeps_llvms_exact_exp():
    x, y = run(built(te.exp, "float64"), [0.0, 1.0, -1.0, 700.0], "float64")
    np.testing.assert_allclose(y, np.exp(x), rtol=1e-15)


@pytest.mark.parametrize("op", [te.exp, te.sigmoid, te.tanh])
@pytest.mark.parametrize("polynomial", [True, False])
def test_no_libm_exp_is_left_in_the_vector_loop(op, polynomial):
    source = built(op, polynomial=polynomial).inspect_source("ll")
    assert ("expf" in source or "llvm.exp" in source) != polynomial
