"""From a PyTorch model to MetaSchedule tasks: load, export, import into Relax, extract tasks.

Each stage names itself in its errors (``ModelError``: "export: ..."), so a model that does not
export or import fails with one line that says where and why. What torch.export and the Relax
importer print themselves (warnings, graph dumps) is kept out of the terminal: a failing stage
names the file that holds it, and a run that goes on keeps it in ``logs/frontend.log``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError, missing_extra
from . import attention
from .blocks import MODEL_BLOCKS


class ModelError(UserError):
    """A model that cannot be exported, imported or built: one line naming the stage."""

    def __init__(self, stage: str, err: BaseException | str, output: str = ""):
        text = err if isinstance(err, str) else _first_line(err)
        if output.strip():  # what the library printed, kept for the user to read
            text += f" (its own output: {_keep(output)})"
        super().__init__(f"{stage}: {text}")
        self.stage = stage


def _keep(output: str) -> str:
    with tempfile.NamedTemporaryFile(
        "w", prefix="reasoning-compiler-frontend-", suffix=".log", delete=False
    ) as file:
        file.write(output)
    return file.name


@contextlib.contextmanager
def captured_output():
    """Everything written to stdout and stderr inside, by Python or C++, and by torch's logging
    (its handlers hold the stream they were given at import); the text is in the yielded list's
    one element afterwards."""
    text: list[str] = [""]
    handlers = [h for h in logging.getLogger("torch").handlers if hasattr(h, "setStream")]
    with tempfile.TemporaryFile("w+") as sink:
        sys.stdout.flush(), sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        os.dup2(sink.fileno(), 1), os.dup2(sink.fileno(), 2)
        streams = [h.setStream(sink) for h in handlers]
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                yield text
        finally:
            for handler, stream in zip(handlers, streams, strict=True):
                handler.setStream(stream)
            sink.flush()
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])
            sink.seek(0)
            text[0] = sink.read()


def _first_line(err: BaseException) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return f"{type(err).__name__}: {lines[0] if lines else ''}"[:400]


@dataclass
class LoadedModel:
    """A model to tune, its example inputs, and the library it is checked and timed against."""

    name: str
    preset: str
    inputs: list[np.ndarray]
    source: str | None = None
    # What the exporter and importer printed (for the run's log).
    frontend_output: str = field(default="", kw_only=True)

    def describe(self) -> str:
        shapes = ", ".join("x".join(map(str, x.shape)) for x in self.inputs)
        return f"{self.name} [{self.preset}] (inputs {shapes})"

    def import_relax(self):
        """The model as a Relax IRModule, weights bound as constants."""
        raise NotImplementedError

    def reference_output(self) -> np.ndarray:
        """The first output of the model as its own library computes it."""
        raise NotImplementedError

    def time_references(self, torch_compile: bool) -> dict[str, dict]:
        """Seconds per call of the library's own runs: ``{name: {"seconds": s} | {"error"}}``."""
        raise NotImplementedError

    def release(self) -> None:
        """Let go of the library's copy of the model (its weights) once it is checked and timed."""


@dataclass
class TorchModel(LoadedModel):
    module: object = None  # torch.nn.Module, in eval mode
    torch_inputs: tuple = ()

    @classmethod
    def of(cls, name, preset, module, inputs, source=None) -> TorchModel:
        arrays = [x.detach().numpy() for x in inputs]
        return cls(name, preset, arrays, source, module.eval(), tuple(inputs))

    def import_relax(self):
        import torch
        from tvm.relax.frontend.torch import from_exported_program

        with warnings.catch_warnings(), captured_output() as output:
            warnings.simplefilter("ignore", FutureWarning)  # torch's own deprecation notes
            stage, failed = "export (torch.export)", None
            try:
                with torch.no_grad():
                    exported = torch.export.export(self.module, self.torch_inputs)
                stage = "import (Relax frontend)"
                mod = _import_exported(exported, from_exported_program)
            except Exception as err:
                failed = _unsupported(err) if stage.startswith("import") else err
        self.frontend_output = output[0]
        if failed is not None:
            raise ModelError(stage, failed, self.frontend_output) from None
        return mod

    def reference_output(self) -> np.ndarray:
        import torch

        with torch.no_grad():
            out = self.module(*self.torch_inputs)
        return (out[0] if isinstance(out, tuple | list) else out).numpy()

    def release(self) -> None:
        import torch

        self.module, self.torch_inputs = None, ()
        torch.compiler.reset()  # torch.compile's caches hold the module's weights too

    def time_references(self, torch_compile: bool) -> dict[str, dict]:
        import torch

        latency = {"torch_eager": _time_torch(self.module, self.torch_inputs)}
        if torch_compile:
            try:
                compiled = torch.compile(self.module)
                with torch.no_grad():
                    compiled(*self.torch_inputs)  # compiles (seconds)
                latency["torch_compile"] = _time_torch(compiled, self.torch_inputs)
            except Exception as err:  # what torch.compile cannot handle: say why, keep the rest
                latency["torch_compile"] = {"error": _first_line(err)}
        return latency


