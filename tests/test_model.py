"""Whole-model tuning: a tiny PyTorch module exported, tuned per task, built, checked, loaded."""

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import tvm
import tvm_ffi
from tvm import relax
from tvm.s_tir import meta_schedule as ms
from tvm.s_tir.meta_schedule.arg_info import ArgInfo

from conftest import sampled_programs
from llm_stub import StubEndpoint
from reasoning_compiler import measure, timing, weight_packing
from reasoning_compiler.cli import main
from reasoning_compiler.errors import UserError
from reasoning_compiler.llm import LLMSettings
from reasoning_compiler.model.attention import KERNEL_NAME
from reasoning_compiler.model.frontend import (
    ModelError,
    build,
    extract_tasks,
    load_model,
    lower,
    to_relax,
)
from reasoning_compiler.model.result import ModelResult
from reasoning_compiler.model.tune import TaskChecks, tune_model
from reasoning_compiler.target import make_target
from reasoning_compiler.workloads.base import random_inputs

MODELS = Path(__file__).parent / "models" / "tiny.py"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("tiny")
    result = tune_model(
        f"{MODELS}:tiny",
        strategy="mcts",
        trials=6,
        per_round=2,
        work_dir=work,
        torch_compile=False,
        progress=False,
    )
    return result, work


@pytest.mark.tuning
def test_tiny_model_is_tuned_built_and_matches_pytorch(tiny_run):
    result, work = tiny_run
    assert result.correct and result.max_rel_error <= 1e-3
    assert result.trials == 6
    rows = [json.loads(line) for line in (work / "samples.jsonl").read_text().splitlines()]
    task_names = {t["task"] for t in result.tasks}
    assert len(rows) == 6 and all(row["task"] in task_names for row in rows)
    assert sum(t["samples"] for t in result.tasks) == 6
    # Every task measured is built with its database program (none re-fused away).
    assert all(t["in_build"] for t in result.tasks if t["tuned"])
    assert set(result.latency) == {"tvm_untuned", "tvm_tuned", "torch_eager"}
    assert all(cell["seconds"] > 0 for cell in result.latency.values())
    # Tiny tasks: each untuned time is the runner's median, and every cell says how it was timed.
    assert {t["untuned_timed_by"] for t in result.tasks} == {"median of 3"}
    assert result.latency["tvm_untuned"]["protocol"] == "median of 5"
    assert all(cell["protocol"] for cell in result.latency.values())
    assert len(result.curve) == 6 and result.curve[-1][1] <= result.curve[0][1]
    assert json.loads((work / "result.json").read_text())["model"] == "tiny.py:tiny"
    assert (work / "curve.png").stat().st_size > 0
    # The run pipeline's record, shared with kernels: versions, budget, evaluator settings.
    assert result.tvm_version and result.llm is None and not result.budget_spent
    assert result.settings["cost_model"]["kind"] == "xgb" and result.settings["per_round"] == 2
    assert ModelResult.load(work / "result.json") == result


@pytest.mark.tuning
def test_a_model_run_with_an_llm_reports_its_accounting(tmp_path):
    """One proposer per task, one LLM behind them: the result sums their calls and seconds."""
    with StubEndpoint(["ok:Transformations to apply: TileSize, Unroll"]) as endpoint:
        result = tune_model(
            f"{MODELS}:tiny",
            strategy="llm-mcts",
            strategy_options={"llm_every": 1},
            llm=LLMSettings("openai", model="stub", base_url=endpoint.url, retries=0),
            trials=6,  # a task's first round samples its space; the LLM expands the next
            per_round=2,
            work_dir=tmp_path / "run",
            torch_compile=False,
            progress=False,
        )
        asked = len(endpoint.requests)
    assert result.correct and result.trials == 6
    assert result.llm["model"] == "stub" and result.llm["calls"] == asked > 0
    assert result.llm["proposers"] == len(result.tasks)
    assert result.time_split["llm"] == pytest.approx(result.llm["seconds"], abs=1e-3)
    assert any(key == "LLM" for key, _ in result.summary_rows())


@pytest.mark.tuning
def test_exported_library_loads_and_runs(tiny_run):
    import tvm
    from tvm import relax

    result, _ = tiny_run
    model = load_model(f"{MODELS}:tiny")
    vm = relax.VirtualMachine(tvm.runtime.load_module(result.library), tvm.cpu())
    out = vm["main"](tvm.runtime.tensor(model.inputs[0]))[0].numpy()  # outputs: a tuple
    with torch.no_grad():
        expected = model.module(*model.torch_inputs).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.tuning
def test_resume_continues_to_the_new_total(tiny_run, tmp_path):
    _, work = tiny_run
    copy = tmp_path / "again"
    import shutil

    shutil.copytree(work, copy)
    result = tune_model(
        f"{MODELS}:tiny",
        strategy="mcts",
        trials=8,
        per_round=2,
        work_dir=copy,
        resume=True,
        torch_compile=False,
        progress=False,
    )
    assert result.trials == 8 and result.resumed_samples == 6 and result.correct


