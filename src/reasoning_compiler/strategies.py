"""Search strategies, by name. Each builds a MetaSchedule ``SearchStrategy``.

A strategy states each of its parameters once, as a ``Param``: its default, the values it
takes, and its command-line flag and help where it has one. The CLI's flags, the checks of
``strategy_options`` and bench configs, and ``result.json``'s record all come from that.
Adding a strategy is a factory and an entry in ``STRATEGIES``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import UserError, check_count
from .search.tree import SearchStats


@dataclass(frozen=True)
class Param:
    """One strategy parameter. ``kind`` is int, float or str (then ``choices``); numbers are
    at least ``minimum`` (and at most ``maximum``); ``optional`` allows None (no limit,
    automatic). ``flag``: the CLI flag that sets it (None: options and bench configs only);
    ``group``: its ``--help`` section, "tree" or "llm"."""

    name: str
    default: object
    help: str = ""
    kind: type = int
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False
    flag: str | None = None
    metavar: str | None = None
    group: str = "tree"

    @property
    def label(self) -> str:
        return self.flag or self.name

    def check(self, value) -> None:
        """Raise a one-line UserError unless ``value`` is one this parameter takes."""
        if value is None and self.optional:
            return
        if self.choices:
            if value not in self.choices:
                raise UserError(
                    f"{self.label} must be one of {', '.join(self.choices)}, got {value!r}"
                )
            return
        if self.kind is int:
            check_count(self.label, value, int(self.minimum or 0))
            return
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < (self.minimum or 0):
            raise UserError(f"{self.label} must be a number >= {self.minimum or 0}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise UserError(
                f"{self.label} must be between {self.minimum or 0} and {self.maximum}, "
                f"got {value!r}"
            )


# Upstream MetaSchedule defaults, stated so that comparisons are honest (not user-settable).
EVOLUTIONARY = (
    Param("population_size", 512),
    Param("init_measured_ratio", 0.2, kind=float),
    Param("init_min_unmeasured", 50),
    Param("max_fail_count", 5),
    Param("genetic_num_iters", 4),
    Param("genetic_mutate_prob", 0.85, kind=float),
    Param("genetic_max_fail_count", 10),
    Param("eps_greedy", 0.05, kind=float),
)

# The paper's settings (section 4.1): c = sqrt(2), B = 2.
TREE = (
    Param(
        "c", math.sqrt(2), "UCT exploration constant (default: sqrt(2) = 1.414)",
        kind=float, minimum=0, flag="--mcts-c", metavar="C",
    ),
    Param(
        "branching", 2, "children per tree node (default: 2)",
        minimum=1, flag="--branching", metavar="B",
    ),
    Param(
        "rollout_depth", 2, "random transformations in each simulation before the cost model "
        "scores it (default: 2; 0 scores the new node itself)",
        minimum=0, flag="--rollout-depth", metavar="D",
    ),
    # None: 16 MCTS iterations per sample of the round
    Param("expansions_per_round", None, minimum=1, optional=True),
    Param(
        "early_round", None, "measure the first round's worth of samples in rounds of N, so "
        "that measurements reach the cost model (and an LLM's prompts) sooner (default: "
        "whole rounds)",
        minimum=1, optional=True, flag="--early-round", metavar="N",
    ),
)  # fmt: skip

# Plain MCTS, the fair baseline of llm-mcts: where llm-mcts asks the LLM (one expansion in
# llm_every, llm_proposals sequences, a share of each batch reserved for them), plain MCTS
# proposes random sequences of the lengths the LLM answers with. Only who chooses differs.
SEQUENCES = (
    Param("sequence_every", 64, minimum=1),
    Param("sequence_proposals", 2, minimum=1),
    Param("sequence_share", 0.25, kind=float, minimum=0, maximum=1),
    Param("sequence_first_round", 0, minimum=0),
)

LLM_LANGUAGES = ("parameterized", "values", "names")
# LLM-guided MCTS (paper section 3.1): the same tree, with the LLM proposing expansions.
LLM = (
    Param(
        "history_depth", 2, "ancestors shown in each prompt (default: 2, parent and "
        "grandparent, as in the paper)",
        minimum=0, flag="--history-depth", metavar="D", group="llm",
    ),
    Param(
        "llm_budget", None, "LLM calls in all; random proposals after that (default: no limit)",
        minimum=0, optional=True, flag="--llm-budget", metavar="N", group="llm",
    ),
    # The LLM answers one expansion in this many: one call per 4 samples measured, each call
    # proposing llm_proposals sequences (the children B = 2 allows), so that a 1.5B model's
    # seconds per call stay within the measurement's time.
    Param("llm_every", 64, minimum=1, group="llm"),
    Param(
        "llm_proposals", 2, "alternative sequences one call asks for, applied as children of "
        "the node (default: 2, the branching factor)",
        minimum=1, flag="--llm-proposals", metavar="K", group="llm",
    ),
    Param(
        "llm_first_round", 0, "LLM calls on the first round's samples before it is measured: "
        "their proposed configurations are measured next to the design-space samples "
        "(default: 0)",
        minimum=0, flag="--llm-first-round", metavar="N", group="llm",
    ),
    # "values": every step must set a decision, as whole configurations with concrete values
    # are what peers ask a model for; "names": names only (the paper).
    Param(
        "llm_language", "parameterized", "parameterized (default): a step may set a decision, "
        "e.g. TileSize(qk/2 = 8x1x16x2), Unroll(64), from the legal values the prompt lists; "
        "values: every step sets one (no bare names); names: transformation names only, their "
        "parameters drawn at random (the paper's steps)",
        kind=str, choices=LLM_LANGUAGES, flag="--llm-language", group="llm",
    ),
    Param(
        "llm_rationale", 0, "free reasoning allowed before a local model's answer lines "
        "(default: 0)",
        minimum=0, flag="--llm-rationale", metavar="TOKENS", group="llm",
    ),
    Param(
        "llm_share", 0.25, "share of each batch measured from the best LLM-proposed programs, "
        "so that proposals reach the hardware even where the cost model ranks them lower "
        "(default: 0.25; 0 leaves the choice to the cost model alone)",
        kind=float, minimum=0, maximum=1, flag="--llm-share", metavar="F", group="llm",
    ),
)  # fmt: skip


def _evolutionary(params: dict, stats: SearchStats, cost_model, proposer):
    from tvm.s_tir import meta_schedule as ms  # TVM loads on use: keeps `--help` fast

    from .search.evolutionary import Deduplicated

    return Deduplicated(ms.search_strategy.EvolutionarySearch(**params))


def _mcts(params: dict, stats: SearchStats, cost_model, proposer):
    from .search.mcts_strategy import MCTSSearch
    from .search.proposers import PacedRandomProposer

    tree_params = {k: v for k, v in params.items() if not k.startswith(("llm_", "sequence_"))}
    if "llm_share" in params:
        tree_params["llm_share"] = params["llm_share"]
        tree_params["first_round_guided"] = params["llm_first_round"]
    if proposer is None and "sequence_every" in params:
        proposer = PacedRandomProposer(params["sequence_every"], params["sequence_proposals"])
        tree_params["llm_share"] = params["sequence_share"]
        tree_params["first_round_guided"] = params["sequence_first_round"]
    return MCTSSearch(**tree_params, proposer=proposer, stats=stats, cost_model=cost_model)


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    params: tuple[Param, ...]
    factory: Callable[[dict, SearchStats, object, object], object]
    settable: bool = True  # the user may override its parameters
    uses_llm: bool = False  # create() needs an LLM proposer

    @property
    def parameters(self) -> dict:
        """The defaults, by name."""
        return {p.name: p.default for p in self.params}

    @property
    def options(self) -> tuple[str, ...]:
        """The parameters a user may set."""
        return tuple(p.name for p in self.params) if self.settable else ()

    def resolve(self, overrides: dict | None) -> dict:
        """The parameters for one run: defaults with the user's overrides, checked."""
        overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        unknown = sorted(set(overrides) - set(self.options))
        if unknown:
            allowed = ", ".join(self.options) or "none"
            raise UserError(
                f"strategy {self.name!r} has no option {', '.join(unknown)} "
                f"(its options: {allowed})"
            )
        params = {**self.parameters, **overrides}
        for param in self.params:
            param.check(params[param.name])
        return params

    def create(self, params: dict, stats: SearchStats, cost_model=None, proposer=None):
        """The MetaSchedule strategy; ``stats`` fills in as it runs. ``cost_model`` is the
        Python object the run's tuner also gets (strategies that need more than its scores);
        ``proposer`` expands tree nodes (the LLM proposer for ``llm-mcts``)."""
        if self.uses_llm and proposer is None:
            raise ValueError(f"strategy {self.name!r} needs an LLM proposer")
        return self.factory(params, stats, cost_model, proposer)


