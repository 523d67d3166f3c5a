import pytest

from reasoning_compiler import UserError
from reasoning_compiler.target import available_cores, host_cpu, make_target


def test_host_target_has_cpu_and_cores():
    target = make_target("host")
    assert target.kind.name == "llvm"
    assert str(target.attrs["mcpu"]) == host_cpu()
    assert int(target.attrs["num-cores"]) == available_cores()


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
