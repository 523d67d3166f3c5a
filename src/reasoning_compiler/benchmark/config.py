"""What a benchmark runs: workloads x arms (strategies with options) x seeds, from a file or flags.

A config file (TOML, or YAML with the same keys) looks like::

    name = "quick"
    workloads = ["llama3-8b-attention", "flux-conv"]
    preset = "small"
    strategies = ["evolutionary", "mcts", "llm-mcts"]   # arms with default options
    seeds = [0, 1]
    trials = 36
    per_round = 18
    checkpoints = [18, 36, 72, 144, 200, 600]
    target = "evolutionary"      # samples-to-target: reach evolutionary's final mean speedup
    [shape]                      # optional shape overrides per workload
    flux-conv = "size=32"
    [[arms]]                     # arms with options; label names the arm in tables and plots
    label = "llm-mcts depth 3"
    strategy = "llm-mcts"
    options = { history_depth = 3 }
    llm = { backend = "openai", model = "gpt-4o-mini" }
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError, check_count
from ..llm import without_password
from ..strategies import get_strategy
from ..workloads import PAPER_WORKLOADS, WORKLOADS, parse_shape

# The paper's Table 1 columns (its Llama3 row); a table shows those up to the budget.
DEFAULT_CHECKPOINTS = (18, 36, 72, 144, 200, 600)
BASELINE_ARM = "evolutionary"  # Figure 4 and samples-to-target compare against this arm
_KEYS = {
    "name", "workloads", "preset", "shape", "strategies", "arms", "seeds", "trials", "per_round",
    "checkpoints", "target", "out",
}  # fmt: skip
_ARM_KEYS = {"label", "strategy", "options", "llm"}
_LLM_KEYS = {"backend", "model", "base_url", "timeout_s", "retries", "temperature"}


@dataclass(frozen=True)
class Arm:
    """One line in the tables: a strategy with fixed options (and LLM settings for llm-mcts)."""

    label: str
    strategy: str
    options: dict = field(default_factory=dict)
    llm: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The label as a directory name."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.label).strip("_") or "arm"


@dataclass(frozen=True)
class RunSpec:
    """One tuning run of the benchmark, and where it lives."""

    workload: str
    arm: Arm
    seed: int
    work_dir: Path


@dataclass
class BenchConfig:
    workloads: list[str] = field(default_factory=lambda: list(PAPER_WORKLOADS))
    arms: list[Arm] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    trials: int = 36
    per_round: int = 18
    preset: str = "small"
    shape: dict[str, str] = field(default_factory=dict)  # workload -> "name=int,..."
    checkpoints: list[int] = field(default_factory=lambda: list(DEFAULT_CHECKPOINTS))
    target: str | float = BASELINE_ARM  # a speedup, or "evolutionary": its final mean speedup
    name: str = "bench"
    out: Path = Path("runs/bench")  # run dirs, tables and plots

    def __post_init__(self):
        if not self.arms:
            self.arms = [Arm(s, s) for s in ("evolutionary", "mcts", "llm-mcts")]
        self.validate()

    def validate(self) -> None:
        """Every mistake in a config is found here, before anything runs."""
        if not self.workloads:
            raise UserError("the benchmark has no workloads")
        for workload in self.workloads:
            if workload not in WORKLOADS:
                raise UserError(
                    f"unknown workload {workload!r}; built-in workloads are: {', '.join(WORKLOADS)}"
                )
            WORKLOADS[workload].resolve(self.preset, parse_shape(self.shape.get(workload)))
        for workload in self.shape:
            if workload not in self.workloads:
                raise UserError(f"shape given for {workload!r}, which is not among the workloads")
        labels = [arm.label for arm in self.arms]
        if len(set(labels)) != len(labels):
            raise UserError(f"arm labels must differ: {labels}")
        for arm in self.arms:
            strategy = get_strategy(arm.strategy)
            strategy.resolve(arm.options)  # unknown or bad options raise UserError
            if arm.llm and not strategy.uses_llm:
                raise UserError(f"arm {arm.label!r}: llm settings apply to llm-mcts only")
            unknown = set(arm.llm) - _LLM_KEYS
            if unknown:
                raise UserError(
                    f"arm {arm.label!r}: unknown llm setting {sorted(unknown)[0]!r} "
                    f"(known: {', '.join(sorted(_LLM_KEYS))})"
                )
        _positive_ints("seeds", self.seeds, minimum=0)
        _positive_ints("trials", [self.trials])
        _positive_ints("per_round", [self.per_round])
        _positive_ints("checkpoints", self.checkpoints)
        if isinstance(self.target, str) and self.target != BASELINE_ARM:
            raise UserError(f"target must be a speedup (a number) or {BASELINE_ARM!r}")
        if not isinstance(self.target, str) and not self.target > 0:
            raise UserError(f"target speedup must be positive, got {self.target}")

    def runs(self) -> list[RunSpec]:
        """Every run, in the order they are measured: seeds outermost, so that stopping early
        leaves complete seeds of every workload and arm rather than one workload done."""
        return [
            RunSpec(w, arm, seed, self.out / "runs" / w / arm.slug / f"seed{seed}")
            for seed in self.seeds
            for w in self.workloads
            for arm in self.arms
        ]

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "workloads": self.workloads,
            "preset": self.preset,
            "shape": self.shape,
            "arms": [vars(arm) | {"llm": _shown(arm.llm)} for arm in self.arms],
            "seeds": self.seeds,
            "trials": self.trials,
            "per_round": self.per_round,
            "checkpoints": self.checkpoints,
            "target": self.target,
        }


def _shown(llm: dict) -> dict:
    """Arm LLM settings for config.json and reports: a base URL's password never written."""
    if not llm.get("base_url"):
        return llm
    return llm | {"base_url": without_password(str(llm["base_url"]))}


