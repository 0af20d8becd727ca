"""Subgraph SDL -> `Subgraph`: parsing, ``@link`` name resolution and GraphQL validity.

Validity (unknown types, bad interface implementations, unknown directives, ...) is checked by
graphql-core on the SDL completed with the federation definitions the subgraph may omit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLError,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    NamedTypeNode,
    Node,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    build_ast_schema,
    parse,
    validate_schema,
    visit,
)
from graphql.language import Visitor
from graphql.validation.validate import validate_sdl

from router.composition.errors import Report
from router.composition.model import (
    AppliedDirective,
    Argument,
    EnumValue,
    Field,
    Link,
    Subgraph,
    TypeDef,
)
from router.composition.specs import (
    BUILTIN_DIRECTIVES,
    BUILTIN_SCALARS,
    CORE_IDENTITY,
    FED1_DIRECTIVES,
    FEDERATION_IDENTITY,
    FEDERATION_OPERATION_FIELDS,
    FEDERATION_OPERATION_TYPES,
    LINK_IDENTITY,
    MAX_FED_VERSION,
    MIN_FED2_VERSION,
    DirectiveSpec,
    Version,
    federation_directives,
    federation_types,
    parse_feature_url,
)
from router.composition.typeref import TypeRef, from_node, parse_ref

_KINDS: dict[type[Node], str] = {
    ObjectTypeDefinitionNode: "OBJECT",
    ObjectTypeExtensionNode: "OBJECT",
    InterfaceTypeDefinitionNode: "INTERFACE",
    InterfaceTypeExtensionNode: "INTERFACE",
    UnionTypeDefinitionNode: "UNION",
    UnionTypeExtensionNode: "UNION",
    EnumTypeDefinitionNode: "ENUM",
    EnumTypeExtensionNode: "ENUM",
    InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    InputObjectTypeExtensionNode: "INPUT_OBJECT",
    ScalarTypeDefinitionNode: "SCALAR",
    ScalarTypeExtensionNode: "SCALAR",
}
_DEFINITION_FOR: dict[str, type[TypeDefinitionNode]] = {
    "OBJECT": ObjectTypeDefinitionNode,
    "INTERFACE": InterfaceTypeDefinitionNode,
    "UNION": UnionTypeDefinitionNode,
    "ENUM": EnumTypeDefinitionNode,
    "INPUT_OBJECT": InputObjectTypeDefinitionNode,
    "SCALAR": ScalarTypeDefinitionNode,
}
_DEFAULT_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


class _Naming:
    """Where the federation spec's elements live in one subgraph."""

    def __init__(self, version: Version, fed1: bool, prefix: str, imports: dict[str, str]) -> None:
        self.version = version
        self.fed1 = fed1
        self.directives: dict[str, str] = {}
        self.types: dict[str, str] = {}
        self.specs = federation_directives((1, 0) if fed1 else version)
        if fed1:
            self.directives = {name: name for name in FED1_DIRECTIVES}
            self.types = {"FieldSet": "_FieldSet"}
            return
        for name in self.specs:
            self.directives[name] = imports.get("@" + name, f"@{prefix}__{name}").lstrip("@")
        for name in federation_types(version):
            self.types[name] = imports.get(name, f"{prefix}__{name}")

    def spec_type_names(self) -> set[str]:
        names = set(self.types.values())
        if self.fed1:
            names |= {"_FieldSet", "FieldSet"}
        return names


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _args(node: ConstDirectiveNode) -> dict[str, ValueNode]:
    return {arg.name.value: arg.value for arg in node.arguments or ()}


def _applied(nodes: Sequence[ConstDirectiveNode] | None, decl: int = 0) -> list[AppliedDirective]:
    return [AppliedDirective(d.name.value, _args(d), decl) for d in nodes or ()]


