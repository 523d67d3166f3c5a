"""Search strategies, by name. Each builds a MetaSchedule ``SearchStrategy``.

A strategy registers here and gets the CLI, logs and results for free. ``parameters`` are its
defaults, all recorded in ``result.json``; the user may override the ones named in ``options``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import UserError, check_count
from .search.tree import SearchStats

# Upstream MetaSchedule defaults, stated so that comparisons are honest.
EVOLUTIONARY_DEFAULTS = {
    "population_size": 512,
    "init_measured_ratio": 0.2,
    "init_min_unmeasured": 50,
    "max_fail_count": 5,
    "genetic_num_iters": 4,
    "genetic_mutate_prob": 0.85,
    "genetic_max_fail_count": 10,
    "eps_greedy": 0.05,
}

# The paper's settings (section 4.1): c = sqrt(2), B = 2.
TREE_DEFAULTS = {
    "c": math.sqrt(2),
    "branching": 2,
    "rollout_depth": 2,
    "expansions_per_round": None,  # None: 16 MCTS iterations per sample of the round
}

# Plain MCTS, the fair baseline of llm-mcts: where llm-mcts asks the LLM (one expansion in
# llm_every, llm_proposals sequences, a share of each batch reserved for them), plain MCTS
# proposes random sequences of the lengths the LLM answers with. Only who chooses differs.
MCTS_DEFAULTS = {
    **TREE_DEFAULTS,
    "sequence_every": 64,
    "sequence_proposals": 2,
    "sequence_share": 0.25,
}

# LLM-guided MCTS (paper section 3.1): the same tree, with the LLM proposing expansions.
LLM_MCTS_DEFAULTS = {
    **TREE_DEFAULTS,
    "history_depth": 2,  # ancestors in a prompt: parent and grandparent, as in the paper
    "llm_budget": None,  # LLM calls in all (None: no limit but the pacing below)
    # The LLM answers one expansion in this many: one call per 4 samples measured, each call
    # proposing llm_proposals sequences (the children B = 2 allows), so that a 1.5B model's
    # seconds per call stay within the measurement's time.
    "llm_every": 64,
    "llm_proposals": 2,
    # Steps may set decisions ("values": must set one, as whole configurations with concrete
    # values are what peers ask a model for); "names": names only (the paper).
    "llm_language": "parameterized",
    "llm_rationale": 0,  # tokens of free reasoning allowed before the answer lines
    "llm_share": 0.25,  # of each batch, measured from the best LLM-proposed nodes
}
LLM_LANGUAGES = ("parameterized", "values", "names")


def _need(params: dict, name: str, kind: type, minimum: float, flag: str) -> None:
    """``params[name]`` must be a number (``kind=float``) or an integer >= ``minimum``."""
    value = params[name]
    if kind is int:
        check_count(flag, value, minimum)
        return
    ok = isinstance(value, int | float) and math.isfinite(value) and value >= minimum
    if not ok or isinstance(value, bool):
        raise UserError(f"{flag} must be a number >= {minimum}, got {value!r}")


def _check_mcts(params: dict) -> None:
    _need(params, "c", float, 0, "--mcts-c")
    _need(params, "branching", int, 1, "--branching")
    _need(params, "rollout_depth", int, 0, "--rollout-depth")
    if params["expansions_per_round"] is not None:
        _need(params, "expansions_per_round", int, 1, "expansions_per_round")


def _check_paced(params: dict) -> None:
    _check_mcts(params)
    _need(params, "sequence_every", int, 1, "sequence_every")
    _need(params, "sequence_proposals", int, 1, "sequence_proposals")
    _need(params, "sequence_share", float, 0, "sequence_share")
    if params["sequence_share"] > 1:
        raise UserError(f"sequence_share must be between 0 and 1, got {params['sequence_share']!r}")


def _check_llm_mcts(params: dict) -> None:
    _check_mcts(params)
    _need(params, "history_depth", int, 0, "--history-depth")
    _need(params, "llm_every", int, 1, "llm_every")
    if params["llm_budget"] is not None:
        _need(params, "llm_budget", int, 0, "--llm-budget")
    _need(params, "llm_proposals", int, 1, "--llm-proposals")
    _need(params, "llm_rationale", int, 0, "--llm-rationale")
    _need(params, "llm_share", float, 0, "--llm-share")
    if params["llm_share"] > 1:
        raise UserError(f"--llm-share must be between 0 and 1, got {params['llm_share']!r}")
    if params["llm_language"] not in LLM_LANGUAGES:
        raise UserError(
            f"--llm-language must be one of {', '.join(LLM_LANGUAGES)}, "
            f"got {params['llm_language']!r}"
        )


def _evolutionary(params: dict, stats: SearchStats, cost_model, proposer):
    from tvm.s_tir import meta_schedule as ms  # TVM loads on use: keeps `--help` fast

    from .search.metaschedule import MeasuredOnce

    return MeasuredOnce(ms.search_strategy.EvolutionarySearch(**params))


def _mcts(params: dict, stats: SearchStats, cost_model, proposer):
    from .search.metaschedule import MCTSSearch
    from .search.proposers import PacedRandomProposer

    tree_params = {k: v for k, v in params.items() if not k.startswith(("llm_", "sequence_"))}
    if "llm_share" in params:
        tree_params["llm_share"] = params["llm_share"]
    if proposer is None and "sequence_every" in params:
        proposer = PacedRandomProposer(params["sequence_every"], params["sequence_proposals"])
        tree_params["llm_share"] = params["sequence_share"]
    return MCTSSearch(**tree_params, proposer=proposer, stats=stats, cost_model=cost_model)


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    parameters: dict
    factory: Callable[[dict, SearchStats, object, object], object]
    options: tuple[str, ...] = field(default=())  # parameters a user may set
    check: Callable[[dict], None] | None = None  # raises UserError on a bad value
    uses_llm: bool = False  # create() needs an LLM proposer

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
        if self.check:
            self.check(params)
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
        parameters=EVOLUTIONARY_DEFAULTS,
        factory=_evolutionary,
    ),
    "mcts": Strategy(
        name="mcts",
        description="Monte Carlo tree search with random proposals (the paper's MCTS, no LLM)",
        parameters=MCTS_DEFAULTS,
        factory=_mcts,
        options=(*MCTS_DEFAULTS,),
        check=_check_paced,
    ),
    "llm-mcts": Strategy(
        name="llm-mcts",
        description="Monte Carlo tree search with LLM proposals (the paper's method)",
        parameters=LLM_MCTS_DEFAULTS,
        factory=_mcts,
        options=(*LLM_MCTS_DEFAULTS,),
        check=_check_llm_mcts,
        uses_llm=True,
    ),
}
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
