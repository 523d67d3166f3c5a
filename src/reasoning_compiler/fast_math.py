"""float32 ``exp`` on CPUs as a polynomial that vectorizes, the way PyTorch and oneDNN compute it.

LLVM lowers TVM's ``exp`` to libm's scalar ``expf``: one call per lane, even inside a vectorized
loop. At the FLUX attention's paper size the softmax's 6.3 million exps took 13.3 ms that way
and 2.0 ms as this polynomial (znver4, 2 cores), against about 32 ms for the whole tuned kernel.

The polynomial is TVM's own ``topi.fast_exp`` (Cephes' degree-5 one on [-ln2/2, ln2/2], scaled
by 2^n through the exponent bits), written for any lane count: ``topi.fast_exp`` is a tensor
operation, while this is TVM's intrinsic-lowering hook for llvm targets, which sees the
already-vectorized call. Relative error at most 3e-7 where the result is a normal float32;
results below 1.2e-38 (inputs under about -87.3) are 0, which softmax and sigmoid never miss.

TVM lowers ``sigmoid`` and ``tanh`` through ``exp``, so they use it too.

Importing this module installs the rule in the process (TVM's registry is process-wide), so
kernels, their untuned programs and whole models are all compiled with it: ``measure`` (whose
``fast_build`` the builder workers import) and the model build import it.
"""

from __future__ import annotations

from tvm import tirx

# Cephes' expf coefficients, as topi.fast_exp uses them (highest degree first).
_POLYNOMIAL = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2)
_POLYNOMIAL += (1.6666665459e-1, 5.0000001201e-1)
_LARGEST, _SMALLEST = 88.3762626647950, -88.3762626647949  # exp overflows / underflows beyond
_LOG2E, _LN2 = 1.44269504088896341, 0.6931471805599453


def exp_polynomial(x):
    """exp(x) for a float32 (or float32 vector) expression, in adds, multiplies and bit moves."""
    dtype = str(x.ty)
    ints = dtype.replace("float32", "int32")

    def const(value):
        return tirx.const(value, dtype)

    x_in_range = tirx.max(tirx.min(x, const(_LARGEST)), const(_SMALLEST))
    n = tirx.floor(x_in_range * const(_LOG2E) + const(0.5))  # exp(x) = 2^n exp(f)
    f = x_in_range - n * const(_LN2)
    p = const(_POLYNOMIAL[0])
    for coefficient in _POLYNOMIAL[1:]:
        p = p * f + const(coefficient)
    exp_f = p * f * f + f + const(1.0)
    two_to_n = tirx.reinterpret(dtype, tirx.Cast(ints, n + const(127.0)) << tirx.const(23, ints))
    return tirx.max(two_to_n * exp_f, x)  # as topi.fast_exp ends


# Builds in this process use the polynomial while True; `benchmarks/exp_polynomial.py` sets it
# False to build the same program with libm's exp beside it.
enabled = True


def _lower_exp(call):
    (x,) = call.args
    if enabled and str(call.ty).startswith("float32"):
        return exp_polynomial(x)
    return tirx.call_llvm_pure_intrin(str(call.ty), "llvm.exp", x)  # TVM's own rule


# Above TVM's own llvm rule (level 10).
tirx.op.register_intrin_lowering("tirx.exp", "llvm", f=_lower_exp, level=99)
