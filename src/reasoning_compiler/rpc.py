"""Measuring on other machines through TVM's RPC tracker (TVM adaptation layer).

Builds stay on this machine; each built sample is uploaded to a free server registered under the
key, checked and timed there by MetaSchedule's ``RPCRunner``. Several servers measure samples in
parallel. ``reasoning-compiler rpc tracker`` and ``rpc server`` start TVM's own tracker and servers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import tvm
from tvm.s_tir.meta_schedule.runner import RPCConfig

from .errors import UserError

SERVER_WAIT_S = 10.0  # how long to wait for a server under the key before giving up
CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RPCSettings:
    host: str
    port: int
    key: str
    workers: int  # samples measured at once: one per server by default

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def as_dict(self) -> dict:
        return asdict(self)

    def config(self, timeout_s: float) -> RPCConfig:
        """MetaSchedule's RPC settings; ``timeout_s`` bounds each sample, session included."""
        return RPCConfig(
            tracker_host=self.host,
            tracker_port=self.port,
            tracker_key=self.key,
            session_priority=1,
            session_timeout_sec=max(1, int(timeout_s)),
        )


def parse_address(text: str, what: str = "--rpc") -> tuple[str, int]:
    host, sep, port = str(text).strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"{what} must be HOST:PORT (e.g. 127.0.0.1:9190), got {text!r}")
    return host.strip("[]"), int(port)


def _reachable(host: str, port: int) -> None:
    # TVM's own client retries for a minute before failing; a plain socket answers in seconds.
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise UserError(
            f"cannot reach the RPC tracker at {host}:{port} ({err.strerror or err}); "
            f"start one with `reasoning-compiler rpc tracker --port {port}`"
        ) from None


def servers_for(host: str, port: int, key: str) -> int:
    """How many servers are registered at the tracker under ``key``."""
    summary = tvm.rpc.connect_tracker(host, port).summary()
    return sum(1 for s in summary.get("server_info", []) if s["key"].split(":", 1)[-1] == key)


def connect(
    tracker: str, key: str | None, workers: int | None = None, wait_s: float = SERVER_WAIT_S
) -> RPCSettings:
    """Check the tracker and its servers before tuning starts; the settings for the runner."""
    host, port = parse_address(tracker)
    if not key:
        raise UserError("--rpc needs --rpc-key, the key the servers registered with")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise UserError(f"--rpc-workers must be a positive integer, got {workers!r}")
    _reachable(host, port)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            count = servers_for(host, port, key)
        except Exception as err:  # TVM raises RuntimeError or TVMError
            raise UserError(f"the RPC tracker at {host}:{port} did not answer: {err}") from None
        if count or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if not count:
        raise UserError(
            f"no RPC server with key {key!r} at the tracker {host}:{port} after {wait_s:.0f} s; "
            f"start one with `reasoning-compiler rpc server --tracker {host}:{port} --key {key}`"
        )
    return RPCSettings(host=host, port=port, key=key, workers=workers or count)


def serve_tracker(host: str, port: int) -> None:
    """Run TVM's tracker until Ctrl-C."""
    from tvm.rpc.tracker import Tracker

    _can_bind(host, port, "the RPC tracker")
    tracker = Tracker(host, port=port, port_end=port + 1, silent=True)
    print(f"RPC tracker listening on {host}:{tracker.port} (Ctrl-C stops it)", flush=True)
    _wait(tracker)


def serve(tracker: str, key: str, host: str, port: int) -> None:
    """Run one TVM RPC server registered at ``tracker`` under ``key`` until Ctrl-C."""
    tracker_host, tracker_port = parse_address(tracker, "--tracker")
    if not key:
        raise UserError("--key must not be empty")
    _reachable(tracker_host, tracker_port)
    _can_bind(host, None, "an RPC server")
    server = tvm.rpc.Server(
        host,
        port,
        port_end=port + 100,
        key=key,
        tracker_addr=(tracker_host, tracker_port),
        silent=True,
    )
    print(
        f"RPC server on {host}:{server.port}, key {key!r}, registered at {tracker} "
        "(Ctrl-C stops it)",
        flush=True,
    )
    _wait(server)


def _can_bind(host: str, port: int | None, what: str) -> None:
    """Fail with one line here rather than with a traceback from TVM's worker process."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port or 0))
    except OSError as err:
        where = f"{host}:{port}" if port else host
        raise UserError(f"cannot start {what} on {where}: {err.strerror or err}") from None


def _wait(service) -> None:
    # TVM runs the service in a child process: stop it too on Ctrl-C or `kill`.
    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        service.proc.join()
    finally:
        signal.signal(signal.SIGTERM, previous)
        service.terminate()


# Local clusters (tests, benchmarks): services in process groups of their own, so that killing
# the group also stops the child process TVM runs each service in.


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def spawn(*args: str, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """``reasoning-compiler rpc ARGS`` as a process of its own; stop it with ``kill``."""
    return subprocess.Popen(
        [sys.executable, "-m", "reasoning_compiler", "rpc", *args],
        stdout=stdout,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
