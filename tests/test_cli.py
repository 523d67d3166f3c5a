"""Bad input gets one line on stderr and exit code 2, never a traceback."""

import json
import subprocess
import sys

import pytest

from reasoning_compiler.cli import main


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "reasoning_compiler", *args], capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["tune", "resnet"], "unknown workload 'resnet'"),
        (["tune", "matmul", "--preset", "huge"], "no preset 'huge'"),
        (["tune", "matmul", "--shape", "m=oops"], "malformed --shape"),
        (["tune", "matmul", "--trials", "-1"], "--trials: must be at least 0"),
        (["tune", "matmul", "--trials", "99999999999999999999"], "--trials: must be at most"),
        (["tune", "matmul", "--time-budget", "15 minutes"], "is not a duration like 90s"),
        (["tune", "matmul", "--time-budget", "0m"], "must be a positive duration"),
        (["tune", "matmul", "--seed", "4294967296"], "--seed: must be at most 2147483647"),
        (["tune", "matmul", "--llm-budget", "1e30"], "--llm-budget: '1e30' is not an integer"),
        (["tune", "matmul", "--trials", "ten"], "--trials: 'ten' is not an integer"),
        (["tune", "matmul", "--per-round", "-1"], "--per-round: must be positive"),
        (["tune", "matmul", "--strategy", "annealing"], "invalid choice: 'annealing'"),
        (["tune", "matmul", "--target", "{oops"], "JSON target dict"),
        (["tune", "nope.py:kernel"], "workload file nope.py does not exist"),
        (["tune", "matmul", "--bogus-flag"], "unrecognized arguments: --bogus-flag"),
        (
            ["tune", "matmul", "--strategy", "evolutionary", "--mcts-c", "1"],
            "--mcts-c applies to --strategy mcts or llm-mcts, not evolutionary",
        ),
        (
            ["tune", "matmul", "--llm", "gpt"],
            "--llm must be one of local, local:NAME, openai, replay:DIR",
        ),
        (["tune", "matmul", "--strategy", "mcts", "--mcts-c", "-1"], "--mcts-c: must be"),
        (["tune", "matmul", "--strategy", "mcts", "--mcts-c", "nan"], "--mcts-c: must be"),
        (["tune", "matmul", "--strategy", "mcts", "--branching", "0"], "--branching: must be"),
        (["tune", "matmul", "--strategy", "mcts", "--rollout-depth", "x"], "not an integer"),
        (["tune", "matmul", "--rpc-key", "board"], "--rpc-key and --rpc-workers need --rpc"),
        (["tune", "matmul", "--rpc", "nohost", "--rpc-key", "b"], "--rpc must be HOST:PORT"),
        (["tune", "matmul", "--rpc", "h:1", "--rpc-workers", "0"], "--rpc-workers: must be"),
        (["bench", "--seeds", "a,b"], "--seeds: 'a,b' is not a comma-separated list"),
        (["bench", "--trials", "0"], "--trials: must be positive"),
        (["bench", "--per-round", "3000000000"], "--per-round: must be at most"),
        (["bench", "--target", "-2"], "--target: must be a number"),
        (["bench", "--workloads", "resnet"], "unknown workload 'resnet'"),
        (["bench", "missing.toml"], "missing.toml does not exist"),
        (["rpc"], "`rpc tracker` or `rpc server`"),
        (["rpc", "server", "--key", "k"], "the following arguments are required: --tracker"),
        (["rpc", "server", "--tracker", "h", "--key", "k"], "--tracker must be HOST:PORT"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(main(args))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1, err


def test_missing_function_in_workload_file(tmp_path):
    path = tmp_path / "k.py"
    path.write_text("x = 1\n")
    proc = run_cli("tune", f"{path}:kernel")
    assert proc.returncode == 2
    assert "does not define a function named 'kernel'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unwritable_work_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("tune", "matmul", "--work-dir", str(blocker / "run"))
    assert proc.returncode == 2
    assert "cannot write to work dir" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_workloads_lists_every_preset_with_flops(capsys):
    assert main(["workloads", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {row["workload"] for row in rows}
    assert {
        "matmul",
        "llama3-8b-attention",
        "deepseek-r1-moe",
        "flux-attention",
        "flux-conv",
    } <= names
    assert all(row["gflop"] > 0 and row["dtype"] == "float32" for row in rows)
    assert {row["preset"] for row in rows if row["workload"] == "flux-conv"} == {"paper", "small"}


def test_help_explains_the_tune_flags():
    proc = run_cli("tune", "--help")
    assert proc.returncode == 0
    for flag in (
        "--preset",
        "--shape",
        "--trials",
        "--per-round",
        "--resume",
        "--target",
        "--json",
        "--mcts-c",
        "--branching",
        "--rollout-depth",
    ):
        assert flag in proc.stdout


def test_strategy_options_are_checked_in_the_python_api_too():
    import reasoning_compiler as rc
    from reasoning_compiler.strategies import get_strategy

    mcts = get_strategy("mcts")
    assert mcts.resolve({"c": 0.5})["c"] == 0.5
    assert mcts.resolve(None)["branching"] == 2
    for options, message in [
        ({"temperature": 1}, "has no option temperature"),
        ({"branching": 1.5}, "--branching must be an integer"),
        ({"c": -0.1}, "--mcts-c must be a number >= 0"),
        ({"rollout_depth": True}, "--rollout-depth must be an integer"),
        ({"sequence_share": 1.5}, "sequence_share must be between 0 and 1"),
        ({"sequence_every": 0}, "sequence_every must be"),
    ]:
        with pytest.raises(rc.UserError, match=message):
            mcts.resolve(options)
    with pytest.raises(rc.UserError, match="has no option c"):
        get_strategy("evolutionary").resolve({"c": 1.0})


def test_the_default_strategy_is_mcts_unless_an_llm_is_named():
    from reasoning_compiler.cli import _tuning_keywords, build_parser
    from reasoning_compiler.strategies import DEFAULT_STRATEGY, implied_strategy

    assert DEFAULT_STRATEGY == "mcts"  # by the llm-paired measurement (README)
    assert implied_strategy() == "mcts"
    assert implied_strategy("local") == "llm-mcts"
    assert implied_strategy(None, {"history_depth": 3}) == "llm-mcts"
    assert implied_strategy(None, {"c": 1.0}) == "mcts"
    parser = build_parser()
    for flags, strategy in [
        ([], "mcts"),
        (["--llm", "local"], "llm-mcts"),
        (["--llm-budget", "4"], "llm-mcts"),
        (["--llm-timeout", "9"], "llm-mcts"),
        (["--strategy", "evolutionary"], "evolutionary"),
    ]:
        args = parser.parse_args(["tune", "matmul", *flags])
        assert _tuning_keywords(args, None)["strategy"] == strategy, flags


def test_durations():
    from reasoning_compiler.cli import _duration

    assert [_duration(t) for t in ("90", "90s", "15m", "1.5h", " 2M ")] == [90, 90, 900, 5400, 120]


def test_the_package_the_cli_and_listing_workloads_need_neither_tvm_nor_torch():
    # TVM and torch load when something is tuned or built: `--help`, `workloads` and a plain
    # `import reasoning_compiler` stay fast, and work without the torch extra.
    code = """
import contextlib, io, sys
import reasoning_compiler as rc
from reasoning_compiler.cli import main
rc.WORKLOADS, rc.MODEL_BLOCKS, rc.STRATEGIES, rc.UserError
with contextlib.redirect_stdout(io.StringIO()) as listing:
    main(["workloads", "--json"])
assert "llama3-8b-attention" in listing.getvalue()
print(",".join(m for m in ("tvm", "torch") if m in sys.modules) or "none")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "none"


def test_the_package_names_load_on_first_use():
    import reasoning_compiler as rc

    assert rc.tune.__name__ == "tune" and rc.tune_model.__name__ == "tune_model"
    assert set(rc.__all__) <= set(dir(rc))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rc.nope  # noqa: B018
