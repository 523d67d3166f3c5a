"""The benchmark harness: configs, the figures computed from run logs, and a tiny real bench."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_SHAPES
from reasoning_compiler import UserError, bench
from reasoning_compiler.benchmark import BenchConfig, load_config, report
from reasoning_compiler.benchmark.config import Arm
from reasoning_compiler.benchmark.quality import machine_peak
from reasoning_compiler.benchmark.report import plot_curves
from reasoning_compiler.compare import NUMPY_OPERATORS
from reasoning_compiler.workloads import WORKLOADS


def _shape_text(workload):
    return ",".join(f"{k}={v}" for k, v in TINY_SHAPES[workload].items())


# ---- configs ------------------------------------------------------------------------------


def test_toml_and_yaml_configs_give_the_same_benchmark(tmp_path):
    (tmp_path / "a.toml").write_text(
        'workloads = ["matmul"]\nseeds = [0, 1]\ntrials = 4\n'
        '[[arms]]\nlabel = "B=4"\nstrategy = "mcts"\noptions = { branching = 4 }\n'
    )
    (tmp_path / "a.yaml").write_text(
        "workloads: [matmul]\nseeds: [0, 1]\ntrials: 4\n"
        "arms:\n  - {label: B=4, strategy: mcts, options: {branching: 4}}\n"
    )
    toml, yaml = load_config(tmp_path / "a.toml"), load_config(tmp_path / "a.yaml")
    assert toml.as_dict() == yaml.as_dict()
    assert toml.arms == [Arm("B=4", "mcts", {"branching": 4})]
    assert [r.work_dir.parts[-3:] for r in toml.runs()] == [
        ("matmul", "B_4", "seed0"),
        ("matmul", "B_4", "seed1"),
    ]
    assert str(toml.out) == "runs/bench-a"


def test_flags_override_the_file(tmp_path):
    (tmp_path / "q.toml").write_text(
        'workloads = ["matmul", "flux-conv"]\nstrategies = ["evolutionary", "mcts"]\ntrials = 9\n'
    )
    config = load_config(tmp_path / "q.toml", trials=3, seeds=[4], arms=["mcts"], out="x")
    assert (config.trials, config.seeds, [a.label for a in config.arms]) == (3, [4], ["mcts"])
    assert str(config.out) == "x"
    assert [a.strategy for a in load_config(strategies=["llm-mcts"]).arms] == ["llm-mcts"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('workloads = ["resnet"]', "unknown workload 'resnet'"),
        ("trials = 0", "trials must be an integer from 1 to"),
        ("seeds = [-1]", "seeds must be an integer from 0 to"),
        ("trials = 99999999999999999999", "trials must be an integer from 1 to 2147483647"),
        ('seeds = "0"', "seeds must be a non-empty list"),
        ("bogus = 1", "unknown setting 'bogus'"),
        ('strategies = ["annealing"]', "unknown strategy 'annealing'"),
        ('target = "best"', "target must be a speedup"),
        ('workloads = ["matmul"]\n[shape]\nmatmul = "m=oops"', "malformed --shape"),
        ('workloads = ["matmul"]\n[shape]\nflux-conv = "size=8"', "not among the workloads"),
        ('strategies = ["mcts", "mcts"]', "arm labels must differ"),
        ('[[arms]]\nstrategy = "mcts"\noptions = { depth = 3 }', "has no option depth"),
        ('[[arms]]\nstrategy = "mcts"\nllm = { model = "x" }', "llm settings apply to llm-mcts"),
        ('[[arms]]\nstrategy = "llm-mcts"\nllm = { key = "sk-1" }', "unknown llm setting 'key'"),
        ('[[arms]]\nlabel = "x"', "an arm needs at least a strategy"),
        ("workloads = [", "is not valid"),
    ],
)
def test_bad_configs_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        load_config(path)


def test_config_file_must_exist_and_be_toml_or_yaml(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "c.json").write_text("{}")
    with pytest.raises(UserError, match=r"use a \.toml, \.yaml or \.yml file"):
        load_config(tmp_path / "c.json")
    with pytest.raises(UserError, match="no arm labelled 'nope'"):
        load_config(arms=["nope"])


def test_shipped_configs_load():
    configs = sorted((Path(__file__).parent.parent / "benchmarks" / "configs").glob("*.*"))
    assert {c.stem for c in configs} >= {
        "quick",
        "full",
        "ablation-llm",
        "ablation-history",
        "ablation-branching",
        "block-causal",
    }
    for path in configs:
        config = load_config(path)
        assert config.runs(), path
    history = load_config(configs[[c.stem for c in configs].index("ablation-history")])
    assert [a.options["history_depth"] for a in history.arms] == [0, 1, 2, 3]


# ---- figures from logs (hand-written runs, no TVM) ---------------------------------------------


def _write_run(out, workload, arm, seed, untuned, latencies, walls, sessions=None, split=None):
    path = out / "runs" / workload / arm / f"seed{seed}"
    path.mkdir(parents=True)
    sessions = sessions or [1] * len(latencies)
    rows = [
        {"index": i + 1, "latency_s": lat, "wall_s": w, "session": s}
        for i, (lat, w, s) in enumerate(zip(latencies, walls, sessions, strict=True))
    ]
    (path / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    best = min(x for x in latencies if x is not None)
    result = {
        "trials": len(latencies),
        "resumed_samples": 0,
        "untuned_seconds": untuned,
        "best_seconds": best,
        "flops": 2e9,
        "wall_seconds": walls[-1] + 1.0,
        "time_split": split or {"search": 1.0, "llm": 0.0, "build": 2.0, "run": 3.0, "baseline": 1},
        "correct": True,
        "llm": None,
    }
    (path / "result.json").write_text(json.dumps(result))


def _handmade_bench(tmp_path):
    config = BenchConfig(
        workloads=["matmul"],
        arms=[Arm("evolutionary", "evolutionary"), Arm("mcts", "mcts")],
        seeds=[0, 1],
        trials=4,
        checkpoints=[2, 4, 600],
        out=tmp_path,
    )
    # evolutionary: untuned 1.0 s; bests 0.5 then 0.25 (seed 0), 0.5 all along (seed 1)
    _write_run(tmp_path, "matmul", "evolutionary", 0, 1.0, [0.5, 0.6, 0.25, 0.3], [1, 2, 3, 4])
    _write_run(tmp_path, "matmul", "evolutionary", 1, 1.0, [None, 0.5, 0.7, 0.9], [1, 2, 3, 4])
    # mcts: reaches 4x at sample 2 in both seeds; seed 1 was resumed in a second session
    _write_run(tmp_path, "matmul", "mcts", 0, 2.0, [1.0, 0.5, 0.5, 0.5], [1, 2, 3, 4])
    _write_run(
        tmp_path, "matmul", "mcts", 1, 1.0, [0.5, 0.25, 1, 1], [1, 2, 1, 2], sessions=[1, 1, 2, 2]
    )
    return config


@pytest.mark.slow
def test_llm_mcts_is_compared_with_mcts_seed_by_seed(tmp_path):
    config = BenchConfig(
        workloads=["matmul"],
        arms=[Arm("mcts", "mcts"), Arm("llm-mcts", "llm-mcts")],
        seeds=[0, 1, 2, 3],
        trials=2,
        checkpoints=[1, 2],
        out=tmp_path,
    )
    # untuned 1.0 s: mcts reaches 2x in every seed; llm-mcts 4x, 4x, 2x and 1x at sample 2
    for seed, best in enumerate([0.25, 0.25, 0.5, 1.0]):
        _write_run(tmp_path, "matmul", "mcts", seed, 1.0, [1.0, 0.5], [1, 2])
        _write_run(tmp_path, "matmul", "llm-mcts", seed, 1.0, [1.0, best], [1, 2])
    (tmp_path / "machine.json").write_text(json.dumps({"references": {"matmul": {}}}))
    results = report(config)
    at_2 = next(r for r in results["paired"] if r["samples"] == 2)
    assert at_2["ratios"] == [2.0, 2.0, 1.0, 0.5]
    assert at_2["mean_ratio"] == pytest.approx(1.375)
    assert at_2["std_ratio"] == pytest.approx(np.std([2.0, 2.0, 1.0, 0.5], ddof=1))
    assert (at_2["wins"], at_2["losses"], at_2["seeds"]) == (2, 1, 4)
    assert at_2["ci90"][0] < 1.375 < at_2["ci90"][1]
    assert at_2["sign_p"] == pytest.approx(1.0)  # 2 of 3 untied seeds: no evidence
    assert 0 < at_2["wilcoxon_p"] <= 1
    at_1 = next(r for r in results["paired"] if r["samples"] == 1)
    assert at_1["ratios"] == [1.0] * 4 and at_1["wilcoxon_p"] is None  # all tied
    assert "## Paired by seed: llm-mcts against mcts" in (tmp_path / "report.md").read_text()


def test_figures_are_computed_from_the_logs(tmp_path):
    config = _handmade_bench(tmp_path)
    (tmp_path / "machine.json").write_text(
        json.dumps({"preset": "small", "shape": {}, "references": {"matmul": {}}})
    )
    results = report(config)
    evo, mcts = results["arms"]
    assert evo["at"]["2"]["per_seed"] == [2.0, 2.0]
    assert evo["at"]["4"]["per_seed"] == [4.0, 2.0]
    assert evo["at"]["4"]["mean"] == 3.0
    assert evo["at"]["4"]["std"] == pytest.approx(2**0.5)  # the sample standard deviation
    assert "600" not in evo["at"]  # beyond the budget: no column
    assert results["checkpoints"] == [2, 4]
    # seed 1's failed first sample counts 1.0: the untuned program is a candidate too
    assert evo["curve"]["mean"] == [1.5, 2.0, 3.0, 3.0]
    assert mcts["curve"]["mean"] == [2.0, 4.0, 4.0, 4.0]
    assert mcts["curve"]["relative_to_baseline"] == [4 / 3, 2.0, 4 / 3, 4 / 3]
    # target: evolutionary's final mean, 3.0x; evolutionary needs 3 samples, mcts 2
    assert evo["target"]["speedup"] == 3.0
    assert (evo["target"]["samples"], mcts["target"]["samples"]) == (3, 2)
    assert mcts["target"]["fewer_samples_ratio"] == 1.5
    assert mcts["target"]["seconds"] == 2.0
    # the second session's wall times continue the first's
    assert evo["seconds_per_sample"]["build"] == 0.5 and evo["seconds_per_sample"]["total"] == 1.25
    assert evo["quality"]["best_seconds"] == 0.25 and evo["quality"]["gflops"] == 8.0

    text = (tmp_path / "report.md").read_text()
    assert "| matmul | evolutionary | 2.00 ± 0.00 | 3.00 ± 1.41 |" in text
    assert "| matmul | mcts | 4.00 ± 0.00 | 4.00 ± 0.00 |" in text
    assert "| matmul | mcts | 3.00 | 2 | 3 | 1.50x | 2 s |" in text
    assert json.loads((tmp_path / "results.json").read_text())["arms"][0]["at"] == evo["at"]
    for name in ("figure3.png", "figure4.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_missing_and_unfinished_runs_are_listed(tmp_path):
    config = _handmade_bench(tmp_path)
    config.seeds = [0, 1, 2]
    config.trials = 5
    (tmp_path / "machine.json").write_text(
        json.dumps({"preset": "small", "shape": {}, "references": {"matmul": {}}})
    )
    results = report(config)
    assert "matmul / mcts / seed 2: not measured yet" in results["missing"]
    assert "matmul / mcts / seed 0: 4 of 5 samples so far" in results["missing"]
    assert "## Missing or unfinished runs" in (tmp_path / "report.md").read_text()


def test_a_benchmark_spread_over_machines_or_days_says_so(tmp_path):
    config = _handmade_bench(tmp_path)
    (tmp_path / "machine.json").write_text(json.dumps({"references": {"matmul": {}}}))
    for arm, seed, mcpu in [("mcts", 0, "znver5"), ("mcts", 1, "znver3"), ("evolutionary", 0, "x")]:
        path = tmp_path / "runs" / "matmul" / arm / f"seed{seed}" / "result.json"
        path.write_text(json.dumps(json.loads(path.read_text()) | {"target": {"mcpu": mcpu}}))
    finished = {"mcts": "2026-12-02T07:00:00+0000", "evolutionary": "2026-12-03T07:00:00+0000"}
    records = {
        f"runs/matmul/{a}/seed{s}": {"finished_at": finished[a]} for a in finished for s in (0, 1)
    }
    (tmp_path / "bench_runs.json").write_text(json.dumps(records))
    results = report(config)
    assert results["sessions"] == {
        "evolutionary": {"x, 2026-12-03": 1, "?, 2026-12-03": 1},
        "mcts": {"znver5, 2026-12-02": 1, "znver3, 2026-12-02": 1},
    }
    text = (tmp_path / "report.md").read_text()
    assert "mcts: 1 on znver5, 2026-12-02, 1 on znver3, 2026-12-02" in text
    # all on one CPU on one day: nothing to say
    for path in (tmp_path / "runs").rglob("result.json"):
        path.write_text(json.dumps(json.loads(path.read_text()) | {"target": {"mcpu": "x"}}))
    (tmp_path / "bench_runs.json").write_text(json.dumps({}))
    report(config)
    assert "Runs by CPU" not in (tmp_path / "report.md").read_text()


# ---- kernel quality references -------------------------------------------------------------------


@pytest.mark.parametrize("workload", sorted(NUMPY_OPERATORS))
def test_numpy_operators_compute_the_workload(workload):
    kernel = WORKLOADS[workload].resolve("small", TINY_SHAPES[workload])
    inputs = kernel.random_inputs(0)
    fast = NUMPY_OPERATORS[workload](*inputs, **kernel.shape)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, kernel.reference(*inputs), rtol=1e-4, atol=1e-4)


def test_peak_formula():
    peak = machine_peak("znver4", cores=2, vector_bits=512)
    assert peak["float32_lanes"] == 8  # Zen 4 runs 512-bit FMAs on 256-bit units
    assert peak["gflops"] == pytest.approx(2 * peak["clock_ghz"] * 2 * 2 * 8, rel=1e-3)
    assert machine_peak("sapphirerapids", cores=1, vector_bits=512)["float32_lanes"] == 16


# ---- a tiny real benchmark ------------------------------------------------------------------


@pytest.mark.tuning
def test_tiny_bench_end_to_end(tmp_path):
    """Two strategies x two seeds x 2 samples, measured for real; every figure in the table and
    the plot is checked against the runs' own logs; a second call measures nothing again."""
    config = BenchConfig(
        workloads=["matmul"],
        shape={"matmul": _shape_text("matmul")},
        arms=[Arm("evolutionary", "evolutionary"), Arm("mcts", "mcts")],
        seeds=[0, 1],
        trials=2,
        per_round=2,
        checkpoints=[1, 2],
        out=tmp_path,
    )
    results = bench(config, progress=False)
    assert not results["missing"] and not results["stopped"]
    text = (tmp_path / "report.md").read_text()
    figure = plot_curves(results)
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    for arm in results["arms"]:
        per_seed = []
        for seed in (0, 1):
            run = tmp_path / "runs" / "matmul" / arm["arm"] / f"seed{seed}"
            untuned = json.loads((run / "result.json").read_text())["untuned_seconds"]
            rows = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
            assert len(rows) == 2
            latencies = [r["latency_s"] or np.inf for r in rows]
            # the untuned program is a candidate too: never below 1.0
            per_seed.append([max(1.0, untuned / min(latencies[:n])) for n in (1, 2)])
        per_seed = np.array(per_seed)
        for n in (1, 2):
            cell = arm["at"][str(n)]
            np.testing.assert_allclose(cell["per_seed"], per_seed[:, n - 1])
        row = " | ".join(
            f"{per_seed[:, n].mean():.2f} ± {per_seed[:, n].std(ddof=1):.2f}" for n in (0, 1)
        )
        assert f"| matmul | {arm['arm']} | {row} |" in text
        np.testing.assert_allclose(lines[arm["arm"]].get_ydata(), per_seed.mean(axis=0))
        assert arm["peak_rss_gib"] > 0
        assert arm["seconds_per_sample"]["build"] > 0
    for name in ("figure3.png", "figure4.png", "results.json", "machine.json"):
        assert (tmp_path / name).stat().st_size > 0
    machine = json.loads((tmp_path / "machine.json").read_text())
    assert machine["references"]["matmul"]["numpy"]["gflops"] > 0
    assert machine["peak"]["gflops"] > 0

    # Resumable: finished runs are not measured again; a bigger budget extends them.
    records = json.loads((tmp_path / "bench_runs.json").read_text())
    bench(config, progress=False)
    assert json.loads((tmp_path / "bench_runs.json").read_text()) == records
    config.trials, config.arms = 3, [Arm("mcts", "mcts")]
    results = bench(config, progress=False)
    assert [a["samples"] for a in results["arms"]] == [3]
    records = json.loads((tmp_path / "bench_runs.json").read_text())
    assert records["runs/matmul/mcts/seed0"]["resumed"] is True


