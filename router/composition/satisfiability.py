"""Satisfiability: every field of the API schema must be reachable from a root operation
through some subgraph path.

A walk over the supergraph API schema keeps, at each position, the set of subgraph states that
can be "there": (subgraph, fields made available by an enclosing ``@provides``). A field
advances a state when its subgraph resolves it, possibly after jumping to other subgraphs
through resolvable ``@key``s whose fields the current subgraph can provide, and when its
``@requires`` can be met. When no state advances, the field is reported with an example
operation, as Apollo's ``SATISFIABILITY_ERROR`` does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql import FieldNode, GraphQLSyntaxError, InlineFragmentNode, SelectionSetNode

from router.composition.context import MergeContext
from router.composition.federation import FederationInfo
from router.composition.fieldset import collect_fields, parse_fieldset
from router.composition.merged import MType
from router.composition.model import Field, Subgraph

_COMPOSITE = ("OBJECT", "INTERFACE", "UNION")


@dataclass(frozen=True, slots=True)
class _State:
    subgraph: int
    provided: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Step:
    """One step of an example operation: a field, or a type condition (``... on T``)."""

    text: str
    is_fragment: bool = False


class _Checker:
    def __init__(self, ctx: MergeContext, inaccessible: str | None) -> None:
        self.ctx = ctx
        self.inaccessible = inaccessible
        self.subgraphs = ctx.subgraphs
        self.infos: list[FederationInfo] = ctx.infos
        self.unresolvable = ctx.unresolvable
        self.reported: set[str] = set()
        self._jumps: dict[tuple[str, _State], list[int]] = {}
        self._computing: set[tuple[str, _State]] = set()
        self._provides: dict[tuple[int, str, str, frozenset[str]], bool] = {}

    # -- facts about subgraphs ------------------------------------------------------------------

    def local_type(self, index: int, type_name: str) -> str | None:
        """The type standing for ``type_name`` in a subgraph: itself, or an ``@interfaceObject``
        of one of its interfaces."""
        subgraph = self.subgraphs[index]
        if type_name in subgraph.types:
            return type_name
        merged = self.ctx.schema.types.get(type_name)
        if merged is None:
            return None
        for interface in merged.interfaces:
            if subgraph.is_interface_object(interface):
                return interface
        return None

    def local_field(self, index: int, type_name: str, field_name: str) -> Field | None:
        local = self.local_type(index, type_name)
        return None if local is None else self.subgraphs[index].field(local, field_name)

    def resolves(
        self, index: int, type_name: str, field_name: str, provided: frozenset[str]
    ) -> bool:
        field = self.local_field(index, type_name, field_name)
        if field is None:
            return False
        if (index, field.coordinate) in self.unresolvable:
            return False
        if self.infos[index].is_external(field):
            return field.coordinate in provided
        return True

    def can_provide(self, index: int, type_name: str, text: str, provided: frozenset[str]) -> bool:
        """Whether subgraph ``index`` can produce a selection (key fields) of ``type_name``."""
        cache_key = (index, type_name, text, provided)
        cached = self._provides.get(cache_key)
        if cached is not None:
            return cached
        try:
            selection = parse_fieldset(text)
        except GraphQLSyntaxError:
            return False
        answer = self._can_provide_selection(index, type_name, selection, provided)
        self._provides[cache_key] = answer
        return answer

    def _can_provide_selection(
        self, index: int, type_name: str, selection: SelectionSetNode, provided: frozenset[str]
    ) -> bool:
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else type_name
                if not self._can_provide_selection(index, condition, node.selection_set, provided):
                    return False
                continue
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            field_name = node.name.value
            field = self.local_field(index, type_name, field_name)
            if field is None:
                return False
            if self.infos[index].is_external(field) and field.coordinate not in provided:
                return False
            if (index, field.coordinate) in self.unresolvable:
                return False
            if node.selection_set is not None and not self._can_provide_selection(
                index, field.type.named, node.selection_set, provided
            ):
                return False
        return True

    def jumps(self, type_name: str, state: _State) -> list[int]:
        """Subgraphs reachable from ``state`` for an entity of ``type_name`` (transitively)."""
        memo_key = (type_name, state)
        cached = self._jumps.get(memo_key)
        if cached is None:
            if memo_key in self._computing:
                return [state.subgraph]  # a key condition that needs this very jump
            self._computing.add(memo_key)
            try:
                cached = self._jumps[memo_key] = self._compute_jumps(type_name, state)
            finally:
                self._computing.discard(memo_key)
        return cached

    def _compute_jumps(self, type_name: str, state: _State) -> list[int]:
        reached = [state.subgraph]
        queue = deque([state])
        while queue:
            current = queue.popleft()
            if self.local_type(current.subgraph, type_name) is None:
                continue
            for target in range(len(self.subgraphs)):
                local = self.local_type(target, type_name)
                if target in reached or local is None:
                    continue
                for key in self.infos[target].keys.get(local, []):
                    if key.resolvable and self.can_provide(
                        current.subgraph, type_name, key.fields, current.provided
                    ):
                        reached.append(target)
                        queue.append(_State(target))
                        break
        # Key fields the current subgraph lacks may come from subgraphs already reached (a
        # nested composite key collected from several fetches): repeat until nothing changes.
        changed = True
        while changed:
            changed = False
            for target in range(len(self.subgraphs)):
                local = self.local_type(target, type_name)
                if target in reached or local is None:
                    continue
                for key in self.infos[target].keys.get(local, []):
                    if key.resolvable and self._key_obtainable(type_name, key.fields, reached):
                        reached.append(target)
                        changed = True
                        break
        return reached

    def _key_obtainable(self, type_name: str, fields: str, sources: list[int]) -> bool:
        try:
            selection = parse_fieldset(fields)
        except GraphQLSyntaxError:
            return False
        return self._obtainable(type_name, selection, list(sources))

    def requires_met(self, index: int, field: Field) -> bool:
        text = self.infos[index].requires(field)
        if text is None:
            return True
        try:
            selection = parse_fieldset(text)
        except GraphQLSyntaxError:
            return False
        sources = self.jumps(field.parent, _State(index))
        return self._obtainable(field.parent, selection, sources)

    def _obtainable(self, type_name: str, selection: SelectionSetNode, sources: list[int]) -> bool:
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else type_name
                if not self._obtainable(condition, node.selection_set, sources):
                    return False
                continue
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            holders = [
                i for i in sources if self.resolves(i, type_name, node.name.value, frozenset())
            ]
            if not holders:
                return False
            if node.selection_set is not None:
                field = self.local_field(holders[0], type_name, node.name.value)
                assert field is not None
                # Below an entity, its other subgraphs can add fields (through its key).
                nested: list[int] = []
                for holder in holders:
                    for reached in self.jumps(field.type.named, _State(holder)):
                        if reached not in nested:
                            nested.append(reached)
                if not self._obtainable(field.type.named, node.selection_set, nested):
                    return False
        return True

    # -- the walk --------------------------------------------------------------------------------

    def api_fields(self, type_def: MType) -> list[str]:
        return [
            name
            for name, field in type_def.fields.items()
            if self.inaccessible is None or not field.has(self.inaccessible)
        ]

    def accessible(self, name: str) -> bool:
        type_def = self.ctx.schema.types.get(name)
        if type_def is None:
            return True
        return self.inaccessible is None or not type_def.has(self.inaccessible)

    def run(self) -> None:
        schema = self.ctx.schema
        for kind in ("query", "mutation", "subscription"):
            root = schema.roots.get(kind)
            if root is None:
                continue
            states = frozenset(
                _State(i) for i, s in enumerate(self.subgraphs) if s.roots.get(kind) == root
            )
            self.walk(kind, root, states)

    def walk(self, kind: str, root: str, states: frozenset[_State]) -> None:
        seen: set[tuple[str, frozenset[_State]]] = set()
        queue: deque[tuple[str, frozenset[_State], tuple[_Step, ...]]] = deque([(root, states, ())])
        while queue:
            type_name, current, path = queue.popleft()
            if (type_name, current) in seen:
                continue
            seen.add((type_name, current))
            type_def = self.ctx.schema.types[type_name]
            if type_def.kind in ("OBJECT", "INTERFACE"):
                for field_name in self.api_fields(type_def):
                    field = type_def.fields[field_name]
                    if not self.accessible(field.type.named):
                        continue
                    step = _Step(field_name)
                    following = self.advance(type_name, field_name, current)
                    if not following:
                        if type_def.kind == "INTERFACE" and self.castable(type_name, current):
                            continue  # reported on the implementations that lack it
                        self.report(kind, (*path, step), type_name, field_name, current)
                        continue
                    target = self.ctx.schema.types.get(field.type.named)
                    if target is not None and target.kind in _COMPOSITE:
                        queue.append((target.name, following, (*path, step)))
            if type_def.kind in ("INTERFACE", "UNION"):
                for runtime in self.ctx.possible_runtime_types(type_name):
                    if not self.accessible(runtime):
                        continue
                    following = self.cast(type_name, runtime, current)
                    if following:
                        queue.append((runtime, following, (*path, _Step(runtime, True))))

    def advance(
        self, type_name: str, field_name: str, states: frozenset[_State]
    ) -> frozenset[_State]:
        result: set[_State] = set()
        for state in states:
            candidates = [
                state.subgraph,
                *[j for j in self.jumps(type_name, state) if j != state.subgraph],
            ]
            for index in candidates:
                provided = state.provided if index == state.subgraph else frozenset()
                if not self.resolves(index, type_name, field_name, provided):
                    continue
                field = self.local_field(index, type_name, field_name)
                assert field is not None
                if not self.requires_met(index, field):
                    continue
                result.add(_State(index, self.provided_by(index, field)))
        if not result:
            type_def = self.ctx.schema.types[type_name]
            if type_def.kind == "INTERFACE":
                result |= self.explode(type_name, field_name, states)
        return frozenset(result)

    def explode(self, interface: str, field_name: str, states: frozenset[_State]) -> set[_State]:
        """An interface field no subgraph resolves on the interface itself can still be fetched
        type by type, when every implementation can."""
        result: set[_State] = set()
        runtimes = self.ctx.possible_runtime_types(interface)
        if not runtimes:
            return result
        for runtime in runtimes:
            casted = self.cast(interface, runtime, states)
            if not casted:
                continue  # never returned on this path
            reached = self.advance(runtime, field_name, casted)
            if not reached:
                return set()
            result |= reached
        return result

    def castable(self, abstract: str, states: frozenset[_State]) -> bool:
        return any(
            self.cast(abstract, r, states) for r in self.ctx.possible_runtime_types(abstract)
        )

    def cast(self, abstract: str, runtime: str, states: frozenset[_State]) -> frozenset[_State]:
        result: set[_State] = set()
        for state in states:
            subgraph = self.subgraphs[state.subgraph]
            if runtime in subgraph.possible_types(abstract) and runtime in subgraph.types:
                result.add(_State(state.subgraph, state.provided))
                continue
            for index in self.jumps(abstract, state):
                other = self.subgraphs[index]
                if runtime in other.possible_types(abstract) and runtime in other.types:
                    result.add(_State(index))
        return frozenset(result)

    def provided_by(self, index: int, field: Field) -> frozenset[str]:
        text = self.infos[index].provides(field)
        if text is None:
            return frozenset()
        return frozenset(
            f.coordinate for f in collect_fields(self.subgraphs[index], field.type.named, text)
        )

    # -- reporting -------------------------------------------------------------------------------

    def report(
        self,
        kind: str,
        path: tuple[_Step, ...],
        type_name: str,
        field_name: str,
        states: frozenset[_State],
    ) -> None:
        coordinate = f"{type_name}.{field_name}"
        if coordinate in self.reported:
            return
        self.reported.add(coordinate)
        origins = {state.subgraph for state in states}
        reachable: set[int] = set(origins)
        for state in states:
            reachable.update(self.jumps(type_name, state))
        reasons: list[str] = []
        for index in sorted(reachable):
            found = self.explain(
                index, type_name, field_name, reachable if index in origins else None
            )
            name = self.subgraphs[index].name
            if len(found) == 1:
                reasons.append(f'- from subgraph "{name}": {found[0]}')
            else:
                reasons.append(f'- from subgraph "{name}":')
                reasons.extend(f"  - {r}" for r in found)
        operation = _print_operation(kind, path)
        involved = tuple(self.ctx.names[s.subgraph] for s in states)
        self.ctx.error(
            "SATISFIABILITY_ERROR",
            f"The following supergraph API query:\n{operation}\ncannot be satisfied by the "
            "subgraphs because:\n" + "\n".join(reasons),
            list(dict.fromkeys(involved)),
            coordinate,
        )

    def explain(
        self, index: int, type_name: str, field_name: str, reachable: set[int] | None
    ) -> list[str]:
        """Why subgraph ``index`` cannot give the field; with ``reachable`` (for subgraphs the
        path starts in), also why the other subgraphs having it cannot be reached."""
        coordinate = f"{type_name}.{field_name}"
        field = self.local_field(index, type_name, field_name)
        reasons: list[str] = []
        if field is None:
            reasons.append(f'cannot find field "{coordinate}".')
        elif self.infos[index].is_external(field):
            reasons.append(f'field "{coordinate}" is not resolvable because marked @external.')
        elif (index, coordinate) in self.unresolvable:
            taker = self.unresolvable[(index, coordinate)]
            reasons.append(
                f'field "{coordinate}" is not resolvable because it is overridden by subgraph '
                f'"{taker}".'
            )
        else:
            # Apollo's wording, typo included.
            reasons.append(f'cannot satisfy @require conditions on field "{coordinate}".')
        if reachable is None:
            return reasons
        for target, other in enumerate(self.subgraphs):
            if target in reachable or other.field(type_name, field_name) is None:
                continue
            reasons.append(self._jump_reason(index, target, other, type_name, coordinate))
        return reasons

    def _jump_reason(
        self, index: int, target: int, other: Subgraph, type_name: str, coordinate: str
    ) -> str:
        keys = self.infos[target].keys.get(type_name, [])
        if not keys:
            return (
                f'cannot move to subgraph "{other.name}", which has field "{coordinate}", because '
                f'type "{type_name}" has no @key defined in subgraph "{other.name}".'
            )
        resolvable = [k for k in keys if k.resolvable]
        if not resolvable:
            return (
                f'cannot move to subgraph "{other.name}", which has field "{coordinate}", because '
                f'none of the @key defined on type "{type_name}" in subgraph "{other.name}" are '
                'resolvable (they are all declared with their "resolvable" argument set to false).'
            )
        key = resolvable[0]
        if not self.can_provide(index, type_name, key.fields, frozenset()):
            name = self.subgraphs[index].name
            note = ""
            selected = collect_fields(self.subgraphs[index], type_name, key.fields)
            if any((index, f.coordinate) in self.unresolvable for f in selected):
                note = f' (note that some of those key fields are overridden in "{name}")'
            return (
                f'cannot move to subgraph "{other.name}" using @key(fields: "{key.fields}") of '
                f'"{type_name}", the key field(s) cannot be resolved from subgraph "{name}"{note}.'
            )
        return (
            f'cannot satisfy @requires conditions on field "{coordinate}" in subgraph '
            f'"{other.name}".'
        )


def _print_operation(kind: str, path: tuple[_Step, ...]) -> str:
    lines: list[str] = []
    prefix = "" if kind == "query" else f"{kind} "
    lines.append(prefix + "{")
    depth = 1
    for step in path:
        text = f"... on {step.text}" if step.is_fragment else step.text
        if step is path[-1]:
            lines.append("  " * depth + text)
        else:
            lines.append("  " * depth + text + " {")
            depth += 1
    for level in range(depth - 1, 0, -1):
        lines.append("  " * level + "}")
    lines.append("}")
    return "\n".join(lines)


def check_satisfiability(ctx: MergeContext, inaccessible: str | None = None) -> None:
    _Checker(ctx, inaccessible).run()
