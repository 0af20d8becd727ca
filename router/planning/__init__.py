"""Query planning: client operation → normalized selection → `QueryPlan` (plain data)."""

from .errors import RequestError
from .nodes import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RequiresField,
    RequiresFragment,
    SequenceNode,
)
from .planner import Planner, PlanningError, fetch_nodes
from .printer import plan_to_text

__all__ = [
    "ConditionNode",
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
    "fetch_nodes",
    "plan_to_text",
]
