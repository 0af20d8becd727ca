"""Join-spec directives → the typed `Supergraph` model (types, fields, graphs, keys).

Rules follow Apollo's join spec and its reference extraction: a field without `@join__field`
lives in every graph that defines its parent type (and knows the field's type), or only in the
`@join__owner` graph of a join v0.1 type; `@join__field` without `graph` marks a field no
subgraph defines directly (inherited from an `@interfaceObject`); without `@join__implements`,
`@join__unionMember` or `@join__enumValue` an element is shared by every graph knowing both
ends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    specified_scalar_types,
)

from .directives import DirectiveNames, applications, has_directive
from .errors import SupergraphError
from .fieldsets import parse_field_set
from .links import (
    JOIN_IDENTITY,
    Links,
)
from .model import (
    ArgumentDef,
    AuthRequirements,
    ContextArgument,
    FieldDef,
    FieldInGraph,
    JoinDirective,
    Key,
    Subgraph,
    TypeDef,
    TypeInGraph,
    TypeKind,
)


@dataclass(frozen=True, slots=True)
class Extracted:
    subgraphs: Mapping[str, Subgraph]
    types: Mapping[str, TypeDef]
    possible_types: Mapping[str, frozenset[str]]
    join_version: tuple[int, int]
    schema_directives: tuple[JoinDirective, ...]


def _kind(named: GraphQLNamedType) -> TypeKind:
    if isinstance(named, GraphQLObjectType):
        return TypeKind.OBJECT
    if isinstance(named, GraphQLInterfaceType):
        return TypeKind.INTERFACE
    if isinstance(named, GraphQLUnionType):
        return TypeKind.UNION
    if isinstance(named, GraphQLEnumType):
        return TypeKind.ENUM
    if isinstance(named, GraphQLInputObjectType):
        return TypeKind.INPUT_OBJECT
    return TypeKind.SCALAR


class _Extractor:
    def __init__(self, schema: GraphQLSchema, links: Links) -> None:
        self.schema = schema
        self.links = links
        self.names = DirectiveNames.from_links(links)
        join = links.by_identity(JOIN_IDENTITY)
        assert join is not None
        self.join_version = join.url.version or (0, 1)
        self.subgraphs = self._subgraphs()
        self.all_graphs = tuple(self.subgraphs)
        self.user_types = {
            name: named
            for name, named in schema.type_map.items()
            if not name.startswith("__")
            and name not in specified_scalar_types
            and not links.owns_type(name)
        }
        self.type_graphs: dict[str, dict[str, TypeInGraph]] = {}
        self.owners: dict[str, str] = {}

    # -- directive reading -------------------------------------------------------------

    def applications(
        self, element: Any, directive_name: str | None, where: str
    ) -> list[dict[str, Any]]:
        return applications(self.schema, element, directive_name, where)

    def has(self, element: Any, directive_name: str | None) -> bool:
        return has_directive(element, directive_name)

    def graph(self, value: Any, where: str) -> str:
        if value not in self.subgraphs:
            raise SupergraphError(f"{where} names unknown graph {value!r}")
        return str(value)

    # -- pieces ------------------------------------------------------------------------

    def _subgraphs(self) -> dict[str, Subgraph]:
        enum = self.schema.type_map.get(self.names.graph_enum)
        if not isinstance(enum, GraphQLEnumType):
            raise SupergraphError(f"not a supergraph: enum {self.names.graph_enum} is missing")
        subgraphs: dict[str, Subgraph] = {}
        for value_name, value in enum.values.items():
            where = f"{self.names.graph_enum}.{value_name}"
            apps = self.applications(value, self.names.graph, where)
            if not apps:
                raise SupergraphError(f"{where} has no @{self.names.graph}(name:, url:)")
            args = apps[0]
            subgraphs[value_name] = Subgraph(
                graph=value_name, name=str(args["name"]), url=str(args.get("url") or "")
            )
        return subgraphs

    def auth(self, element: Any, where: str) -> AuthRequirements:
        authenticated = self.has(element, self.names.authenticated)
        scopes = tuple(
            tuple(tuple(str(s) for s in group) for group in args.get("scopes") or ())
            for args in self.applications(element, self.names.requires_scopes, where)
        )
        policies = tuple(
            tuple(tuple(str(p) for p in group) for group in args.get("policies") or ())
            for args in self.applications(element, self.names.policy, where)
        )
        return AuthRequirements(
            authenticated=authenticated,
            scopes=tuple(group for groups in scopes for group in groups),
            policies=tuple(group for groups in policies for group in groups),
        )

    def join_directives(self, element: Any, where: str) -> tuple[JoinDirective, ...]:
        return tuple(
            JoinDirective(
                name=str(args["name"]),
                graphs=tuple(self.graph(g, where) for g in args.get("graphs") or ()),
                args=dict(args.get("args") or {}),
            )
            for args in self.applications(element, self.names.directive, where)
        )

    def knows(self, graph: str, type_name: str) -> bool:
        graphs = self.type_graphs.get(type_name)
        return graphs is None or graph in graphs

    # -- types -------------------------------------------------------------------------

    def read_type_graphs(self, name: str, named: GraphQLNamedType) -> dict[str, TypeInGraph]:
        apps = self.applications(named, self.names.type, name)
        if not apps:
            return {graph: TypeInGraph(graph=graph) for graph in self.all_graphs}
        keys: dict[str, list[Key]] = {}
        extension: dict[str, bool] = {}
        interface_object: dict[str, bool] = {}
        for args in apps:
            graph = self.graph(args["graph"], f"@{self.names.type} on {name}")
            keys.setdefault(graph, [])
            fields = args.get("key")
            if fields is not None:
                keys[graph].append(
                    Key(
                        fields=str(fields),
                        selection=parse_field_set(str(fields), f"key of {name}"),
                        resolvable=bool(args.get("resolvable", True)),
                    )
                )
            extension[graph] = extension.get(graph, False) or bool(args.get("extension"))
            interface_object[graph] = interface_object.get(graph, False) or bool(
                args.get("isInterfaceObject")
            )
        owner = self.applications(named, self.names.owner, name)
        if owner:
            self.owners[name] = self.graph(owner[0]["graph"], f"@{self.names.owner} on {name}")
        return {
            graph: TypeInGraph(
                graph=graph,
                keys=tuple(graph_keys),
                extension=extension[graph],
                is_interface_object=interface_object[graph],
            )
            for graph, graph_keys in keys.items()
        }

    def field_def(
        self,
        parent: str,
        name: str,
        field: GraphQLField | GraphQLInputField,
    ) -> FieldDef:
        where = f"{parent}.{name}"
        type_ref = str(field.type)
        named_type = get_named_type(field.type).name
        graphs: dict[str, FieldInGraph] = {}
        apps = self.applications(field, self.names.field, where)
        if not apps:
            owner = self.owners.get(parent)
            candidates = (owner,) if owner else tuple(self.type_graphs[parent])
            for graph in candidates:
                if self.knows(graph, named_type):
                    graphs[graph] = FieldInGraph(graph=graph, type=type_ref)
        for args in apps:
            if args.get("graph") is None:
                continue  # a field no subgraph defines directly (from an @interfaceObject)
            graph = self.graph(args["graph"], f"@{self.names.field} on {where}")
            if graph in graphs:
                continue
            requires = args.get("requires")
            provides = args.get("provides")
            graphs[graph] = FieldInGraph(
                graph=graph,
                type=str(args.get("type") or type_ref),
                external=bool(args.get("external")),
                requires=parse_field_set(str(requires), f"requires of {where}")
                if requires
                else None,
                provides=parse_field_set(str(provides), f"provides of {where}")
                if provides
                else None,
                override=args.get("override"),
                override_label=args.get("overrideLabel"),
                used_overridden=bool(args.get("usedOverridden")),
                context_arguments=self.context_arguments(args.get("contextArguments"), where),
            )
        arguments: dict[str, ArgumentDef] = {}
        if isinstance(field, GraphQLField):
            arguments = {
                arg_name: self.argument_def(arg_name, arg) for arg_name, arg in field.args.items()
            }
        return FieldDef(
            name=name,
            type=type_ref,
            named_type=named_type,
            arguments=arguments,
            graphs=graphs,
            inaccessible=self.has(field, self.names.inaccessible),
            auth=self.auth(field, where),
            directives=self.join_directives(field, where),
        )

    def argument_def(self, name: str, arg: GraphQLArgument) -> ArgumentDef:
        return ArgumentDef(
            name=name, type=str(arg.type), inaccessible=self.has(arg, self.names.inaccessible)
        )

    def implements(
        self, name: str, named: GraphQLObjectType | GraphQLInterfaceType
    ) -> dict[str, frozenset[str]]:
        per_graph: dict[str, set[str]] = {}
        covered: set[str] = set()
        for args in self.applications(named, self.names.implements, name):
            graph = self.graph(args["graph"], f"@{self.names.implements} on {name}")
            per_graph.setdefault(graph, set()).add(str(args["interface"]))
            covered.add(str(args["interface"]))
        for interface in named.interfaces:
            if interface.name in covered:
                continue
            for graph in self.type_graphs[name]:
                if self.knows(graph, interface.name):
                    per_graph.setdefault(graph, set()).add(interface.name)
        return {graph: frozenset(names) for graph, names in per_graph.items()}

    def union_members(self, name: str, union: GraphQLUnionType) -> dict[str, frozenset[str]]:
        per_graph: dict[str, set[str]] = {}
        apps = self.applications(union, self.names.union_member, name)
        for args in apps:
            graph = self.graph(args["graph"], f"@{self.names.union_member} on {name}")
            per_graph.setdefault(graph, set()).add(str(args["member"]))
        if not apps:
            for graph in self.type_graphs[name]:
                members = {m.name for m in union.types if self.knows(graph, m.name)}
                if members:
                    per_graph[graph] = members
        return {graph: frozenset(names) for graph, names in per_graph.items()}

    def enum_values(self, name: str, enum: GraphQLEnumType) -> dict[str, frozenset[str]]:
        values: dict[str, frozenset[str]] = {}
        for value_name, value in enum.values.items():
            where = f"{name}.{value_name}"
            apps = self.applications(value, self.names.enum_value, where)
            if apps:
                values[value_name] = frozenset(
                    self.graph(args["graph"], f"@{self.names.enum_value} on {where}")
                    for args in apps
                )
            else:
                values[value_name] = frozenset(self.type_graphs[name])
        return values

    def type_def(self, name: str, named: GraphQLNamedType) -> TypeDef:
        fields: dict[str, FieldDef] = {}
        implements: dict[str, frozenset[str]] = {}
        union_members: dict[str, frozenset[str]] = {}
        enum_values: dict[str, frozenset[str]] = {}
        inaccessible_values: frozenset[str] = frozenset()
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            source: Mapping[str, GraphQLField | GraphQLInputField] = named.fields
            fields = {
                field_name: self.field_def(name, field_name, field)
                for field_name, field in source.items()
            }
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            implements = self.implements(name, named)
        if isinstance(named, GraphQLUnionType):
            union_members = self.union_members(name, named)
        if isinstance(named, GraphQLEnumType):
            enum_values = self.enum_values(name, named)
            inaccessible_values = frozenset(
                value_name
                for value_name, value in named.values.items()
                if self.has(value, self.names.inaccessible)
            )
        return TypeDef(
            name=name,
            kind=_kind(named),
            graphs=self.type_graphs[name],
            fields=fields,
            implements=implements,
            union_members=union_members,
            enum_values=enum_values,
            inaccessible=self.has(named, self.names.inaccessible),
            auth=self.auth(named, name),
            directives=self.join_directives(named, name),
            inaccessible_values=inaccessible_values,
            contexts=frozenset(
                str(args["name"])
                for args in self.applications(named, self.names.context, name)
                if args.get("name")
            ),
        )

    def context_arguments(self, value: Any, where: str) -> tuple[ContextArgument, ...]:
        """``join__field(contextArguments:)``: arguments filled from an ancestor's context."""
        if not value:
            return ()
        found = []
        for item in value:
            selection = str(item["selection"]).strip()
            if selection.startswith("{") and selection.endswith("}"):
                selection = selection[1:-1]
            found.append(
                ContextArgument(
                    name=str(item["name"]),
                    type=str(item["type"]),
                    context=str(item["context"]),
                    selection=parse_field_set(selection, f"context argument of {where}"),
                )
            )
        return tuple(found)

    def possible_types(self, types: Mapping[str, TypeDef]) -> dict[str, frozenset[str]]:
        possible: dict[str, set[str]] = {}
        for name, named in self.user_types.items():
            if isinstance(named, GraphQLInterfaceType):
                possible[name] = {t.name for t in self.schema.get_possible_types(named)}
            elif isinstance(named, GraphQLUnionType):
                possible[name] = {t.name for t in named.types}
                for members in types[name].union_members.values():
                    possible[name].update(members)
        for type_def in types.values():
            if type_def.kind is not TypeKind.OBJECT:
                continue
            for interfaces in type_def.implements.values():
                for interface in interfaces:
                    possible.setdefault(interface, set()).add(type_def.name)
        return {name: frozenset(names) for name, names in possible.items()}

    def run(self) -> Extracted:
        for name, named in self.user_types.items():
            self.type_graphs[name] = self.read_type_graphs(name, named)
        types: dict[str, TypeDef] = {}
        for name in specified_scalar_types:
            self.type_graphs[name] = {g: TypeInGraph(graph=g) for g in self.all_graphs}
            types[name] = TypeDef(name=name, kind=TypeKind.SCALAR, graphs=self.type_graphs[name])
        for name, named in self.user_types.items():
            types[name] = self.type_def(name, named)
        if self.join_version == (0, 1):
            types = {name: _with_fed1_key_fields(t) for name, t in types.items()}
        types = {name: _with_required_fields_external(t) for name, t in types.items()}
        schema_directives: tuple[JoinDirective, ...] = ()
        if self.schema.ast_node is not None or self.schema.extension_ast_nodes:
            schema_directives = self.join_directives(self.schema, "the schema")
        return Extracted(
            subgraphs=self.subgraphs,
            types=types,
            possible_types=self.possible_types(types),
            join_version=self.join_version,
            schema_directives=schema_directives,
        )


