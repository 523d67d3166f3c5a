"""The LLM as the MCTS proposer (paper section 3.1): prompt, ask, parse, account, record.

An LLM call costs seconds where a random proposal costs microseconds, and a round of MCTS makes
16 expansions per sample it hands out. So the LLM answers one expansion in ``every`` (default:
one per sample measured) until ``budget`` calls are spent (counting earlier sessions of the run);
the random proposer makes the others, and all of them after Ctrl-C.

Every exchange goes to ``llm_transcript.jsonl`` in the work dir: the prompt, the raw answer, the
parsed sequence, tokens and seconds. The same file is the cache that ``--llm replay:DIR`` reads.
Faults never stop a run: the proposal becomes a random one, the first fault of each kind is
shown once, and after ``MAX_CONSECUTIVE_ERRORS`` failed calls in a row (or one the backend calls
permanent, such as a local model whose worker keeps dying) the LLM is not asked again in this run
(an endpoint that is down would otherwise cost its timeout on every expansion).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..search import language
from ..search.proposers import NodeContext, Proposal, random_sequence
from .backends import (
    LLM,
    TRANSCRIPT_NAME,
    Completion,
    LLMError,
    Request,
    read_transcript,
    redact,
    request_key,
)
from .parse import ANSWER_PREFIX, parse_answer
from .prompt import MAX_SEQUENCE, Prompt, build_prompt

MAX_CONSECUTIVE_ERRORS = 3
PROMPT_MARGIN = 32  # tokens for the chat template around the two messages


@dataclass
class LLMStats:
    """The ``llm`` object of ``result.json``."""

    backend: str
    model: str
    calls: int = 0  # requests answered by the LLM, its cache or its replay, or failed
    valid_proposals: int = 0  # answers naming at least one valid transformation
    sequences: int = 0  # proposals in those answers (a call may give several)
    set_steps: int = 0  # parameterized steps among them (a decision set to a value)
    illegal_steps: int = 0  # items dropped: unknown names, illegal values, wrong targets
    fallbacks: int = 0  # calls that gave nothing valid: a random transformation was used
    errors: dict[str, int] = field(default_factory=dict)  # reason -> count
    cache_hits: int = 0  # answered from this work dir's transcript (e.g. after --resume)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0  # waiting for answers
    first_call_seconds: float | None = None
    random_proposals: int = 0  # expansions left to the random proposer (pacing and budget)
    budget: int | None = None
    every: int = 1
    language: str = "parameterized"  # or "names": transformation names only, as in the paper
    proposals_per_call: int = 1
    rationale_tokens: int = 0
    disabled: str | None = None  # why the LLM stopped being asked, if it did
    cpu_backend: str | None = None  # a local model: llama.cpp's build for this CPU (haswell...)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["mean_seconds_per_call"] = (
            round(self.seconds / self.answered, 3) if self.answered else None
        )
        return data

    @property
    def answered(self) -> int:
        """Calls that went to the model (not to the cache)."""
        return self.calls - self.cache_hits


def build_proposer(llm, settings, params: dict, *, problem, work_dir, warn, stopping):
    """The proposer of one program for a run of ``llm-mcts``: ``llm`` (opened), its
    ``settings`` (``LLMSettings``), the strategy's ``params``; calls go to the work dir's
    transcript."""
    language = params["llm_language"]
    return LLMProposer(
        llm,
        problem=problem,
        transcript=Transcript(work_dir),
        every=params["llm_every"],
        budget=params["llm_budget"],
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        parameterized=language != "names",
        values_only=language == "values",
        proposals=params["llm_proposals"],
        rationale_tokens=params["llm_rationale"],
        warn=warn,
        stopping=stopping,
    )


def combined_summary(proposers: list) -> dict | None:
    """The ``llm`` object of a run with one proposer per task (a model's run): counts and
    seconds summed, settings and identity from the first. None without an LLM."""
    proposers = [p for p in proposers if p is not None]
    if not proposers:
        return None
    if len(proposers) == 1:
        return proposers[0].summary()
    total = LLMStats(proposers[0].stats.backend, proposers[0].stats.model)
    for proposer in proposers:
        stats = proposer.stats
        for name in (
            "calls", "valid_proposals", "sequences", "set_steps", "illegal_steps", "fallbacks",
            "cache_hits", "prompt_tokens", "completion_tokens", "seconds", "random_proposals",
        ):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        for reason, count in stats.errors.items():
            total.errors[reason] = total.errors.get(reason, 0) + count
        if total.first_call_seconds is None:
            total.first_call_seconds = stats.first_call_seconds
        total.disabled = total.disabled or stats.disabled
    first = proposers[0].stats
    for name in (
        "budget", "every", "language", "proposals_per_call", "rationale_tokens", "cpu_backend"
    ):  # fmt: skip
        setattr(total, name, getattr(first, name))
    return total.as_dict() | {"proposers": len(proposers)}


class Transcript:
    """``llm_transcript.jsonl``: appended to as calls happen; earlier sessions' answers cache."""

    def __init__(self, work_dir: str | Path):
        self.path = Path(work_dir) / TRANSCRIPT_NAME
        earlier = read_transcript(self.path) if self.path.exists() else []
        self.cache = {e["key"]: e for e in earlier if "answer" in e}  # failed calls have none
        self.calls = len(earlier)

    def append(self, entry: dict) -> None:
        self.calls += 1
        with self.path.open("a") as file:
            file.write(json.dumps({"call": self.calls, **entry}) + "\n")


class LLMProposer:
    """Implements ``search.proposers.Proposer`` with an LLM."""

    name = "llm"

    def __init__(
        self,
        llm: LLM,
        problem: str,
        transcript: Transcript,
        *,
        every: int = 16,
        budget: int | None = None,
        temperature: float = 0.7,
        max_tokens: int | None = None,
        parameterized: bool = True,
        values_only: bool = False,
        proposals: int = 1,
        rationale_tokens: int = 0,
        warn: Callable[[str], None] = print,
        stopping: Callable[[], bool] = lambda: False,
    ):
        if every < 1 or (budget is not None and budget < 0) or proposals < 1:
            raise ValueError("need every >= 1, budget >= 0 and proposals >= 1")
        self.llm, self.problem, self.transcript = llm, problem, transcript
        self.every, self.budget = every, budget
        self.temperature = temperature
        self.parameterized, self.proposals = parameterized, proposals
        self.values_only = parameterized and values_only
        self.rationale_tokens = rationale_tokens
        answer_tokens = llm.answer_tokens(proposals, parameterized)
        self.max_tokens = max_tokens or answer_tokens + rationale_tokens
        self.warn, self.stopping = warn, stopping
        self._earlier_calls = transcript.calls  # on --resume, the budget counts them too
        self.stats = LLMStats(
            llm.backend,
            llm.model,
            budget=budget,
            every=every,
            language=("values" if values_only else "parameterized") if parameterized else "names",
            proposals_per_call=proposals,
            rationale_tokens=rationale_tokens,
            cpu_backend=getattr(llm, "worker_info", {}).get("cpu_backend"),
        )
        self._proposals = 0
        self._consecutive_errors = 0
        self._warned: set[str] = set()
        self._system_tokens: dict[str, int] = {}

    def summary(self) -> dict:
        """The ``llm`` object of ``result.json``."""
        data = self.stats.as_dict()
        if hasattr(self.llm, "misses"):  # replay: requests that were not recorded as such
            data["replay_misses"] = self.llm.misses
        return data

    def propose(self, context: NodeContext, rng: random.Random) -> list[str] | Proposal:
        self._proposals += 1
        if not self._llm_turn(context.guided):
            self.stats.random_proposals += 1
            return random_sequence(context.transformations, 1, rng)
        try:  # a local model counts the prompt's tokens, so its faults can happen here too
            prompt = self.prompt(context)
        except LLMError as error:
            self.stats.calls += 1
            backend, model = self.llm.identity()
            entry = {"key": None, "backend": backend, "model": model, "request": None}
            return self._failed(error, entry | {"cached": False})
        points = list(prompt.points) if self.parameterized else None
        request = Request(
            system=prompt.system,
            user=prompt.user,
            choices=tuple(sorted(context.transformations)),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=rng.randint(0, 2**31 - 1),
            grammar=language.grammar(
                context.transformations,
                points or (),
                answer_prefix=ANSWER_PREFIX,
                proposals=self.proposals,
                max_steps=MAX_SEQUENCE,
                rationale_chars=4 * self.rationale_tokens,  # about 4 characters a token
                bare_names=not self.values_only,
            ),
        )
        return self._ask(request, points)

    def prompt(self, context: NodeContext) -> Prompt:
        """The prompt this backend gets for ``context``: as detailed as its budget allows."""
        return build_prompt(
            context,
            self.problem,
            fits=self._fits,
            parameterized=self.parameterized,
            values_only=self.values_only,
            proposals=self.proposals,
        )

    def _llm_turn(self, guided: bool = False) -> bool:
        if self.stats.disabled is not None or self.stopping():  # Ctrl-C: no new calls
            return False
        if self.budget is not None and self._earlier_calls + self.stats.calls >= self.budget:
            return False
        return guided or (self._proposals - 1) % self.every == 0

    def _fits(self, prompt: Prompt) -> bool:
        """Measured, not guessed: the backend's tokenizer counts the prompt. The whole must fit
        the context window; the user message, evaluated afresh every call (the system message
        is reused), must also fit the backend's limit for speed."""
        if prompt.system not in self._system_tokens:
            self._system_tokens[prompt.system] = self.llm.count_tokens(prompt.system)
        user = self.llm.count_tokens(prompt.user)
        limit = self.llm.context_window - PROMPT_MARGIN - self.max_tokens
        speed_limit = self.llm.max_prompt_tokens
        return self._system_tokens[prompt.system] + user <= limit and (
            speed_limit is None or user <= speed_limit
        )

    def _ask(self, request: Request, points=None) -> list[str] | Proposal:
        stats = self.stats
        stats.calls += 1
        backend, model = self.llm.identity()
        key = request_key((backend, model), request)
        cached = self.transcript.cache.get(key)
        completion, error = None, None
        if cached is not None:
            stats.cache_hits += 1
            completion = Completion(cached["answer"], 0, 0, 0.0)
        else:
            start = time.perf_counter()
            try:
                completion = self.llm.complete(request)
            except LLMError as err:
                error = err
            seconds = time.perf_counter() - start
            stats.seconds += seconds
            if stats.first_call_seconds is None:
                stats.first_call_seconds = round(seconds, 3)
        entry = {
            "key": key,
            "backend": backend,
            "model": model,
            "request": request.as_dict(),
            "cached": cached is not None,
        }
        if error is not None:
            return self._failed(error, entry)
        self._consecutive_errors = 0
        stats.prompt_tokens += completion.prompt_tokens
        stats.completion_tokens += completion.completion_tokens
        parsed = parse_answer(
            completion.text, request.choices, MAX_SEQUENCE, points, max_proposals=self.proposals
        )
        stats.illegal_steps += len(parsed.invalid)
        if parsed.names:
            stats.valid_proposals += 1
            stats.sequences += len(parsed.proposals)
            stats.set_steps += sum("(" in step for seq in parsed.proposals for step in seq)
        else:
            stats.fallbacks += 1
            self._warn_once(
                "garbage", f"an answer named no valid transformation: {completion.text[:80]!r}"
            )
        self.transcript.append(
            entry
            | {
                "answer": completion.text,
                "parsed": parsed.proposals,
                "invalid": parsed.invalid,
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "seconds": round(completion.seconds, 3),
            }
        )
        return Proposal(parsed.proposals) if parsed.proposals else []

    def _failed(self, error: LLMError, entry: dict) -> list[str]:
        stats = self.stats
        stats.fallbacks += 1
        stats.errors[error.reason] = stats.errors.get(error.reason, 0) + 1
        self._consecutive_errors += 1
        self._warn_once(error.reason, f"{error.reason} ({error.detail[:160]})")
        self.transcript.append(entry | {"error": error.reason, "detail": error.detail[:500]})
        if error.permanent:
            stats.disabled = f"{error.reason} ({error.detail[:160]})"
        elif self._consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
            stats.disabled = f"{self._consecutive_errors} failed calls in a row ({error.reason})"
        if stats.disabled:
            self.warn(f"not asking the LLM again in this run: {stats.disabled}")
        return []  # nothing valid: MCTS falls back to one random transformation

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            self.warn(redact(f"{message}; using a random transformation (warned once)"))
