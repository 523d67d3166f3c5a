"""Search strategies of our own: Monte Carlo tree search over schedule transformations.

``tree`` and ``proposers`` are plain Python; ``metaschedule`` adapts them to TVM.
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
