"""Walk a validated operation and drop what a request may not see (Apollo Router's rules).

Rules, from "Authorization in the GraphOS Router" (Apollo docs):

- A field needs its own requirements, those of its parent type when selected at the root, and
  those of the type it returns (a type's requirements protect every field returning it).
- A field selected on an interface needs the requirements of that field on every
  implementation the position can hold (they combine with AND).
- A field returning an abstract type whose selection holds fields outside type-conditioned
  fragments needs the type requirements of every possible type ("the data returned could
  contain an instance of PrivateBlog"); fragments on concrete types are checked one by one, so
  a client can still ask for the types it may see.
- A fragment (inline or named) needs the requirements of its type condition (and, for an
  abstract condition with direct fields, of every possible type it narrows to).
- Introspection fields are never filtered ("authorization directives don't affect
  introspection").

A field or fragment that fails is removed and reported; a field left with an empty selection
is removed too (not reported again: its children were). A named fragment is filtered where it
is used (the outcome depends on the position); each selection set is walked once per position,
and a spread whose fragment lost fields points at a filtered copy (``F_1``) instead of being
inlined, so a document whose fragments are used many times stays as small as it came.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    get_named_type,
    visit,
)

from ..operation.normalize.inline import Never, conditions_of
from ..operation.normalize.model import Conditions
from ..operation.normalize.operation import select_operation
from ..supergraph.model import AuthRequirements
from .rules import AuthorizationRules

Path = tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class RemovedField:
    """A field the filtered operation no longer selects: the response shows it as ``null``."""

    path: Path
    """Response keys from the root to this field; list levels are omitted."""
    field_name: str
    parent_type: str
    """The type the field was selected on (an interface when selected through one)."""
    runtime_types: frozenset[str]
    """Concrete types of the parent object for which the field is nulled."""
    nullable: bool
    conditions: Conditions
    """``@skip``/``@include`` on the way to this field: all must pass for it to count."""
    reported: bool
    """Whether an error names this path (False: removed because all beneath it was)."""

    @property
    def response_key(self) -> str:
        return self.path[-1]


@dataclasses.dataclass(frozen=True, slots=True)
class Unauthorized:
    """One ``UNAUTHORIZED_FIELD_OR_TYPE`` error: a removed field, or a removed fragment (whose
    path is the position it was spread at)."""

    path: Path
    conditions: Conditions


@dataclasses.dataclass(frozen=True, slots=True)
class FilteredOperation:
    document: DocumentNode | None
    """``None`` when nothing at all is left."""
    removed: tuple[RemovedField, ...]
    unauthorized: tuple[Unauthorized, ...]


Allowed = Callable[[AuthRequirements], bool]


class OperationFilter:
    """One walk of one operation; ``allowed`` decides each set of requirements."""

    def __init__(self, rules: AuthorizationRules, allowed: Allowed) -> None:
        self.rules = rules
        self.allowed = allowed
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        self.removed: dict[RemovedField, None] = {}
        self.unauthorized: dict[Unauthorized, None] = {}
        self._walked: dict[
            tuple[int, str, frozenset[str], Path, Conditions], SelectionSetNode | None
        ] = {}
        self._narrowed: dict[int, FragmentDefinitionNode] = {}
        """Filtered copies of fragments, by the identity of their filtered selection set."""

    def run(self, document: DocumentNode, operation_name: str | None) -> FilteredOperation:
        operation = select_operation(document, operation_name)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        root = _root_type(self.rules, operation.operation)
        selection = self._selection_set(operation.selection_set, root, frozenset((root,)), (), ())
        removed, unauthorized = tuple(self.removed), tuple(self.unauthorized)
        if not (removed or unauthorized):
            return FilteredOperation(document, (), ())
        if selection is None:
            return FilteredOperation(None, removed, unauthorized)
        filtered = dataclasses.replace(operation, selection_set=selection)
        fragments = {
            **self.fragments,
            **{d.name.value: d for d in self._narrowed.values()},
        }
        kept = [fragments[name] for name in sorted(_referenced(filtered, fragments))]
        definitions = (_prune_variables(filtered, kept), *kept)
        return FilteredOperation(DocumentNode(definitions=definitions), removed, unauthorized)

    # -- walk -------------------------------------------------------------------------

    def _selection_set(
        self,
        node: SelectionSetNode,
        scope: str,
        runtime: frozenset[str],
        path: Path,
        conditions: Conditions,
    ) -> SelectionSetNode | None:
        """Walked once per (selection set, scope, position): a fragment spread several times
        at one position (``...F ...F``, chained) would otherwise be walked exponentially often.
        The memo holds ``node`` alive, so its id stays its own for the walk."""
        key = (id(node), scope, runtime, path, conditions)
        if key in self._walked:
            return self._walked[key]
        result = self._walk(node, scope, runtime, path, conditions)
        self._walked[key] = result
        return result

    def _walk(
        self,
        node: SelectionSetNode,
        scope: str,
        runtime: frozenset[str],
        path: Path,
        conditions: Conditions,
    ) -> SelectionSetNode | None:
        kept: list[SelectionNode] = []
        changed = False
        for selection in node.selections:
            result: SelectionNode | None
            if isinstance(selection, FieldNode):
                result = self._field(selection, scope, runtime, path, conditions)
            elif isinstance(selection, InlineFragmentNode):
                result = self._fragment(selection, scope, runtime, path, conditions)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                result = self._spread(selection, scope, runtime, path, conditions)
            changed = changed or result is not selection
            if result is not None:
                kept.append(result)
        if not kept:
            return None
        if not changed:
            return node
        return SelectionSetNode(selections=tuple(kept))

    def _field(
        self,
        node: FieldNode,
        scope: str,
        runtime: frozenset[str],
        path: Path,
        conditions: Conditions,
    ) -> FieldNode | None:
        name = node.name.value
        if name.startswith("__"):
            return node
        own = conditions_of(node.directives)
        if isinstance(own, Never):
            return None
        conditions = conditions + own
        rules = self.rules
        parent = rules.schema.get_type(scope)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        field_type = parent.fields[name].type
        returns = get_named_type(field_type).name
        requirements = [rules.field(scope, name), rules.type(returns)]
        if not path:
            requirements.append(rules.type(scope))
        if rules.is_abstract(scope):
            requirements.extend(rules.field(concrete, name) for concrete in runtime)
        selection_set = node.selection_set
        if selection_set and rules.is_abstract(returns) and _has_direct_fields(selection_set):
            requirements.extend(rules.type(t) for t in rules.possible(returns))
        field_path = (*path, node.alias.value if node.alias else name)
        if not self._allows(requirements):
            self._remove(node, scope, runtime, field_path, conditions, field_type, reported=True)
            return None
        if node.selection_set is None:
            return node
        selection = self._selection_set(
            node.selection_set, returns, rules.possible(returns), field_path, conditions
        )
        if selection is None:
            self._remove(node, scope, runtime, field_path, conditions, field_type, reported=False)
            return None
        if selection is node.selection_set:
            return node
        return dataclasses.replace(node, selection_set=selection)

    def _spread(
        self,
        node: FragmentSpreadNode,
        scope: str,
        runtime: frozenset[str],
        path: Path,
        conditions: Conditions,
    ) -> FragmentSpreadNode | None:
        """A spread stays a spread: of the fragment itself when nothing in it is removed, else
        of a filtered copy (one per filtered selection set). Inlining it instead would write a
        fragment used at many places out as a tree, exponential for chained fragments."""
        definition = self.fragments[node.name.value]
        inline = InlineFragmentNode(
            type_condition=definition.type_condition,
            directives=node.directives,
            selection_set=definition.selection_set,
        )
        result = self._fragment(inline, scope, runtime, path, conditions)
        if result is None:
            return None
        if result is inline:
            return node
        narrowed = self._narrowed.get(id(result.selection_set))
        if narrowed is None:
            taken = self.fragments.keys() | {d.name.value for d in self._narrowed.values()}
            number = len(self._narrowed) + 1
            while f"{definition.name.value}_{number}" in taken:
                number += 1
            narrowed = dataclasses.replace(
                definition,
                name=NameNode(value=f"{definition.name.value}_{number}"),
                selection_set=result.selection_set,
            )
            self._narrowed[id(result.selection_set)] = narrowed
        return dataclasses.replace(node, name=narrowed.name)

    def _fragment(
        self,
        node: InlineFragmentNode,
        scope: str,
        runtime: frozenset[str],
        path: Path,
        conditions: Conditions,
    ) -> InlineFragmentNode | None:
        own = conditions_of(node.directives)
        if isinstance(own, Never):
            return None
        conditions = conditions + own
        rules = self.rules
        condition = node.type_condition.name.value if node.type_condition else scope
        narrowed = runtime & rules.possible(condition) if node.type_condition else runtime
        requirements: list[AuthRequirements | None] = []
        if node.type_condition is not None:
            requirements.append(rules.type(condition))
            if rules.is_abstract(condition) and _has_direct_fields(node.selection_set):
                requirements.extend(rules.type(t) for t in narrowed)
        if not self._allows(requirements):
            self.unauthorized[Unauthorized(path, conditions)] = None
            return None
        selection = self._selection_set(node.selection_set, condition, narrowed, path, conditions)
        if selection is None:
            return None
        if selection is node.selection_set:
            return node
        return dataclasses.replace(node, selection_set=selection)

    def _allows(self, requirements: list[AuthRequirements | None]) -> bool:
        return all(self.allowed(r) for r in requirements if r is not None)

    def _remove(
        self,
        node: FieldNode,
        scope: str,
        runtime: frozenset[str],
        path: Path,
        conditions: Conditions,
        field_type: GraphQLOutputType,
        *,
        reported: bool,
    ) -> None:
        nullable = not isinstance(field_type, GraphQLNonNull)
        removed = RemovedField(
            path, node.name.value, scope, runtime, nullable, conditions, reported
        )
        self.removed[removed] = None
        if reported:
            self.unauthorized[Unauthorized(path, conditions)] = None


def _root_type(rules: AuthorizationRules, operation: OperationType) -> str:
    schema = rules.schema
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation]
    if root is None:
        raise ValueError(f"the schema has no {operation.value} type (validate first)")
    return root.name


def _has_direct_fields(node: SelectionSetNode) -> bool:
    """Fields other than ``__typename`` outside type-conditioned fragments."""
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value != "__typename":
                return True
        elif (
            isinstance(selection, InlineFragmentNode)
            and selection.type_condition is None
            and _has_direct_fields(selection.selection_set)
        ):
            return True
    return False


class _Usage(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.fragments: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.variables.add(node.name.value)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.fragments.add(node.name.value)


def _prune_variables(
    operation: OperationDefinitionNode, fragments: list[FragmentDefinitionNode]
) -> OperationDefinitionNode:
    """Drops definitions of variables the filtered operation no longer uses (a validator would
    refuse them) — extra values clients send are ignored by variable coercion."""
    usage = _Usage()
    visit(operation.selection_set, usage)
    for node in (*(operation.directives or ()), *fragments):
        visit(node, usage)
    definitions = tuple(
        d for d in operation.variable_definitions or () if d.variable.name.value in usage.variables
    )
    if len(definitions) == len(operation.variable_definitions or ()):
        return operation
    return dataclasses.replace(operation, variable_definitions=definitions)


def _referenced(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> set[str]:
    """Fragments still spread in the filtered operation, transitively."""
    found: set[str] = set()
    pending: list[object] = [operation]
    while pending:
        usage = _Usage()
        visit(pending.pop(), usage)  # type: ignore[arg-type]
        for name in usage.fragments - found:
            found.add(name)
            pending.append(fragments[name])
    return found