class SubgraphBuilder:
    def __init__(self, name: str, url: str, sdl: str, report: Report) -> None:
        self.name = name
        self.url = url
        self.sdl = sdl
        self.report = report
        self.failed = False

    def error(self, code: str, message: str, coordinates: Sequence[str] = ()) -> None:
        self.failed = True
        self.report.error(code, f"[{self.name}] {message}", (self.name,), tuple(coordinates))

    # -- entry point -------------------------------------------------------------------------

    def build(self) -> Subgraph | None:
        if self.name == "_":
            self.error(
                "INVALID_SUBGRAPH_NAME",
                "Invalid name _ for a subgraph: this name is reserved",
            )
            return None
        try:
            document = parse(self.sdl)
        except GraphQLSyntaxError as exc:
            self.error("INVALID_GRAPHQL", exc.message)
            return None
        schema_nodes = [
            d
            for d in document.definitions
            if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)
        ]
        schema_directives = [d for node in schema_nodes for d in node.directives or ()]
        naming, links = self._read_links(schema_directives)
        if naming is None:
            return None
        self._validate_graphql(document, naming)
        if self.failed:
            return None
        subgraph = Subgraph(
            name=self.name,
            url=self.url,
            version=naming.version,
            fed1=naming.fed1,
            names=dict(naming.directives),
            links=links,
            schema_directives=_applied(schema_directives),
        )
        for node in schema_nodes:
            if isinstance(node, SchemaDefinitionNode) and node.description is not None:
                subgraph.description = node.description.value
        self._read_definitions(document, naming, subgraph)
        self._read_roots(schema_nodes, subgraph)
        self._read_compose_directives(subgraph)
        return None if self.failed else subgraph

    # -- @link -------------------------------------------------------------------------------

    def _read_links(
        self, directives: list[ConstDirectiveNode]
    ) -> tuple[_Naming | None, list[Link]]:
        federation: tuple[Version, str, dict[str, str]] | None = None
        links: list[Link] = []
        for directive in directives:
            if directive.name.value not in ("link", "core"):
                continue
            args = _args(directive)
            url_text = _string(args.get("url")) or _string(args.get("feature"))
            if url_text is None:
                self.error("INVALID_LINK_DIRECTIVE_USAGE", "Missing url in @link directive")
                continue
            url = parse_feature_url(url_text)
            if url is None:
                self.error(
                    "INVALID_LINK_IDENTIFIER",
                    f'Invalid url "{url_text}" in @link: it should be <identity>/v<major>.<minor>',
                )
                continue
            alias = _string(args.get("as"))
            imports = self._imports(args.get("import"))
            if url.identity in (LINK_IDENTITY, CORE_IDENTITY):
                continue
            if url.identity == FEDERATION_IDENTITY:
                if federation is not None:
                    self.error(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        "Duplicate inclusion of feature https://specs.apollo.dev/federation",
                    )
                    continue
                if url.version < MIN_FED2_VERSION or url.version > MAX_FED_VERSION:
                    self.error(
                        "UNKNOWN_FEDERATION_LINK_VERSION",
                        f"Invalid version v{url.version[0]}.{url.version[1]} for the federation "
                        "feature in @link directive on schema",
                    )
                    continue
                federation = (url.version, alias or "federation", imports)
                continue
            links.append(
                Link(
                    url=url_text,
                    identity=url.identity,
                    name=url.name,
                    version=url.version,
                    alias=alias,
                    imports={k.lstrip("@"): v.lstrip("@") for k, v in imports.items()},
                )
            )
        if self.failed:
            return None, links
        if federation is None:
            return _Naming(MIN_FED2_VERSION, True, "", {}), links
        version, prefix, imports = federation
        naming = _Naming(version, False, prefix, imports)
        known = {"@" + n for n in naming.specs} | set(federation_types(version))
        for imported in imports:
            if imported not in known:
                self.error(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    f'Cannot import unknown element "{imported}".',
                )
        return naming, links

    def _imports(self, value: ValueNode | None) -> dict[str, str]:
        imports: dict[str, str] = {}
        if value is None:
            return imports
        items = value.values if isinstance(value, ListValueNode) else (value,)
        for item in items:
            if isinstance(item, StringValueNode):
                imports[item.value] = item.value
            elif isinstance(item, ObjectValueNode):
                fields = {f.name.value: _string(f.value) for f in item.fields}
                name, alias = fields.get("name"), fields.get("as")
                if name is None:
                    self.error("INVALID_LINK_DIRECTIVE_USAGE", "Invalid @link import: missing name")
                    continue
                if alias is not None and alias.startswith("@") != name.startswith("@"):
                    self.error(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'Invalid @link import renaming: directive "{name}" imported name should '
                        "start with a '@' character, but got \"" + alias + '".',
                    )
                    continue
                imports[name] = alias or name
        return imports

    # -- GraphQL validity ----------------------------------------------------------------------

    def _validate_graphql(self, document: DocumentNode, naming: _Naming) -> None:
        completed = _complete_document(document, naming)
        errors: list[GraphQLError] = list(validate_sdl(completed))
        if not errors:
            try:
                schema = build_ast_schema(completed, assume_valid_sdl=True)
                found = validate_schema(schema)
            except (GraphQLError, TypeError) as exc:
                self.error("INVALID_GRAPHQL", str(exc))
                return
            errors = [e for e in found if not _tolerated(e.message)]
        for error in errors:
            self.error("INVALID_GRAPHQL", _improve_message(error.message, naming))
        self._check_federation_definitions(document, naming)

    def _check_federation_definitions(self, document: DocumentNode, naming: _Naming) -> None:
        by_local = {local: name for name, local in naming.directives.items()}
        for definition in document.definitions:
            if not isinstance(definition, DirectiveDefinitionNode):
                continue
            name = by_local.get(definition.name.value)
            if name is None:
                continue
            spec = naming.specs[name]
            for problem in _definition_problems(spec, definition, naming):
                self.error(
                    "DIRECTIVE_DEFINITION_INVALID",
                    f'Invalid definition for directive "@{definition.name.value}": {problem}',
                )

    # -- definitions ---------------------------------------------------------------------------

    def _read_definitions(
        self, document: DocumentNode, naming: _Naming, subgraph: Subgraph
    ) -> None:
        skipped_types = (
            naming.spec_type_names()
            | FEDERATION_OPERATION_TYPES
            | {
                "link__Import",
                "link__Purpose",
            }
        )
        federation_locals = set(naming.directives.values()) | {"link", "core"}
        for definition in document.definitions:
            if isinstance(definition, DirectiveDefinitionNode):
                name = definition.name.value
                if name in federation_locals or name in BUILTIN_DIRECTIVES:
                    continue
                subgraph.directive_defs[name] = definition
                continue
            if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                continue
            name = definition.name.value
            if name in skipped_types or name in BUILTIN_SCALARS:
                continue
            kind = _KINDS[type(definition)]
            type_def = subgraph.types.get(name)
            if type_def is None:
                type_def = subgraph.types[name] = TypeDef(name, kind)
            decl = len(type_def.decl_is_extension)
            is_extension = isinstance(definition, TypeExtensionNode)
            type_def.decl_is_extension.append(is_extension)
            description = getattr(definition, "description", None)
            if description is not None:
                type_def.description = description.value
            type_def.directives.extend(_applied(definition.directives, decl))
            _read_members(definition, type_def, decl)

    def _read_roots(self, schema_nodes: list[Any], subgraph: Subgraph) -> None:
        roots: dict[str, str] = {}
        for node in schema_nodes:
            for operation in node.operation_types or ():
                roots[operation.operation.value] = operation.type.name.value
        for kind, default in _DEFAULT_ROOTS.items():
            roots.setdefault(kind, default)
        renames: dict[str, str] = {}
        for kind, type_name in roots.items():
            default = _DEFAULT_ROOTS[kind]
            if type_name == default or type_name not in subgraph.types:
                continue
            if default in subgraph.types:
                self.error(
                    f"ROOT_{kind.upper()}_USED",
                    f'The schema has a type named "{default}" but it is not set as the {kind} '
                    f'root type ("{type_name}" is instead): this is not supported by federation. '
                    "If a root type does not use its default name, there should be no other type "
                    "with that default name.",
                )
                continue
            renames[type_name] = default
        if renames:
            _rename_types(subgraph, renames)
        query = subgraph.types.get("Query")
        if query is None:
            # Every subgraph answers `_service` (and `_entities`) so it always has a Query type.
            query = subgraph.types["Query"] = TypeDef("Query", "OBJECT", decl_is_extension=[False])
        for field_name in FEDERATION_OPERATION_FIELDS:
            query.fields.pop(field_name, None)
        for kind, default in _DEFAULT_ROOTS.items():
            type_def = subgraph.types.get(default)
            if type_def is not None and type_def.kind == "OBJECT":
                subgraph.roots[kind] = default

    def _read_compose_directives(self, subgraph: Subgraph) -> None:
        local = subgraph.names.get("composeDirective")
        if local is None:
            return
        for directive in subgraph.schema_directives:
            if directive.name != local:
                continue
            name = _string(directive.args.get("name"))
            if name is None or not name.startswith("@"):
                self.error(
                    "DIRECTIVE_COMPOSITION_ERROR",
                    f'Argument to @composeDirective "{name}" in subgraph "{self.name}" must have '
                    'a leading "@"',
                )
                continue
            subgraph.composed.append(name[1:])


