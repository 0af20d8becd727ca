"""Demand control: the cost of operations from the supergraph's ``@cost``/``@listSize``.

`DemandControl` is the engine's one entry point (built per engine, so a reloaded supergraph
or configuration brings its own). Before planning, `DemandControl.estimate` gives the
operation's static cost (`estimate`); in ``enforce`` mode an operation above
``strategy.static_estimated.max`` is refused with ``COST_ESTIMATED_TOO_EXPENSIVE`` and is
never planned nor sent to a subgraph (as are operations that cannot be costed,
``COST_QUERY_PARSE_FAILURE``), HTTP 400 and no ``data``; ``measure`` mode only records.
After execution, `DemandControl.actual` costs the response (`actual`). Both are exported as metrics
(``polyshop_router_cost_*``) and, with ``expose_cost``, in ``extensions.cost`` with Apollo's
names (``estimated``, ``actual``, ``max``, ``result``, ``strategy``).

An estimate that read no variable value (no variables in arguments or conditions) holds for
every request of that operation: it is cached with the prepared operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from router.config.demand_control import DemandControlConfig
from router.operation.errors import error_dict
from router.operation.normalize import NormalizedOperation, SelectionSet
from router.supergraph import Supergraph

from .actual import ActualCost
from .estimate import CostError, CostEstimator, Estimate
from .schema import CostSchema

COST_OK = "COST_OK"
COST_ESTIMATED_TOO_EXPENSIVE = "COST_ESTIMATED_TOO_EXPENSIVE"
COST_ACTUAL_TOO_EXPENSIVE = "COST_ACTUAL_TOO_EXPENSIVE"
STRATEGY = "static_estimated"

__all__ = [
    "COST_ACTUAL_TOO_EXPENSIVE",
    "COST_ESTIMATED_TOO_EXPENSIVE",
    "COST_OK",
    "CostError",
    "CostEstimator",
    "CostObserver",
    "CostSchema",
    "DemandControl",
    "Estimate",
    "OperationCost",
]


class CostObserver:
    """Where costs are reported (`router.telemetry` records them as metrics); no-op here."""

    def estimated(self, cost: float, result: str) -> None:
        """An operation was estimated; ``result`` is ``COST_OK`` or the refusal's code."""

    def actual(self, estimated: float, actual: float) -> None:
        """An executed operation's actual cost (and its estimate)."""


@dataclass(slots=True)
class OperationCost:
    """One request's costs, as far as they are known."""

    estimated: float
    max: float
    result: str = COST_OK
    actual: float | None = None
    refusal: dict[str, Any] | None = None
    """The GraphQL error refusing the operation (enforce mode), else None."""

    def extension(self) -> dict[str, Any]:
        """``extensions.cost`` of the answer."""
        cost: dict[str, Any] = {"estimated": self.estimated}
        if self.actual is not None:
            cost["actual"] = self.actual
        cost.update(max=self.max, result=self.result, strategy=STRATEGY)
        return cost


class DemandControl:
    """Estimates, enforces and measures operation costs for one engine."""

    def __init__(self, supergraph: Supergraph, config: DemandControlConfig) -> None:
        self.config = config
        strategy = config.strategy.static_estimated
        self.max = strategy.max
        self.enforce = config.mode == "enforce"
        self.estimator = CostEstimator(CostSchema(supergraph), strategy.list_size)
        self.actual_cost = ActualCost(self.estimator)
        self.observer = CostObserver()

    def estimate(
        self,
        operation: NormalizedOperation,
        variables: Mapping[str, Any],
        cached: float | None = None,
    ) -> tuple[OperationCost, bool]:
        """The operation's cost, and whether it may be cached (no variable took part). In
        enforce mode a refused operation's cost carries its ``refusal`` (a GraphQL error)."""
        cacheable = False
        if cached is not None:
            estimated = cached
        else:
            try:
                found = self.estimator.estimate(operation, variables)
            except CostError as error:
                self.observer.estimated(0.0, error.code)
                cost = OperationCost(0.0, self.max, error.code)
                if self.enforce:
                    cost.refusal = error_dict(str(error), error.code)
                return cost, False
            estimated, cacheable = found.cost, not found.uses_variables
        cost = OperationCost(estimated, self.max)
        if estimated > self.max:
            cost.result = COST_ESTIMATED_TOO_EXPENSIVE
            if self.enforce:
                cost.refusal = error_dict(
                    f"query estimated cost {_number(estimated)} exceeded configured maximum "
                    f"{_number(self.max)}",
                    COST_ESTIMATED_TOO_EXPENSIVE,
                    extensions={"cost.estimated": estimated, "cost.max": self.max},
                )
        self.observer.estimated(estimated, cost.result)
        return cost, cacheable

    def actual(
        self,
        cost: OperationCost,
        selection: SelectionSet,
        data: Mapping[str, Any] | None,
        variables: Mapping[str, Any],
    ) -> None:
        """Cost the response; an actual cost above the maximum is recorded as
        ``COST_ACTUAL_TOO_EXPENSIVE`` (the work is done: it is reported, not refused)."""
        cost.actual = self.actual_cost.cost(selection, data, variables)
        if cost.actual > self.max and cost.result == COST_OK:
            cost.result = COST_ACTUAL_TOO_EXPENSIVE
        self.observer.actual(cost.estimated, cost.actual)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