def _import_exported(exported, from_exported_program):
    """Relax of ``exported``, its core-operator decomposition but for scaled-dot-product
    attention, kept whole so that ``lower`` gives it the fused kernel; where Relax's importer
    does not take that operator as called (a boolean mask, say), fully decomposed as written."""
    import torch

    table = torch.export.default_decompositions()
    table.pop(torch.ops.aten.scaled_dot_product_attention.default, None)
    try:
        kept = exported.run_decompositions(table)
        return from_exported_program(kept, keep_params_as_input=False, run_ep_decomposition=False)
    except Exception:
        return from_exported_program(exported, keep_params_as_input=False)


def _time_torch(module, inputs) -> dict:
    from .. import timing
    from ..target import available_cores

    return timing.time_torch(module, inputs, available_cores())


@dataclass
class OnnxModel(LoadedModel):
    """An ``.onnx`` file with static input shapes, checked and timed against ONNX Runtime."""

    proto: object = None  # onnx.ModelProto

    @classmethod
    def read(cls, path: Path) -> OnnxModel:
        try:
            import onnx
        except ImportError:
            raise UserError(
                "reading .onnx files needs the onnx package: pip install onnx"
            ) from None
        try:
            proto = onnx.load(str(path))
        except Exception as err:
            raise ModelError("load (onnx)", err) from None
        initializers = {t.name for t in proto.graph.initializer}
        rng = np.random.default_rng(0)
        inputs = []
        for value in proto.graph.input:
            if value.name in initializers:
                continue
            tensor = value.type.tensor_type
            dims = [d.dim_value for d in tensor.shape.dim]
            if not dims or any(d <= 0 for d in dims):
                raise UserError(
                    f"{path}: input {value.name!r} has a dynamic shape; export it with static "
                    "shapes (one tuned model serves one shape)"
                )
            dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)
            inputs.append(rng.uniform(-1, 1, size=dims).astype(dtype))
        return cls(path.name, "default", inputs, str(path), proto)

    def release(self) -> None:
        self.proto = None

    def import_relax(self):
        from tvm.relax.frontend.onnx import from_onnx

        try:
            return from_onnx(self.proto, keep_params_in_input=False)
        except Exception as err:
            raise ModelError("import (Relax ONNX frontend)", err) from None

    def _session(self):
        import onnxruntime

        from ..target import available_cores

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = available_cores()
        return onnxruntime.InferenceSession(self.proto.SerializeToString(), options)

    def _feed(self, session) -> dict:
        return {i.name: x for i, x in zip(session.get_inputs(), self.inputs, strict=True)}

    def reference_output(self) -> np.ndarray:
        try:
            session = self._session()
            return session.run(None, self._feed(session))[0]
        except ImportError:
            raise UserError(
                "checking an .onnx model needs onnxruntime: pip install onnxruntime"
            ) from None
        except Exception as err:
            raise ModelError("reference (ONNX Runtime)", err) from None

    def time_references(self, torch_compile: bool) -> dict[str, dict]:
        from .. import timing

        session = self._session()
        feed = self._feed(session)
        return {"onnxruntime": timing.time_median(lambda: session.run(None, feed))}


def load_model(spec: str, preset: str | None = None) -> LoadedModel:
    """A built-in block (``llama3-8b-decoder``), ``path/file.py:factory`` (the factory returns
    ``(module, example_inputs)``), or ``path/model.onnx``."""
    try:
        return _load(spec, preset)
    except ModuleNotFoundError as err:  # torch or onnx not installed: say which extra
        raise (missing_extra(err) or err) from None


