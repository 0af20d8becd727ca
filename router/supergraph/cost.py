"""Demand control's directives as the supergraph carries them: ``@cost`` and ``@listSize``.

Federation 2.9 composes IBM's cost directives into the supergraph under one link,
``@link(url: "https://specs.apollo.dev/cost/v0.1", import: [...])`` (``@cost`` is the spec's
own name; ``@listSize`` is imported, or ``@cost__listSize`` when no subgraph uses it; a
subgraph's unimported ``@federation__cost`` keeps that name through an ``as:`` import). The
reader resolves those names through the link, so renamed directives are read all the same.

`CostDirectives` is frozen data keyed by schema coordinates; the cost calculator
(`router.demand_control`) asks it, never the SDL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    specified_scalar_types,
)

from .directives import applications
from .links import COST_IDENTITY, Links


@dataclass(frozen=True, slots=True)
class ListSize:
    """A field's ``@listSize``: how many items its list (or its sized fields' lists) hold."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    """Arguments (``first``, ``filter.max``) whose value bounds the size; the largest given
    one wins."""
    sized_fields: tuple[str, ...] = ()
    """Fields of the returned object whose lists the slicing arguments size (connections)."""
    require_one_slicing_argument: bool = True
    """Exactly one slicing argument must be given (a default value counts)."""


@dataclass(frozen=True, slots=True)
class CostDirectives:
    """Every ``@cost``/``@listSize`` of a supergraph, by schema coordinate."""

    types: Mapping[str, int] = field(default_factory=dict)
    """``@cost`` on an object, scalar or enum type: the weight of a value of that type."""
    fields: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """``@cost`` on an output field or input field, by (type, field)."""
    arguments: Mapping[tuple[str, str, str], int] = field(default_factory=dict)
    """``@cost`` on a field argument, by (type, field, argument)."""
    list_sizes: Mapping[tuple[str, str], ListSize] = field(default_factory=dict)
    """``@listSize`` on an output field, by (type, field)."""

    @property
    def empty(self) -> bool:
        return not (self.types or self.fields or self.arguments or self.list_sizes)


def read_cost_directives(schema: GraphQLSchema, links: Links) -> CostDirectives:
    """The supergraph's cost directives (empty when it does not link the cost spec)."""
    link = links.by_identity(COST_IDENTITY)
    if link is None:
        return CostDirectives()
    cost = link.directive_name("cost")
    list_size = link.directive_name("listSize")
    types: dict[str, int] = {}
    fields: dict[tuple[str, str], int] = {}
    arguments: dict[tuple[str, str, str], int] = {}
    sizes: dict[tuple[str, str], ListSize] = {}

    def weight(element: Any, where: str) -> int | None:
        found = applications(schema, element, cost, where)
        return int(found[0]["weight"]) if found else None

    for name, named in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types or links.owns_type(name):
            continue
        weighted = isinstance(named, GraphQLObjectType | GraphQLScalarType | GraphQLEnumType)
        if weighted and (value := weight(named, name)) is not None:
            types[name] = value
        if isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                if (value := weight(input_field, f"{name}.{field_name}")) is not None:
                    fields[(name, field_name)] = value
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, output in named.fields.items():
            where = f"{name}.{field_name}"
            if (value := weight(output, where)) is not None:
                fields[(name, field_name)] = value
            for arg_name, arg in output.args.items():
                if (value := weight(arg, f"{where}({arg_name}:)")) is not None:
                    arguments[(name, field_name, arg_name)] = value
            found = applications(schema, output, list_size, where)
            if found:
                args = found[0]
                assumed = args.get("assumedSize")
                sizes[(name, field_name)] = ListSize(
                    assumed_size=int(assumed) if assumed is not None else None,
                    slicing_arguments=tuple(args.get("slicingArguments") or ()),
                    sized_fields=tuple(args.get("sizedFields") or ()),
                    require_one_slicing_argument=bool(args.get("requireOneSlicingArgument", True)),
                )
    return CostDirectives(types, fields, arguments, sizes)
