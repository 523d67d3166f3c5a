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
        (["tune", "matmul", "--trials", "0"], "--trials: must be positive"),
        (["tune", "matmul", "--trials", "ten"], "--trials: 'ten' is not an integer"),
        (["tune", "matmul", "--per-round", "-1"], "--per-round: must be positive"),
        (["tune", "matmul", "--strategy", "annealing"], "invalid choice: 'annealing'"),
        (["tune", "matmul", "--target", "{oops"], "JSON target dict"),
        (["tune", "nope.py:kernel"], "workload file nope.py does not exist"),
        (["tune", "matmul", "--bogus-flag"], "unrecognized arguments: --bogus-flag"),
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
    ):
        assert flag in proc.stdout