def _with_fed1_key_fields(type_def: TypeDef) -> TypeDef:
    """Join v0.1 omits a type extension's key fields; its graph can resolve them (Fed 1)."""
    fields = dict(type_def.fields)
    for graph, in_graph in type_def.graphs.items():
        for key in in_graph.keys:
            for selection in key.selection.selections:
                if not isinstance(selection, FieldNode):
                    continue
                field = fields.get(selection.name.value)
                if field is None or graph in field.graphs:
                    continue
                graphs = dict(field.graphs)
                graphs[graph] = FieldInGraph(graph=graph, type=field.type)
                fields[field.name] = dataclasses.replace(field, graphs=graphs)
    return dataclasses.replace(type_def, fields=fields)


def _with_required_fields_external(type_def: TypeDef) -> TypeDef:
    """A field a `@requires` names is `@external` in the requiring graph (composition refuses
    it otherwise), whatever the supergraph says: a composer may leave out that graph's
    ``@join__field(external: true)`` on an `@interfaceObject` (its field then looks resolvable
    in every graph of the type), and the planner would select it where it cannot be resolved.
    Only the field set's top-level fields: below them, the requiring graph resolves fields of
    other types as it declares them."""
    fields = dict(type_def.fields)
    for field in type_def.fields.values():
        for graph, in_graph in field.graphs.items():
            if in_graph.requires is None:
                continue
            for name in _top_level_names(in_graph.requires):
                required = fields.get(name)
                if required is None:
                    continue
                known = required.graphs.get(graph)
                if known is None or known.external:
                    continue
                graphs = dict(required.graphs)
                graphs[graph] = dataclasses.replace(known, external=True)
                fields[name] = dataclasses.replace(required, graphs=graphs)
    if fields == type_def.fields:
        return type_def
    return dataclasses.replace(type_def, fields=fields)


def _top_level_names(selection_set: SelectionSetNode) -> list[str]:
    names: list[str] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.append(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names.extend(_top_level_names(selection.selection_set))
    return names


def extract(schema: GraphQLSchema, links: Links) -> Extracted:
    """Build the planner's view of a (valid) supergraph schema."""
    return _Extractor(schema, links).run()