def _positive_ints(key: str, values, minimum: int = 1) -> None:
    if not isinstance(values, list) or not values:
        raise UserError(f"{key} must be a non-empty list of integers")
    for value in values:
        check_count(key, value, minimum)


def _read(path: Path) -> dict:
    if not path.is_file():
        raise UserError(f"benchmark config {path} does not exist")
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            raise UserError(f"benchmark config {path}: use a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, ValueError) as err:  # yaml's errors are ValueErrors
        raise UserError(f"benchmark config {path} is not valid: {err}") from None
    except Exception as err:  # yaml.YAMLError
        raise UserError(f"benchmark config {path} is not valid: {err}") from None
    if not isinstance(data, dict):
        raise UserError(f"benchmark config {path} must be a table of settings")
    return data


def _arm(entry, where: str) -> Arm:
    if isinstance(entry, str):
        return Arm(entry, entry)
    if not isinstance(entry, dict) or "strategy" not in entry:
        raise UserError(f'{where}: an arm needs at least a strategy, e.g. strategy = "mcts"')
    unknown = set(entry) - _ARM_KEYS
    if unknown:
        raise UserError(f"{where}: unknown arm key {sorted(unknown)[0]!r}")
    options, llm = entry.get("options") or {}, entry.get("llm") or {}
    if not isinstance(options, dict) or not isinstance(llm, dict):
        raise UserError(f"{where}: options and llm must be tables")
    return Arm(str(entry.get("label") or entry["strategy"]), entry["strategy"], options, llm)


def load_config(path: str | Path | None = None, **overrides) -> BenchConfig:
    """A BenchConfig from a TOML/YAML file (or defaults), with ``overrides`` (flags) on top.

    ``overrides`` take the config's keys; ``strategies`` (names) replaces the arms, ``arms``
    (labels) keeps only those arms of the file. Relative ``out`` paths are kept as given.
    """
    data = _read(Path(path)) if path else {}
    where = str(path or "flags")
    unknown = set(data) - _KEYS
    if unknown:
        raise UserError(
            f"{where}: unknown setting {sorted(unknown)[0]!r} (known: {', '.join(sorted(_KEYS))})"
        )
    arms = [_arm(s, where) for s in data.get("strategies", [])]
    arms += [_arm(a, where) for a in data.get("arms", [])]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if "strategies" in overrides:
        arms = [_arm(s, "flags") for s in overrides.pop("strategies")]
    if "arms" in overrides:
        wanted = overrides.pop("arms")
        missing = [label for label in wanted if label not in {a.label for a in arms}]
        if missing:
            raise UserError(
                f"no arm labelled {missing[0]!r} in {where}; its arms: "
                f"{', '.join(a.label for a in arms)}"
            )
        arms = [a for a in arms if a.label in wanted]
    settings = {k: v for k, v in data.items() if k not in ("strategies", "arms")} | overrides
    if path and "name" not in settings:
        settings["name"] = Path(path).stem
    settings["out"] = Path(settings.get("out") or f"runs/bench-{settings.get('name', 'bench')}")
    return BenchConfig(arms=arms, **settings)