@pytest.mark.tuning
def test_ctrl_c_stops_the_bench_and_the_same_command_continues(tmp_path):
    """Ctrl-C in a terminal reaches the whole process group: the run being measured saves and
    stops, the bench stops before the next run, and the same command finishes the rest."""
    config = tmp_path / "tiny.toml"
    config.write_text(
        f'workloads = ["matmul"]\nstrategies = ["mcts"]\nseeds = [0, 1]\ntrials = 12\n'
        f'per_round = 4\nout = "{tmp_path / "out"}"\n[shape]\nmatmul = "{_shape_text("matmul")}"\n'
    )
    command = [sys.executable, "-m", "reasoning_compiler", "bench", str(config), "--quiet"]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    samples = tmp_path / "out" / "runs" / "matmul" / "mcts" / "seed0" / "samples.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and not (
        samples.exists() and samples.read_text().count("\n") >= 4
    ):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "Run the same command again to continue" in err
    assert 4 <= samples.read_text().count("\n") < 12
    assert not (tmp_path / "out" / "runs" / "matmul" / "mcts" / "seed1").exists()
    assert "not measured yet" in (tmp_path / "out" / "report.md").read_text()

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    records = json.loads((tmp_path / "out" / "bench_runs.json").read_text())
    assert records["runs/matmul/mcts/seed0"]["resumed"] is True
    assert records["runs/matmul/mcts/seed1"]["resumed"] is False
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [a["samples"] for a in results["arms"]] == [12] and not results["missing"]


def test_config_json_never_holds_a_base_url_password(tmp_path):
    arm = Arm("x", "llm-mcts", llm={"backend": "openai", "base_url": "http://u:s3cret@h:8000/v1"})
    config = BenchConfig(workloads=["matmul"], arms=[arm], out=tmp_path)
    assert "s3cret" not in json.dumps(config.as_dict())
    assert config.arms[0].llm["base_url"].endswith("s3cret@h:8000/v1")  # the run still gets it


def test_a_run_whose_bench_process_is_gone_stops_as_on_ctrl_c():
    # The watcher is given a parent that is not this process's: as if the bench were killed.
    script = (
        "import signal, time\n"
        "from reasoning_compiler.benchmark.runner import interrupt_when_orphaned\n"
        # As in a run, whose Ctrl-C handler is set; a test process may pass SIGINT on ignored.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "try:\n"
        "    interrupt_when_orphaned(parent=-1, interval_s=0.01)\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt:\n"
        "    print('stopped as on Ctrl-C')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "stopped as on Ctrl-C", done.stderr
