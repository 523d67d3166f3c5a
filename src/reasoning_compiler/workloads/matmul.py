"""Dense matrix multiply C = A @ B, the classic tuning benchmark."""

from .base import Workload


def build(m: int, n: int, k: int):
    from tvm import te  # TVM loads when a kernel is built: listing workloads stays fast

    a = te.placeholder((m, k), "float32", name="A")
    b = te.placeholder((k, n), "float32", name="B")
    r = te.reduce_axis((0, k), name="k")
    c = te.compute((m, n), lambda i, j: te.sum(a[i, r] * b[r, j], axis=r), name="C")
    return te.create_prim_func([a, b, c])


MATMUL = Workload(
    name="matmul",
    summary="C[m,n] = A[m,k] @ B[k,n], fp32",
    presets={"small": {"m": 512, "n": 512, "k": 512}, "large": {"m": 1024, "n": 1024, "k": 1024}},
    build=build,
    flops=lambda m, n, k: 2 * m * n * k,
    reference=lambda a, b, m, n, k: a @ b,
)
