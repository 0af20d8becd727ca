"""Query planning: a normalized operation (`router/operation/`) → `QueryPlan` (plain data)."""

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
    ResponseAlias,
    SequenceNode,
)
from .planner import Planner, PlanningError, count_requests, fetch_nodes, response_aliases
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
    "RequiresField",
    "RequiresFragment",
    "ResponseAlias",
    "SequenceNode",
    "count_requests",
    "fetch_nodes",
    "plan_to_text",
    "response_aliases",
]