@pytest.mark.tuning
def test_failing_tasks_keep_their_untuned_schedule(tmp_path):
    # Every sample times out: nothing is tuned, yet the model builds, runs and matches.
    settings = replace(measure.MeasureSettings(), run_timeout_s=1e-3)
    result = tune_model(
        f"{MODELS}:tiny",
        strategy="mcts",
        trials=4,
        per_round=2,
        work_dir=tmp_path,
        torch_compile=False,
        progress=False,
        settings=settings,
    )
    assert result.failed_trials == 4
    assert not any(t["tuned"] for t in result.tasks)
    assert all(t["tuned_s"] == t["untuned_s"] for t in result.tasks)
    assert result.correct
    assert "0 faster than untuned" in dict(result.summary_rows())["tasks"]


@pytest.mark.tuning
def test_slow_untuned_code_is_timed_once_and_the_untuned_model_estimated(tmp_path, monkeypatch):
    # As if every call were as long as naive loops at real sizes: one call per untuned task,
    # the untuned model's time is the sum of its tasks' (not minutes of calls), stated as such.
    from reasoning_compiler.model import tune

    monkeypatch.setattr(timing, "LONG_CALL_S", 0.0)
    monkeypatch.setattr(tune, "UNTUNED_ESTIMATE_FROM_S", 0.0)
    result = tune_model(
        f"{MODELS}:tiny", strategy="mcts", trials=2, per_round=2, work_dir=tmp_path,
        torch_compile=False, progress=False,
    )  # fmt: skip
    assert {t["untuned_timed_by"] for t in result.tasks} == {"one call"}
    untuned = result.latency["tvm_untuned"]
    assert untuned["protocol"].startswith("estimate")
    assert untuned["seconds"] == pytest.approx(
        sum(t["untuned_s"] * t["calls"] for t in result.tasks)
    )
    assert result.latency["tvm_tuned"]["protocol"] == "one call"
    assert "[estimate" in dict(result.summary_rows())["TVM untuned"]
    assert result.correct


def _packs(mod) -> bool:
    return weight_packing.PACK_WEIGHTS in {
        gv.name_hint for gv in weight_packing.split(mod).functions
    }


@pytest.mark.slow
@pytest.mark.parametrize("factory", ["tiny", "routed"])
def test_a_model_packs_its_weights_once(factory, tmp_path):
    """A model's weights are constants: its tasks mark them layout-free, a sample that packs
    them passes its task's output check (the runner packs the task's inputs as written), and
    the build packs them once, on the constants, so the built model runs no copy per call
    (also beside a function without blocks, top-k's, which upstream's split pass stops at)."""
    target = make_target("host")
    model = load_model(f"{MODELS}:{factory}")
    lowered = lower(to_relax(model), target)
    task = extract_tasks(lowered, target)[0]
    assert list(task.mod["main"].attrs["layout_free_buffers"])  # the weight (and the bias)
    program = next((p for p in sampled_programs(task.mod, 8) if _packs(p.mod)), None)
    assert program is not None

    checks, shapes = TaskChecks(tmp_path), task.arg_shapes()
    inputs = random_inputs(shapes, checks.check.seed)
    checks.save(0, measure.run_once(task.mod, target, inputs), shapes[:-1])
    checks.select(0)
    runner = measure.make_runner(measure.MeasureSettings(), checks.check)
    try:
        latency, error = measure.measure_module(program.mod, target, runner)
    finally:
        runner.pool.shutdown()
    assert error is None and latency > 0

    database = ms.database.MemoryDatabase()
    workload = database.commit_workload(task.mod)
    args_info = ArgInfo.from_prim_func(task.mod["main"])
    database.commit_tuning_record(
        ms.database.TuningRecord(program.trace, workload, [latency], target, args_info)
    )
    executable, applied = build(lowered, target, database)
    assert applied == {task.name}
    calls = executable.as_text()
    assert f"{task.name}_prepacked" in calls  # the program on packed weights
    assert "weight_prepack" not in calls  # the copy: run at build, on the constants
    np.testing.assert_allclose(
        _run(executable, model), model.reference_output(), rtol=1e-4, atol=1e-5
    )


def _run(executable, model) -> np.ndarray:
    vm = relax.VirtualMachine(executable, tvm.cpu())
    return vm["main"](tvm.runtime.tensor(model.inputs[0]))[0].numpy()


