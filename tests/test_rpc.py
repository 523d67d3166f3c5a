"""Measuring through TVM's RPC tracker: a tracker and two servers on 127.0.0.1, real tuning."""

import json
import subprocess
import sys
import time

import pytest

import reasoning_compiler as rc
from conftest import TINY_SHAPES
from reasoning_compiler import rpc

pytestmark = pytest.mark.tuning

KEY = "test-cpu"


def start(*args) -> subprocess.Popen:
    return rpc.spawn(*args, stdout=subprocess.PIPE)


@pytest.fixture
def cluster():
    """A tracker and two servers under KEY; yields (tracker address, [server processes])."""
    port = rpc.free_port()
    tracker = start("tracker", "--host", "127.0.0.1", "--port", str(port))
    address = f"127.0.0.1:{port}"
    servers = []
    try:
        assert "listening" in tracker.stdout.readline()
        for _ in range(2):
            servers.append(
                start(
                    "server",
                    "--tracker",
                    address,
                    "--key",
                    KEY,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(rpc.free_port()),
                )
            )
        deadline = time.monotonic() + 60
        while rpc.servers_for("127.0.0.1", port, KEY) < 2:
            assert time.monotonic() < deadline, "servers did not register"
            time.sleep(0.2)
        yield address, servers
    finally:
        for proc in [*servers, tracker]:
            rpc.kill(proc)


def test_tuning_through_two_servers(cluster, tmp_path):
    address, _ = cluster
    result = rc.tune(
        "matmul",
        shape=TINY_SHAPES["matmul"],
        trials=4,
        per_round=4,
        work_dir=tmp_path / "run",
        rpc=address,
        rpc_key=KEY,
        progress=False,
    )
    assert result.trials == 4 and result.failed_trials == 0
    assert result.correct is True and result.speedup >= 1
    assert result.settings["rpc"] == {
        "host": "127.0.0.1",
        "port": int(address.split(":")[1]),
        "key": KEY,
        "workers": 2,
    }
    assert result.time_split["run"] > 0
    assert "checked on the device" in str(result)


def test_a_server_dying_mid_run_costs_only_its_samples(cluster, tmp_path):
    address, servers = cluster
    run = tmp_path / "run"
    args = ["tune", "matmul", "--shape", "m=128,n=128,k=128", "--trials", "12", "--per-round"]
    args += ["4", "--rpc", address, "--rpc-key", KEY, "--work-dir", str(run), "--quiet"]
    tuning = subprocess.Popen(
        [sys.executable, "-m", "reasoning_compiler", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    samples = run / "samples.jsonl"
    deadline = time.monotonic() + 300
    while not (samples.exists() and len(samples.read_text().splitlines()) >= 4):
        assert tuning.poll() is None, tuning.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    rpc.kill(servers[1])
    killed_after = len(samples.read_text().splitlines())
    output, _ = tuning.communicate(timeout=600)
    assert tuning.returncode == 0, output
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert len(rows) == 12
    # The surviving server measured the rest of the run.
    assert any(r["latency_s"] for r in rows[killed_after:])
    result = json.loads((run / "result.json").read_text())
    assert result["best_seconds"] and result["correct"] is True


def test_unreachable_tracker_is_a_clear_error_before_tuning(tmp_path):
    start_time = time.monotonic()
    with pytest.raises(rc.UserError, match="cannot reach the RPC tracker"):
        rc.tune("matmul", rpc=f"127.0.0.1:{rpc.free_port()}", rpc_key=KEY, work_dir=tmp_path / "r")
    assert time.monotonic() - start_time < 30
    assert not (tmp_path / "r").exists()


def test_a_key_without_servers_fails_after_a_bounded_wait(cluster):
    address, _ = cluster
    start_time = time.monotonic()
    with pytest.raises(rc.UserError, match="no RPC server with key 'nobody'"):
        rpc.connect(address, "nobody", wait_s=1)
    assert time.monotonic() - start_time < 15
    assert rpc.connect(address, KEY).workers == 2
    assert rpc.connect(address, KEY, workers=1).workers == 1
