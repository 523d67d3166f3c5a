"""The LLM side of LLM-guided MCTS: backends, prompts, answer parsing and the proposer.

``LLMSettings`` says which model to ask; ``open_llm`` opens it (and fails with a clear
``UserError`` before any tuning if it cannot); ``LLMProposer`` expands tree nodes with it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..errors import UserError
from .backends import LLM, TRANSCRIPT_NAME, LLMError, OpenAILLM, ReplayLLM, redact
from .local import LocalLLM
from .models import DEFAULT_LOCAL_MODEL, model_file, model_path
from .parse import parse_answer
from .prompt import build_prompt
from .proposer import LLMProposer, LLMStats, Transcript, build_proposer, combined_summary

BACKENDS = ("local", "local:NAME", "openai", "replay:DIR")


@dataclass(frozen=True)
class LLMSettings:
    """Which LLM to ask, and how. ``backend``: ``local`` (the default local model, offline),
    ``local:NAME`` (a model of ``models.MODELS``),
    ``openai`` (any OpenAI-compatible endpoint; key from ``OPENAI_API_KEY``) or ``replay:DIR``
    (answers recorded in DIR's transcript). ``model``: a GGUF path for ``local``, a model name
    for ``openai``. ``timeout_s`` bounds each call (a local model past it is restarted);
    ``retries`` applies to ``openai``."""

    backend: str = "local"
    model: str | None = None
    base_url: str | None = None
    timeout_s: float = 60.0
    retries: int = 2
    temperature: float = 0.7
    max_tokens: int | None = None  # None: the backend's default (48 local, 600 openai)

    def __post_init__(self):
        kind = self.backend.split(":", 1)[0]
        named = kind == "local" and ":" in self.backend
        if kind not in ("local", "openai", "replay") or (
            not named and (kind == "replay") != (":" in self.backend)
        ):
            raise UserError(f"--llm must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if named:
            model_file(self.backend.split(":", 1)[1])  # a known name, or a clear error
            if self.model:
                raise UserError("give --llm local:NAME or --llm-model PATH.gguf, not both")
        if self.backend.startswith("replay:") and not self.backend[7:]:
            raise UserError("--llm replay:DIR needs the work dir of the run to replay")
        if self.base_url and kind != "openai":
            raise UserError("--llm-base-url applies to --llm openai only")
        if self.timeout_s <= 0 or self.retries < 0 or not 0 <= self.temperature <= 2:
            raise UserError(
                "need --llm-timeout > 0, --llm-retries >= 0 and 0 <= --llm-temperature <= 2"
            )
        if self.max_tokens is not None and self.max_tokens < 16:
            raise UserError("--llm-max-tokens must be at least 16")

    def as_dict(self) -> dict:
        """For run.json and result.json: no key (keys come from the environment only), and no
        password in a base URL."""
        data = asdict(self)
        if self.base_url:
            data["base_url"] = without_password(self.base_url)
        return data


def without_password(url: str) -> str:
    """``url`` with any user:password@ part replaced, for files and logs."""
    return re.sub(r"//[^/@]*@", "//[redacted]@", url)


def open_llm(settings: LLMSettings) -> LLM:
    """The backend ``settings`` describe, ready to answer (the local model is loaded)."""
    if settings.backend.startswith("local"):
        name = settings.backend.split(":", 1)[1] if ":" in settings.backend else None
        path = settings.model or model_path(name or DEFAULT_LOCAL_MODEL)
        return LocalLLM(path, timeout_s=settings.timeout_s)
    if settings.backend == "openai":
        return OpenAILLM(
            model=settings.model or "gpt-4o-mini",
            base_url=settings.base_url,
            timeout_s=settings.timeout_s,
            retries=settings.retries,
        )
    return ReplayLLM(settings.backend.split(":", 1)[1])


__all__ = [
    "LLM",
    "LLMError",
    "LLMProposer",
    "LLMSettings",
    "LLMStats",
    "LocalLLM",
    "OpenAILLM",
    "ReplayLLM",
    "TRANSCRIPT_NAME",
    "Transcript",
    "build_prompt",
    "build_proposer",
    "combined_summary",
    "open_llm",
    "parse_answer",
    "redact",
]
