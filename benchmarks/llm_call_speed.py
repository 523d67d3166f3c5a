"""How fast the local LLM answers, in the configurations the project has used.

    python benchmarks/llm_call_speed.py --label portable          # the build installed here
    PYTHONPATH=/path/to/other/llama_cpp/site python benchmarks/llm_call_speed.py --label native

Each configuration runs in a fresh process, so that one that crashes (llama.cpp's AMX repack on
Sapphire Rapids) is reported as crashed and the others still run:

- ``in-process-repack``: the old loader (a ``Llama`` in the tuning process, llama.cpp's
  defaults, weights repacked into extra buffer types where the CPU has one);
- ``in-process``: ``local_worker.load_model`` (``use_extra_bufts`` off);
- ``worker``: ``LocalLLM``, the backend tuning runs use (that loader, in a worker process).

Each asks the same real prompts: the requests recorded in a committed transcript of the quick
protocol (their text only; this is a speed test, no tuning run sees them). Prompt evaluation and
generation speed are measured on a fixed text without a grammar. Results go to
``benchmarks/results/llm-speed/LABEL.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = (
    ROOT / "benchmarks/results/quick/runs/llama3-8b-attention/llm-mcts/seed0/llm_transcript.jsonl"
)
CONFIGS = ("in-process-repack", "in-process", "worker")
SPEED_TEXT = "Explain loop tiling for a matrix multiplication on a CPU. " * 12


def recorded_requests(calls: int):
    from reasoning_compiler.benchmark import artifacts
    from reasoning_compiler.llm.backends import Request

    artifacts.unpack(ROOT / "benchmarks/results/quick")  # the transcript, if still packed
    entries = [json.loads(line) for line in TRANSCRIPT.open()]
    return [Request(**e["request"]) for e in entries if e.get("request")][:calls]


def measure(config: str, model_path: str, calls: int, threads: int) -> dict:
    import llama_cpp

    from reasoning_compiler.llm import LocalLLM
    from reasoning_compiler.llm.local_worker import Model, load_model

    requests = recorded_requests(calls)
    start = time.perf_counter()
    if config == "worker":
        llm = LocalLLM(model_path)
        complete = llm.complete
    else:
        if config == "in-process-repack":  # llama.cpp's defaults: use_extra_bufts on
            llama = llama_cpp.Llama(
                model_path=model_path,
                n_ctx=4096,
                n_batch=512,
                n_threads=threads,
                n_threads_batch=threads,
                flash_attn=True,
                verbose=False,
            )
        else:
            llama = load_model(model_path, 4096, threads)
        model = Model(llama)

        def complete(request):
            return model.complete(request.as_dict())

    load = time.perf_counter() - start
    seconds = []
    for request in requests:
        start = time.perf_counter()
        complete(request)
        seconds.append(time.perf_counter() - start)
    result = {
        "load_s": round(load, 3),
        "first_call_s": round(seconds[0], 3),
        "later_calls_mean_s": round(statistics.mean(seconds[1:]), 3),
        "calls": len(seconds),
        "system_info": llama_cpp.llama_print_system_info().decode().strip(),
        "llama_cpp": llama_cpp.__file__,
    }
    if config != "worker":
        result |= token_speed(llama)
    return result


def token_speed(llama) -> dict:
    """Prompt tokens/s (a fresh context, one token out) and generated tokens/s (64 out)."""
    tokens = llama.tokenize(SPEED_TEXT.encode())
    timings = {}
    for out in (1, 65):
        llama.reset()
        start = time.perf_counter()
        llama.create_completion(SPEED_TEXT, max_tokens=out, temperature=0, seed=0)
        timings[out] = time.perf_counter() - start
    return {
        "prompt_tokens": len(tokens),
        "prompt_tokens_per_s": round(len(tokens) / timings[1], 1),
        "generated_tokens_per_s": round(64 / max(1e-9, timings[65] - timings[1]), 1),
    }


def _child(queue, config, model_path, calls, threads):
    queue.put(measure(config, model_path, calls, threads))


def run_isolated(config: str, model_path: str, calls: int, threads: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(queue, config, model_path, calls, threads))
    process.start()
    process.join()
    if process.exitcode != 0:
        return {"crashed": f"exit code {process.exitcode}"}
    return queue.get()


def cpu() -> dict:
    info = Path("/proc/cpuinfo").read_text()
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if "model name" in ln), "")
    flags = next((ln for ln in info.splitlines() if ln.startswith("flags")), "")
    return {"model": name, "amx": " amx_tile" in flags, "machine": platform.machine()}


def main() -> None:
    from reasoning_compiler.llm import bundled_model
    from reasoning_compiler.target import available_cores

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", required=True, help="names the llama.cpp build measured")
    parser.add_argument("--model", help="a GGUF file (default: the bundled SmolLM2-135M)")
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/llm-speed"))
    args = parser.parse_args()
    model = args.model or str(bundled_model())
    threads = available_cores()
    results = {
        "label": args.label,
        "cpu": cpu(),
        "threads": threads,
        "model": Path(model).name,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "configs": {},
    }
    for config in args.configs.split(","):
        print(f"{args.label}: {config} ...", flush=True)
        results["configs"][config] = run_isolated(config, model, args.calls, threads)
        print(json.dumps(results["configs"][config]), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.label}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{args.label}.md").write_text(table(results))
    print(table(results))


def table(results: dict) -> str:
    cpu_ = results["cpu"]
    lines = [
        f"# LLM call speed: {results['label']} build, {results['model']}",
        "",
        f"{cpu_['model']} (AMX: {'yes' if cpu_['amx'] else 'no'}), {results['threads']} threads, "
        f"{results['date']}",
        "",
        "| config | load s | first call s | later calls s (mean) | prompt tok/s | gen tok/s |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results["configs"].items():
        if "crashed" in r:
            lines.append(f"| {name} | crashed ({r['crashed']}) | | | | |")
            continue
        lines.append(
            f"| {name} | {r['load_s']} | {r['first_call_s']} | {r['later_calls_mean_s']} | "
            f"{r.get('prompt_tokens_per_s', '')} | {r.get('generated_tokens_per_s', '')} |"
        )
    first = next((r for r in results["configs"].values() if "system_info" in r), None)
    if first:
        lines += ["", f"llama.cpp: `{first['system_info']}`"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