STRATEGIES: dict[str, Strategy] = {
    "evolutionary": Strategy(
        name="evolutionary",
        description="MetaSchedule's evolutionary search at upstream defaults (the baseline)",
        params=EVOLUTIONARY,
        factory=_evolutionary,
        settable=False,
    ),
    "mcts": Strategy(
        name="mcts",
        description="Monte Carlo tree search with random proposals (the paper's MCTS, no LLM)",
        params=TREE + SEQUENCES,
        factory=_mcts,
    ),
    "llm-mcts": Strategy(
        name="llm-mcts",
        description="Monte Carlo tree search with LLM proposals (the paper's method)",
        params=TREE + LLM,
        factory=_mcts,
        uses_llm=True,
    ),
}


def flagged_params() -> list[Param]:
    """Every parameter with a CLI flag, once each, in the order the strategies state them."""
    seen: dict[str, Param] = {}
    for strategy in STRATEGIES.values():
        for param in strategy.params:
            if param.flag and param.flag not in seen:
                seen[param.flag] = param
    return list(seen.values())


# The default follows the measurement (issue 23, benchmarks/results/llm-paired): with the local
# models we ship, llm-mcts did not beat the same tree search without the LLM, and its calls made
# each sample 1.6-1.8x as long. A run that names an LLM (``llm=...``, ``--llm``, any LLM option)
# gets llm-mcts without naming the strategy.
DEFAULT_STRATEGY = "mcts"
LLM_STRATEGY = "llm-mcts"


def implied_strategy(llm=None, options: dict | None = None) -> str:
    """The strategy of a run that names none: llm-mcts if it says anything about an LLM,
    else ``DEFAULT_STRATEGY``."""
    llm_options = set(STRATEGIES[LLM_STRATEGY].options) - set(STRATEGIES[DEFAULT_STRATEGY].options)
    if llm is not None or llm_options & set(options or {}):
        return LLM_STRATEGY
    return DEFAULT_STRATEGY


def get_strategy(name: str) -> Strategy:
    if name not in STRATEGIES:
        raise UserError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    return STRATEGIES[name]
