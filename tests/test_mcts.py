"""MCTS on real MetaSchedule schedules: determinism, tuning through tune() and the CLI, resume."""

import json
import random

import pytest
import tvm_ffi
from tvm.s_tir import meta_schedule as ms

import reasoning_compiler as rc
from conftest import TINY_SHAPES
from reasoning_compiler import cli, measure
from reasoning_compiler.search.mcts_strategy import MCTSSearch
from reasoning_compiler.search.schedule_space import ScheduleSpace
from reasoning_compiler.target import make_target
from reasoning_compiler.workloads import load_kernel
from search_driver import drive

pytestmark = pytest.mark.tuning


@pytest.fixture(scope="module")
def matmul():
    target = make_target(None)
    measure.register_tensor_intrinsics(target)
    return load_kernel("matmul", None, TINY_SHAPES["matmul"]), target


def search_rounds(kernel, target, seed, rounds=3, per_round=4):
    cost_model = ms.cost_model.XGBModel(num_warmup_samples=per_round, num_tuning_cores=1)
    strategy = MCTSSearch(cost_model=cost_model)
    return drive(kernel, target, strategy, cost_model, seed, rounds, per_round)


def test_same_seed_and_measurements_give_the_same_schedules(matmul):
    first = search_rounds(*matmul, seed=1)
    assert [len(batch) for batch in first] == [4, 4, 4]
    assert len({key for batch in first for key in batch}) == 12  # nothing measured twice
    assert search_rounds(*matmul, seed=1) == first
    assert search_rounds(*matmul, seed=2) != first


def test_early_rounds_are_smaller_until_a_rounds_worth_is_measured(matmul):
    kernel, target = matmul
    cost_model = ms.cost_model.XGBModel(num_warmup_samples=4, num_tuning_cores=1)
    strategy = MCTSSearch(cost_model=cost_model, early_round=2)
    batches = drive(kernel, target, strategy, cost_model, seed=1, rounds=3, per_round=4)
    assert [len(batch) for batch in batches] == [2, 2, 4, 4]


def test_transformations_map_to_the_targets_mutators(matmul):
    kernel, target = matmul
    context = ms.TuneContext(
        mod=kernel.mod, target=target, space_generator="post-order-apply", task_name="main"
    )
    spaces = context.space_generator.generate_design_space(kernel.mod)
    space = ScheduleSpace(context, spaces, cost_model=object())
    assert set(space.weights) == {"TileSize", "Parallel", "ComputeLocation", "Unroll"}
    assert space.weights["TileSize"] == pytest.approx(0.9)
    rng = random.Random(0)
    (program,) = space.sample(1, rng)
    transformed = space.transform(program, ["TileSize", "TileSize", "Unroll"], rng)
    assert transformed is not None
    new_program, applied = transformed
    assert applied and set(applied) <= {"TileSize", "Unroll"}
    assert space.key(new_program) != space.key(program)


def test_mcts_tunes_matmul_and_the_output_is_right(tmp_path):
    result = rc.tune(
        "matmul",
        shape=TINY_SHAPES["matmul"],
        strategy="mcts",
        trials=6,
        per_round=2,
        work_dir=tmp_path / "run",
        progress=False,
    )
    assert result.trials == 6
    assert result.correct is True, result.max_rel_error
    assert result.speedup >= 1 and result.best_seconds <= result.untuned_seconds  # never worse
    stats = result.search_stats
    assert stats["initial_samples"] >= 2
    assert stats["expansions"] >= 32  # two tree rounds of 16 iterations per sample
    assert result.settings["strategy"]["branching"] == 2
    data = json.loads((tmp_path / "run" / "result.json").read_text())
    assert data["search_stats"] == stats
    assert "tree search" in str(result)


def test_cli_flags_reach_the_tree_and_resume_measures_nothing_twice(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["tune", "matmul", "--shape", "m=128,n=128,k=128", "--strategy", "mcts", "--quiet"]
    args += ["--mcts-c", "0.5", "--branching", "3", "--rollout-depth", "1"]
    args += ["--per-round", "2", "--work-dir", str(run)]
    assert cli.main([*args, "--trials", "4"]) == 0
    assert cli.main([*args, "--trials", "8", "--resume"]) == 0
    assert "tree search" in capsys.readouterr().out
    data = json.loads((run / "result.json").read_text())
    assert data["settings"]["strategy"] == {
        "c": 0.5,
        "branching": 3,
        "rollout_depth": 1,
        "expansions_per_round": None,
        "early_round": None,
        "sequence_every": 64,
        "sequence_proposals": 2,
        "sequence_share": 0.25,
        "sequence_first_round": 0,
    }
    assert data["trials"] == 8 and data["resumed_samples"] == 4
    # Different tree settings are a different run: resuming with them is refused.
    assert cli.main([*args[:-4], "--branching", "2", "--trials", "9", "--resume"]) == 2
    database = ms.database.JSONDatabase(work_dir=str(run))
    records = database.get_all_tuning_records()
    assert len(records) == 8
    keys = set()
    for record in records:
        sch = ms.database.TuningRecord.as_measure_candidate(record).sch
        keys.add(tvm_ffi.structural_hash(sch.mod))
    assert len(keys) == 8, "a program was measured twice"