def _load(spec: str, preset: str | None) -> LoadedModel:
    if spec in MODEL_BLOCKS:
        block = MODEL_BLOCKS[spec]
        preset = preset or "small"
        if preset not in block.presets:
            choices = ", ".join(block.presets)
            raise UserError(f"model {spec!r} has no preset {preset!r}; choose one of: {choices}")
        module, inputs = block.create(preset)
        return TorchModel.of(spec, preset, module, inputs)
    is_file = spec.endswith(".onnx") or (":" in spec and spec.split(":", 1)[0].endswith(".py"))
    if is_file and preset not in (None, "default"):
        raise UserError("presets apply to built-in models, not to a model file")
    if spec.endswith(".onnx"):
        path = Path(spec)
        if not path.is_file():
            raise UserError(f"model file {path} does not exist")
        return OnnxModel.read(path)
    if is_file:
        return _load_factory(spec)
    raise UserError(
        f"unknown model {spec!r}; built-in models are: {', '.join(MODEL_BLOCKS)} "
        f"(or give path/to/file.py:factory returning (module, example_inputs), or a .onnx file)"
    )


def _load_factory(spec: str) -> LoadedModel:
    import torch

    path_text, name = spec.rsplit(":", 1)
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"model file {path} does not exist")
    module_name = f"_rc_user_model_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    source = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = source
    try:
        module_spec.loader.exec_module(source)
        factory = getattr(source, name, None)
        if not callable(factory):
            raise UserError(f"{path} does not define a function named {name!r}")
        torch.manual_seed(0)
        made = factory()
    except UserError:
        raise
    except Exception as err:
        raise ModelError("load", err) from None
    module, inputs = made if isinstance(made, tuple) and len(made) == 2 else (made, None)
    inputs = (inputs,) if isinstance(inputs, torch.Tensor) else inputs
    if not isinstance(module, torch.nn.Module) or not (
        isinstance(inputs, tuple | list) and inputs and all(torch.is_tensor(x) for x in inputs)
    ):
        raise UserError(
            f"{spec} must return (torch.nn.Module, example_inputs): a tensor or a tuple of "
            f"tensors, got {type(made).__name__}"
        )
    return TorchModel.of(f"{path.name}:{name}", "default", module, inputs, str(path))


def to_relax(model: LoadedModel):
    """The model in Relax, decomposed for inference: what both builds start from."""
    import tvm
    from tvm import relax

    mod = model.import_relax()
    try:
        passes = [
            relax.transform.DecomposeOpsForInference(),
            relax.transform.CanonicalizeBindings(),
        ]
        return tvm.ir.transform.Sequential(passes)(mod)
    except Exception as err:
        raise ModelError("import (decompose for inference)", err) from None


def lower(mod, target):
    """``mod`` legalized and fused into TIR functions, the tuning tasks: the same passes
    ``compile_relax`` runs before it applies the database (``build`` goes on from here).
    (``extract_tasks`` on the raw import finds nothing, without an error.)

    Scaled-dot-product attention is legalized into the fused per-query-block kernel
    (``attention``). The weights (constants here) are marked layout-free, as TVM's tuning
    pipeline does with ``cpu_weight_prepack``: a task's samples may then store them in the
    order their tiles read them (``weight_packing``), and ``build`` packs them once."""
    import tvm
    from tvm import relax

    try:
        with target:
            passes = [
                *relax.pipeline.library_dispatch_passes(target),
                relax.transform.LegalizeOps(attention.legalize_map()),
                relax.transform.AnnotateTIROpPattern(),
                relax.transform.FoldConstant(),
                relax.transform.FuseOps(),
                relax.transform.FuseTIR(),
                relax.transform.AttachAttrLayoutFreeBuffers(),
            ]
            return tvm.ir.transform.Sequential(passes)(mod)
    except Exception as err:
        raise ModelError("lower (legalize and fuse)", err) from None


