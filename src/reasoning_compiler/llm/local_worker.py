"""The process that owns a local GGUF model: loads it once, then answers requests until its
parent closes the connection or goes away.

llama.cpp is native code we do not control; run here, its crashes, hangs and memory blow-ups end
this process, not the tuning run (``local.py`` is the parent's side). This file is started by
path (``python local_worker.py FD ...``) so that it imports neither TVM nor our package: start-up
is the model load and little else.

``load_model`` is the one place that loads local models, for every GGUF file.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

# llama.cpp's x86 CPU backend builds that use AVX-512 (its GGML_CPU_ALL_VARIANTS names).
AVX512_BACKENDS = frozenset(
    {"skylakex", "cannonlake", "cascadelake", "icelake", "cooperlake", "zen4", "sapphirerapids"}
)
_cpu_backend: str | None = None  # the one loaded into this process


def load_cpu_backend() -> str:
    """Load llama.cpp's CPU backend built for this CPU; its name (``haswell``, ``icelake``...).

    The wheel (see the Makefile) is built with one CPU backend per x86 generation
    (GGML_BACKEND_DL, GGML_CPU_ALL_VARIANTS): llama.cpp scores them against the CPU's features
    and loads the best, so AVX-512 machines run AVX-512 code and a home directory shared by
    machines of different CPUs still holds one wheel. llama-cpp-python 0.3.36 does not load
    them itself (upstream issue #2069): we call ggml's loader. A single-backend build (no
    variant files) needs nothing: ``built in``.
    """
    global _cpu_backend
    if _cpu_backend is None:
        import ctypes

        import llama_cpp.llama_cpp as native

        lib_dir = Path(native._base_path)  # noqa: SLF001 (LLAMA_CPP_LIB_PATH or the package's)
        # ggml installs the variants as executables' neighbours: site-packages/bin in a wheel.
        found = [d for d in (lib_dir, lib_dir.parent.parent / "bin") if _has_variants(d)]
        _cpu_backend = "built in"
        if found:
            # The instance libllama loaded (by its soname): the wheel's libggml.so is a copy
            # of the same library, with a registry of its own that libllama never reads.
            ggml = ctypes.CDLL("libggml.so.0", mode=os.RTLD_NOLOAD)
            ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
            ggml.ggml_backend_load_all_from_path(str(found[0]).encode())
            _cpu_backend = _mapped_cpu_backend() or "unknown"
    return _cpu_backend


def _has_variants(directory: Path) -> bool:
    return directory.is_dir() and any(directory.glob("libggml-cpu-*.so"))


def _mapped_cpu_backend() -> str | None:
    """The variant whose library this process has mapped (Linux's /proc), if any."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    found = re.search(r"libggml-cpu-([\w-]+)\.so", maps)
    return found.group(1) if found else None


def load_model(path: str, context_window: int, threads: int):
    """A ``Llama`` for ``path``, without weight repacking into extra buffer types.

    llama.cpp repacks quantized weights into its AMX buffer on Sapphire Rapids and segfaults in
    the first matrix product there (upstream: "segfault in ggml_backend_amx_mul_mat"). With
    ``use_extra_bufts`` off no buffer type but the plain CPU one is used, on every CPU.
    llama-cpp-python 0.3.36 has no argument for it: its constructor reads the model parameters
    from ``llama_model_default_params``, which we wrap for the length of the load.
    """
    import llama_cpp.llama_cpp as native
    from llama_cpp import Llama

    load_cpu_backend()
    defaults = native.llama_model_default_params

    def without_extra_buffer_types():
        params = defaults()
        params.use_extra_bufts = False
        return params

    native.llama_model_default_params = without_extra_buffer_types
    try:
        return Llama(
            model_path=path,
            n_ctx=context_window,
            n_batch=512,
            n_threads=threads,
            n_threads_batch=threads,
            flash_attn=True,  # 3-5x faster on 2 cores (platform notes)
            verbose=False,
        )
    finally:
        native.llama_model_default_params = defaults


class Model:
    """The requests the parent sends: count tokens, complete a chat."""

    def __init__(self, llama):
        self.llama = llama
        self.grammars: dict[str, object] = {}

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=True))

    def complete(self, request: dict) -> dict:
        response = self.llama.create_chat_completion(
            messages=[
                {"role": "system", "content": request["system"]},
                {"role": "user", "content": request["user"]},
            ],
            grammar=self.grammar(tuple(request["choices"]), request.get("grammar") or None),
            max_tokens=request["max_tokens"],
            temperature=request["temperature"],
            seed=request["seed"],
        )
        usage = response.get("usage", {})
        return {
            "text": response["choices"][0]["message"]["content"] or "",
            "prompt_tokens": int(usage.get("prompt_tokens", 0)),
            "completion_tokens": int(usage.get("completion_tokens", 0)),
        }

    def grammar(self, choices: tuple[str, ...], text: str | None = None):
        """The request's grammar (legal steps of this program), or only the answer line of
        names: a small model left free often writes code instead. No required newline at the
        end, or the model cannot stop."""
        if text is None:
            names = " | ".join(json.dumps(name) for name in choices)
            rest = ' (", " t)?' * 5  # up to six names (prompt.MAX_SEQUENCE)
            text = f'root ::= "Transformations to apply: " t{rest}\nt ::= {names}'
        if text not in self.grammars:
            from llama_cpp import LlamaGrammar

            if len(self.grammars) > 64:  # one per program structure; a run has a few
                self.grammars.clear()
            self.grammars[text] = LlamaGrammar.from_string(text, verbose=False)
        return self.grammars[text]


def _exit_with_parent(parent: int) -> None:
    """The parent may die without closing the connection (SIGKILL): then leave too."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def serve(conn: Connection, path: str, context_window: int, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no GB-sized core file
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    start = time.perf_counter()
    try:
        model = Model(load_model(path, context_window, threads))
    except Exception as err:  # llama.cpp says ValueError("Failed to load model ...")
        conn.send(("error", str(err)))
        return
    conn.send(
        (
            "ready",
            {
                "pid": os.getpid(),
                "load_seconds": round(time.perf_counter() - start, 3),
                "use_extra_bufts": bool(model.llama.model_params.use_extra_bufts),
                "cpu_backend": load_cpu_backend(),
            },
        )
    )
    handlers = {"count_tokens": model.count_tokens, "complete": model.complete}
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed the connection
        try:
            conn.send(("ok", handlers[kind](payload)))
        except Exception as err:  # e.g. a prompt longer than the context window
            conn.send(("error", f"{type(err).__name__}: {err}"))


if __name__ == "__main__":
    fd, model_path, n_ctx, n_threads = sys.argv[1:5]
    serve(Connection(int(fd)), model_path, int(n_ctx), int(n_threads))
