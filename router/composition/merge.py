"""Merge validated subgraphs into the supergraph schema (Apollo's ``Merger``).

Order matters and follows Apollo: types are created empty first; ``implements`` and unions are
merged before fields (subtyping depends on them); enums last (their rule depends on whether
fields use them as input, output or both); applied directives after everything.
"""

from __future__ import annotations

from router.composition.context import MergeContext
from router.composition.directives import DirectiveMerger, attached_lists
from router.composition.errors import mismatch_message, subgraph_list
from router.composition.fields import FieldMerger, OverrideState
from router.composition.merged import MDirective, MDirectiveDefinition, MEnumValue, MField, MType
from router.composition.model import Field, TypeDef
from router.composition.specs import (
    LINK_DIRECTIVE,
    LINK_TYPES,
    join_directives,
    join_types,
    join_version_for,
)
from router.composition.values import print_string

_KIND_NAMES = {
    "OBJECT": "Object Type",
    "INTERFACE": "Interface Type",
    "UNION": "Union Type",
    "ENUM": "Enum Type",
    "INPUT_OBJECT": "Input Object Type",
    "SCALAR": "Scalar Type",
}


class Merger:
    def __init__(self, ctx: MergeContext) -> None:
        self.ctx = ctx
        self.directives = DirectiveMerger(ctx)
        self.fields = FieldMerger(ctx, self.directives)
        self.join_version = join_version_for(ctx.latest_version)

    @property
    def failed(self) -> bool:
        return bool(self.ctx.report.errors)

    def merge(self) -> bool:
        ctx = self.ctx
        schema = ctx.schema
        schema.links = [
            MDirective("link", [("url", print_string("https://specs.apollo.dev/link/v1.0"))]),
            MDirective(
                "link",
                [
                    ("url", print_string(f"https://specs.apollo.dev/join/{self.join_version}")),
                    ("for", "EXECUTION"),
                ],
            ),
        ]
        for name, text in join_directives(self.join_version).items():
            schema.directives[name] = MDirectiveDefinition(name, [], printed=text)
        schema.directives["link"] = MDirectiveDefinition("link", [], printed=LINK_DIRECTIVE)
        schema.fixed_types.update(join_types(self.join_version))
        for text in LINK_TYPES:
            schema.fixed_types[text.split()[1]] = text
        schema.graphs = [
            (ctx.graph(i), name, ctx.subgraphs[i].url) for i, name in enumerate(ctx.names)
        ]
        if not self.directives.prepare() or self.failed:
            return False
        self._add_types_shallow()
        if self.failed:
            return False
        self.directives.add_composed_definitions()
        by_kind: dict[str, list[MType]] = {}
        for type_def in schema.types.values():
            by_kind.setdefault(type_def.kind, []).append(type_def)
        for type_def in by_kind.get("OBJECT", []) + by_kind.get("INTERFACE", []):
            self._merge_implements(type_def)
        for type_def in by_kind.get("UNION", []):
            self._merge_type(type_def)
        self._merge_schema_definition()
        self.fields.access_control = self.directives.access_control_sources()
        for kind in ("SCALAR", "INPUT_OBJECT", "INTERFACE", "OBJECT"):
            for type_def in by_kind.get(kind, []):
                self._merge_type(type_def)
        self.directives.merge_executable_definitions()
        for type_def in by_kind.get("ENUM", []):
            self._merge_type(type_def)
        if "query" not in schema.roots:
            ctx.error(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type.",
            )
        self._remove_empty_types()
        self.directives.merge_all(attached_lists(schema.types))
        self._add_interface_object_fields()
        return not self.failed

    # -- types ----------------------------------------------------------------------------------

    def _sources(self, name: str, kind: str) -> list[TypeDef | None]:
        out: list[TypeDef | None] = []
        for subgraph in self.ctx.subgraphs:
            type_def = subgraph.types.get(name)
            if type_def is None:
                out.append(None)
                continue
            actual = "INTERFACE" if subgraph.is_interface_object(name) else type_def.kind
            out.append(type_def if actual == kind else None)
        return out

    def _add_types_shallow(self) -> None:
        ctx = self.ctx
        kinds: dict[str, dict[str, str]] = {}
        with_interface_object: set[str] = set()
        for subgraph in ctx.subgraphs:
            for type_def in subgraph.types.values():
                kind = type_def.kind
                if subgraph.is_interface_object(type_def.name):
                    kind = "INTERFACE"
                    with_interface_object.add(type_def.name)
                kinds.setdefault(type_def.name, {})[subgraph.name] = kind
                if type_def.name not in ctx.schema.types:
                    ctx.schema.types[type_def.name] = MType(type_def.name, kind)
        for name, per_subgraph in kinds.items():
            if len(set(per_subgraph.values())) > 1:
                first = ctx.schema.types[name].kind
                values: list[str | None] = []
                for subgraph in ctx.subgraphs:
                    found = per_subgraph.get(subgraph.name)
                    if found is None:
                        values.append(None)
                    elif subgraph.is_interface_object(name):
                        values.append("Interface Object Type (Object Type with @interfaceObject)")
                    else:
                        values.append(_KIND_NAMES[found])
                ctx.error(
                    "TYPE_KIND_MISMATCH",
                    mismatch_message(
                        f'Type "{name}" has mismatched kind: it is defined as ',
                        ctx.names,
                        values,
                        _KIND_NAMES[first],
                    ),
                    list(per_subgraph),
                    name,
                )
        for name in with_interface_object:
            if len(set(kinds[name].values())) > 1:
                continue
            having = list(kinds[name])
            if not any(
                s.types.get(name) and s.types[name].kind == "INTERFACE" for s in ctx.subgraphs
            ):
                ctx.error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{name}" is declared with @interfaceObject in all the subgraphs in '
                    "which "
                    f"it is defined (it is defined in {subgraph_list(having)} but should be "
                    "defined as an interface in at least one subgraph)",
                    having,
                    name,
                )

    def _merge_implements(self, dest: MType) -> None:
        ctx = self.ctx
        for index, source in enumerate(self._sources(dest.name, dest.kind)):
            if source is None:
                continue
            for interface in source.interfaces:
                dest.directives.append(
                    MDirective(
                        "join__implements",
                        [("graph", ctx.graph(index)), ("interface", print_string(interface))],
                    )
                )
                if interface not in dest.interfaces:
                    dest.interfaces.append(interface)

    def _merge_schema_definition(self) -> None:
        ctx = self.ctx
        ctx.schema.description = self.fields.merge_description(
            [s.description for s in ctx.subgraphs], "schema"
        )
        for kind in ("query", "mutation", "subscription"):
            for subgraph in ctx.subgraphs:
                root = subgraph.roots.get(kind)
                if root is not None and subgraph.types[root].fields:
                    ctx.schema.roots[kind] = root
                    break

    def _merge_type(self, dest: MType) -> None:
        sources = self._sources(dest.name, dest.kind)
        self._check_extension_with_no_base(sources, dest)
        dest.description = self.fields.merge_description(
            [s.description if s else None for s in sources], dest.name
        )
        self._add_join_type(sources, dest)
        extra = None
        if dest.kind == "INTERFACE":
            extra = {
                spec: self.fields.access_control.get(f"{dest.name}_{spec}", [])
                for spec, _ in self.directives.access_control
            }
        self.directives.record(
            [(i, s.directives) for i, s in enumerate(sources) if s is not None],
            dest.directives,
            dest.name,
            extra,
        )
        if dest.kind == "OBJECT":
            self._merge_object(sources, dest)
        elif dest.kind == "INTERFACE":
            self._merge_interface(sources, dest)
        elif dest.kind == "UNION":
            self._merge_union(sources, dest)
        elif dest.kind == "ENUM":
            self._merge_enum(sources, dest)
        elif dest.kind == "INPUT_OBJECT":
            self._merge_input(sources, dest)

    def _check_extension_with_no_base(self, sources: list[TypeDef | None], dest: MType) -> None:
        ctx = self.ctx
        if dest.kind == "OBJECT" and dest.name in ("Query", "Mutation", "Subscription"):
            return
        definitions = [s for s in sources if s is not None and s.has_definition]
        if definitions:
            return
        for index, source in enumerate(sources):
            if source is not None and source.has_extension:
                ctx.error(
                    "EXTENSION_WITH_NO_BASE",
                    f'[{ctx.names[index]}] Type "{dest.name}" is an extension type, but there '
                    "is no "
                    f'type definition for "{dest.name}" in any subgraph.',
                    [ctx.names[index]],
                    dest.name,
                )

    def _add_join_type(self, sources: list[TypeDef | None], dest: MType) -> None:
        ctx = self.ctx
        for index, source in enumerate(sources):
            if source is None:
                continue
            subgraph = ctx.subgraphs[index]
            info = ctx.infos[index]
            graph = ("graph", ctx.graph(index))
            interface_object = subgraph.is_interface_object(source.name)
            keys = info.keys.get(source.name, [])
            if not keys:
                args = [graph]
                if interface_object:
                    args.append(("isInterfaceObject", "true"))
                dest.directives.append(MDirective("join__type", args))
                continue
            for key in keys:
                args = [graph, ("key", print_string(key.fields))]
                if key.extension:
                    args.append(("extension", "true"))
                if key.explicit_resolvable is not None:
                    args.append(("resolvable", "true" if key.explicit_resolvable else "false"))
                if interface_object:
                    args.append(("isInterfaceObject", "true"))
                dest.directives.append(MDirective("join__type", args))

    # -- objects and interfaces -----------------------------------------------------------------

    def _field_sources(
        self, sources: list[TypeDef | None], dest: MType
    ) -> dict[str, list[Field | None]]:
        added: dict[str, list[Field | None]] = {}
        for index, source in enumerate(sources):
            if source is None:
                continue
            for field_def in source.fields.values():
                if field_def.name not in added:
                    added[field_def.name] = [None] * len(sources)
                    dest.fields[field_def.name] = MField(field_def.name, dest.name, field_def.type)
                added[field_def.name][index] = field_def
        return added

    def _merge_object(self, sources: list[TypeDef | None], dest: MType) -> None:
        ctx = self.ctx
        is_entity = any(
            s is not None and ctx.infos[i].keys.get(s.name) for i, s in enumerate(sources)
        )
        entity_sources = [
            ctx.names[i]
            for i, s in enumerate(sources)
            if s is not None and ctx.infos[i].keys.get(s.name)
        ]
        plain_sources = [
            ctx.names[i]
            for i, s in enumerate(sources)
            if s is not None and not ctx.infos[i].keys.get(s.name)
        ]
        if entity_sources and plain_sources:
            ctx.hint(
                "INCONSISTENT_ENTITY",
                f'Type "{dest.name}" is declared as an entity (has a @key applied) in some but not '
                f"all defining subgraphs: it has no @key in {subgraph_list(plain_sources)} but has "
                f"some @key in {subgraph_list(entity_sources)}.",
                plain_sources + entity_sources,
                dest.name,
            )
        is_root = dest.name in ctx.schema.roots.values() or dest.name in (
            "Query",
            "Mutation",
            "Subscription",
        )
        is_value_type = not is_entity and not is_root
        added = self._field_sources(sources, dest)
        for name, field_sources in added.items():
            field_dest = dest.fields[name]
            if is_value_type:
                self._hint_inconsistent_value_type_field(sources, dest, name)
            state = self.fields.validate_override(field_sources, field_dest)
            if dest.name == ctx.schema.roots.get("subscription"):
                self._validate_subscription_field(field_sources, field_dest)
            self.fields.merge_field(field_sources, field_dest, state)
            self.fields.validate_field_sharing(field_sources, field_dest, state)

    def _validate_subscription_field(self, sources: list[Field | None], dest: MField) -> None:
        ctx = self.ctx
        having = [ctx.names[i] for i, s in enumerate(sources) if s is not None]
        shareable = [
            ctx.names[i]
            for i, s in enumerate(sources)
            if s is not None and ctx.infos[i].is_shareable(s)
        ]
        if shareable:
            ctx.error(
                "INVALID_FIELD_SHARING",
                f"Fields on root level subscription object cannot be marked as shareable: field "
                f'"{dest.coordinate}" is marked shareable in {subgraph_list(shareable)}',
                having,
                dest.coordinate,
            )

    def _hint_inconsistent_value_type_field(
        self, sources: list[TypeDef | None], dest: MType, field_name: str
    ) -> None:
        ctx = self.ctx
        for index, source in enumerate(sources):
            if source is None or ctx.subgraphs[index].is_interface_object(source.name):
                continue
            info = ctx.infos[index]
            all_external = all(info.is_external(f) for f in source.fields.values())
            if field_name not in source.fields and not all_external:
                if dest.kind == "INTERFACE" and self._provided_by_interface_object(
                    field_name, dest.name
                ):
                    continue
                with_field = [
                    ctx.names[i] for i, s in enumerate(sources) if s and field_name in s.fields
                ]
                without = [
                    ctx.names[i] for i, s in enumerate(sources) if s and field_name not in s.fields
                ]
                code = (
                    "INCONSISTENT_OBJECT_VALUE_TYPE_FIELD"
                    if dest.kind == "OBJECT"
                    else "INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD"
                )
                description = "non-entity object" if dest.kind == "OBJECT" else "interface"
                ctx.hint(
                    code,
                    f'Field "{dest.name}.{field_name}" of {description} type "{dest.name}" is '
                    f'defined in some but not all subgraphs that define "{dest.name}": '
                    f'"{dest.name}.{field_name}" is defined in {subgraph_list(with_field)} but not '
                    f"in {subgraph_list(without)}.",
                    with_field + without,
                    f"{dest.name}.{field_name}",
                )
                return

    def _provided_by_interface_object(self, field_name: str, interface: str) -> bool:
        ctx = self.ctx
        for index, subgraph in enumerate(ctx.subgraphs):
            if not subgraph.is_interface_object(interface):
                continue
            field_def = subgraph.field(interface, field_name)
            if field_def is not None and not ctx.infos[index].is_external(field_def):
                return True
        return False

    def _merge_interface(self, sources: list[TypeDef | None], dest: MType) -> None:
        ctx = self.ctx
        implementations = ctx.possible_runtime_types(dest.name)
        has_key = False
        for index, source in enumerate(sources):
            if source is None or source.kind != "INTERFACE":
                continue
            keys = ctx.infos[index].keys.get(source.name, [])
            has_key = has_key or bool(keys)
            resolvable = next((k for k in keys if k.resolvable), None)
            if resolvable is None:
                continue
            local = set(ctx.subgraphs[index].implementations(source.name))
            missing = [t for t in implementations if t not in local]
            if missing:
                subgraph = ctx.names[index]
                names = ", ".join(f'"{t}"' for t in missing)
                ctx.error(
                    "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                    f'[{subgraph}] Interface type "{dest.name}" has a resolvable key '
                    f'(@key(fields: "{resolvable.fields}")) in subgraph "{subgraph}" but that '
                    f"subgraph is missing some of the supergraph implementation types of "
                    f'"{dest.name}". Subgraph "{subgraph}" should define '
                    f"{'type' if len(missing) == 1 else 'types'} {names} (and have "
                    f'{"it" if len(missing) == 1 else "them"} implement "{dest.name}").',
                    [subgraph],
                    dest.name,
                )
        for index, source in enumerate(sources):
            if source is None or not ctx.subgraphs[index].is_interface_object(source.name):
                continue
            defined = [t for t in implementations if t in ctx.subgraphs[index].types]
            if defined:
                subgraph = ctx.names[index]
                ctx.error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'[{subgraph}] Interface type "{dest.name}" is defined as an '
                    "@interfaceObject in "
                    f'subgraph "{subgraph}" so that subgraph should not define any of the '
                    f'implementation types of "{dest.name}", but it defines '
                    + ", ".join(f'type "{t}"' for t in defined),
                    [subgraph],
                    dest.name,
                )
        added = self._field_sources(sources, dest)
        for name, field_sources in added.items():
            if not has_key:
                self._hint_inconsistent_value_type_field(sources, dest, name)
            field_dest = dest.fields[name]
            state = self.fields.validate_override(field_sources, field_dest)
            self.fields.merge_field(field_sources, field_dest, state)

    # -- unions, enums, inputs --------------------------------------------------------------------

    def _merge_union(self, sources: list[TypeDef | None], dest: MType) -> None:
        ctx = self.ctx
        for source in sources:
            if source is not None:
                for member in source.members:
                    if member not in dest.members:
                        dest.members.append(member)
        for member in dest.members:
            for index, source in enumerate(sources):
                if source is not None and member in source.members:
                    dest.directives.append(
                        MDirective(
                            "join__unionMember",
                            [("graph", ctx.graph(index)), ("member", print_string(member))],
                        )
                    )
            without = [
                ctx.names[i]
                for i, s in enumerate(sources)
                if s is not None and member not in s.members
            ]
            if without:
                having = [
                    ctx.names[i]
                    for i, s in enumerate(sources)
                    if s is not None and member in s.members
                ]
                ctx.hint(
                    "INCONSISTENT_UNION_MEMBER",
                    f'Union type "{dest.name}" includes member type "{member}" in some but not all '
                    f'defining subgraphs: "{member}" is defined in {subgraph_list(having)} '
                    "but not in "
                    f"{subgraph_list(without)}.",
                    having + without,
                    dest.name,
                )

    def _merge_enum(self, sources: list[TypeDef | None], dest: MType) -> None:
        ctx = self.ctx
        usage = ctx.enum_usages.get(dest.name)
        position = usage.position if usage is not None else "Output"
        if usage is None:
            ctx.hint(
                "UNUSED_ENUM_TYPE",
                f'Enum type "{dest.name}" is defined but unused. It will be included in the '
                'supergraph with all the values appearing in any subgraph ("as if" it was only '
                "used as an output type).",
                [],
                dest.name,
            )
        for source in sources:
            if source is not None:
                for name in source.values:
                    if name not in dest.values:
                        dest.values[name] = MEnumValue(name)
        for name in list(dest.values):
            value = dest.values[name]
            value_sources = [s.values.get(name) if s is not None else None for s in sources]
            coordinate = f"{dest.name}.{name}"
            value.description = self.fields.merge_description(
                [v.description if v else None for v in value_sources], coordinate
            )
            self.directives.record(
                [(i, v.directives) for i, v in enumerate(value_sources) if v is not None],
                value.directives,
                coordinate,
            )
            for index, value_source in enumerate(value_sources):
                if value_source is not None:
                    value.directives.append(
                        MDirective("join__enumValue", [("graph", ctx.graph(index))])
                    )
            inaccessible = self.directives.inaccessible
            is_inaccessible = inaccessible is not None and any(
                d.name == inaccessible for d in value.directives
            )
            missing = [
                ctx.names[i]
                for i, s in enumerate(sources)
                if s is not None and name not in s.values
            ]
            having = [
                ctx.names[i] for i, s in enumerate(sources) if s is not None and name in s.values
            ]
            if not is_inaccessible and position != "Output" and missing:
                if position == "Both":
                    assert usage is not None
                    ctx.error(
                        "ENUM_VALUE_MISMATCH",
                        f'Enum type "{dest.name}" is used as both input type (for example, as type '
                        f'of "{usage.examples.get("Input")}") and output type (for example, '
                        "as type "
                        f'of "{usage.examples.get("Output")}"), but value "{name}" is not '
                        "defined in "
                        f'all the subgraphs defining "{dest.name}": "{name}" is defined in '
                        f"{subgraph_list(having)} but not in {subgraph_list(missing)}",
                        having + missing,
                        dest.name,
                        coordinate,
                    )
                else:
                    ctx.hint(
                        "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                        f'Value "{name}" of enum type "{dest.name}" will not be part of the '
                        f"supergraph as it is not defined in all the subgraphs defining "
                        f'"{dest.name}": "{name}" is defined in {subgraph_list(having)} but not in '
                        f"{subgraph_list(missing)}.",
                        having + missing,
                        coordinate,
                    )
                    del dest.values[name]
            elif position == "Output" and missing:
                ctx.hint(
                    "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM",
                    f'Value "{name}" of enum type "{dest.name}" has been added to the '
                    "supergraph but "
                    f'is only defined in a subset of the subgraphs defining "{dest.name}": '
                    f'"{name}" '
                    f"is defined in {subgraph_list(having)} but not in {subgraph_list(missing)}.",
                    having + missing,
                    coordinate,
                )
        if not dest.values:
            ctx.error(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{dest.name}" are defined consistently in '
                "all the "
                "subgraphs defining that type. As only values common to all subgraphs are merged, "
                "this would result in an empty type.",
                [ctx.names[i] for i, s in enumerate(sources) if s is not None],
                dest.name,
            )

    def _merge_input(self, sources: list[TypeDef | None], dest: MType) -> None:
        ctx = self.ctx
        added = self._field_sources(sources, dest)
        for name, field_sources in added.items():
            field_dest = dest.fields[name]
            self.fields.merge_input_field(field_sources, field_dest)
            inaccessible = self.directives.inaccessible
            if inaccessible is not None and field_dest.has(inaccessible):
                continue
            missing = [
                ctx.names[i]
                for i, s in enumerate(sources)
                if s is not None and field_sources[i] is None
            ]
            if not missing:
                continue
            required = [
                ctx.names[i]
                for i, f in enumerate(field_sources)
                if f is not None and f.type.is_non_null and f.default is None
            ]
            if required:
                ctx.error(
                    "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                    f'Input object field "{field_dest.coordinate}" is required in some '
                    "subgraphs but "
                    "does not appear in all subgraphs: it is required in "
                    f"{subgraph_list(required)} "
                    f"but does not appear in {subgraph_list(missing)}",
                    required + missing,
                    field_dest.coordinate,
                )
            else:
                having = [ctx.names[i] for i, f in enumerate(field_sources) if f is not None]
                ctx.hint(
                    "INCONSISTENT_INPUT_OBJECT_FIELD",
                    f'Input object field "{name}" will not be added to "{dest.name}" in the '
                    f"supergraph as it does not appear in all subgraphs: it is defined in "
                    f"{subgraph_list(having)} but not in {subgraph_list(missing)}.",
                    having + missing,
                    field_dest.coordinate,
                )
            del dest.fields[name]
        if not dest.fields:
            ctx.error(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{dest.name}" are consistently '
                "defined in "
                "all the subgraphs defining that type. As only fields common to all subgraphs are "
                "merged, this would result in an empty type.",
                [ctx.names[i] for i, s in enumerate(sources) if s is not None],
                dest.name,
            )

    # -- finishing ------------------------------------------------------------------------------

    def _remove_empty_types(self) -> None:
        """A root type with only federation fields (``_entities``) does not reach the supergraph."""
        schema = self.ctx.schema
        for kind, name in list(schema.roots.items()):
            type_def = schema.types.get(name)
            if type_def is not None and not type_def.fields:
                del schema.roots[kind]
        for name in ("Query", "Mutation", "Subscription"):
            type_def = schema.types.get(name)
            if type_def is not None and type_def.kind == "OBJECT" and not type_def.fields:
                del schema.types[name]

    def _add_interface_object_fields(self) -> None:
        """Fields an ``@interfaceObject`` adds to an interface also exist on its implementations."""
        ctx = self.ctx
        for type_def in list(ctx.schema.types.values()):
            if type_def.kind != "OBJECT":
                continue
            for interface_name in type_def.interfaces:
                interface = ctx.schema.types.get(interface_name)
                if interface is None:
                    continue
                for interface_field in interface.fields.values():
                    if interface_field.name in type_def.fields:
                        continue
                    if not self._provided_by_interface_object(interface_field.name, interface_name):
                        continue
                    added = MField(
                        interface_field.name,
                        type_def.name,
                        interface_field.type,
                        dict(interface_field.args),
                        interface_field.description,
                        [d for d in interface_field.directives if not d.name.startswith("join__")],
                    )
                    added.directives.append(MDirective("join__field", []))
                    type_def.fields[added.name] = added
                    sources: list[Field | None] = [None] * len(ctx.subgraphs)
                    self.fields.validate_field_sharing(sources, added, OverrideState())
