"""Plan execution: subgraph fetches, representations, merging, projection."""

from .executor import ExecutionState, Executor
from .fetcher import FetcherConfig, FetchFailure, SubgraphFetcher, SubgraphResponse
from .projection import ObjectPlan, Projector, compile_selection

__all__ = [
    "ExecutionState",
    "Executor",
    "FetchFailure",
    "FetcherConfig",
    "ObjectPlan",
    "Projector",
    "SubgraphFetcher",
    "SubgraphResponse",
    "compile_selection",
]
