"""The ``reasoning-compiler`` command: a thin shell over the Python API."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import MAX_COUNT, TuningError, UserError, missing_extra
from .strategies import DEFAULT_STRATEGY, STRATEGIES, flagged_params, implied_strategy
from .workloads import WORKLOADS

EPILOG = """\
examples:
  reasoning-compiler workloads
  reasoning-compiler tune matmul --trials 32          # llm-mcts with the embedded model
  reasoning-compiler tune matmul --strategy mcts --trials 32 --rollout-depth 3
  OPENAI_API_KEY=... reasoning-compiler tune matmul --llm openai --llm-model gpt-4o-mini
  reasoning-compiler tune matmul --llm openai --llm-base-url http://localhost:11434/v1 \\
      --llm-model qwen2.5-coder:7b                    # Ollama, vLLM, llama.cpp server
  reasoning-compiler tune matmul --llm replay:runs/old --work-dir runs/again  # no model
  reasoning-compiler tune llama3-8b-attention --preset paper --shape seq_len=1024 --trials 64
  reasoning-compiler tune my_kernels.py:softmax --shape n=4096 --trials 32
  reasoning-compiler tune matmul --work-dir runs/mm --resume --trials 128   # continue a run
"""


MODEL_EPILOG = """\
examples:
  reasoning-compiler tune-model llama3-8b-decoder --trials 200 --strategy mcts
  reasoning-compiler tune-model my_model.py:make --time-budget 15m
  reasoning-compiler tune-model flux-block --work-dir runs/flux --resume --trials 400
my_model.py:
  def make():
      return MyModule().eval(), (torch.randn(1, 128, 512),)
load the tuned model:
  lib = tvm.runtime.load_module("runs/.../model.so")
  vm = tvm.relax.VirtualMachine(lib, tvm.cpu())
  out = vm["main"](tvm.runtime.tensor(x))[0].numpy()   # the outputs, as a tuple
