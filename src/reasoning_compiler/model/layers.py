"""The built-in models' layers in PyTorch, and their factories ``(module, example_inputs)``.

Imported only when a built-in model is created (``blocks.ModelBlock.create``): torch is an
optional extra, and importing it takes seconds.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LlamaDecoderLayer(nn.Module):
    """Llama-3 decoder layer: RMSNorm, grouped-query causal attention, RMSNorm, SwiGLU MLP."""

    def __init__(self, hidden: int, heads: int, kv_heads: int, intermediate: int):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.attn_norm, self.mlp_norm = RMSNorm(hidden), RMSNorm(hidden)
        self.q = nn.Linear(hidden, hidden, bias=False)
        self.k = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.v = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.o = nn.Linear(hidden, hidden, bias=False)
        self.gate = nn.Linear(hidden, intermediate, bias=False)
        self.up = nn.Linear(hidden, intermediate, bias=False)
        self.down = nn.Linear(intermediate, hidden, bias=False)

    def forward(self, x):
        batch, seq, hidden = x.shape
        h = self.attn_norm(x)
        q = self.q(h).view(batch, seq, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(h).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        repeat = self.heads // self.kv_heads
        k, v = k.repeat_interleave(repeat, dim=1), v.repeat_interleave(repeat, dim=1)
        scores = q @ k.transpose(-1, -2) / self.head_dim**0.5
        # torch.finfo().min, not -inf: TVM's legalization rejects a full(-inf) (platform notes).
        causal = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
        scores = scores.masked_fill(causal, torch.finfo(x.dtype).min)
        attn = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, seq, hidden)
        x = x + self.o(attn)
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class MoEBlock(nn.Module):
    """DeepSeek-style mixture of experts: softmax router, top-k gates, SwiGLU experts.

    Every expert runs on every token and the gates zero the unchosen ones: a dense formulation
    that exports without data-dependent control flow (the tuned kernels are the experts')."""

    def __init__(self, hidden: int, intermediate: int, experts: int, top_k: int):
        super().__init__()
        self.top_k = top_k
        self.router = nn.Linear(hidden, experts, bias=False)
        self.gate = nn.Parameter(torch.randn(experts, hidden, intermediate) / hidden**0.5)
        self.up = nn.Parameter(torch.randn(experts, hidden, intermediate) / hidden**0.5)
        self.down = nn.Parameter(torch.randn(experts, intermediate, hidden) / intermediate**0.5)

    def forward(self, x):
        probs = self.router(x).softmax(-1)  # tokens x experts
        top, _ = probs.topk(self.top_k, dim=-1)
        gates = torch.where(probs >= top[:, -1:], probs, torch.zeros_like(probs))
        h = F.silu(torch.einsum("th,ehi->eti", x, self.gate)) * torch.einsum(
            "th,ehi->eti", x, self.up
        )
        out = torch.einsum("eti,eih->eth", h, self.down)
        return torch.einsum("te,eth->th", gates, out)


class FluxBlock(nn.Module):
    """A FLUX-style block: 3x3 convolution of the latent, then self-attention over its pixels
    with a residual MLP (the paper's FLUX attention and convolution in one module)."""

    def __init__(self, channels: int, size: int, heads: int):
        super().__init__()
        self.heads = heads
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm1, self.norm2 = nn.LayerNorm(channels), nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)
        self.mlp = nn.Sequential(
            nn.Linear(channels, 4 * channels), nn.GELU(), nn.Linear(4 * channels, channels)
        )

    def forward(self, x):
        batch, channels, height, width = x.shape
        x = F.silu(self.conv(x))
        tokens = x.flatten(2).transpose(1, 2)  # batch x pixels x channels
        q, k, v = self.qkv(self.norm1(tokens)).chunk(3, dim=-1)
        split = (batch, height * width, self.heads, channels // self.heads)
        q, k, v = (t.reshape(split).transpose(1, 2) for t in (q, k, v))
        attn = F.scaled_dot_product_attention(q, k, v)
        tokens = tokens + self.proj(attn.transpose(1, 2).reshape(batch, -1, channels))
        tokens = tokens + self.mlp(self.norm2(tokens))
        return tokens.transpose(1, 2).reshape(batch, channels, height, width)


def llama_decoder(hidden, heads, kv_heads, intermediate, seq):
    module = LlamaDecoderLayer(hidden, heads, kv_heads, intermediate)
    return module, (torch.randn(1, seq, hidden),)


def moe_block(hidden, intermediate, experts, top_k, tokens):
    return MoEBlock(hidden, intermediate, experts, top_k), (torch.randn(tokens, hidden),)


def flux_block(channels, size, heads):
    return FluxBlock(channels, size, heads), (torch.randn(1, channels, size, size),)
