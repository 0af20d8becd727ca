"""Pass: entity fetches to one subgraph that can run at the same stage become one request.

The planner merges entity fetches to one subgraph at the *same* path; fetches at different
paths (the same type reached along several branches, or several types) still cost one request
each. This pass puts every fetch group of a step on a stage (0 for groups without
dependencies, else one more than their latest dependency) and, per stage and subgraph, sends
the entity groups as one `BatchFetchNode`: one aliased ``_entities`` field per distinct
(selection, representation shape), each fed by every path that needs it.

The stages run one after the other, so a branch may wait for a sibling branch's fetch of the
same stage; the pass is applied only when it saves requests, else the dependency tree of
`groups.assemble` (as parallel as possible) is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from .groups import Group, node_for
from .nodes import (
    BatchEntry,
    BatchFetchNode,
    FetchNode,
    ParallelNode,
    PlanNode,
    RequiresFragment,
    SequenceNode,
)

BATCH_ALIAS = "_e"
BATCH_VARIABLE = "__batch_reps_"


def stages(groups: Sequence[Group]) -> list[list[Group]]:
    """Groups by stage: a group runs one stage after the latest group it depends on."""
    members = {g.id: g for g in groups}
    level: dict[int, int] = {}

    def of(group: Group) -> int:
        known = level.get(group.id)
        if known is not None:
            return known
        deps = [d for d in group.deps if d.id in members]
        value = 1 + max(of(d) for d in deps) if deps else 0
        level[group.id] = value
        return value

    by_stage: dict[int, list[Group]] = {}
    for group in sorted(groups, key=lambda g: g.id):
        by_stage.setdefault(of(group), []).append(group)
    return [by_stage[i] for i in sorted(by_stage)]


def saves_requests(groups: Sequence[Group]) -> bool:
    """True when two entity groups of one subgraph share a stage."""
    for stage in stages(groups):
        seen: set[str] = set()
        for group in stage:
            if not group.is_entity or group.contexts:
                continue
            if group.graph in seen:
                return True
            seen.add(group.graph)
    return False


def batched(
    groups: Sequence[Group],
    fetches: Mapping[int, FetchNode],
    variable_definitions: Mapping[str, str],
    operation_name: str | None,
) -> PlanNode:
    """The step as a sequence of stages, entity groups of one subgraph batched per stage."""
    nodes: list[PlanNode] = []
    for stage in stages(groups):
        stage_nodes: list[PlanNode] = []
        by_graph: dict[str, list[Group]] = {}
        for group in stage:
            if group.is_entity and not group.contexts:
                by_graph.setdefault(group.graph, []).append(group)
            else:
                stage_nodes.append(node_for(group, fetches))
        for graph_groups in by_graph.values():
            if len(graph_groups) == 1:
                stage_nodes.append(node_for(graph_groups[0], fetches))
            else:
                stage_nodes.append(batch_fetch(graph_groups, variable_definitions, operation_name))
        nodes.append(stage_nodes[0] if len(stage_nodes) == 1 else ParallelNode(tuple(stage_nodes)))
    return nodes[0] if len(nodes) == 1 else SequenceNode(tuple(nodes))


def batch_fetch(
    groups: Sequence[Group],
    variable_definitions: Mapping[str, str],
    operation_name: str | None,
) -> BatchFetchNode:
    """One request for several entity groups of one subgraph.

    Groups with the same selection and representation shape share one aliased
    ``_entities`` field (their paths are concatenated)."""
    first = groups[0]
    entries: dict[tuple[str, tuple[RequiresFragment, ...]], list[tuple[str, ...]]] = {}
    for group in groups:
        out: list[str] = []
        group.sel.print(out)
        selection = "".join(out)
        requires = group.requires_fragments()
        paths = entries.setdefault((selection, requires), [])
        if group.path not in paths:
            paths.append(group.path)
    variables: set[str] = set()
    for group in groups:
        variables |= group.variables
    used = [name for name in variable_definitions if name in variables]
    definitions = [f"${BATCH_VARIABLE}{i}: [_Any!]!" for i in range(len(entries))]
    definitions.extend(variable_definitions[name] for name in used)
    name = f"{operation_name}__{first.service}__{first.id}" if operation_name else None
    parts = ["query"]
    if name:
        parts.append(" " + name)
    parts.append("(" + ", ".join(definitions) + ") {")
    batch_entries: list[BatchEntry] = []
    for index, ((selection, requires), paths) in enumerate(entries.items()):
        alias = f"{BATCH_ALIAS}{index}"
        variable = f"{BATCH_VARIABLE}{index}"
        parts.append(f" {alias}: _entities(representations: ${variable}) {selection}")
        batch_entries.append(BatchEntry(alias, variable, tuple(paths), requires))
    parts.append(" }")
    operation = "".join(parts)
    prefix = b'{"query":' + orjson.dumps(operation)
    if name:
        prefix += b',"operationName":' + orjson.dumps(name)
    return BatchFetchNode(
        service=first.service,
        operation=operation,
        entries=tuple(batch_entries),
        variable_usages=tuple(used),
        operation_name=name,
        id=first.id,
        body_prefix=prefix + b',"variables":',
        aliases=tuple(alias for group in groups for alias in group.aliases),
    )
