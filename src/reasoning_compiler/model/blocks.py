"""Built-in model blocks: the paper's layers written in PyTorch, at ``small`` and ``paper`` sizes.

Each block names a factory in ``layers`` returning ``(module, example_inputs)``; ``tune-model``
exports it with ``torch.export`` like any user model. Weights are seeded, so every run sees the
same model. This registry imports no torch: listing the models stays fast without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelBlock:
    name: str
    summary: str
    presets: Mapping[str, Mapping[str, int]]
    factory: str  # a function in ``layers``

    def create(self, preset: str) -> tuple:
        """``(torch.nn.Module, example_inputs)`` at ``preset``, seeded."""
        import torch

        from . import layers

        torch.manual_seed(0)  # the same weights and inputs in every run
        module, inputs = getattr(layers, self.factory)(**self.presets[preset])
        return module.eval(), inputs


MODEL_BLOCKS: dict[str, ModelBlock] = {
    block.name: block
    for block in (
        ModelBlock(
            "llama3-8b-decoder",
            "Llama-3-8B decoder layer: RMSNorm, GQA causal attention, SwiGLU MLP",
            {
                "small": dict(hidden=256, heads=4, kv_heads=2, intermediate=688, seq=32),
                "paper": dict(hidden=4096, heads=32, kv_heads=8, intermediate=14336, seq=128),
            },
            "llama_decoder",
        ),
        ModelBlock(
            "deepseek-r1-moe-block",
            "DeepSeek-R1 MoE block: router, top-k gates, SwiGLU experts",
            {
                "small": dict(hidden=256, intermediate=128, experts=4, top_k=2, tokens=32),
                "paper": dict(hidden=7168, intermediate=2048, experts=8, top_k=2, tokens=32),
            },
            "moe_block",
        ),
        ModelBlock(
            "flux-block",
            "FLUX-style block: 3x3 convolution, then attention and MLP over the pixels",
            {
                "small": dict(channels=64, size=16, heads=4),
                "paper": dict(channels=512, size=64, heads=8),
            },
            "flux_block",
        ),
    )
}
