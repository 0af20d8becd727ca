"""Actual cost of an operation, from its response (Apollo's ``actual`` cost).

The same weights as the estimate, counted on the data the client receives: every object
returned costs its ``@cost`` (else 1) plus its fields, every leaf its ``@cost`` (else 0), a
list the sum of its items; a field's arguments are counted once per occurrence in the
response. Missing values (nulls) cost their ``@cost`` (else 0). The mutation base cost is not
part of it (as in Apollo Router): it measures what came back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import FieldNode

from router.planning.normalize import Field, SelectionSet

from .estimate import CostEstimator, CostRun


class ActualCost:
    """Walks projected response data with the operation's expanded selection."""

    def __init__(self, estimator: CostEstimator) -> None:
        self.estimator = estimator
        self.schema = estimator.schema

    def cost(
        self, selection: SelectionSet, data: Mapping[str, Any] | None, variables: Mapping[str, Any]
    ) -> float:
        if not isinstance(data, Mapping):
            return 0.0
        return self._object(selection, data, CostRun(self.estimator, variables))

    def _object(self, selection: SelectionSet, obj: Mapping[str, Any], run: CostRun) -> float:
        fields: tuple[Field, ...] | None
        if not selection.abstract:
            fields = selection.common
        else:
            runtime = obj.get("__typename")
            fields = selection.fields_for(runtime) if isinstance(runtime, str) else None
            if fields is None:
                fields = selection.common
            if fields is None:
                fields = next(iter(selection.by_type.values()), ())
        cost = 0.0
        for field in fields or ():
            if field.response_key in obj:
                cost += self._field(field, obj[field.response_key], run)
        return cost

    def _field(self, field: Field, value: Any, run: CostRun) -> float:
        info = self.schema.field(field.parent_type, field.name)
        if info is None:
            return 0.0
        cost = self._value(field, value, info.weight, run)
        node: FieldNode = field.nodes[0]
        if node.arguments:
            cost += run.arguments(info, field.parent_type, node)
        return cost

    def _value(self, field: Field, value: Any, weight: int | None, run: CostRun) -> float:
        if isinstance(value, list):
            return sum(self._value(field, item, weight, run) for item in value)
        if isinstance(value, Mapping):
            cost = 1.0 if weight is None else float(weight)
            if field.selection is not None:
                cost += self._object(field.selection, value, run)
            return cost
        return 0.0 if weight is None else float(weight)