def _read_members(definition: Any, type_def: TypeDef, decl: int) -> None:
    kind = type_def.kind
    if kind in ("OBJECT", "INTERFACE", "INPUT_OBJECT"):
        for field_node in definition.fields or ():
            field = Field(
                name=field_node.name.value,
                parent=type_def.name,
                type=from_node(field_node.type),
                description=field_node.description.value if field_node.description else None,
                directives=_applied(field_node.directives),
                default=getattr(field_node, "default_value", None),
                decl=decl,
            )
            for arg_node in getattr(field_node, "arguments", None) or ():
                field.args[arg_node.name.value] = Argument(
                    name=arg_node.name.value,
                    type=from_node(arg_node.type),
                    default=arg_node.default_value,
                    description=arg_node.description.value if arg_node.description else None,
                    directives=_applied(arg_node.directives),
                )
            type_def.fields[field.name] = field
    if kind in ("OBJECT", "INTERFACE"):
        for interface in definition.interfaces or ():
            if interface.name.value not in type_def.interfaces:
                type_def.interfaces.append(interface.name.value)
    if kind == "UNION":
        for member in definition.types or ():
            if member.name.value not in type_def.members:
                type_def.members.append(member.name.value)
    if kind == "ENUM":
        for value_node in definition.values or ():
            type_def.values[value_node.name.value] = EnumValue(
                name=value_node.name.value,
                description=value_node.description.value if value_node.description else None,
                directives=_applied(value_node.directives),
            )


