"""Actual cost of an operation, from its response (Apollo's ``actual`` cost).

The same weights as the estimate, counted on the data the client receives: every object
returned costs its ``@cost`` (else 1) plus its fields, every leaf its ``@cost`` (else 0), a
list the sum of its items; a field's arguments are counted once per occurrence in the
response. Nulls cost their ``@cost`` (else 0). The mutation base cost is not part of it (as in
Apollo Router): it measures what came back.

Speed: the response is walked on every request, so each selection is first compiled (once,
then cached) into the few fields that can cost anything: leaves without ``@cost`` and without
costly arguments are left out, and a list of objects whose selection has nothing costly is
counted with ``len`` instead of visited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode

from router.operation.normalize import Field, SelectionSet

from .estimate import CostEstimator, CostRun
from .schema import FieldCost

_ABSENT: Any = object()
MAX_COMPILED = 4096
"""Compiled selections kept (they follow the engine's plan cache; cleared when full)."""


@dataclass(frozen=True, slots=True)
class _CostField:
    key: str
    parent: str
    object_weight: float
    """Each object value: ``@cost`` or 1."""
    leaf_weight: float
    """Each leaf or null value: ``@cost`` or 0."""
    child: _CompiledSelection | None
    """The object's selection, None when nothing in it costs anything."""
    info: FieldCost
    composite: bool
    nested: bool
    """A list of lists: items are visited one by one."""
    node: FieldNode | None
    """Arguments whose cost depends on variables (computed per occurrence), else None."""
    arguments_cost: float
    """Arguments' cost when it does not depend on variables."""
    has_arguments: bool
    """Arguments cost something (or may, depending on variables)."""


class _CompiledSelection:
    """The costly fields of a selection, per runtime type for an abstract one."""

    __slots__ = ("by_type", "fields")

    def __init__(
        self, fields: tuple[_CostField, ...], by_type: dict[str, tuple[_CostField, ...]]
    ) -> None:
        self.fields = fields
        self.by_type = by_type

    def for_object(self, obj: Mapping[str, Any]) -> tuple[_CostField, ...]:
        if self.by_type:
            runtime = obj.get("__typename")
            if isinstance(runtime, str):
                return self.by_type.get(runtime, self.fields)
        return self.fields


class ActualCost:
    """Walks projected response data with the operation's (compiled) expanded selection."""

    def __init__(self, estimator: CostEstimator) -> None:
        self.estimator = estimator
        self.schema = estimator.schema
        self._compiled: dict[int, tuple[SelectionSet, _CompiledSelection | None]] = {}

    def cost(
        self, selection: SelectionSet, data: Mapping[str, Any] | None, variables: Mapping[str, Any]
    ) -> float:
        if not isinstance(data, Mapping):
            return 0.0
        compiled = self.compile(selection)
        if compiled is None:
            return 0.0
        return self._object(compiled, data, CostRun(self.estimator, variables))

    def compile(self, selection: SelectionSet) -> _CompiledSelection | None:
        """None when nothing in the selection can cost anything."""
        found = self._compiled.get(id(selection))
        if found is not None and found[0] is selection:
            return found[1]
        if len(self._compiled) >= MAX_COMPILED:
            self._compiled.clear()
        compiled = self._compile(selection)
        self._compiled[id(selection)] = (selection, compiled)
        return compiled

    def _compile(self, selection: SelectionSet) -> _CompiledSelection | None:
        if not selection.abstract:
            fields = self._fields(selection.common or ())
            return _CompiledSelection(fields, {}) if fields else None
        by_type = {name: self._fields(fields) for name, fields in selection.by_type.items()}
        common = self._fields(selection.common) if selection.common is not None else None
        if common is None:
            common = next(iter(by_type.values()), ())
        if not common and not any(by_type.values()):
            return None
        return _CompiledSelection(common, by_type)

    def _fields(self, fields: tuple[Field, ...]) -> tuple[_CostField, ...]:
        out: list[_CostField] = []
        for field in fields:
            info = self.schema.field(field.parent_type, field.name)
            if info is None:
                continue
            node: FieldNode = field.nodes[0]
            dynamic: FieldNode | None = None
            arguments_cost = 0.0
            if node.arguments:
                probe = CostRun(self.estimator, {})
                arguments_cost = probe.arguments(info, field.parent_type, node)
                if probe.uses_variables:
                    dynamic, arguments_cost = node, 0.0
            child = self.compile(field.selection) if field.selection is not None else None
            leaf = float(info.weight) if info.weight is not None else 0.0
            if not info.composite and not leaf and dynamic is None and not arguments_cost:
                continue
            out.append(
                _CostField(
                    field.response_key,
                    field.parent_type,
                    float(info.weight) if info.weight is not None else 1.0,
                    leaf,
                    child,
                    info,
                    info.composite,
                    info.nested,
                    dynamic,
                    arguments_cost,
                    dynamic is not None or arguments_cost != 0,
                )
            )
        return tuple(out)

    def _object(self, compiled: _CompiledSelection, obj: Mapping[str, Any], run: CostRun) -> float:
        fields = compiled.fields
        if compiled.by_type:
            runtime = obj.get("__typename")
            if type(runtime) is str:
                fields = compiled.by_type.get(runtime, fields)
        cost = 0.0
        for field in fields:
            value = obj.get(field.key, _ABSENT)
            if value is _ABSENT:  # skipped, or not part of this runtime type
                continue
            kind = type(value)
            if kind is dict:
                child = field.child
                cost += field.object_weight
                if child is not None:
                    cost += self._object(child, value, run)
            elif kind is list:
                cost += self._list(field, value, run)
            else:
                cost += field.leaf_weight
            if field.has_arguments:
                cost += field.arguments_cost
                if field.node is not None:
                    cost += run.arguments(field.info, field.parent, field.node)
        return cost

    def _list(self, field: _CostField, items: list[Any], run: CostRun) -> float:
        child = field.child
        if child is None and not field.nested:
            if not field.composite:
                return len(items) * field.leaf_weight
            nulls = items.count(None)
            return (len(items) - nulls) * field.object_weight + nulls * field.leaf_weight
        total = 0.0
        weight = field.object_weight
        for item in items:
            kind = type(item)
            if kind is dict:
                total += weight
                if child is not None:
                    total += self._object(child, item, run)
            elif kind is list:
                total += self._list(field, item, run)
            else:
                total += field.leaf_weight
        return total
