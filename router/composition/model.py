"""A subgraph schema as plain data, with the federation facts composition asks about.

Built by `router.composition.builder` from a subgraph's SDL. Elements keep their applied
directives under the names the subgraph uses; `Subgraph.names` maps federation directive names
(``key``) to those local names (``key``, ``federation__key`` or an import alias).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import DirectiveDefinitionNode, ValueNode

from router.composition.specs import Version
from router.composition.typeref import TypeRef


@dataclass(slots=True)
class AppliedDirective:
    name: str
    args: dict[str, ValueNode]
    decl: int = 0
    """Index of the type definition/extension block this application came from."""


@dataclass(slots=True)
class Argument:
    name: str
    type: TypeRef
    default: ValueNode | None = None
    description: str | None = None
    directives: list[AppliedDirective] = field(default_factory=list)


@dataclass(slots=True)
class Field:
    """An object/interface field, or an input object field (``args`` empty, maybe ``default``)."""

    name: str
    parent: str
    type: TypeRef
    args: dict[str, Argument] = field(default_factory=dict)
    description: str | None = None
    directives: list[AppliedDirective] = field(default_factory=list)
    default: ValueNode | None = None
    decl: int = 0

    @property
    def coordinate(self) -> str:
        return f"{self.parent}.{self.name}"


@dataclass(slots=True)
class EnumValue:
    name: str
    description: str | None = None
    directives: list[AppliedDirective] = field(default_factory=list)


@dataclass(slots=True)
class TypeDef:
    name: str
    kind: str
    """``OBJECT``, ``INTERFACE``, ``UNION``, ``ENUM``, ``INPUT_OBJECT`` or ``SCALAR``."""
    description: str | None = None
    directives: list[AppliedDirective] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    decl_is_extension: list[bool] = field(default_factory=list)
    """One entry per definition/extension block, in document order."""

    @property
    def has_definition(self) -> bool:
        return not all(self.decl_is_extension)

    @property
    def has_extension(self) -> bool:
        return any(self.decl_is_extension)


@dataclass(slots=True)
class Link:
    """A non-federation ``@link`` of the subgraph (kept for ``@composeDirective``)."""

    url: str
    identity: str
    name: str
    version: Version
    alias: str | None
    imports: dict[str, str]
    """Imported directive name in the feature (``hello``) -> local name."""


@dataclass(slots=True)
class Subgraph:
    name: str
    url: str
    version: Version
    """Federation version; Federation 1 subgraphs are upgraded and count as v2.0."""
    fed1: bool
    names: dict[str, str]
    """Federation directive name -> name used in this subgraph."""
    types: dict[str, TypeDef] = field(default_factory=dict)
    directive_defs: dict[str, DirectiveDefinitionNode] = field(default_factory=dict)
    """Directive definitions that are not federation/link/built-in ones."""
    roots: dict[str, str] = field(default_factory=dict)
    """Operation kind -> root type name (always the default names after building)."""
    schema_directives: list[AppliedDirective] = field(default_factory=list)
    description: str | None = None
    """Description of the schema definition."""
    links: list[Link] = field(default_factory=list)
    composed: list[str] = field(default_factory=list)
    """Local names of directives listed in ``@composeDirective``."""

    def applications(self) -> Iterator[AppliedDirective]:
        """Every directive application in the subgraph."""
        yield from self.schema_directives
        for type_def in self.types.values():
            yield from type_def.directives
            for field_def in type_def.fields.values():
                yield from field_def.directives
                for arg in field_def.args.values():
                    yield from arg.directives
            for value in type_def.values.values():
                yield from value.directives

    def local(self, federation_name: str) -> str | None:
        return self.names.get(federation_name)

    def has(self, element_directives: list[AppliedDirective], federation_name: str) -> bool:
        local = self.names.get(federation_name)
        return local is not None and any(d.name == local for d in element_directives)

    def applied(
        self, element_directives: list[AppliedDirective], federation_name: str
    ) -> list[AppliedDirective]:
        local = self.names.get(federation_name)
        if local is None:
            return []
        return [d for d in element_directives if d.name == local]

    def field(self, type_name: str, field_name: str) -> Field | None:
        type_def = self.types.get(type_name)
        if type_def is None:
            return None
        return type_def.fields.get(field_name)

    def implementations(self, interface: str) -> list[str]:
        """Object types implementing ``interface`` in this subgraph (directly)."""
        return [
            t.name for t in self.types.values() if t.kind == "OBJECT" and interface in t.interfaces
        ]

    def possible_types(self, abstract: str) -> list[str]:
        type_def = self.types.get(abstract)
        if type_def is None:
            return []
        if type_def.kind == "UNION":
            return list(type_def.members)
        if type_def.kind == "INTERFACE":
            return self.implementations(abstract)
        return [abstract]

    def is_interface_object(self, type_name: str) -> bool:
        type_def = self.types.get(type_name)
        return (
            type_def is not None
            and type_def.kind == "OBJECT"
            and self.has(type_def.directives, "interfaceObject")
        )
