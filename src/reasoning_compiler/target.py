"""Build the TVM target to tune for: the host CPU by default, or a JSON target dict."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import tvm

from .errors import UserError
from .threads import available_cores, runtime_threads, use_all_cores  # noqa: F401 (re-exported)


def host_cpu() -> str:
    """The LLVM name of the host CPU (e.g. znver4). TVM does not fill it in by itself."""
    return str(tvm.target.Target.from_device(tvm.cpu()).attrs["mcpu"])


def host_target(num_cores: int | None = None) -> tvm.target.Target:
    """An llvm target for this machine. Without mcpu, TVM emits generic x86-64 (about 3x slower)."""
    return tvm.target.Target(
        {"kind": "llvm", "mcpu": host_cpu(), "num-cores": num_cores or available_cores()}
    )


def make_target(spec: str | dict | tvm.target.Target | None = None) -> tvm.target.Target:
    """Turn a user's target spec into a Target.

    ``None`` or ``"host"`` means this machine's CPU. Otherwise a dict (or its JSON text) as TVM
    accepts it, e.g. ``{"kind": "cuda", "arch": "sm_90"}``. For llvm targets a missing ``mcpu`` or
    ``num-cores`` is filled in from the host, because TVM 0.27 requires ``num-cores`` for tuning.
    """
    if isinstance(spec, tvm.target.Target):
        return spec
    if spec is None or spec == "host":
        return host_target()
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as err:
            raise UserError(
                f"--target must be 'host' or a JSON target dict such as "
                f'\'{{"kind": "llvm", "mcpu": "znver4", "num-cores": 2}}\' ({err.msg})'
            ) from None
    if not isinstance(spec, dict) or "kind" not in spec:
        raise UserError('--target JSON must be an object with a "kind" key, e.g. {"kind": "llvm"}')
    spec = dict(spec)
    if spec["kind"] == "llvm":
        spec.setdefault("mcpu", host_cpu())
        spec.setdefault("num-cores", available_cores())
    try:
        return tvm.target.Target(spec)
    except Exception as err:  # TVM raises its own error types for bad attributes
        first_line = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise UserError(f"invalid --target {json.dumps(spec)}: {first_line}") from None


@dataclass(frozen=True)
class TargetNeeds:
    """What tuning for a target needs, in one place, for kernels and models alike: the runtime
    device, the design space's rules, how the untuned program is made runnable, and whether an
    output can be checked by running it in this process. A new kind of target is a branch here.
    """

    target: tvm.target.Target

    @property
    def kind(self) -> str:
        return self.target.kind.name

    @property
    def is_cpu(self) -> bool:
        return self.kind == "llvm"

    @property
    def device_type(self) -> str:
        """The runtime device name MetaSchedule's runners expect ("cpu" for llvm)."""
        return "cpu" if self.is_cpu else self.kind

    def device(self):
        return tvm.device(self.device_type)

    @property
    def checks_here(self) -> bool:
        """Outputs can be computed in this process (a GPU's are checked by its runner)."""
        return self.is_cpu

    def schedule_rules(self) -> list | None:
        """This project's rules for the design space; None: MetaSchedule's defaults."""
        if not self.is_cpu:
            return None
        from .schedule_rules import schedule_rules

        return schedule_rules(self.target)

    def untuned(self, mod: tvm.IRModule) -> tvm.IRModule:
        """The program as written, before any schedule; GPUs need threads bound to run at all."""
        if self.kind == "cuda":
            with self.target:
                return tvm.s_tir.transform.DefaultGPUSchedule()(mod)
        return mod


def needs(target: tvm.target.Target) -> TargetNeeds:
    return TargetNeeds(target)


def device_type(target: tvm.target.Target) -> str:
    """The runtime device name MetaSchedule's runners expect ("cpu" for llvm)."""
    return needs(target).device_type


def describe(target: tvm.target.Target) -> dict:
    """A JSON-friendly description of the target, for results and logs."""
    return json.loads(str(target)) if str(target).startswith("{") else {"target": str(target)}


# The widest vector registers by instruction-set feature, widest first. TVM 0.27's
# llvm_get_vector_width says 512 for every x86 CPU (haswell and znver1 included), so the width is
# read from the features LLVM reports for the target's CPU instead.
VECTOR_FEATURES = (("avx512f", 512), ("avx", 256), ("sse2", 128), ("neon", 128), ("sve", 128))


def vector_bits(target: tvm.target.Target) -> int | None:
    """The widest vector registers of an llvm target's CPU, in bits (None if LLVM cannot say)."""
    return _first_feature(target, VECTOR_FEATURES)


# Vector registers of an ISA's register file (x86-64: 16, 32 with AVX-512; Arm: 32).
VECTOR_REGISTERS = (("avx512f", 32), ("sse2", 16), ("neon", 32), ("sve", 32))


def vector_registers(target: tvm.target.Target) -> int | None:
    """How many vector registers an llvm target's CPU has (None if LLVM cannot say)."""
    return _first_feature(target, VECTOR_REGISTERS)


def _first_feature(target: tvm.target.Target, table) -> int | None:
    """The value of the first of ``table``'s (feature, value) rows that the target's CPU has."""
    try:
        has = tvm.target.codegen.target_has_features
        return next((value for name, value in table if has(name, target)), None)
    except Exception:  # an LLVM without this query, or not an llvm target
        return None


def summarize(target: tvm.target.Target) -> str:
    """One line for an LLM prompt: CPU model, cores, vector width and (on this machine's own
    target) the cache sizes per core, read from the machine (or the target's kind)."""
    attrs = target.attrs
    if target.kind.name != "llvm":
        return f"{target.kind.name} {attrs.get('arch', '')}".strip()
    bits = vector_bits(target)
    vector = f", {bits}-bit vectors ({bits // 32} float32 lanes)" if bits else ""
    caches = cache_sizes() if attrs.get("mcpu") in (None, host_cpu()) else ""
    caches = f", caches {caches}" if caches else ""
    return (
        f"CPU {attrs.get('mcpu', 'generic')} (LLVM), {attrs.get('num-cores', '?')} cores"
        f"{vector}{caches}"
    )


def cache_sizes() -> str:
    """``L1d 48K, L2 2048K, L3 32768K`` for CPU 0, from sysfs (empty where it has none)."""
    sizes = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind != "Instruction":
            sizes.append(f"L{level}{'d' if kind == 'Data' else ''} {size}")
    return ", ".join(sizes)
