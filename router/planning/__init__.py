"""Query planning: client operation → normalized selection → `QueryPlan` (plain data)."""

from .errors import RequestError
from .nodes import (
    BatchEntry,
    BatchFetchNode,
    ConditionNode,
    ContextValue,
    DeferNode,
    DeferredNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RequiresField,
    RequiresFragment,
    SequenceNode,
)
from .planner import Planner, PlanningError, count_requests, fetch_nodes
from .printer import plan_to_text

__all__ = [
    "BatchEntry",
    "BatchFetchNode",
    "ConditionNode",
    "ContextValue",
    "DeferNode",
    "DeferredNode",
    "FetchNode",
    "FlattenNode",
    "ParallelNode",
    "PlanNode",
    "Planner",
    "PlanningError",
    "QueryPlan",
    "RequestError",
    "RequiresField",
    "RequiresFragment",
    "SequenceNode",
    "count_requests",
    "fetch_nodes",
    "plan_to_text",
]
