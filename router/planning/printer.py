"""`plan_to_text`: Apollo's query-plan notation, stable enough for snapshot tests."""

from __future__ import annotations

from graphql import FieldNode, OperationDefinitionNode, parse, print_ast

from .nodes import (
    BatchFetchNode,
    ConditionNode,
    DeferNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RequiresField,
    RequiresFragment,
    RequiresItem,
    ResponseAlias,
    SequenceNode,
)

INDENT = "  "


def plan_to_text(plan: QueryPlan) -> str:
    lines = ["QueryPlan {"]
    if plan.node is not None:
        _node(plan.node, 1, lines)
    lines.append("}")
    return "\n".join(lines)


def _node(node: PlanNode, depth: int, lines: list[str], ids: bool = False) -> None:
    pad = INDENT * depth
    if isinstance(node, DeferNode):
        _defer(node, depth, lines)
    elif isinstance(node, SequenceNode | ParallelNode):
        lines.append(pad + ("Sequence {" if isinstance(node, SequenceNode) else "Parallel {"))
        for child in node.nodes:
            _node(child, depth + 1, lines, ids)
        lines.append(pad + "},")
    elif isinstance(node, FlattenNode):
        lines.append(pad + f'Flatten(path: "{".".join(node.path)}") {{')
        _node(node.node, depth + 1, lines, ids)
        lines.append(pad + "},")
    elif isinstance(node, FetchNode):
        lines.append(pad + f'Fetch(service: "{node.service}"{_fetch_id(node, ids)}) {{')
        inner = pad + INDENT
        for context in node.contexts:
            source = ".".join((*context.path, *context.selection))
            lines.append(inner + f"${context.variable} <- context {source}")
        _aliases(node.aliases, inner, lines)
        if node.requires:
            lines.append(inner + "{")
            for fragment in node.requires:
                _requires(fragment, depth + 2, lines)
            lines.append(inner + "} =>")
        for line in _pretty_operation(node).splitlines():
            lines.append(inner + line)
        lines.append(pad + "},")
    elif isinstance(node, BatchFetchNode):
        _batch(node, depth, lines, ids)
    elif isinstance(node, ConditionNode):
        lines.append(pad + f"Include(if: ${node.condition}) {{")
        if node.if_clause is not None:
            _node(node.if_clause, depth + 1, lines, ids)
        lines.append(pad + "},")
        if node.else_clause is not None:
            lines.append(pad + f"Skip(if: ${node.condition}) {{")
            _node(node.else_clause, depth + 1, lines, ids)
            lines.append(pad + "},")


def _fetch_id(node: FetchNode | BatchFetchNode, ids: bool) -> str:
    """Fetch ids are printed in plans with `@defer` only (``depends`` names them)."""
    return f", id: {node.id}" if ids else ""


def _defer(node: DeferNode, depth: int, lines: list[str]) -> None:
    """``Defer { Primary {...}, [Deferred(depends: [...], path: "...", label: "...") {...}] }``."""
    pad = INDENT * depth
    inner = pad + INDENT
    lines.append(pad + "Defer {")
    lines.append(inner + "Primary {")
    if node.primary is not None:
        _node(node.primary, depth + 2, lines, True)
    lines.append(inner + "}, [")
    for deferred in node.deferred:
        depends = ", ".join(str(i) for i in deferred.depends)
        head = f'Deferred(depends: [{depends}], path: "{"/".join(deferred.path)}"'
        if deferred.label is not None:
            head += f', label: "{deferred.label}"'
        if deferred.parent is not None:
            head += f", parent: {deferred.parent}"
        lines.append(inner + INDENT + head + ") {")
        if deferred.node is not None:
            _node(deferred.node, depth + 3, lines, True)
        lines.append(inner + INDENT + "},")
    lines.append(inner + "]")
    lines.append(pad + "},")


def _batch(node: BatchFetchNode, depth: int, lines: list[str], ids: bool) -> None:
    """``BatchFetch``: one request, one aliased ``_entities`` selection per entry."""
    pad = INDENT * depth
    inner = pad + INDENT
    lines.append(pad + f'BatchFetch(service: "{node.service}"{_fetch_id(node, ids)}) {{')
    _aliases(node.aliases, inner, lines)
    operation = parse(node.operation).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    bodies: dict[str, str] = {}
    for selection in operation.selection_set.selections:
        assert isinstance(selection, FieldNode)
        assert selection.alias is not None
        assert selection.selection_set is not None
        bodies[selection.alias.value] = print_ast(selection.selection_set)
    for entry in node.entries:
        paths = ", ".join(f'"{".".join(path)}"' for path in entry.paths)
        lines.append(inner + f"{entry.alias}: Flatten(paths: [{paths}]) {{")
        lines.append(inner + INDENT + "{")
        for fragment in entry.requires:
            _requires(fragment, depth + 3, lines)
        lines.append(inner + INDENT + "} =>")
        for line in bodies[entry.alias].splitlines():
            lines.append(inner + INDENT + line)
        lines.append(inner + "},")
    lines.append(pad + "},")


def _aliases(aliases: tuple[ResponseAlias, ...], pad: str, lines: list[str]) -> None:
    """``key <- alias at "path" on Type``: a client field the operation sends aliased."""
    for alias in aliases:
        where = ".".join(alias.path)
        lines.append(
            pad + f'{alias.response_key} <- {alias.alias} at "{where}" on {alias.type_condition}'
        )


def _requires(item: RequiresItem, depth: int, lines: list[str]) -> None:
    pad = INDENT * depth
    if isinstance(item, RequiresFragment):
        lines.append(pad + f"... on {item.type_condition} {{")
        if depth_is_top(item):
            lines.append(pad + INDENT + "__typename")
        for child in item.fields:
            _requires(child, depth + 1, lines)
        lines.append(pad + "}")
    elif isinstance(item, RequiresField):
        if item.selection is None:
            lines.append(pad + item.name)
        else:
            lines.append(pad + item.name + " {")
            for child in item.selection:
                _requires(child, depth + 1, lines)
            lines.append(pad + "}")


def depth_is_top(item: RequiresFragment) -> bool:
    """Top-level fragments stand for an entity: its representation always has `__typename`."""
    return not any(isinstance(f, RequiresField) and f.name == "__typename" for f in item.fields)


def _pretty_operation(node: FetchNode) -> str:
    """The fetch's operation, re-printed with graphql-core's layout (body only for entities)."""
    document = parse(node.operation)
    if node.requires:
        # Show only the selection under `_entities`, as Apollo does.
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        entities = operation.selection_set.selections[0]
        assert isinstance(entities, FieldNode)
        assert entities.selection_set is not None
        return print_ast(entities.selection_set)
    return print_ast(document).strip()