"""


RPC_EPILOG = """\
example (a tracker on machine A, servers on B and C, tuning on A):
  A$ reasoning-compiler rpc tracker --port 9190
  B$ reasoning-compiler rpc server --tracker A:9190 --key epyc
  C$ reasoning-compiler rpc server --tracker A:9190 --key epyc
  A$ reasoning-compiler tune matmul --rpc A:9190 --rpc-key epyc \\
       --target '{"kind": "llvm", "mcpu": "znver4", "num-cores": 2}'
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but bad flags give one line and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _at_least(minimum: float, kind: type = int):
    """An argparse type: an integer (or, with ``kind=float``, a finite number) >= ``minimum``;
    integers also at most ``MAX_COUNT``, which MetaSchedule's counters and seeds hold."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            noun = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if kind is int and value < minimum:
            need = "positive" if minimum == 1 else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be {need}, got {value}")
        if kind is int and value > MAX_COUNT:
            raise argparse.ArgumentTypeError(f"must be at most {MAX_COUNT}, got {value}")
        if not math.isfinite(value) or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a number >= {minimum:g}, got {text}")
        return value

    return parse


def _duration(text: str) -> float:
    """An argparse type: ``90``, ``90s``, ``15m`` or ``1.5h`` as seconds (positive)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 15m or 1.5h")
    seconds = float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if not 0 < seconds < 10**9:
        raise argparse.ArgumentTypeError(f"must be a positive duration, got {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reasoning-compiler",
        description="Tune neural-network kernels with Apache TVM MetaSchedule. Every sample is "
        "compiled and timed on this machine; speedups are against the untuned kernel measured "
        "in the same run.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    listing = commands.add_parser("workloads", help="list built-in workloads, presets and FLOPs")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    tune = commands.add_parser(
        "tune",
        help="tune one kernel",
        description="Tune one kernel and print untuned vs best latency, speedup and GFLOP/s.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tune.add_argument(
        "workload",
        help=f"built-in name ({', '.join(WORKLOADS)}) or path/to/file.py:function returning "
        "a PrimFunc or TE tensors (inputs, then output)",
    )
    tune.add_argument(
        "--preset",
        help="shape preset: small (default; ~1-4 s per sample); paper (the real model layer) for "
        "the paper's workloads; large for matmul",
    )
    tune.add_argument(
        "--shape",
        metavar="NAME=INT,...",
        help="override shape parameters, e.g. seq_len=1024 (see `workloads` for the names)",
    )
    _add_tuning_options(tune, per_round=16, what="WORKLOAD")
    tune.add_argument(
        "--compare",
        action="store_true",
        help="after tuning, time the same operator in NumPy and PyTorch on the same inputs and "
        "show the tuned kernel next to them (built-in workloads)",
    )
    remote = tune.add_argument_group(
        "measuring on other machines (TVM RPC)",
        "Builds run here; each sample is uploaded to a free server under --rpc-key, checked and\n"
        "timed there. The host's CPU detection then does not apply: pass --target describing\n"
        "the remote device (without it, the remote is assumed to be like this machine).",
    )
    remote.add_argument(
        "--rpc", metavar="HOST:PORT", help="measure through the RPC tracker at HOST:PORT"
    )
    remote.add_argument(
        "--rpc-key", metavar="KEY", help="the key the RPC servers registered with (needs --rpc)"
    )
    remote.add_argument(
        "--rpc-workers",
        type=_at_least(1),
        metavar="N",
        help="samples measured at once (default: one per server registered under the key)",
    )
    _add_model_parser(commands)
    _add_bench_parser(commands)
    _add_cache_parser(commands)
    rpc = commands.add_parser(
        "rpc",
        help="start TVM's RPC tracker or a measurement server",
        description="Start the pieces for measuring on other machines: one tracker, and a "
        "server on every machine that should run samples. Then tune with --rpc and --rpc-key.",
        epilog=RPC_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    services = rpc.add_subparsers(dest="service", metavar="{tracker,server}")
    tracker = services.add_parser("tracker", help="run the RPC tracker (until Ctrl-C)")
    tracker.add_argument("--host", default="0.0.0.0", help="address to bind (default: 0.0.0.0)")
    tracker.add_argument(
        "--port", type=_at_least(1), default=9190, help="port to listen on (default: 9190)"
    )
    server = services.add_parser(
        "server", help="run a server that measures samples for the tracker (until Ctrl-C)"
    )
    server.add_argument(
        "--tracker", required=True, metavar="HOST:PORT", help="the tracker to register with"
    )
    server.add_argument(
        "--key", required=True, help="device key to register under, e.g. the board's name"
    )
    server.add_argument("--host", default="0.0.0.0", help="address to bind (default: 0.0.0.0)")
    server.add_argument(
        "--port",
        type=_at_least(1),
        default=9090,
        help="first port to try; the next free one up to +100 is used (default: 9090)",
    )
    return parser


BENCH_EPILOG = """\
examples:
  reasoning-compiler bench benchmarks/configs/quick.toml      # the quick protocol (~31 min)
  reasoning-compiler bench --workloads matmul --strategies evolutionary,mcts --seeds 0,1 \\
      --trials 36 --out runs/bench-mm
  reasoning-compiler bench benchmarks/configs/ablation-history.toml --arms "depth 2,depth 3"
  reasoning-compiler bench benchmarks/configs/quick.toml --report-only   # tables and plots again

Run the same command again after Ctrl-C or a crash: finished runs are kept, a stopped run
continues from its database. Writes report.md, results.json, figure3.png and figure4.png.
"""


def _add_tuning_options(parser, per_round: int, what: str) -> None:
    """The flags ``tune`` and ``tune-model`` share: strategy, LLM, budget, work dir, target."""
    parser.add_argument(
        "--strategy",
        choices=list(STRATEGIES),
        help="search strategy: "
        + "; ".join(f"{s.name}: {s.description}" for s in STRATEGIES.values())
        + f" (default: {DEFAULT_STRATEGY}, or llm-mcts when an --llm flag is given)",
    )
    mcts = parser.add_argument_group(
        "tree search (--strategy llm-mcts or mcts)",
        "Each round grows the tree (select by UCT, expand, score a random rollout with the\n"
        "cost model, backpropagate), then measures the unmeasured nodes the cost model rates\n"
        "best; their measured speed is backpropagated into the tree too.",
    )
    llm = parser.add_argument_group(
        "LLM proposals (--strategy llm-mcts)",
        "The LLM is shown the node to expand and its ancestors (decisions, loop nests, scores)\n"
        "and proposes transformations; it answers one expansion per sample measured, random\n"
        "proposals the rest. Every exchange goes to llm_transcript.jsonl in the work dir.\n"
        "A failing, garbled or crashing LLM never stops a run: that proposal becomes a random\n"
        "one (a local model runs in its own process, restarted after a crash or a hang).",
    )
    llm.add_argument(
        "--llm",
        metavar="BACKEND",
        help="local (the default local model, in a worker process, offline), local:NAME "
        "(qwen2.5-coder-1.5b or smollm2-135m), openai (any OpenAI-compatible endpoint; key from "
        "OPENAI_API_KEY), or replay:DIR (the answers recorded in the run in DIR, no model)",
    )
    llm.add_argument(
        "--llm-model",
        metavar="NAME",
        help="a model name for openai (default: gpt-4o-mini), or a GGUF file for local",
    )
    llm.add_argument(
        "--llm-base-url", metavar="URL", help="OpenAI-compatible endpoint, e.g. http://host:8000/v1"
    )
    llm.add_argument(
        "--llm-timeout",
        type=_at_least(0.1, float),
        metavar="S",
        help="seconds per LLM call before it counts as failed; a local model past it is "
        "restarted (default: 60)",
    )
    llm.add_argument(
        "--llm-retries",
        type=_at_least(0),
        metavar="N",
        help="retries with backoff for openai requests (default: 2)",
    )
    llm.add_argument(
        "--llm-temperature",
        type=_at_least(0, float),
        metavar="T",
        help="sampling temperature (default: 0.7); each call's seed follows --seed",
    )
    groups = {"tree": mcts, "llm": llm}
    for param in flagged_params():
        groups[param.group].add_argument(param.flag, **_flag_keywords(param))
    parser.add_argument(
        "--trials",
        type=_at_least(0),
        help="samples to measure on hardware, failed ones included (default: 64, or no limit "
        "with --time-budget; with --resume, the total including earlier sessions); 0 measures "
        "nothing new and builds from the tuning cache",
    )
    parser.add_argument(
        "--time-budget",
        type=_duration,
        metavar="TIME",
        help="stop after this much wall time (e.g. 90s, 15m, 1.5h; a plain number is seconds), "
        "between samples; with --trials, whichever comes first",
    )
    parser.add_argument(
        "--per-round",
        type=_at_least(1),
        default=per_round,
        help="samples measured per search round; the cost model retrains after each "
        f"(default: {per_round})",
    )
    parser.add_argument("--seed", type=_at_least(0), default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--work-dir",
        help="where the database, per-sample log and result go "
        f"(default: runs/{what}-PRESET-STRATEGY-seedS)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --work-dir from its database"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="discard a previous run in --work-dir and start again",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON to PATH")
    parser.add_argument(
        "--target",
        default="host",
        help='"host" (default: this CPU, its mcpu and cores detected) or a JSON target dict, '
        'e.g. \'{"kind": "cuda", "arch": "sm_90"}\'',
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    cache = parser.add_argument_group(
        "tuning cache",
        "Every sample goes into a cache per user. A run it already knows (same program, shape,\n"
        "dtype and target; the samples asked for) is built from it without measuring; a new\n"
        "shape starts from the nearest known ones. See `reasoning-compiler cache --help`.",
    )
    _add_cache_location(cache)
    cache.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the tuning cache"
    )


def _add_cache_location(parser) -> None:
    parser.add_argument(
        "--cache",
        metavar="DIR",
        help="the tuning cache's directory (default: $REASONING_COMPILER_TUNING_CACHE, else "
        "~/.cache/reasoning-compiler/tuning; 'off' disables it)",
    )


def _add_model_parser(commands) -> None:
    model = commands.add_parser(
        "tune-model",
        help="tune a whole PyTorch model: every operator, one budget, verified against PyTorch",
        description="Export a PyTorch model (torch.export), import it into TVM Relax, tune all "
        "its operators under one sample budget (MetaSchedule's task scheduler shares it out), "
        "build the tuned model, check its output against PyTorch's and time it next to the "
        "untuned build, PyTorch eager and torch.compile. The compiled model is saved as "
        "model.so in the work dir.",
        epilog=MODEL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    model.add_argument(
        "model",
        help="built-in block (see `workloads`: llama3-8b-decoder, deepseek-r1-moe-block, "
        "flux-block) or path/to/file.py:factory, a function returning (torch.nn.Module, "
        "example_inputs)",
    )
    model.add_argument("--preset", help="size of a built-in block: small (default) or paper")
    model.add_argument(
        "--task-scheduler",
        choices=("gradient", "round-robin"),
        default="gradient",
        help="how the budget is shared among tasks: gradient (default: MetaSchedule's, more "
        "samples where they cut model latency most, after one round each) or round-robin",
    )
    model.add_argument(
        "--no-torch-compile",
        action="store_true",
        help="skip timing torch.compile (it takes about 15 s to compile)",
    )
    _add_tuning_options(model, per_round=8, what="MODEL")


def _comma_list(kind=str):
    def parse(text: str):
        try:
            values = [kind(part.strip()) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list") from None
        if not values:
            raise argparse.ArgumentTypeError("empty list")
        return values

    return parse


def _target(text: str):
    if text == "evolutionary":
        return text
    return _at_least(0.0, float)(text)


def _add_bench_parser(commands) -> None:
    bench = commands.add_parser(
        "bench",
        help="benchmark strategies on workloads over seeds (tables and plots)",
        description="Tune every workload with every strategy and seed, one run after another, "
        "and report best speedup against samples measured (the paper's Table 1 and Figures 3 "
        "and 4), samples and wall time to a target speedup, the time split, and kernel quality "
        "against NumPy and PyTorch. Settings come from a TOML/YAML config; flags override it.",
        epilog=BENCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("config", nargs="?", help="a .toml or .yaml benchmark config (optional)")
    bench.add_argument(
        "--workloads", type=_comma_list(), metavar="A,B", help="workloads (default: the paper's 4)"
    )
    bench.add_argument(
        "--strategies",
        type=_comma_list(),
        metavar="S,T",
        help="strategies with default options (default: evolutionary,mcts,llm-mcts)",
    )
    bench.add_argument(
        "--arms", type=_comma_list(), metavar="LABEL,...", help="only these arms of the config"
    )
    bench.add_argument(
        "--seeds", type=_comma_list(int), metavar="0,1", help="seeds, one run each (default: 0)"
    )
    bench.add_argument(
        "--trials", type=_at_least(1), metavar="N", help="samples per run (default: 36)"
    )
    bench.add_argument(
        "--per-round", type=_at_least(1), metavar="N", help="samples per round (default: 18)"
    )
    bench.add_argument("--preset", help="shape preset of every workload (default: small)")
    bench.add_argument(
        "--target",
        type=_target,
        metavar="X",
        help="speedup for samples-to-target, or 'evolutionary' (default): its final mean",
    )
    bench.add_argument("--out", metavar="DIR", help="output directory (default: runs/bench-NAME)")
    bench.add_argument(
        "--report-only", action="store_true", help="measure nothing; rewrite report and plots"
    )
    bench.add_argument("--quiet", action="store_true", help="no progress bars")


def _bench(args, err: Console) -> int:
    from . import benchmark  # imports TVM

    overrides = {
        key: getattr(args, key)
        for key in ("workloads", "strategies", "arms", "seeds", "trials", "per_round", "preset")
    }
    overrides |= {"target": args.target, "out": args.out}
    config = benchmark.load_config(args.config, **overrides)
    if args.report_only:
        results = benchmark.report(config, console=err)
    else:
        results = benchmark.bench(config, progress=not args.quiet, console=err)
    print((config.out / "report.md").read_text())
    if results.get("stopped"):
        return 130
    return 1 if results["missing"] else 0


def _print_workloads(as_json: bool, console: Console) -> None:
    rows = []
    for workload in WORKLOADS.values():
        for preset in workload.presets:
            shape = workload.shape(preset)
            rows.append(
                {
                    "workload": workload.name,
                    "preset": preset,
                    "shape": shape,
                    "dtype": workload.dtype,
                    "gflop": workload.flops(**shape) / 1e9,
                    "summary": workload.summary,
                }
            )
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="Built-in workloads (tune any with --preset and --shape NAME=INT)")
    for column in ("workload", "preset", "shape", "dtype", "GFLOP"):
        table.add_column(column)
    for row in rows:
        shape = ", ".join(f"{k}={v}" for k, v in row["shape"].items())
        table.add_row(row["workload"], row["preset"], shape, row["dtype"], f"{row['gflop']:.3g}")
    console.print(table)
    for workload in WORKLOADS.values():
        console.print(f"[bold]{workload.name}[/bold]: {escape(workload.summary)}")
        if workload.notes:
            console.print(f"  {escape(workload.notes)}")
    _print_models(console)


def _print_models(console: Console) -> None:
    from .model.blocks import MODEL_BLOCKS  # names and sizes only: no torch

    table = Table(title="Built-in models (tune-model NAME --preset small|paper)")
    for column in ("model", "preset", "sizes"):
        table.add_column(column)
    for block in MODEL_BLOCKS.values():
        for preset, sizes in block.presets.items():
            table.add_row(block.name, preset, ", ".join(f"{k}={v}" for k, v in sizes.items()))
    console.print(table)
    for block in MODEL_BLOCKS.values():
        console.print(f"[bold]{block.name}[/bold]: {escape(block.summary)}")


def _add_cache_parser(commands) -> None:
    cache = commands.add_parser(
        "cache",
        help="show, share or clear the tuning cache",
        description="The tuning cache holds every sample of every run, keyed by program "
        "(structure, shape, dtype) and target (CPU model, features, cores). Export it (or one "
        "workload of it) as one file for a colleague or a serving machine; import theirs. "
        "Records of another target are kept apart and never used for this one.",
    )
    _add_cache_location(cache)
    actions = cache.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    info = actions.add_parser("info", help="what the cache holds, per target and shape")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    export = actions.add_parser("export", help="write the cache (or part of it) to one file")
    export.add_argument("file", help="the file to write (must not exist)")
    export.add_argument("--workload", help="only this workload (e.g. llama3-8b-attention)")
    export.add_argument(
        "--this-target", action="store_true", help="only records of this machine's target"
    )
    imported = actions.add_parser("import", help="add the records of an exported file")
    imported.add_argument("file", help="a file written by `cache export`")
    clear = actions.add_parser("clear", help="delete the cache")
    clear.add_argument("--yes", action="store_true", help="really delete it")


def _cache(args, out: Console) -> int:
    """`cache info|export|import|clear`."""
    from .cache import location, target_key
    from .cache.store import FILE_NAME, CacheStore, refuse

    if args.action is None:
        raise UserError("say which: `cache info`, `export`, `import` or `clear` (see --help)")
    where = location(args.cache)
    if where is None:
        raise UserError("the tuning cache is off (--cache or $REASONING_COMPILER_TUNING_CACHE)")
    path = where / FILE_NAME
    if args.action == "clear":
        if not args.yes:
            raise UserError(f"this deletes {path}; pass --yes to do it")
        path.unlink(missing_ok=True)
        out.print(f"deleted {path}")
        return 0
    store = CacheStore(path, warn=refuse)
    if args.action == "import":
        added = store.import_from(Path(args.file))
        out.print(f"{added['new_records']} new records into {path}")
        for key, count in added["records_by_target"].items():
            out.print(f"  {count} records of target {escape(key)}")
        return 0
    from .target import make_target  # imports TVM

    here = target_key(make_target("host"))
    if args.action == "export":
        count = store.export(
            Path(args.file), family=args.workload, target_key=here if args.this_target else None
        )
        out.print(f"{count} records written to {args.file}")
        return 0
    rows = store.summary()
    if args.json:
        out.print_json(data={"path": str(path), "this_target": here, "entries": rows})
        return 0
    table = Table(title=f"tuning cache {path}")
    for column in ("target", "workload", "shape", "samples", "best"):
        table.add_column(column)
    for row in rows:
        mark = " (this machine)" if row["target"] == here else ""
        best = "failed" if row["best_s"] is None else f"{row['best_s'] * 1e3:.3f} ms"
        table.add_row(
            escape(row["target"].split(" ", 1)[-1] + mark),
            escape(str(row["family"])),
            escape(json.dumps(row["shape"])),
            str(row["samples"]),
            best,
        )
    out.print(table)
    return 0


def _serve(args) -> int:
    """`rpc tracker` / `rpc server`: run until Ctrl-C (exit 0)."""
    from . import rpc  # imports TVM

    if args.service is None:
        raise UserError("say which: `rpc tracker` or `rpc server` (see rpc --help)")
    try:
        if args.service == "tracker":
            rpc.serve_tracker(args.host, args.port)
        else:
            rpc.serve(args.tracker, args.key, args.host, args.port)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


def _flag_keywords(param) -> dict:
    """argparse keywords for a strategy parameter's flag (``strategies.Param``)."""
    if param.choices:
        return {"choices": param.choices, "help": param.help}
    return {"type": _at_least(param.minimum or 0, param.kind), "metavar": param.metavar,
            "help": param.help}  # fmt: skip


def _given_options(args) -> dict:
    """Strategy option -> (flag, value) for the strategy flags given."""
    given = {p.name: (p.flag, getattr(args, _dest(p.flag))) for p in flagged_params()}
    return {key: (flag, value) for key, (flag, value) in given.items() if value is not None}


def _dest(flag: str) -> str:
    return flag[2:].replace("-", "_")


def _strategy_options(args) -> dict:
    """The tree-search flags given, checked against the chosen strategy."""
    given = _given_options(args)
    options = {key: value for key, (_, value) in given.items()}
    allowed = STRATEGIES[args.strategy].options
    for key in options:
        if key not in allowed:
            users = " or ".join(s.name for s in STRATEGIES.values() if key in s.options)
            raise UserError(f"{given[key][0]} applies to --strategy {users}, not {args.strategy}")
    return options


_LLM_FLAGS = {
    "model": "--llm-model",
    "base_url": "--llm-base-url",
    "timeout_s": "--llm-timeout",
    "retries": "--llm-retries",
    "temperature": "--llm-temperature",
}


def _llm_settings(args):
    """LLMSettings from the --llm flags, or None when none was given."""
    from .llm import LLMSettings

    given = {key: getattr(args, _dest(flag)) for key, flag in _LLM_FLAGS.items()}
    given = {key: value for key, value in given.items() if value is not None}
    if args.llm is None and not given:
        return None
    if not STRATEGIES[args.strategy].uses_llm:
        flag = "--llm" if args.llm else _LLM_FLAGS[next(iter(given))]
        raise UserError(f"{flag} applies to --strategy llm-mcts, not {args.strategy}")
    return LLMSettings(backend=args.llm or "local", **given)


def _tuning_keywords(args, err: Console) -> dict:
    """The keywords of `tune` and `tune-model` that come from `_add_tuning_options`."""
    if args.strategy is None:  # an --llm flag implies llm-mcts
        flags = [args.llm] + [getattr(args, _dest(f)) for f in _LLM_FLAGS.values()]
        named_llm = any(flag is not None for flag in flags) or None
        args.strategy = implied_strategy(named_llm, _given_options(args))
    return {
        "strategy": args.strategy,
        "strategy_options": _strategy_options(args),
        "llm": _llm_settings(args),
        "trials": args.trials,
        "time_budget_s": args.time_budget,
        "per_round": args.per_round,
        "seed": args.seed,
        "work_dir": args.work_dir,
        "resume": args.resume,
        "overwrite": args.overwrite,
        "target": args.target,
        "progress": not args.quiet,
        "console": err,
        "cache": False if args.no_cache else args.cache,
    }


def _tune_model(args, out: Console, err: Console) -> int:
    from .model.tune import tune_model  # imports TVM and torch

    try:
        result = tune_model(
            args.model,
            preset=args.preset,
            task_scheduler=args.task_scheduler,
            torch_compile=not args.no_torch_compile,
            **_tuning_keywords(args, err),
        )
    except TuningError as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return 1
    if args.json:
        result.write_json(args.json)
    tasks = Table(title="per task (ms per call; share of the tuned model's time)")
    for column in ("task", "calls", "samples", "untuned", "tuned", "share"):
        tasks.add_column(column, justify="left" if column == "task" else "right")
    for row in result.task_rows():
        tasks.add_row(escape(row[0][:60]), *row[1:])
    out.print(tasks)
    summary = Table(show_header=False, box=None)
    for key, value in result.summary_rows():
        summary.add_row(f"[bold]{key}[/bold]", escape(value))
    out.print(summary)
    return 130 if result.interrupted else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Console()
    err = Console(stderr=True)
    if args.command is None:
        build_parser().print_help()
        return 2
    try:
        if args.command == "workloads":
            _print_workloads(args.json, out)
            return 0
        if args.command == "rpc":
            return _serve(args)
        if args.command == "bench":
            return _bench(args, err)
        if args.command == "cache":
            return _cache(args, out)
        if args.command == "tune-model":
            return _tune_model(args, out, err)
        if (args.rpc_key or args.rpc_workers) and not args.rpc:
            raise UserError("--rpc-key and --rpc-workers need --rpc HOST:PORT")
        from .kernels import tune  # imports TVM: keep `--help` fast

        try:
            result = tune(
                args.workload,
                preset=args.preset,
                shape=args.shape,
                json_path=args.json,
                **_tuning_keywords(args, err),
                rpc=args.rpc,
                rpc_key=args.rpc_key,
                rpc_workers=args.rpc_workers,
                compare=args.compare,
            )
        except TuningError as error:
            err.print(f"[red]error:[/red] {escape(str(error))}")
            return 1
    except UserError as error:
        print(f"reasoning-compiler: error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (missing := missing_extra(error)) is None:
            raise
        print(f"reasoning-compiler: error: {missing}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aborted; rounds measured so far are in the work dir (--resume)", file=sys.stderr)
        return 130

    table = Table(show_header=False, box=None)
    for key, value in result.summary_rows():
        table.add_row(f"[bold]{key}[/bold]", escape(value))
    out.print(table)
    if result.correct is False:
        err.print("[red]error: the tuned kernel's output does not match; do not use it[/red]")
        return 1
    return 130 if result.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