def test_sdpa_is_computed_by_the_fused_attention_kernel():
    """scaled_dot_product_attention lowers to the per-query-block kernel, two sequences folded
    into its heads, and matches PyTorch; a causal one keeps Relax's own (dense) lowering."""
    target = make_target("host")
    for factory, fused in (("attention", True), ("causal_attention", False)):
        model = load_model(f"{MODELS}:{factory}")
        lowered = lower(to_relax(model), target)
        names = [t.name for t in extract_tasks(lowered, target)]
        assert any(KERNEL_NAME in name for name in names) is fused, names
        executable, _ = build(lowered, target)
        output = _run(executable, model)
        np.testing.assert_allclose(output, model.reference_output(), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_a_tuned_fused_attention_task_builds_into_the_model():
    """A sampled program of the model's fused attention task (steps vectorized inside its
    tiles) is what the build applies, and the model still matches PyTorch."""
    target = make_target("host")
    model = load_model(f"{MODELS}:attention")
    lowered = lower(to_relax(model), target)
    task = next(t for t in extract_tasks(lowered, target) if KERNEL_NAME in t.name)
    written = tvm_ffi.structural_hash(task.mod)
    program = sampled_programs(task.mod, 1)[0]
    assert tvm_ffi.structural_hash(task.mod) == written  # sampling copies, never edits, it
    database = ms.database.MemoryDatabase()
    workload = database.commit_workload(task.mod)
    args_info = ArgInfo.from_prim_func(task.mod["main"])
    database.commit_tuning_record(
        ms.database.TuningRecord(program.trace, workload, [1e-3], target, args_info)
    )
    executable, applied = build(lowered, target, database)
    assert applied == {task.name}
    np.testing.assert_allclose(
        _run(executable, model), model.reference_output(), rtol=1e-4, atol=1e-5
    )


@pytest.mark.slow
def test_built_in_blocks_lower_to_tasks():
    target = make_target("host")
    model = load_model("llama3-8b-decoder", "small")
    tasks = extract_tasks(lower(to_relax(model), target), target)
    flops = [t.flops * t.weight for t in tasks]
    assert flops == sorted(flops, reverse=True)  # the heaviest are tuned first
    assert sum(t.name.startswith("matmul") for t in tasks) >= 6


@pytest.mark.parametrize(
    ("factory", "stage", "words"),
    [
        ("unsupported_op", "import", "fft"),
        ("data_dependent", "export", ""),
    ],
)
def test_models_that_do_not_export_give_one_line(factory, stage, words, capfd):
    model = load_model(f"{MODELS}:{factory}")
    capfd.readouterr()
    with pytest.raises(ModelError) as info:
        to_relax(model)
    message = str(info.value)
    assert message.startswith(stage) and words in message and "\n" not in message
    # torch's own warnings and graph dumps stay out of the terminal, in the file named
    assert capfd.readouterr() == ("", "")
    if model.frontend_output.strip():
        assert message.endswith(".log)")
        kept = message.rsplit("its own output: ", 1)[1][:-1]
        assert Path(kept).read_text() == model.frontend_output


def test_bad_model_specs():
    with pytest.raises(UserError, match="unknown model"):
        load_model("resnet-9000")
    with pytest.raises(UserError, match="no preset"):
        load_model("flux-block", "huge")
    with pytest.raises(UserError, match=r"must return \(torch.nn.Module"):
        load_model(f"{MODELS}:not_a_model")
    with pytest.raises(UserError, match="does not define"):
        load_model(f"{MODELS}:missing")


def test_cli_reports_an_unsupported_model_on_one_line(capsys, tmp_path):
    code = main(["tune-model", f"{MODELS}:unsupported_op", "--work-dir", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert code == 2
    assert "import (Relax frontend): unsupported operator" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_without_torch_the_cli_names_the_install_command(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if the torch extra were not installed
    code = main(["tune-model", "llama3-8b-decoder", "--work-dir", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "pip install 'reasoning-compiler[torch]'" in err
    assert not (tmp_path / "w").exists()


def _onnx_file(path, dynamic=False):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((16, 8)).astype("float32"), "w")
    bias = numpy_helper.from_array(rng.standard_normal(8).astype("float32"), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["z"]),
            helper.make_node("Relu", ["z"], ["y"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n" if dynamic else 4, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
        initializer=[weight, bias],
    )
    # IR version 10: onnxruntime 1.30 reads up to 13, onnx 1.23 writes 14 by default.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.save(model, str(path))
    return path


@pytest.mark.tuning
def test_an_onnx_model_is_tuned_and_checked_against_onnx_runtime(tmp_path):
    pytest.importorskip("onnxruntime")
    path = _onnx_file(tmp_path / "tiny.onnx")
    result = tune_model(
        str(path),
        strategy="mcts",
        trials=2,
        per_round=2,
        work_dir=tmp_path / "run",
        progress=False,
    )
    assert result.correct and result.model == "tiny.onnx"
    assert set(result.latency) == {"tvm_untuned", "tvm_tuned", "onnxruntime"}


def test_an_onnx_model_with_a_dynamic_shape_is_refused(tmp_path):
    path = _onnx_file(tmp_path / "dynamic.onnx", dynamic=True)
    with pytest.raises(UserError, match="dynamic shape"):
        load_model(str(path))
