"""Print the supergraph exactly as Apollo composition does (``shallowOrderPrintedDefinitions``):
schema definition, directive definitions sorted by name, then types sorted by name; fields in
merge order; directives of a type on their own lines."""

from __future__ import annotations

from router.composition.merged import (
    MArgument,
    MDirective,
    MDirectiveDefinition,
    MField,
    MSchema,
    MType,
)
from router.composition.ordering import locale_key
from router.composition.values import print_string

INDENT = "  "


def print_supergraph(schema: MSchema) -> str:
    blocks: list[str] = [_schema_definition(schema)]
    for name in sorted(schema.directives, key=locale_key):
        blocks.append(_directive_definition(schema.directives[name]))
    printed_types: dict[str, str] = dict(schema.fixed_types)
    printed_types["join__Graph"] = _graph_enum(schema)
    for type_def in schema.types.values():
        printed_types[type_def.name] = _type(type_def)
    for name in sorted(printed_types, key=locale_key):
        blocks.append(printed_types[name])
    return "\n\n".join(blocks)


def _description(text: str | None, indentation: str = "", first: bool = True) -> str:
    if text is None:
        return ""
    block = block_string(text, "", len(text) > 70)
    prefix = "\n" + indentation if indentation and not first else indentation
    return prefix + block.replace("\n", "\n" + indentation) + "\n"


def block_string(value: str, indentation: str = "", prefer_multiple_lines: bool = False) -> str:
    is_single_line = "\n" not in value
    has_leading_space = value[:1] in (" ", "\t")
    has_trailing_quote = value.endswith('"')
    has_trailing_slash = value.endswith("\\")
    multiple = (
        not is_single_line or has_trailing_quote or has_trailing_slash or prefer_multiple_lines
    )
    result = ""
    if multiple and not (is_single_line and has_leading_space):
        result += "\n" + indentation
    result += value.replace("\n", "\n" + indentation) if indentation else value
    if multiple:
        result += "\n"
    return '"""' + result.replace('"""', '\\"""') + '"""'


def _applied(
    directives: list[MDirective], on_new_lines: bool = False, end_newline: bool = False
) -> str:
    if not directives:
        return ""
    if on_new_lines:
        joined = ("\n" + INDENT).join(str(d) for d in directives)
        return "\n" + INDENT + joined + ("\n" if end_newline else "")
    return " " + " ".join(str(d) for d in directives)


def _schema_definition(schema: MSchema) -> str:
    roots = [
        f"{INDENT}{kind}: {schema.roots[kind]}"
        for kind in ("query", "mutation", "subscription")
        if kind in schema.roots
    ]
    text = _description(schema.description) + "schema"
    text += _applied(schema.links, True, bool(roots))
    if not schema.links:
        text += " "
    if roots:
        text += "{\n" + "\n".join(roots) + "\n}"
    return text


def _args(args: list[MArgument], indentation: str = "") -> str:
    if not args:
        return ""
    if all(not a.description for a in args):
        return "(" + ", ".join(_arg(a) for a in args) + ")"
    lines = []
    for i, arg in enumerate(args):
        lines.append(
            _description(arg.description, INDENT + indentation, i == 0)
            + INDENT
            + indentation
            + _arg(arg)
        )
    return "(\n" + "\n".join(lines) + "\n" + indentation + ")"


def _arg(arg: MArgument) -> str:
    default = f" = {arg.default}" if arg.default is not None else ""
    return f"{arg.name}: {arg.type}{default}{_applied(arg.directives)}"


def _directive_definition(definition: MDirectiveDefinition) -> str:
    if definition.printed is not None:
        return definition.printed
    repeatable = " repeatable" if definition.repeatable else ""
    return (
        _description(definition.description)
        + f"directive @{definition.name}{_args(list(definition.args.values()))}{repeatable} on "
        + " | ".join(definition.locations)
    )


def _graph_enum(schema: MSchema) -> str:
    lines = [
        f"{INDENT}{value} @join__graph(name: {_json(name)}, url: {_json(url)})"
        for value, name, url in schema.graphs
    ]
    return "enum join__Graph {\n" + "\n".join(lines) + "\n}"


def _json(text: str) -> str:
    return print_string(text)


def _fields(fields: list[MField]) -> str:
    if not fields:
        return ""
    items = []
    for i, field in enumerate(fields):
        args = _args(list(field.args.values()), INDENT)
        default = f" = {field.default}" if field.default is not None else ""
        items.append(
            _description(field.description, INDENT, i == 0)
            + INDENT
            + f"{field.name}{args}: {field.type}{default}"
            + _applied(field.directives)
        )
    return "{\n" + "\n".join(items) + "\n}"


def _type(type_def: MType) -> str:
    head = _description(type_def.description)
    kind = type_def.kind
    if kind in ("OBJECT", "INTERFACE", "INPUT_OBJECT"):
        keyword = {"OBJECT": "type", "INTERFACE": "interface", "INPUT_OBJECT": "input"}[kind]
        fields = list(type_def.fields.values())
        implements = " implements " + " & ".join(type_def.interfaces) if type_def.interfaces else ""
        return (
            head
            + f"{keyword} {type_def.name}{implements}"
            + _applied(type_def.directives, True, bool(fields))
            + (" " if not type_def.directives and fields else "")
            + _fields(fields)
        )
    if kind == "UNION":
        members = " = " + " | ".join(type_def.members) if type_def.members else ""
        return (
            head
            + f"union {type_def.name}"
            + _applied(type_def.directives, True, bool(type_def.members))
            + members
        )
    if kind == "ENUM":
        values = []
        for i, value in enumerate(type_def.values.values()):
            values.append(
                _description(value.description, INDENT, i == 0)
                + INDENT
                + value.name
                + _applied(value.directives)
            )
        body = "{\n" + "\n".join(values) + "\n}" if values else ""
        return (
            head
            + f"enum {type_def.name}"
            + _applied(type_def.directives, True, bool(values))
            + (" " if not type_def.directives and values else "")
            + body
        )
    return head + f"scalar {type_def.name}" + _applied(type_def.directives, True, False)
