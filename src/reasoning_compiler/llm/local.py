"""The local backend: a GGUF model run by llama.cpp in a worker process of its own.

The worker (``local_worker.py``) loads the model once per run and keeps it, so the prompt prefix
is reused between calls. Whatever happens to it (a segfault in native code, a hang past the
timeout, the kernel's OOM killer) is an ``LLMError`` here: the proposer falls back to a random
proposal, and the next call starts a fresh worker. After ``MAX_CRASHES`` in one run the model is
given up, and the proposer stops asking it.
"""

from __future__ import annotations

import atexit
import importlib.util
import signal
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from ..errors import UserError
from . import local_worker, models
from .backends import Completion, LLMError, Request
from .models import DEFAULT_LOCAL_MODEL

MAX_CRASHES = 3  # worker deaths (crash, hang, out of memory) in a run before it gives up
LOAD_TIMEOUT_S = 300.0  # a 1 GB model loads in about 3 s on an idle machine


class WorkerDied(Exception):
    """The worker process ended or was ended; ``reason`` is an ``LLMError`` reason."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class Worker:
    """One worker process with its model loaded, and the connection to it."""

    def __init__(self, path: Path, context_window: int, threads: int):
        parent_end, child_end = socket.socketpair()
        # llama.cpp's own messages, for error reports; closed with the worker.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, local_worker.__file__, str(child_end.fileno()), str(path)]
            + [str(context_window), str(threads)],
            pass_fds=(child_end.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=self.stderr,
            stderr=self.stderr,
            start_new_session=True,  # Ctrl-C in the terminal is the tuning run's, not the model's
        )
        child_end.close()
        self.conn = Connection(parent_end.detach())
        self.in_call: str | None = None  # the kind of request being answered, if any
        try:
            self.info = self._receive(LOAD_TIMEOUT_S, "loading the model")
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, kind: str, payload, timeout_s: float):
        try:
            self.conn.send((kind, payload))
        except OSError as err:
            raise self._died(f"sending a request ({err})") from None
        self.in_call = kind
        try:
            return self._receive(timeout_s, "answering")
        except (KeyboardInterrupt, SystemExit):
            self.close()  # its answer would come to the next request
            raise
        finally:
            self.in_call = None

    def _receive(self, timeout_s: float, doing: str):
        deadline = time.monotonic() + timeout_s
        while not self.conn.poll(min(1.0, max(0.0, deadline - time.monotonic()))):
            if self.process.poll() is not None:
                raise self._died(doing)
            if time.monotonic() >= deadline:
                self.close()
                raise WorkerDied("timeout", f"no answer after {timeout_s:g} s while {doing}")
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError):
            raise self._died(doing) from None
        if status == "error":
            raise LLMError("local model failed", value)
        return value

    def _died(self, doing: str) -> WorkerDied:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # the connection broke but the process hangs on
            self.process.kill()
            code = self.process.wait()
        how = f"killed by {signal.Signals(-code).name}" if code and code < 0 else f"exit {code}"
        detail = f"worker {how} while {doing}{self._tail()}"
        self.close()
        return WorkerDied("local model crashed", detail)

    def _tail(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").strip().splitlines()
        return f"; it said: {lines[-1][:200]}" if lines else ""

    def close(self) -> None:
        if not self.conn.closed:
            self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self.stderr.closed:
            self.stderr.close()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self.conn.closed


class ModelSlot:
    """The worker of one model file and settings, shared by the runs of a process: started on
    demand and again after it died."""

    def __init__(self, path: Path, context_window: int, threads: int):
        self.args = (path, context_window, threads)
        self.worker: Worker | None = None

    def call(self, kind: str, payload, timeout_s: float):
        """The worker's answer; ``WorkerDied`` if it died (or never came up)."""
        if self.worker is None or not self.worker.alive:
            self.worker = None
            self.worker = Worker(*self.args)
        try:
            return self.worker.call(kind, payload, timeout_s)
        except WorkerDied:
            self.worker = None
            raise

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None


_WORKERS: dict[tuple, ModelSlot] = {}  # one per model file and settings, per process


@atexit.register
def _close_workers() -> None:
    while _WORKERS:
        _WORKERS.popitem()[1].close()


def running_workers() -> list[Worker]:
    """The worker processes alive in this process (for tests and diagnostics)."""
    return [s.worker for s in _WORKERS.values() if s.worker is not None and s.worker.alive]


class LocalLLM:
    """A GGUF model (the default local model unless a file is given) in a worker process."""

    backend = "local"
    default_max_tokens = 48  # an answer line of names: "Transformations to apply: " and six
    # Only the system message (with the program's decision points) is reused between calls,
    # so the user message is evaluated every call; it is compressed (loop nests first, never
    # its ancestors) to stay within this. SmolLM2-135M on 2 AMD Zen 5 cores: 0.9 s a call at
    # 540 user tokens, 1.0-1.2 s at 770 (2026-12-02).
    max_prompt_tokens = 896

    def answer_tokens(self, proposals: int, parameterized: bool) -> int:
        # The grammar makes the model write only the answer lines: a parameterized step is
        # about 12 tokens, a name 3.
        return self.default_max_tokens * (3 if parameterized else 1) * proposals

    def __init__(
        self,
        model_path: str | Path | None = None,
        context_window: int = 4096,
        timeout_s: float = 60.0,
    ):
        from ..target import available_cores

        path = (
            Path(model_path).expanduser() if model_path else models.model_path(DEFAULT_LOCAL_MODEL)
        )
        if not path.is_file():
            raise UserError(f"--llm-model {path}: no such file (a GGUF model file is needed)")
        if importlib.util.find_spec("llama_cpp") is None:
            raise UserError(
                "the local LLM needs llama-cpp-python; run `make demo` (it builds it) or see the "
                "README's install notes"
            )
        self.path, self.model, self.context_window = path, path.stem, context_window
        self.timeout_s = timeout_s
        key = (str(path.resolve()), context_window, available_cores())
        if key not in _WORKERS:
            _WORKERS[key] = ModelSlot(path, context_window, available_cores())
        self.slot = _WORKERS[key]
        self.deaths = 0  # of the worker during this backend's calls
        self.given_up: str | None = None
        # Loaded now, so a file that is not a model fails before any tuning.
        try:
            self.slot.call("count_tokens", "", self.timeout_s)
        except (LLMError, WorkerDied) as err:
            del _WORKERS[key]
            raise UserError(f"--llm-model {path}: not a loadable GGUF model ({err})") from None

    @property
    def worker_info(self) -> dict:
        """What the worker reported when it loaded the model (pid, load time, settings)."""
        return self.slot.worker.info if self.slot.worker else {}

    def identity(self) -> tuple[str, str]:
        return self.backend, self.model

    def count_tokens(self, text: str) -> int:
        return self._call("count_tokens", text)

    def complete(self, request: Request) -> Completion:
        start = time.perf_counter()
        answer = self._call("complete", request.as_dict())
        return Completion(seconds=time.perf_counter() - start, **answer)

    def _call(self, kind: str, payload):
        if self.given_up:
            raise LLMError("local model given up", self.given_up, permanent=True)
        try:
            return self.slot.call(kind, payload, self.timeout_s)
        except WorkerDied as death:
            self.deaths += 1
            if self.deaths >= MAX_CRASHES:
                self.given_up = f"its worker died {self.deaths} times (last: {death.detail})"
            raise LLMError(death.reason, death.detail) from None