def _rename_types(subgraph: Subgraph, renames: dict[str, str]) -> None:
    def rename(name: str) -> str:
        return renames.get(name, name)

    new_types: dict[str, TypeDef] = {}
    for type_def in subgraph.types.values():
        type_def.name = rename(type_def.name)
        type_def.interfaces = [rename(i) for i in type_def.interfaces]
        type_def.members = [rename(m) for m in type_def.members]
        for field in type_def.fields.values():
            field.parent = type_def.name
            field.type = field.type.renamed(rename)
            for arg in field.args.values():
                arg.type = arg.type.renamed(rename)
        new_types[type_def.name] = type_def
    subgraph.types = new_types


# -- completing the document for graphql-core validation ------------------------------------------


def _complete_document(document: DocumentNode, naming: _Naming) -> DocumentNode:
    """Add the definitions a subgraph may rely on without writing them, and turn extensions of
    types defined nowhere in this subgraph into definitions (federation allows both)."""
    defined_types: set[str] = set()
    defined_directives: set[str] = set()
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode):
            defined_types.add(definition.name.value)
        elif isinstance(definition, DirectiveDefinitionNode):
            defined_directives.add(definition.name.value)
    extra: list[str] = []
    for name, spec in naming.specs.items():
        local = naming.directives.get(name)
        if local is None or local in defined_directives:
            continue
        extra.append(_print_spec(spec, local, naming))
    if "link" not in defined_directives:
        extra.append(
            "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
            "repeatable on SCHEMA"
        )
    referenced = _referenced_type_names(document) | {"link__Import", "link__Purpose"}
    referenced |= set(naming.types.values())
    for name in sorted(referenced - defined_types - BUILTIN_SCALARS):
        if name == "link__Purpose":
            extra.append("enum link__Purpose { SECURITY EXECUTION }")
        elif (
            name in naming.spec_type_names()
            or name.startswith(("link__", "federation__"))
            or (name in FEDERATION_OPERATION_TYPES and name != "_Entity")
        ):
            extra.append(f"scalar {name}")
        elif name == "_Entity":
            extra.append("scalar _Entity")
    definitions: list[Any] = []
    extended_only: set[str] = set()
    for definition in document.definitions:
        if isinstance(definition, TypeExtensionNode) and definition.name.value not in defined_types:
            name = definition.name.value
            if name in extended_only:
                definitions.append(definition)
                continue
            extended_only.add(name)
            definitions.append(_as_definition(definition))
        elif isinstance(definition, SchemaExtensionNode) and not any(
            isinstance(d, SchemaDefinitionNode) for d in document.definitions
        ):
            definitions.append(
                SchemaDefinitionNode(
                    directives=definition.directives,
                    operation_types=definition.operation_types or (),
                )
                if definition.operation_types
                else definition
            )
        else:
            definitions.append(definition)
    if extra:
        definitions.extend(parse("\n".join(extra), no_location=True).definitions)
    return DocumentNode(definitions=tuple(definitions))


