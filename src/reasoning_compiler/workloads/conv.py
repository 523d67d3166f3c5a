"""FLUX VAE 3x3 convolution (stride 1, padding 1, with bias), NCHW."""

import numpy as np

from .base import Workload, weights


def build(batch: int, in_channels: int, out_channels: int, size: int):
    from tvm import te, tirx  # TVM loads when a kernel is built: listing workloads stays fast

    x = te.placeholder((batch, in_channels, size, size), "float32", name="X")
    w = te.placeholder((out_channels, in_channels, 3, 3), "float32", name="W")
    bias = te.placeholder((out_channels,), "float32", name="bias")
    padded = te.compute(
        (batch, in_channels, size + 2, size + 2),
        lambda n, c, y, xx: te.if_then_else(
            tirx.all(y >= 1, y <= size, xx >= 1, xx <= size), x[n, c, y - 1, xx - 1], 0.0
        ),
        name="pad",
    )
    rc = te.reduce_axis((0, in_channels), name="rc")
    ry = te.reduce_axis((0, 3), name="ry")
    rx = te.reduce_axis((0, 3), name="rx")
    conv = te.compute(
        (batch, out_channels, size, size),
        lambda n, k, y, xx: te.sum(
            padded[n, rc, y + ry, xx + rx] * w[k, rc, ry, rx], axis=[rc, ry, rx]
        ),
        name="conv",
        attrs=weights(w),
    )
    out = te.compute(conv.shape, lambda n, k, y, xx: conv[n, k, y, xx] + bias[k], name="out")
    return te.create_prim_func([x, w, bias, out])


def reference(x, w, bias, size, **_):
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    return np.einsum("ncyxab,kcab->nkyx", windows, w) + bias[None, :, None, None]


FLUX_CONV = Workload(
    name="flux-conv",
    summary="FLUX.1 VAE decoder 3x3 convolution with bias (512 channels in the paper preset)",
    notes="FLUX.1 VAE decoder mid/up blocks: 3x3 convs with 512 channels; size=128 is the "
    "1024x1024-image case (latent 128x128), size=64 a 512x512 image. The weight is packed "
    "once into the layout the tuned program reads, outside the timed call.",
    presets={
        "paper": {"batch": 1, "in_channels": 512, "out_channels": 512, "size": 64},
        "small": {"batch": 1, "in_channels": 128, "out_channels": 128, "size": 64},
    },
    build=build,
    flops=lambda batch, in_channels, out_channels, size: (
        2 * batch * out_channels * in_channels * size * size * 9 + batch * out_channels * size**2
    ),
    reference=reference,
)
