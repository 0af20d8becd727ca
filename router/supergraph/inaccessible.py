"""Validation of `@inaccessible` applications, as the inaccessible spec (v0.2) asks.

A hidden element must not leave the API schema invalid or inconsistent: no visible field may
return a hidden type, no required argument or input field may be hidden, an interface field
that stays visible cannot be hidden on an implementation, and default values cannot use
hidden enum values or input fields. Messages follow Apollo's wording.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    ConstValueNode,
    EnumValueNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InputValueDefinitionNode,
    ListValueNode,
    ObjectValueNode,
    get_named_type,
    specified_directives,
    specified_scalar_types,
)

from .directives import has_directive
from .links import Links

_BUILTIN_DIRECTIVES = frozenset(d.name for d in specified_directives)


def is_required(node: InputValueDefinitionNode) -> bool:
    return node.type.kind == "non_null_type" and node.default_value is None


def check_inaccessible(schema: GraphQLSchema, links: Links, inaccessible: str) -> list[str]:
    """Every problem with the `@inaccessible` applications of a supergraph (empty if none)."""
    return _Checker(schema, links, inaccessible).check()


class _Checker:
    """Validates `@inaccessible` applications against the rules of the inaccessible spec."""

    def __init__(self, schema: GraphQLSchema, links: Links, inaccessible: str) -> None:
        self.schema = schema
        self.links = links
        self.inaccessible = inaccessible
        self.errors: list[str] = []

    def hidden(self, element: Any) -> bool:
        return has_directive(element, self.inaccessible)

    def type_in_api(self, name: str) -> bool:
        named = self.schema.type_map.get(name)
        if named is None or self.links.owns_type(name):
            return True  # feature types count as present, as in the inaccessible spec
        return not self.hidden(named)

    def user_types(self) -> Iterator[GraphQLNamedType]:
        for name, named in self.schema.type_map.items():
            if name.startswith("__") or name in specified_scalar_types:
                continue
            if self.links.owns_type(name):
                if self.hidden(named) or self._hidden_children(named):
                    self.errors.append(f'Core feature type "{name}" cannot use @inaccessible.')
                continue
            yield named

    def _hidden_children(self, named: GraphQLNamedType) -> bool:
        children: list[Any] = []
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            children.extend(named.fields.values())
        if isinstance(named, GraphQLEnumType):
            children.extend(named.values.values())
        return any(self.hidden(child) for child in children)

    def check(self) -> list[str]:
        types = list(self.user_types())
        query = self.schema.query_type
        for named in types:
            if self.hidden(named):
                if query is not None and named.name == query.name:
                    self.errors.append(
                        f'Type "{named.name}" is @inaccessible but is the root query type, '
                        "which must be in the API schema."
                    )
                for referencer in self.referencers(named.name, types):
                    self.errors.append(
                        f'Type "{named.name}" is @inaccessible but is referenced by '
                        f'"{referencer}", which is in the API schema.'
                    )
            else:
                self.check_children(named)
        self.check_default_values(types)
        return self.errors

    def referencers(self, name: str, types: Sequence[GraphQLNamedType]) -> Iterator[str]:
        """Coordinates of API-schema fields, arguments and input fields whose type is ``name``."""
        for owner in types:
            if self.hidden(owner):
                continue
            if isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
                for field_name, field in owner.fields.items():
                    if self.hidden(field):
                        continue
                    if get_named_type(field.type).name == name:
                        yield f"{owner.name}.{field_name}"
                    for arg_name, arg in field.args.items():
                        if not self.hidden(arg) and get_named_type(arg.type).name == name:
                            yield f"{owner.name}.{field_name}({arg_name}:)"
            elif isinstance(owner, GraphQLInputObjectType):
                for field_name, input_field in owner.fields.items():
                    if (
                        not self.hidden(input_field)
                        and get_named_type(input_field.type).name == name
                    ):
                        yield f"{owner.name}.{field_name}"
        for directive in self.schema.directives:
            if directive.name in _BUILTIN_DIRECTIVES or self.links.owns_directive(directive.name):
                continue
            for arg_name, arg in directive.args.items():
                if not self.hidden(arg) and get_named_type(arg.type).name == name:
                    yield f"@{directive.name}({arg_name}:)"

    def check_children(self, named: GraphQLNamedType) -> None:
        name = named.name
        fielded = GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        if isinstance(named, fielded) and all(self.hidden(f) for f in named.fields.values()):
            kind = "input fields" if isinstance(named, GraphQLInputObjectType) else "fields"
            self.errors.append(
                f'Type "{name}" is in the API schema but all of its {kind} are @inaccessible.'
            )
        if isinstance(named, GraphQLUnionType) and all(
            not self.type_in_api(member.name) for member in named.types
        ):
            self.errors.append(
                f'Type "{name}" is in the API schema but all of its members are @inaccessible.'
            )
        if isinstance(named, GraphQLEnumType) and all(
            self.hidden(v) for v in named.values.values()
        ):
            self.errors.append(
                f'Type "{name}" is in the API schema but all of its values are @inaccessible.'
            )
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            self.check_fields(named)
        if isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                node = input_field.ast_node
                if self.hidden(input_field) and node is not None and is_required(node):
                    self.errors.append(
                        f'Input field "{name}.{field_name}" is @inaccessible but is a required '
                        "input field of its type."
                    )

    def check_fields(self, named: GraphQLObjectType | GraphQLInterfaceType) -> None:
        interfaces = [i for i in named.interfaces if self.type_in_api(i.name)]
        implementers: list[GraphQLObjectType | GraphQLInterfaceType] = []
        if isinstance(named, GraphQLInterfaceType):
            implementers = [
                t
                for t in self.schema.type_map.values()
                if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
                and named in t.interfaces
                and self.type_in_api(t.name)
            ]
        for field_name, field in named.fields.items():
            coordinate = f"{named.name}.{field_name}"
            if self.hidden(field):
                for interface in interfaces:
                    implemented = interface.fields.get(field_name)
                    if implemented is not None and not self.hidden(implemented):
                        self.errors.append(
                            f'Field "{coordinate}" is @inaccessible but implements the '
                            f'interface field "{interface.name}.{field_name}", which is in '
                            "the API schema."
                        )
                continue
            for arg_name, arg in field.args.items():
                if not self.hidden(arg):
                    continue
                arg_coordinate = f"{coordinate}({arg_name}:)"
                if arg.ast_node is not None and is_required(arg.ast_node):
                    self.errors.append(
                        f'Argument "{arg_coordinate}" is @inaccessible but is a required '
                        "argument of its field."
                    )
                for interface in interfaces:
                    implemented_field = interface.fields.get(field_name)
                    implemented = (
                        implemented_field.args.get(arg_name) if implemented_field else None
                    )
                    if (
                        implemented_field is not None
                        and implemented is not None
                        and not self.hidden(implemented_field)
                        and not self.hidden(implemented)
                    ):
                        self.errors.append(
                            f'Argument "{arg_coordinate}" is @inaccessible but implements the '
                            f'interface argument "{interface.name}.{field_name}({arg_name}:)", '
                            "which is in the API schema."
                        )
                for implementer in implementers:
                    implementing_field = implementer.fields.get(field_name)
                    implementing = (
                        implementing_field.args.get(arg_name) if implementing_field else None
                    )
                    if (
                        implementing_field is not None
                        and implementing is not None
                        and implementing.ast_node is not None
                        and not self.hidden(implementing_field)
                        and not self.hidden(implementing)
                        and is_required(implementing.ast_node)
                    ):
                        self.errors.append(
                            f'Argument "{arg_coordinate}" is @inaccessible but is implemented by '
                            f'the required argument "{implementer.name}.{field_name}'
                            f'({arg_name}:)", which is in the API schema.'
                        )

    def check_default_values(self, types: Sequence[GraphQLNamedType]) -> None:
        for owner in types:
            if self.hidden(owner):
                continue
            places: list[tuple[str, Any]] = []
            if isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
                for field_name, field in owner.fields.items():
                    if self.hidden(field):
                        continue
                    places.extend(
                        (f"{owner.name}.{field_name}({arg_name}:)", arg)
                        for arg_name, arg in field.args.items()
                    )
            elif isinstance(owner, GraphQLInputObjectType):
                places.extend(
                    (f"{owner.name}.{field_name}", input_field)
                    for field_name, input_field in owner.fields.items()
                )
            for coordinate, element in places:
                node = element.ast_node
                if self.hidden(element) or node is None or node.default_value is None:
                    continue
                for used in self.references(node.default_value, element.type):
                    self.errors.append(
                        f"{used} is @inaccessible but is used in the default value of "
                        f'"{coordinate}", which is in the API schema.'
                    )

    def references(self, value: ConstValueNode, type_: GraphQLInputType) -> Iterator[str]:
        """Hidden enum values and input fields a default value uses."""
        if isinstance(type_, GraphQLNonNull):
            yield from self.references(value, type_.of_type)
        elif isinstance(type_, GraphQLList):
            items = value.values if isinstance(value, ListValueNode) else (value,)
            for item in items:
                yield from self.references(item, type_.of_type)
        elif isinstance(type_, GraphQLEnumType) and isinstance(value, EnumValueNode):
            enum_value = type_.values.get(value.value)
            if enum_value is not None and self.hidden(enum_value):
                yield f'Enum value "{type_.name}.{value.value}"'
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, ObjectValueNode):
            for object_field in value.fields:
                input_field = type_.fields.get(object_field.name.value)
                if input_field is None:
                    continue
                if self.hidden(input_field):
                    yield f'Input field "{type_.name}.{object_field.name.value}"'
                yield from self.references(object_field.value, input_field.type)