def build(lowered, target, database=None):
    """``lowered`` (what ``lower`` returned) built into a Relax VM executable, each task's
    program taken from ``database`` where it has one; and the names of the tasks so taken.

    The rest of the pipeline ``compile_relax`` runs after lowering, on the module the tasks
    came from: lowering the import again would fold the weights again (one more copy of them,
    and several while folding: the paper-size MoE block peaked at 10 GiB building twice that
    way), and the tasks applied are exactly those of this module."""
    import tvm
    from tvm import relax
    from tvm.relax.transform import MetaScheduleApplyDatabase
    from tvm.s_tir import dlight

    from .. import fast_math  # noqa: F401 (exp as a vector polynomial, as in the tasks' samples)

    with target, tvm.transform.PassContext(opt_level=3):
        if database is not None:
            with database:
                lowered = MetaScheduleApplyDatabase()(lowered)
            scheduled = _scheduled(lowered)
            lowered = relax.transform.FoldConstant()(_split_weight_copies(lowered))
        if relax.pipeline.BackendDispatcher.is_gpu_target(target):  # compile_relax's rules
            gpu = dlight.gpu
            rules = (gpu.Matmul(), gpu.GEMV(), gpu.Reduction(), gpu.GeneralReduction())
            lowered = dlight.ApplyDefaultSchedule(*rules, gpu.Fallback())(lowered)
        finish = tvm.transform.Sequential(_after_lowering(target))
        executable = relax.build(lowered, target=target, relax_pipeline=finish)
    return executable, scheduled if database is not None else set()


def _split_weight_copies(mod):
    """Each tuned program's weight copies split off into a function of their own (upstream's
    ``SplitLayoutRewritePreproc``), which ``FoldConstant`` then runs on the constant weights.
    Only the functions with copies go through the pass: it stops at a function without blocks
    (``topk``'s extern call in the MoE block), so the others sit it out."""
    import tvm
    from tvm import relax

    from ..weight_packing import has_copies

    others = {
        gv.name_hint: (gv, func)
        for gv, func in mod.functions_items()
        if isinstance(func, tvm.tirx.PrimFunc) and not has_copies(func)
    }
    kept = {gv: func for gv, func in mod.functions_items() if gv.name_hint not in others}
    split = relax.transform.SplitLayoutRewritePreproc()(
        tvm.IRModule(kept, mod.attrs, mod.global_infos)
    )
    for gv, func in others.values():
        split.update_func(gv, func)
    return split


def _scheduled(mod) -> set[str]:
    """The TIR functions of ``mod`` that a database program replaced."""
    import tvm

    return {
        gv.name_hint
        for gv, func in mod.functions_items()
        if isinstance(func, tvm.tirx.PrimFunc)
        and func.attrs
        and func.attrs.get("tirx.is_scheduled")
    }


def _after_lowering(target) -> list:
    """Relax's passes for ``target`` after fusion: dataflow lowering, then finalizing. TVM 0.27
    defines the CPU backend's dataflow lowering but does not export it (``compile_relax``
    falls back to a copy of the list); the CPU list is the generic one."""
    from tvm import relax

    try:
        lowering = relax.pipeline.dataflow_lower_passes(target)
    except AttributeError:
        from tvm.relax.backend.cpu_generic.pipeline import dataflow_lower_passes

        lowering = dataflow_lower_passes(target)
    return [*lowering, *relax.pipeline.finalize_passes(target)]


def _unsupported(err: Exception) -> str | Exception:
    """The frontend's assertion names the operators it lacks; say just that."""
    found = re.search(r"Unsupported function types? \[([^\]]*)\]", str(err))
    return f"unsupported operator(s) {found.group(1)}" if found else err


@dataclass
class ModelTask:
    """One tuning task: a fused TIR function, how often the model calls it, its FLOPs."""

    name: str
    mod: object  # tvm.IRModule holding "main"
    weight: int
    flops: int

    def arg_shapes(self) -> list[tuple[tuple[int, ...], str]]:
        """(shape, dtype) of each parameter, the output last, as written."""
        from tvm.s_tir.meta_schedule.arg_info import ArgInfo

        infos = [info.as_json() for info in ArgInfo.from_prim_func(self.mod["main"])]
        return [(tuple(int(d) for d in shape), dtype) for _, dtype, shape in infos]


def extract_tasks(mod, target) -> list[ModelTask]:
    from tvm.s_tir import meta_schedule as ms
    from tvm.s_tir.analysis import estimate_tir_flops

    try:
        extracted = ms.relax_integration.extract_tasks(mod, target)
    except Exception as err:
        raise ModelError("extract tasks", err) from None
    tasks = [
        ModelTask(t.task_name, t.dispatched[0], int(t.weight), _flops(estimate_tir_flops, t))
        for t in extracted
    ]
    if not tasks:
        raise ModelError("extract tasks", "the model has no operators to tune")
    return sorted(tasks, key=lambda t: -t.flops * t.weight)


def _flops(estimate, task) -> int:
    try:
        return int(estimate(task.dispatched[0]))
    except Exception:  # data movement without arithmetic, or a loop it cannot count
        return 0
