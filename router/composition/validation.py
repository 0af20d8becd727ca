"""Federation rules a single (Federation 2) subgraph must follow before it is merged.

Each check reports Apollo composition's error code: ``KEY_INVALID_FIELDS``,
``KEY_FIELDS_SELECT_INVALID_TYPE``, ``REQUIRES_MISSING_EXTERNAL``, ``EXTERNAL_UNUSED``, ...
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
)

from router.composition.errors import Report
from router.composition.federation import FederationInfo, fields_arg
from router.composition.fieldset import COMPOSITE_KINDS, FieldSetError, check_fieldset, normalized
from router.composition.model import AppliedDirective, Field, Subgraph
from router.composition.specs import ACCESS_CONTROL


class SubgraphValidator:
    def __init__(self, subgraph: Subgraph, info: FederationInfo, report: Report) -> None:
        self.sg = subgraph
        self.info = info
        self.report = report

    def error(self, code: str, message: str, *coordinates: str) -> None:
        self.report.error(code, f"[{self.sg.name}] {message}", (self.sg.name,), coordinates)

    def validate(self) -> None:
        self._keys()
        self._requires_and_provides()
        self._externals()
        self._interface_keys()
        self._interface_objects()
        self._shareable()
        self._auth_on_interfaces()
        self._demand_control()

    # -- @key ----------------------------------------------------------------------------------

    def _keys(self) -> None:
        sg = self.sg
        key_local = sg.local("key")
        for type_def in sg.types.values():
            for key in sg.applied(type_def.directives, "key"):
                text = fields_arg(key)
                shown = f'@{key_local}(fields: "{text}")'
                if type_def.kind == "INTERFACE" and sg.version < (2, 3):
                    self.error(
                        "KEY_UNSUPPORTED_ON_INTERFACE",
                        f'Cannot use @{key_local} on interface "{type_def.name}": @{key_local} is '
                        "not yet supported on interfaces",
                        type_def.name,
                    )
                if text is None:
                    self.error(
                        "KEY_INVALID_FIELDS_TYPE",
                        f'On type "{type_def.name}", for @{key_local}: Invalid value for argument '
                        '"fields": must be a string.',
                        type_def.name,
                    )
                    continue
                self._field_set(
                    "KEY",
                    f'On type "{type_def.name}", for {shown}',
                    type_def.name,
                    text,
                    allow_local_leaves=True,
                    allow_arguments=False,
                    check_key_types=True,
                )

    # -- @requires / @provides -----------------------------------------------------------------

    def _requires_and_provides(self) -> None:
        sg = self.sg
        for type_def in sg.types.values():
            if type_def.kind not in ("OBJECT", "INTERFACE"):
                continue
            for field in type_def.fields.values():
                for requires in sg.applied(field.directives, "requires"):
                    self._requires(type_def.kind, field, requires)
                for provides in sg.applied(field.directives, "provides"):
                    self._provides(type_def.kind, field, provides)

    def _requires(self, parent_kind: str, field: Field, directive: AppliedDirective) -> None:
        local = self.sg.local("requires")
        text = fields_arg(directive)
        if parent_kind == "INTERFACE":
            self.error(
                "REQUIRES_UNSUPPORTED_ON_INTERFACE",
                f'Cannot use @{local} on field "{field.coordinate}" of parent type '
                f'"{field.parent}": @{local} is not yet supported within interfaces',
                field.coordinate,
            )
        if text is None:
            self.error(
                "REQUIRES_INVALID_FIELDS_TYPE",
                f'On field "{field.coordinate}", for @{local}: Invalid value for argument '
                '"fields": '
                "must be a string.",
                field.coordinate,
            )
            return
        self._field_set(
            "REQUIRES",
            f'On field "{field.coordinate}", for @{local}(fields: "{text}")',
            field.parent,
            text,
            allow_local_leaves=False,
            allow_arguments=True,
            coordinate=field.coordinate,
        )

    def _provides(self, parent_kind: str, field: Field, directive: AppliedDirective) -> None:
        sg = self.sg
        local = sg.local("provides")
        text = fields_arg(directive)
        if self.info.is_external(field):
            self.error(
                "EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
                f'Cannot have both @provides and @external on field "{field.coordinate}"',
                field.coordinate,
            )
            return
        target = sg.types.get(field.type.named)
        if target is None or target.kind not in COMPOSITE_KINDS:
            self.error(
                "PROVIDES_ON_NON_OBJECT_FIELD",
                f'Invalid @provides directive on field "{field.coordinate}": field has type '
                f'"{field.type}" which is not a Composite Type',
                field.coordinate,
            )
            return
        if parent_kind == "INTERFACE":
            self.error(
                "PROVIDES_UNSUPPORTED_ON_INTERFACE",
                f'Cannot use @{local} on field "{field.coordinate}" of parent type '
                f'"{field.parent}": @{local} is not yet supported within interfaces',
                field.coordinate,
            )
        if text is None:
            self.error(
                "PROVIDES_INVALID_FIELDS_TYPE",
                f'On field "{field.coordinate}", for @{local}: Invalid value for argument '
                '"fields": '
                "must be a string.",
                field.coordinate,
            )
            return
        self._field_set(
            "PROVIDES",
            f'On field "{field.coordinate}", for @{local}(fields: "{text}")',
            target.name,
            text,
            allow_local_leaves=False,
            allow_arguments=False,
            coordinate=field.coordinate,
        )

    def _field_set(
        self,
        prefix: str,
        where: str,
        parent: str,
        text: str,
        *,
        allow_local_leaves: bool,
        allow_arguments: bool,
        check_key_types: bool = False,
        coordinate: str | None = None,
    ) -> None:
        coordinate = coordinate or parent

        def on_field(field: Field) -> None:
            if check_key_types:
                target = self.sg.types.get(field.type.named)
                if target is not None and target.kind in ("INTERFACE", "UNION"):
                    kind = "Interface" if target.kind == "INTERFACE" else "Union"
                    raise FieldSetError(
                        "SELECT_INVALID_TYPE",
                        f'field "{field.coordinate}" is a {kind} type which is not allowed in @key',
                    )

        try:
            selection = check_fieldset(self.sg, parent, text, on_field=on_field)
        except FieldSetError as exc:
            code = (
                "KEY_FIELDS_SELECT_INVALID_TYPE"
                if exc.code_suffix == "SELECT_INVALID_TYPE"
                else f"{prefix}_{exc.code_suffix}"
            )
            self.error(code, f"{where}: {exc.message}", coordinate)
            return
        self._selections(
            prefix, where, parent, selection, False, allow_local_leaves, allow_arguments, coordinate
        )

    def _selections(
        self,
        prefix: str,
        where: str,
        parent: str,
        selection: SelectionSetNode,
        external_in_parents: bool,
        allow_local_leaves: bool,
        allow_arguments: bool,
        coordinate: str,
    ) -> None:
        sg = self.sg
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else parent
                self._selections(
                    prefix,
                    where,
                    condition,
                    node.selection_set,
                    external_in_parents,
                    allow_local_leaves,
                    allow_arguments,
                    coordinate,
                )
                continue
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            field = sg.field(parent, node.name.value)
            if field is None:
                continue
            external = self.info.is_external(field)
            if not allow_arguments and field.args:
                self.error(
                    f"{prefix}_FIELDS_HAS_ARGS",
                    f"{where}: field {field.coordinate} cannot be included because it has "
                    f"arguments (fields with argument are not allowed in @{prefix.lower()})",
                    coordinate,
                )
            must_be_external = (
                node.selection_set is None and not allow_local_leaves and not external_in_parents
            )
            if must_be_external and not external:
                directive = prefix.lower()
                if self.info.is_fake_external(field):
                    reason = (
                        f'field "{field.coordinate}" should not be part of a @{directive} since it '
                        'is already "effectively" provided by this subgraph (while it is marked '
                        "@external, it is a @key field of an extension type, which are not "
                        "internally considered external for historical/backward compatibility "
                        "reasons)"
                    )
                else:
                    reason = (
                        f'field "{field.coordinate}" should not be part of a @{directive} since it '
                        "is already provided by this subgraph (it is not marked @external)"
                    )
                self.error(f"{prefix}_FIELDS_MISSING_EXTERNAL", f"{where}: {reason}", coordinate)
            if node.selection_set is not None:
                in_parents = external_in_parents or external
                parent_def = sg.types.get(parent)
                if not in_parents and parent_def is not None and parent_def.kind == "INTERFACE":
                    for implementation in sg.implementations(parent):
                        implementation_field = sg.field(implementation, field.name)
                        if implementation_field is not None and self.info.is_external(
                            implementation_field
                        ):
                            in_parents = True
                self._selections(
                    prefix,
                    where,
                    field.type.named,
                    node.selection_set,
                    in_parents,
                    allow_local_leaves,
                    allow_arguments,
                    coordinate,
                )

    # -- @external -------------------------------------------------------------------------------

    def _externals(self) -> None:
        for type_def in self.sg.types.values():
            if type_def.kind not in ("OBJECT", "INTERFACE"):
                continue
            for field in type_def.fields.values():
                if not self.info.is_external(field):
                    continue
                if type_def.kind == "INTERFACE":
                    self.error(
                        "EXTERNAL_ON_INTERFACE",
                        f'Interface type field "{field.coordinate}" is marked @external but '
                        "@external is not allowed on interface fields (it is nonsensical).",
                        field.coordinate,
                    )
                    continue
                if not self.info.is_used(field):
                    self.error(
                        "EXTERNAL_UNUSED",
                        f'Field "{field.coordinate}" is marked @external but is not used in any '
                        "federation directive (@key, @provides, @requires) or to satisfy an "
                        "interface; the field declaration has no use and should be removed (or "
                        "the field should not be @external).",
                        field.coordinate,
                    )

    # -- interfaces ------------------------------------------------------------------------------

    def _interface_keys(self) -> None:
        sg = self.sg
        for type_def in sg.types.values():
            if type_def.kind != "INTERFACE":
                continue
            for key in self.info.keys.get(type_def.name, []):
                missing: list[str] = []
                unresolvable: list[str] = []
                for implementation in sg.implementations(type_def.name):
                    match = next(
                        (
                            k
                            for k in self.info.keys.get(implementation, [])
                            if normalized(k.fields) == normalized(key.fields)
                        ),
                        None,
                    )
                    if match is None:
                        missing.append(implementation)
                    elif key.resolvable and not match.resolvable:
                        unresolvable.append(implementation)
                shown = f'@key(fields: "{key.fields}")'
                if missing:
                    names = _types_list(missing)
                    self.error(
                        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                        f'Key {shown} on interface type "{type_def.name}" is missing on '
                        f"implementation {names}.",
                        type_def.name,
                        *missing,
                    )
                elif unresolvable:
                    names = _types_list(unresolvable)
                    self.error(
                        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                        f'Key {shown} on interface type "{type_def.name}" should be resolvable on '
                        "all implementation types, but is declared with argument "
                        '"@key(resolvable:)" '
                        f"set to false in {names}.",
                        type_def.name,
                        *unresolvable,
                    )

    def _interface_objects(self) -> None:
        sg = self.sg
        for type_def in sg.types.values():
            if sg.is_interface_object(type_def.name) and not self.info.is_entity(type_def.name):
                self.error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    "The @interfaceObject directive can only be applied to entity types but type "
                    f'"{type_def.name}" has no @key in this subgraph.',
                    type_def.name,
                )

    # -- @shareable ------------------------------------------------------------------------------

    def _shareable(self) -> None:
        sg = self.sg
        for type_def in sg.types.values():
            if type_def.kind == "OBJECT":
                decls = [d.decl for d in sg.applied(type_def.directives, "shareable")]
                if len(decls) != len(set(decls)):
                    self.error(
                        "INVALID_SHAREABLE_USAGE",
                        "Invalid duplicate application of @shareable on the same type declaration "
                        f'of "{type_def.name}": @shareable is only repeatable on types so it '
                        "can be "
                        "used simultaneously on a type definition and its extensions, but it "
                        "should not be duplicated on the same definition/extension declaration",
                        type_def.name,
                    )
            for field in type_def.fields.values():
                count = len(sg.applied(field.directives, "shareable"))
                if count and type_def.kind != "OBJECT":
                    self.error(
                        "INVALID_SHAREABLE_USAGE",
                        f'Invalid use of @shareable on field "{field.coordinate}": only '
                        "object type "
                        "fields can be marked with @shareable",
                        field.coordinate,
                    )
                elif count > 1:
                    self.error(
                        "INVALID_SHAREABLE_USAGE",
                        "Invalid duplicate application of @shareable on field "
                        f'"{field.coordinate}": '
                        "@shareable is only repeatable on types so it can be used "
                        "simultaneously on "
                        "a type definition and its extensions, but it should not be duplicated on "
                        "the same definition/extension declaration",
                        field.coordinate,
                    )

    # -- demand control (@cost, @listSize) -------------------------------------------------------

    def _demand_control(self) -> None:
        sg = self.sg
        cost, list_size = sg.local("cost"), sg.local("listSize")
        if cost is None and list_size is None:
            return
        for type_def in sg.types.values():
            for field in type_def.fields.values():
                interface = type_def.kind == "INTERFACE"
                if cost is not None and interface and sg.has(field.directives, "cost"):
                    self.error(
                        "COST_APPLIED_TO_INTERFACE_FIELD",
                        f'@{cost} cannot be applied to interface "{field.coordinate}"',
                        field.coordinate,
                    )
                for directive in sg.applied(field.directives, "listSize"):
                    self._list_size(field, directive)

    def _list_size(self, field: Field, directive: AppliedDirective) -> None:
        coordinate = field.coordinate
        args = directive.args
        assumed = args.get("assumedSize")
        if isinstance(assumed, IntValueNode) and int(assumed.value) < 0:
            self.error(
                "LIST_SIZE_INVALID_ASSUMED_SIZE",
                f'Assumed size of "{coordinate}" cannot be negative',
                coordinate,
            )
        sized = _strings(args.get("sizedFields"))
        if not sized and not field.type.is_list_like():
            self.error("LIST_SIZE_APPLIED_TO_NON_LIST", f'"{coordinate}" is not a list', coordinate)
        for name in _strings(args.get("slicingArguments")):
            argument = field.args.get(name)
            if argument is None:
                self.error(
                    "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                    f'Slicing argument "{name}" is not an argument of "{coordinate}"',
                    coordinate,
                )
            elif str(argument.type) not in ("Int", "Int!"):
                self.error(
                    "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                    f'Slicing argument "{coordinate}({name}:)" must be Int or Int!',
                    coordinate,
                )
        target = self.sg.types.get(field.type.named)
        for name in sized:
            sized_field = target.fields.get(name) if target is not None else None
            if sized_field is None:
                self.error(
                    "LIST_SIZE_INVALID_SIZED_FIELD",
                    f'Sized field "{name}" is not a field on type "{field.type.named}"',
                    coordinate,
                )
            elif not sized_field.type.is_list_like():
                self.error(
                    "LIST_SIZE_APPLIED_TO_NON_LIST",
                    f'Sized field "{sized_field.coordinate}" is not a list',
                    coordinate,
                )

    # -- authorization ---------------------------------------------------------------------------

    def _auth_on_interfaces(self) -> None:
        sg = self.sg
        for type_def in sg.types.values():
            is_itf_object = sg.is_interface_object(type_def.name)
            if type_def.kind != "INTERFACE" and not is_itf_object:
                continue
            kind = "interface object" if is_itf_object else "interface"
            field_kind = "interface object field" if is_itf_object else "interface field"
            for name in ACCESS_CONTROL:
                local = sg.local(name)
                if local is None:
                    continue
                if sg.has(type_def.directives, name):
                    self._auth_error(local, kind, type_def.name)
                for field in type_def.fields.values():
                    if sg.has(field.directives, name):
                        self._auth_error(local, field_kind, field.coordinate)

    def _auth_error(self, local: str, kind: str, coordinate: str) -> None:
        self.error(
            "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
            f'Invalid use of @{local} on {kind} "{coordinate}": @{local} cannot be applied on '
            "interfaces, interface fields and interface objects",
            coordinate,
        )


def _strings(value: ValueNode | None) -> list[str]:
    if isinstance(value, ListValueNode):
        return [v.value for v in value.values if isinstance(v, StringValueNode)]
    if isinstance(value, StringValueNode):
        return [value.value]
    return []


def _types_list(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return f"type {quoted[0]}"
    return "types " + ", ".join(quoted[:-1]) + " and " + quoted[-1]
