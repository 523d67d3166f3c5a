"""Search strategies, by name. Each builds a MetaSchedule ``SearchStrategy``.

New strategies (MCTS, LLM-guided MCTS) register here and get the CLI, logs and results for free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tvm.s_tir import meta_schedule as ms

from .errors import UserError

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


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    parameters: dict
    factory: Callable[..., ms.SearchStrategy]

    def create(self) -> ms.SearchStrategy:
        return self.factory(**self.parameters)


STRATEGIES: dict[str, Strategy] = {
    "evolutionary": Strategy(
        name="evolutionary",
        description="MetaSchedule's evolutionary search at upstream defaults (the baseline)",
        parameters=EVOLUTIONARY_DEFAULTS,
        factory=lambda **p: ms.search_strategy.EvolutionarySearch(**p),
    ),
}


def get_strategy(name: str) -> Strategy:
    if name not in STRATEGIES:
        raise UserError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    return STRATEGIES[name]
