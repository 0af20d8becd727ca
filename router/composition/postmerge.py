"""Checks on the merged supergraph (Apollo's ``postMergeValidations`` and API-schema checks)."""

from __future__ import annotations

from router.composition.context import MergeContext
from router.composition.errors import subgraph_list


def validate_merged(ctx: MergeContext) -> None:
    _interface_fields_implemented(ctx)
    if not ctx.report.errors:
        validate_inaccessible(ctx)


def _interface_fields_implemented(ctx: MergeContext) -> None:
    for type_def in ctx.schema.types.values():
        if type_def.kind not in ("OBJECT", "INTERFACE"):
            continue
        for interface_name in type_def.interfaces:
            interface = ctx.schema.types.get(interface_name)
            if interface is None:
                continue
            for field_name in interface.fields:
                if field_name in type_def.fields:
                    continue
                with_field = [
                    s.name
                    for s in ctx.subgraphs
                    if (t := s.types.get(interface_name)) is not None
                    and t.kind == "INTERFACE"
                    and field_name in t.fields
                ]
                implementing = [
                    s.name
                    for s in ctx.subgraphs
                    if (t := s.types.get(type_def.name)) is not None
                    and interface_name in t.interfaces
                ]
                ctx.error(
                    "INTERFACE_FIELD_NO_IMPLEM",
                    f'Interface field "{interface_name}.{field_name}" is declared in '
                    f'{subgraph_list(with_field)} but type "{type_def.name}", which implements '
                    f'"{interface_name}" only in {subgraph_list(implementing)} does not have field '
                    f'"{field_name}".',
                    with_field + implementing,
                    f"{interface_name}.{field_name}",
                    f"{type_def.name}.{field_name}",
                )


def validate_inaccessible(ctx: MergeContext) -> None:
    """The API schema (supergraph minus ``@inaccessible``) must be a valid schema."""
    name = ctx.inaccessible
    if name is None:
        return
    types = ctx.schema.types

    def hidden_type(type_name: str) -> bool:
        type_def = types.get(type_name)
        return type_def is not None and type_def.has(name)

    query = ctx.schema.roots.get("query")
    for type_def in types.values():
        if not type_def.has(name):
            continue
        if type_def.name == query:
            ctx.error(
                "QUERY_ROOT_TYPE_INACCESSIBLE",
                f'Type "{type_def.name}" is @inaccessible but is the root query type, which must '
                "be in the API schema.",
                [],
                type_def.name,
            )
        for referencer in _references(ctx, type_def.name, name):
            ctx.error(
                "REFERENCED_INACCESSIBLE",
                f'Type "{type_def.name}" is @inaccessible but is referenced by "{referencer}", '
                "which is in the API schema.",
                [],
                type_def.name,
                referencer,
            )
    for type_def in types.values():
        if type_def.has(name):
            continue
        fields = type_def.fields.values()
        if type_def.kind in ("OBJECT", "INTERFACE", "INPUT_OBJECT") and all(
            f.has(name) for f in fields
        ):
            what = "input fields" if type_def.kind == "INPUT_OBJECT" else "fields"
            ctx.error(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{type_def.name}" is in the API schema but all of its {what} are '
                "@inaccessible.",
                [],
                type_def.name,
            )
        if (
            type_def.kind == "UNION"
            and type_def.members
            and all(hidden_type(m) for m in type_def.members)
        ):
            ctx.error(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{type_def.name}" is in the API schema but all of its members are '
                "@inaccessible.",
                [],
                type_def.name,
            )
        if (
            type_def.kind == "ENUM"
            and type_def.values
            and all(any(d.name == name for d in v.directives) for v in type_def.values.values())
        ):
            ctx.error(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{type_def.name}" is in the API schema but all of its values are '
                "@inaccessible.",
                [],
                type_def.name,
            )
        for field in type_def.fields.values():
            if type_def.kind == "INPUT_OBJECT":
                if field.has(name) and field.type.is_non_null and field.default is None:
                    ctx.error(
                        "REQUIRED_INACCESSIBLE",
                        f'Input field "{field.coordinate}" is @inaccessible but is a required '
                        "input field of its type.",
                        [],
                        field.coordinate,
                    )
                continue
            if field.has(name):
                for interface in type_def.interfaces:
                    interface_def = types.get(interface)
                    if interface_def is None or interface_def.has(name):
                        continue
                    implemented = interface_def.fields.get(field.name)
                    if implemented is not None and not implemented.has(name):
                        ctx.error(
                            "IMPLEMENTED_BY_INACCESSIBLE",
                            f'Field "{field.coordinate}" is @inaccessible but implements the '
                            f'interface field "{implemented.coordinate}", which is in the API '
                            "schema.",
                            [],
                            field.coordinate,
                        )
                continue
            for arg in field.args.values():
                hidden = any(d.name == name for d in arg.directives)
                if hidden and arg.type.is_non_null and arg.default is None:
                    ctx.error(
                        "REQUIRED_INACCESSIBLE",
                        f'Argument "{field.coordinate}({arg.name}:)" is @inaccessible but is a '
                        "required argument of its field.",
                        [],
                        f"{field.coordinate}({arg.name}:)",
                    )


def _references(ctx: MergeContext, type_name: str, inaccessible: str) -> list[str]:
    """Visible elements whose type is ``type_name``."""
    found: list[str] = []
    for type_def in ctx.schema.types.values():
        if type_def.has(inaccessible):
            continue
        for field in type_def.fields.values():
            if field.has(inaccessible):
                continue
            if field.type.named == type_name:
                found.append(field.coordinate)
            for arg in field.args.values():
                if arg.type.named == type_name and not any(
                    d.name == inaccessible for d in arg.directives
                ):
                    found.append(f"{field.coordinate}({arg.name}:)")
    return found
