"""Model files for tests/test_model.py: each factory returns (module, example_inputs)."""

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 16)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x))) + 1.0


def tiny():
    return Tiny(), (torch.randn(8, 64),)


class Spectrum(nn.Module):
    def forward(self, x):
        return torch.fft.rfft(x).abs()


def unsupported_op():
    return Spectrum(), (torch.randn(4, 16),)


class DataDependent(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # Python control flow on a value: torch.export cannot trace it
            return x * 2
        return x


def data_dependent():
    return DataDependent(), (torch.randn(4, 4),)


def not_a_model():
    return 42


class Routed(nn.Module):
    """A product, then top-k: lowered, top-k is a function without blocks (an extern call)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 16)

    def forward(self, x):
        y = self.fc(x)
        return y + torch.topk(y, 2, dim=-1).values.sum(-1, keepdim=True)


def routed():
    return Routed(), (torch.randn(8, 64),)


class Attention(nn.Module):
    """Self-attention through scaled_dot_product_attention, two sequences at once."""

    def __init__(self, dim=32, heads=2, causal=False):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        batch, seq, dim = x.shape
        split = (batch, seq, self.heads, dim // self.heads)
        q, k, v = (t.reshape(split).transpose(1, 2) for t in self.qkv(x).chunk(3, dim=-1))
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.out(attn.transpose(1, 2).reshape(batch, seq, dim))


def attention():
    return Attention(), (torch.randn(2, 48, 32),)


def causal_attention():
    return Attention(causal=True), (torch.randn(2, 48, 32),)
