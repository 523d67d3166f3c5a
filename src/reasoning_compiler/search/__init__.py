"""Search strategies of our own: Monte Carlo tree search over schedule transformations.

Plain Python: ``tree`` (nodes, UCT, rounds), ``proposers`` (the vocabulary, the random
proposer), ``language`` (steps and decision points). The TVM side: ``decisions`` (a trace's
decision points), ``schedule_space`` (the programs the tree searches), ``mcts_strategy`` (MCTS as
a MetaSchedule search strategy) and ``evolutionary`` (upstream's evolutionary search, wrapped).
"""

from .proposers import TRANSFORMATIONS, NodeContext, Proposer, RandomProposer
from .tree import DEFAULT_C, MCTS, Node, SearchStats, Tree, uct

__all__ = [
    "DEFAULT_C",
    "MCTS",
    "Node",
    "NodeContext",
    "Proposer",
    "RandomProposer",
    "SearchStats",
    "TRANSFORMATIONS",
    "Tree",
    "uct",
]