def _as_definition(node: TypeExtensionNode) -> TypeDefinitionNode:
    cls = _DEFINITION_FOR[_KINDS[type(node)]]
    kwargs = {key: getattr(node, key) for key in node.keys if key != "loc"}
    kwargs["description"] = None
    return cls(**kwargs)


class _TypeNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_named_type(self, node: NamedTypeNode, *_: Any) -> None:
        self.names.add(node.name.value)


def _referenced_type_names(document: DocumentNode) -> set[str]:
    visitor = _TypeNames()
    visit(document, visitor)
    return visitor.names


def _print_spec(spec: DirectiveSpec, local: str, naming: _Naming) -> str:
    args = ""
    if spec.args:
        parts = []
        for arg in spec.args:
            arg_type = arg.type
            for name, type_local in naming.types.items():
                arg_type = _replace_named(arg_type, name, type_local)
            if naming.fed1:
                arg_type = _replace_named(arg_type, "Scope", "String")
            default = f" = {arg.default}" if arg.default is not None else ""
            parts.append(f"{arg.name}: {arg_type}{default}")
        args = "(" + ", ".join(parts) + ")"
    repeatable = " repeatable" if spec.repeatable else ""
    return f"directive @{local}{args}{repeatable} on {' | '.join(spec.locations)}"


def _replace_named(type_text: str, name: str, replacement: str) -> str:
    inner = type_text.strip("[]!")
    if inner == name:
        return type_text.replace(name, replacement)
    return type_text


