import os
import subprocess
import sys

import pytest

from reasoning_compiler import UserError
from reasoning_compiler.target import (
    available_cores,
    host_cpu,
    make_target,
    needs,
    summarize,
    vector_bits,
)


def test_host_target_has_cpu_and_cores():
    target = make_target("host")
    assert target.kind.name == "llvm"
    assert str(target.attrs["mcpu"]) == host_cpu()
    assert int(target.attrs["num-cores"]) == available_cores()


@pytest.mark.parametrize(
    "mcpu, bits", [("haswell", 256), ("znver1", 256), ("znver4", 512), ("sapphirerapids", 512)]
)
def test_the_vector_width_follows_the_cpus_instruction_set(mcpu, bits):
    target = make_target({"kind": "llvm", "mcpu": mcpu, "num-cores": 2})
    assert vector_bits(target) == bits
    assert f"{bits}-bit vectors ({bits // 32} float32 lanes)" in summarize(target)
    arm = {"kind": "llvm", "mtriple": "aarch64-linux-gnu", "mcpu": "cortex-a72", "num-cores": 4}
    assert vector_bits(make_target(arm)) == 128


def test_what_a_target_needs_is_stated_in_one_object():
    cpu, gpu = needs(make_target("host")), needs(make_target('{"kind": "cuda", "arch": "sm_90"}'))
    assert (cpu.device_type, cpu.checks_here, cpu.device().dlpack_device_type()) == ("cpu", True, 1)
    assert "TransposedOperand" in [type(rule).__name__ for rule in cpu.schedule_rules()]
    assert (gpu.device_type, gpu.checks_here, gpu.schedule_rules()) == ("cuda", False, None)


def test_json_target_fills_in_missing_llvm_fields():
    target = make_target('{"kind": "llvm", "num-cores": 1}')
    assert int(target.attrs["num-cores"]) == 1
    assert str(target.attrs["mcpu"]) == host_cpu()


def test_cuda_target_parses_without_a_gpu():
    assert make_target({"kind": "cuda", "arch": "sm_80"}).kind.name == "cuda"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("{not json", "JSON target dict"),
        ("[1, 2]", 'with a "kind" key'),
        ('{"kind": "tpu9000"}', "invalid --target"),
    ],
)
def test_bad_targets(spec, message):
    with pytest.raises(UserError, match=message):
        make_target(spec)


@pytest.mark.slow
def test_tvm_runs_parallel_loops_on_every_core_this_process_may_use():
    """TVM's pool would start half as many threads as CPUs on x86 (one on these 2-vCPU
    machines); the package sets TVM_NUM_THREADS on import, and a user's own value wins."""
    assert os.environ["TVM_NUM_THREADS"] == str(available_cores())
    probe = "import reasoning_compiler, tvm; print(tvm.get_global_func('runtime.NumThreads')())"
    env = {k: v for k, v in os.environ.items() if k != "TVM_NUM_THREADS"}
    fresh = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert int(fresh.stdout.split()[-1]) == available_cores()
    mine = subprocess.run(
        [sys.executable, "-c", probe],
        env=env | {"TVM_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
    )
    assert int(mine.stdout.split()[-1]) == 1
