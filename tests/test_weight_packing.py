"""Weights packed once (weight_packing): MetaSchedule's layout rewrite packs the MoE's weights,
the program is built as ``main`` (packed weights in) and ``pack_weights``, and the two compute
the reference; the runner packs before the output check; a program without weights builds as
before."""

import numpy as np
import pytest
import tvm
from tvm.s_tir.meta_schedule.arg_info import ArgInfo

from conftest import TINY_SHAPES, sampled_programs
from reasoning_compiler import measure, weight_packing
from reasoning_compiler.target import host_target
from reasoning_compiler.workloads import WORKLOADS


def _taken_shapes(mod) -> list[tuple]:
    infos = ArgInfo.from_entry_func(mod, remove_preproc=True)
    return [tuple(int(d) for d in info.as_json()[2]) for info in infos]


@pytest.mark.parametrize("name", ["deepseek-r1-moe", "deepseek-r1-moe-fused"])
def test_packed_programs_compute_the_reference(name):
    kernel = WORKLOADS[name].resolve("small", TINY_SHAPES[name])
    inputs = kernel.random_inputs(0)
    expected = kernel.reference(*inputs)
    written = [shape for shape, _ in kernel.arg_shapes()]
    programs = sampled_programs(kernel.mod, 3)
    assert programs
    for sch in programs:
        built = weight_packing.split(sch.mod)
        assert {gv.name_hint for gv in built.functions} == {"main", weight_packing.PACK_WEIGHTS}
        taken = _taken_shapes(sch.mod)
        assert taken[0] == written[0]  # X, the activations, as written
        assert all(t != w for t, w in zip(taken[1:-1], written[1:-1], strict=True))  # weights
        output = measure.run_once(sch.mod, host_target(), inputs)
        np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-4)


def test_a_program_without_weights_is_built_as_before():
    kernel = WORKLOADS["matmul"].resolve("small", TINY_SHAPES["matmul"])
    (sch,) = sampled_programs(kernel.mod, 1)
    built = weight_packing.split(sch.mod)
    assert [gv.name_hint for gv in built.functions] == ["main"]
    assert not weight_packing.packs(tvm.tirx.build(built, target=host_target()))
    assert _taken_shapes(sch.mod) == [shape for shape, _ in kernel.arg_shapes()]


def test_the_runner_packs_the_weights_before_the_check(tmp_path):
    kernel = WORKLOADS["deepseek-r1-moe-fused"].resolve(
        "small", TINY_SHAPES["deepseek-r1-moe-fused"]
    )
    (sch,) = sampled_programs(kernel.mod, 1)
    check = measure.OutputCheck(
        str(tmp_path / "expected.npy"), inputs=tuple(kernel.arg_shapes()[:-1])
    )
    np.save(check.expected_path, kernel.reference(*kernel.random_inputs(check.seed)))
    device = tvm.cpu()
    # the runner worker gets the program's arguments as JSON
    args_info = [info.as_json() for info in ArgInfo.from_entry_func(sch.mod, remove_preproc=True)]
    (args,) = measure.alloc_fixed_inputs(device, args_info, 1, seed=check.seed, inputs=check.inputs)
    rt_mod = measure.fast_build(sch.mod, host_target())
    evaluator = measure.MeasureSettings().evaluator()
    expected = {"expected_path": check.expected_path, "tolerance": check.tolerance}
    seconds = measure.check_then_time(
        rt_mod, device, evaluator, [args], **expected, inputs=check.inputs, seed=check.seed
    )
    assert seconds and all(s > 0 for s in seconds)  # checked (it raises otherwise), then timed
    with pytest.raises(ValueError, match="packed weights"):  # the inputs as written unknown
        measure.check_then_time(rt_mod, device, evaluator, [args], **expected)