def _definition_problems(
    spec: DirectiveSpec, node: DirectiveDefinitionNode, naming: _Naming
) -> list[str]:
    """Apollo's compatibility rules for a subgraph's redefinition of a federation directive."""
    problems: list[str] = []
    actual_args = {a.name.value: a for a in node.arguments or ()}
    expected_names = {a.name for a in spec.args}
    for arg in spec.args:
        actual = actual_args.get(arg.name)
        expected_type = arg.type
        required = expected_type.endswith("!") and arg.default is None
        if actual is None:
            if required:
                problems.append(f'missing required argument "{arg.name}"')
            continue
        actual_type = from_node(actual.type)
        if actual_type.is_non_null and not expected_type.endswith("!"):
            actual_type = actual_type.nullable
        if not _compatible_arg_type(expected_type, actual_type, naming):
            problems.append(
                f'argument "{arg.name}" should have type "{_display(expected_type, naming)}" but '
                f'found type "{from_node(actual.type)}"'
            )
    for name in actual_args:
        if name not in expected_names:
            problems.append(f'unknown/unsupported argument "{name}"')
    if node.repeatable and not spec.repeatable:
        problems.append(f'"@{node.name.value}" should not be repeatable')
    locations = [loc.value for loc in node.locations]
    if not all(loc in spec.locations for loc in locations):
        problems.append(
            f'"@{node.name.value}" should have locations {", ".join(spec.locations)}, but found '
            f"(non-subset) {', '.join(locations)}"
        )
    return problems


def _display(type_text: str, naming: _Naming) -> str:
    for name, local in naming.types.items():
        type_text = _replace_named(type_text, name, local)
    return type_text


def _compatible_arg_type(expected: str, actual: TypeRef, naming: _Naming) -> bool:
    """Same type, or any non-custom-scalar where a federation custom scalar is expected."""
    expected_ref = parse_ref(_display(expected, naming))
    return _compatible(expected_ref, actual, naming)


def _compatible(expected: TypeRef, actual: TypeRef, naming: _Naming) -> bool:
    if expected.kind != actual.kind:
        return False
    if expected.kind != "named":
        assert expected.of is not None
        assert actual.of is not None
        return _compatible(expected.of, actual.of, naming)
    if expected.name == actual.name:
        return True
    custom = expected.name not in BUILTIN_SCALARS
    fed1_field_sets = {"_FieldSet", "FieldSet", "federation__FieldSet"}
    if expected.name in fed1_field_sets and actual.name in fed1_field_sets:
        return True
    return custom and actual.name in BUILTIN_SCALARS


def _tolerated(message: str) -> bool:
    """graphql-core rules that federation subgraphs (and graphql-js) do not enforce."""
    return message == "Query root type must be provided." or (
        "is not deprecated, so implementation field" in message
    )


def _improve_message(message: str, naming: _Naming) -> str:
    if message.startswith("Unknown type '"):
        return "Unknown type " + message.split("'")[1]
    message = re.sub(r"'([^']*)'", r'"\1"', message)
    if message.startswith("Unknown directive"):
        name = message.split('"')[1].lstrip("@") if '"' in message else ""
        if (
            name in federation_directives(MAX_FED_VERSION)
            and name not in naming.directives.values()
        ):
            if naming.fed1:
                return (
                    f'Unknown directive "@{name}". If you meant the "@{name}" federation 2 '
                    "directive, note that this schema is a federation 1 schema. To be a "
                    "federation 2 schema, it needs to @link to the federation specification v2."
                )
            local = naming.directives.get(name)
            if local is None:
                return (
                    f'Unknown directive "@{name}". The "@{name}" federation directive is not '
                    f"available in federation v{naming.version[0]}.{naming.version[1]}."
                )
            return (
                f'Unknown directive "@{name}". If you meant the "@{name}" federation directive, '
                f'you should use fully-qualified name "@{local}" or add "@{name}" to the `import` '
                "argument of the @link to the federation specification."
            )
    return message
