"""Samples per minute when measuring through TVM RPC with 1, 2, ... local servers.

Starts a tracker and N servers on 127.0.0.1 (all on this machine: they share its cores, so this
measures the plumbing and the overlap of builds and runs, not a bigger cluster), tunes one
workload through them, and writes benchmarks/results/rpc_throughput.json and .md.

Usage: python benchmarks/rpc_throughput.py [--servers 1,2] [--workload matmul] [--trials 32]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from reasoning_compiler import rpc


def measure(servers: int, args, out: Path) -> dict:
    port = rpc.free_port()
    procs = [rpc.spawn("tracker", "--host", "127.0.0.1", "--port", str(port))]
    try:
        deadline = time.time() + 60
        while True:  # the tracker accepts connections once it is up
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("the tracker did not start") from None
                time.sleep(0.2)
        for _ in range(servers):
            procs.append(
                rpc.spawn(
                    "server",
                    "--tracker",
                    f"127.0.0.1:{port}",
                    "--key",
                    "bench",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(rpc.free_port()),
                )  # fmt: skip
            )
        deadline = time.time() + 60
        while rpc.servers_for("127.0.0.1", port, "bench") < servers:
            if time.time() > deadline:
                raise RuntimeError("servers did not register")
            time.sleep(0.2)
        name = f"{args.workload}-{servers}servers"
        json_path = out / "runs" / f"{name}.json"
        cmd = [
            sys.executable, "-m", "reasoning_compiler", "tune", args.workload,
            "--preset", args.preset, "--strategy", args.strategy, "--trials", str(args.trials),
            "--per-round", str(args.per_round), "--seed", "0", "--quiet", "--overwrite",
            "--work-dir", str(out / "runs" / name), "--json", str(json_path),
            "--rpc", f"127.0.0.1:{port}", "--rpc-key", "bench",
        ]  # fmt: skip
        print(f"== {name}", flush=True)
        subprocess.run(cmd, check=True)
        result = json.loads(json_path.read_text())
    finally:
        for proc in procs:
            rpc.kill(proc)
    split = result["time_split"]
    tuning_s = result["wall_seconds"] - split["baseline"]
    return {
        "servers": servers,
        "workload": result["workload"],
        "preset": result["preset"],
        "strategy": result["strategy"],
        "samples": result["trials"],
        "failed": result["failed_trials"],
        "wall_seconds": result["wall_seconds"],
        "tuning_seconds": tuning_s,
        "samples_per_minute": 60 * result["trials"] / tuning_s,
        "time_split": split,
        "speedup": result["speedup"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="1,2")
    parser.add_argument("--workload", default="matmul")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--strategy", default="evolutionary")
    parser.add_argument("--trials", type=int, default=32)
    parser.add_argument("--per-round", type=int, default=16)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    out = Path(args.out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    rows = [measure(int(n), args, out) for n in args.servers.split(",")]
    (out / "rpc_throughput.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "| servers | samples | failed | tuning s | samples/min | search s | build s | run s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["time_split"]
        lines.append(
            f"| {r['servers']} | {r['samples']} | {r['failed']} | {r['tuning_seconds']:.1f} "
            f"| {r['samples_per_minute']:.1f} | {s['search']:.1f} | {s['build']:.1f} "
            f"| {s['run']:.1f} |"
        )
    (out / "rpc_throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
