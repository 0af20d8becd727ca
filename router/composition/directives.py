"""Directives that travel into the supergraph.

* Federation-owned "composed" specs: ``@tag``, ``@inaccessible``, ``@authenticated``,
  ``@requiresScopes``, ``@policy`` — added with their ``@link`` when some subgraph uses them;
  demand control's ``@cost``/``@listSize`` share one ``@link`` to the cost spec. Different
  arguments on one element merge as Apollo does: ``@cost`` keeps the highest weight,
  ``@listSize`` the highest ``assumedSize``, the union of ``slicingArguments``/``sizedFields``
  and the conjunction of ``requireOneSlicingArgument``.
* Custom directives listed in ``@composeDirective`` — added with their feature's ``@link``.
* GraphQL built-ins ``@deprecated`` and ``@specifiedBy``.
* Executable directive definitions, kept when every subgraph defines them (intersection).

Applications are merged per element after everything else (as Apollo does), except
``@inaccessible`` which is merged at once because other rules look at it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from itertools import product

from graphql import (
    BooleanValueNode,
    DirectiveDefinitionNode,
    IntValueNode,
    ListValueNode,
    StringValueNode,
    ValueNode,
)

from router.composition.context import MergeContext
from router.composition.merged import MArgument, MDirective, MDirectiveDefinition, MType
from router.composition.model import AppliedDirective, Subgraph
from router.composition.specs import (
    ACCESS_CONTROL,
    COST_DIRECTIVES,
    COST_SPEC_URL,
    FEDERATION_DIRECTIVE_ORDER,
    FROM_CONTEXT_DEFINITION,
    SUPERGRAPH_SPECS,
    Version,
)
from router.composition.typeref import from_node
from router.composition.values import print_string, print_value, value_key

EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)
_BUILTIN_MERGED: dict[str, dict[str, ValueNode]] = {
    "deprecated": {"reason": StringValueNode(value="No longer supported")},
    "specifiedBy": {},
}

DirectiveSources = list[tuple[int, list[AppliedDirective]]]
"""(subgraph index, directives applied to the element there)."""


@dataclass
class _Pending:
    names: list[str]
    sources: DirectiveSources
    dest: list[MDirective]
    coordinate: str


@dataclass
class _Composed:
    identity: str
    url: str
    version: Version
    imports: list[tuple[str, str]] = field(default_factory=list)
    """(name in feature, name in supergraph)."""


class DirectiveMerger:
    def __init__(self, ctx: MergeContext) -> None:
        self.ctx = ctx
        self.to_supergraph: list[dict[str, str]] = [{} for _ in ctx.subgraphs]
        """Per subgraph: local directive name -> supergraph name, for merged directives."""
        self.repeatable: dict[str, bool] = {"deprecated": False, "specifiedBy": False}
        self.defaults: dict[str, dict[str, ValueNode]] = dict(_BUILTIN_MERGED)
        self.inaccessible: str | None = None
        self.access_control: list[tuple[str, str]] = []
        """(spec name, supergraph name) of the authorization directives in use."""
        self.cost_names: dict[str, str] = {}
        """Supergraph name -> spec name (``cost``/``listSize``) of demand control's directives."""
        self.pending: list[_Pending] = []
        self.context: str | None = None
        """Supergraph name of `@context` when a subgraph uses it."""
        self.composed_definitions: dict[str, DirectiveDefinitionNode] = {}
        for index in range(len(ctx.subgraphs)):
            for name in _BUILTIN_MERGED:
                self.to_supergraph[index][name] = name

    # -- specs, links and definitions -------------------------------------------------------------

    def prepare(self) -> bool:
        """Pick the specs to link and add their definitions; False on errors."""
        ctx = self.ctx
        chosen: dict[str, str] = {}
        first_subgraph: dict[str, str] = {}
        for index, subgraph in enumerate(ctx.subgraphs):
            used = {d.name for d in subgraph.applications()}
            for name in FEDERATION_DIRECTIVE_ORDER:
                if name not in SUPERGRAPH_SPECS and name not in COST_DIRECTIVES:
                    continue
                local = subgraph.local(name)
                if local is None or local not in used:
                    continue
                existing = chosen.get(name)
                if existing is None:
                    chosen[name] = local
                    first_subgraph[name] = subgraph.name
                elif existing != local:
                    version = max(
                        subgraph.version,
                        ctx.subgraphs[ctx.names.index(first_subgraph[name])].version,
                    )
                    url = f"https://specs.apollo.dev/federation/v{version[0]}.{version[1]}"
                    ctx.error(
                        "LINK_IMPORT_NAME_MISMATCH",
                        f'The "@{name}" directive (from {url}) is imported with mismatched name '
                        f'between subgraphs: it is imported as "@{local}" in subgraph '
                        f'"{subgraph.name}" but "@{existing}" in subgraph "{first_subgraph[name]}"',
                        [first_subgraph[name], subgraph.name],
                    )
                    return False
                self.to_supergraph[index][local] = local
        for name, supergraph_name in chosen.items():
            if name in COST_DIRECTIVES:
                if not self.cost_names:
                    self._add_cost_spec(chosen)
            else:
                self._add_spec(name, supergraph_name)
        return self._prepare_composed()

    def _add_cost_spec(self, chosen: dict[str, str]) -> None:
        """One ``@link`` to the cost spec and both its definitions (see the module docstring)."""
        imports: list[str] = []
        for name in COST_DIRECTIVES:
            local = chosen.get(name)
            if local is None or local == "cost":
                continue
            entry = f'{{name: "@{name}", as: "@{local}"}}'
            imports.append(print_string("@" + name) if local == name else entry)
        args = [("url", print_string(COST_SPEC_URL))]
        if imports:
            args.append(("import", f"[{', '.join(imports)}]"))
        self.ctx.schema.links.append(MDirective("link", args))
        for name, definition in COST_DIRECTIVES.items():
            supergraph_name = chosen.get(name, name if name == "cost" else f"cost__{name}")
            self.ctx.schema.directives[supergraph_name] = MDirectiveDefinition(
                supergraph_name, [], printed=definition.format(name=supergraph_name)
            )
            self.cost_names[supergraph_name] = name
            self.repeatable[supergraph_name] = False
            self.defaults[supergraph_name] = (
                {"requireOneSlicingArgument": BooleanValueNode(value=True)}
                if name == "listSize"
                else {}
            )

    def _add_spec(self, name: str, supergraph_name: str) -> None:
        spec = SUPERGRAPH_SPECS[name]
        args = [("url", print_string(spec.url))]
        if supergraph_name != name:
            args.append(("import", f'[{{name: "@{name}", as: "@{supergraph_name}"}}]'))
        if spec.purpose:
            args.append(("for", spec.purpose))
        self.ctx.schema.links.append(MDirective("link", args))
        printed = spec.directive_definition.format(name=supergraph_name, prefix=spec.name)
        self.ctx.schema.directives[supergraph_name] = MDirectiveDefinition(
            supergraph_name, [], printed=printed
        )
        for type_text in spec.types:
            text = type_text.format(prefix=spec.name)
            self.ctx.schema.fixed_types[text.split()[1]] = text
        self.repeatable[supergraph_name] = name in ("tag", "context")
        if name == "context":
            self.context = supergraph_name
            text = FROM_CONTEXT_DEFINITION.format(prefix=spec.name)
            self.ctx.schema.directives[f"{spec.name}__fromContext"] = MDirectiveDefinition(
                f"{spec.name}__fromContext", [], printed=text
            )
        self.defaults[supergraph_name] = {}
        if name == "inaccessible":
            self.inaccessible = supergraph_name
            self.ctx.inaccessible = supergraph_name
        if name in ACCESS_CONTROL:
            self.access_control.append((name, supergraph_name))

    def _prepare_composed(self) -> bool:
        ctx = self.ctx
        features: dict[str, _Composed] = {}
        ok = True
        for index, subgraph in enumerate(ctx.subgraphs):
            for local in subgraph.composed:
                if local in subgraph.names.values() or local in _BUILTIN_MERGED:
                    ctx.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Composing federation directive "@{local}" in subgraph "{subgraph.name}" '
                        "is not supported",
                        [subgraph.name],
                    )
                    ok = False
                    continue
                found = self._feature_of(subgraph, local)
                if found is None:
                    ctx.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Directive "@{local}" in subgraph "{subgraph.name}" cannot be composed '
                        "because it is not a member of a core feature",
                        [subgraph.name],
                    )
                    ok = False
                    continue
                definition = subgraph.directive_defs.get(local)
                if definition is None:
                    ctx.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        "Could not find matching directive definition for argument to "
                        f'@composeDirective "@{local}" in subgraph "{subgraph.name}".',
                        [subgraph.name],
                    )
                    ok = False
                    continue
                identity, url, version, in_feature = found
                feature = features.get(identity)
                if feature is None:
                    feature = features[identity] = _Composed(identity, url, version)
                elif version[0] != feature.version[0]:
                    ctx.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Core feature "{identity}" requested to be merged has major version '
                        "mismatch across subgraphs",
                        [subgraph.name],
                    )
                    ok = False
                    continue
                elif version > feature.version:
                    feature.url, feature.version = url, version
                if (in_feature, local) not in feature.imports:
                    feature.imports.append((in_feature, local))
                previous = self.composed_definitions.get(local)
                if previous is None or version >= feature.version:
                    self.composed_definitions[local] = definition
                self.to_supergraph[index][local] = local
                self.repeatable[local] = definition.repeatable
                self.defaults[local] = {
                    a.name.value: a.default_value
                    for a in definition.arguments or ()
                    if a.default_value is not None
                }
        for feature in features.values():
            imports = ", ".join(
                print_string("@" + local)
                if in_feature == local
                else f'{{name: "@{in_feature}", as: "@{local}"}}'
                for in_feature, local in feature.imports
            )
            self.ctx.schema.links.append(
                MDirective("link", [("url", print_string(feature.url)), ("import", f"[{imports}]")])
            )
        return ok

    @staticmethod
    def _feature_of(subgraph: Subgraph, local: str) -> tuple[str, str, Version, str] | None:
        for link in subgraph.links:
            for in_feature, imported in link.imports.items():
                if imported == local:
                    return link.identity, link.url, link.version, in_feature
            prefix = (link.alias or link.name) + "__"
            if local.startswith(prefix):
                return link.identity, link.url, link.version, local[len(prefix) :]
        return None

    def add_composed_definitions(self) -> None:
        for name, node in self.composed_definitions.items():
            definition = MDirectiveDefinition(
                name,
                [loc.value for loc in node.locations],
                node.repeatable,
                description=node.description.value if node.description else None,
            )
            for arg in node.arguments or ():
                definition.args[arg.name.value] = MArgument(
                    arg.name.value,
                    from_node(arg.type),
                    print_value(arg.default_value) if arg.default_value is not None else None,
                    arg.description.value if arg.description else None,
                )
            self.ctx.schema.directives[name] = definition

    def merge_executable_definitions(self) -> None:
        """Executable directives survive when all subgraphs define them (intersection)."""
        ctx = self.ctx
        names: list[str] = []
        for subgraph in ctx.subgraphs:
            for name, node in subgraph.directive_defs.items():
                if name in self.composed_definitions or name in names:
                    continue
                if any(loc.value in EXECUTABLE_LOCATIONS for loc in node.locations):
                    names.append(name)
        for name in names:
            sources = [s.directive_defs.get(name) for s in ctx.subgraphs]
            present = [s for s in sources if s is not None]
            missing = [ctx.names[i] for i, s in enumerate(sources) if s is None]
            if missing:
                having = [ctx.names[i] for i, s in enumerate(sources) if s is not None]
                ctx.hint(
                    "INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE",
                    f'Executable directive "@{name}" will not be part of the supergraph as it does '
                    f"not appear in all subgraphs: it is defined in {_subgraphs(having)} but "
                    "not in "
                    f"{_subgraphs(missing)}.",
                    having + missing,
                )
                continue
            location_sets = [
                sorted(loc.value for loc in node.locations if loc.value in EXECUTABLE_LOCATIONS)
                for node in present
            ]
            locations = [loc for loc in location_sets[0] if all(loc in s for s in location_sets)]
            if not locations:
                ctx.hint(
                    "NO_EXECUTABLE_DIRECTIVE_LOCATIONS_INTERSECTION",
                    f'Executable directive "@{name}" has no location that is common to all '
                    "subgraphs.",
                    ctx.names,
                )
                continue
            if any(s != location_sets[0] for s in location_sets):
                ctx.hint(
                    "INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS",
                    f'Executable directive "@{name}" has inconsistent locations across subgraphs '
                    f'and will use locations "{", ".join(locations)}" (intersection of all '
                    "subgraphs) in the supergraph.",
                    ctx.names,
                )
            repeatable = all(node.repeatable for node in present)
            if repeatable != any(node.repeatable for node in present):
                ctx.hint(
                    "INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE",
                    f'Executable directive "@{name}" will not be marked repeatable in the '
                    "supergraph as it is inconsistently marked repeatable in subgraphs.",
                    ctx.names,
                )
            original_order = [loc.value for loc in present[0].locations]
            ordered = [loc for loc in original_order if loc in locations]
            definition = MDirectiveDefinition(name, ordered, repeatable)
            descriptions = [n.description.value for n in present if n.description is not None]
            if descriptions:
                definition.description = max(set(descriptions), key=descriptions.count)
            arg_names: list[str] = []
            for node in present:
                for arg in node.arguments or ():
                    if arg.name.value not in arg_names:
                        arg_names.append(arg.name.value)
            for arg_name in arg_names:
                arg_nodes = [
                    next((a for a in node.arguments or () if a.name.value == arg_name), None)
                    for node in present
                ]
                if any(a is None for a in arg_nodes):
                    continue
                first = arg_nodes[0]
                assert first is not None
                definition.args[arg_name] = MArgument(
                    arg_name,
                    from_node(first.type),
                    print_value(first.default_value) if first.default_value is not None else None,
                )
            ctx.schema.directives[name] = definition

    # -- applications ------------------------------------------------------------------------------

    def supergraph_name(self, index: int, local: str) -> str | None:
        return self.to_supergraph[index].get(local)

    def is_merged(self, index: int, directive: AppliedDirective) -> bool:
        return directive.name in self.to_supergraph[index]

    def gather_names(self, sources: DirectiveSources) -> list[str]:
        names: list[str] = []
        for index, directives in sources:
            for directive in directives:
                name = self.supergraph_name(index, directive.name)
                if name is not None and name not in names:
                    names.append(name)
        return names

    def record(
        self,
        sources: DirectiveSources,
        dest: list[MDirective],
        coordinate: str,
        extra_access_control: dict[str, DirectiveSources] | None = None,
    ) -> None:
        names = self.gather_names(sources)
        if self.inaccessible is not None and self.inaccessible in names:
            self.merge(self.inaccessible, sources, dest, coordinate)
            names.remove(self.inaccessible)
        if extra_access_control is not None:
            for spec_name, supergraph_name in self.access_control:
                extra = extra_access_control.get(spec_name, [])
                if supergraph_name in names or extra:
                    self.pending.append(
                        _Pending([supergraph_name], sources + extra, dest, coordinate)
                    )
                if supergraph_name in names:
                    names.remove(supergraph_name)
        self.pending.append(_Pending(names, sources, dest, coordinate))

    def merge_all(self, attached: set[int]) -> None:
        for pending in self.pending:
            if id(pending.dest) not in attached:
                continue
            for name in pending.names:
                self.merge(name, pending.sources, pending.dest, pending.coordinate)
        self.pending = []

    def merge(
        self, name: str, sources: DirectiveSources, dest: list[MDirective], coordinate: str
    ) -> None:
        per_source: list[tuple[int, list[AppliedDirective]]] = []
        for index, directives in sources:
            matching = [d for d in directives if self.supergraph_name(index, d.name) == name]
            if matching:
                per_source.append((index, matching))
        if not per_source:
            return
        if self.repeatable.get(name, False):
            seen: list[Hashable] = []
            for index, matching in per_source:
                if name == self.context:
                    # A context is named per subgraph in the supergraph (`shop__store`).
                    for directive in matching:
                        value = directive.args.get("name")
                        local = value.value if isinstance(value, StringValueNode) else ""
                        qualified = f"{self.ctx.names[index]}__{local}"
                        dest.append(MDirective(name, [("name", print_string(qualified))]))
                    continue
                for directive in matching:
                    key = self._key(name, directive)
                    if key not in seen:
                        seen.append(key)
                        dest.append(_to_merged(name, directive))
            return
        distinct: list[AppliedDirective] = []
        keys: list[Hashable] = []
        counts: list[int] = []
        for _, matching in per_source:
            key = self._key(name, matching[0])
            if key in keys:
                counts[keys.index(key)] += 1
            else:
                keys.append(key)
                counts.append(1)
                distinct.append(matching[0])
        if len(distinct) == 1:
            dest.append(_to_merged(name, distinct[0]))
            return
        spec_name = next((s for s, n in self.access_control if n == name), None)
        if spec_name in ("requiresScopes", "policy"):
            arg = "scopes" if spec_name == "requiresScopes" else "policies"
            values = [_nested_strings(d.args.get(arg)) for d in distinct]
            merged = dnf_conjunction(values)
            printed = (
                "["
                + ", ".join(
                    "[" + ", ".join(print_string(v) for v in inner) + "]" for inner in merged
                )
                + "]"
            )
            dest.append(MDirective(name, [(arg, printed)]))
            self.ctx.hint(
                "MERGED_NON_REPEATABLE_DIRECTIVE_ARGUMENTS",
                f'Directive @{name} is applied to "{coordinate}" in multiple subgraphs with '
                f"different arguments. Merging strategies used by arguments: {{ {arg}: "
                "DNF_CONJUNCTION }",
                [],
                coordinate,
            )
            return
        cost_name = self.cost_names.get(name)
        if cost_name is not None:
            merged_args, strategies = _merge_cost(cost_name, distinct)
            dest.append(MDirective(name, merged_args))
            self.ctx.hint(
                "MERGED_NON_REPEATABLE_DIRECTIVE_ARGUMENTS",
                f'Directive @{name} is applied to "{coordinate}" in multiple subgraphs with '
                f"different arguments. Merging strategies used by arguments: {{ {strategies} }}",
                [],
                coordinate,
            )
            return
        best = counts.index(max(counts))
        dest.append(_to_merged(name, distinct[best]))
        self.ctx.hint(
            "INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS",
            f'Non-repeatable directive @{name} is applied to "{coordinate}" in multiple subgraphs '
            "but with incompatible arguments.",
            [],
            coordinate,
        )

    def _key(self, name: str, directive: AppliedDirective) -> Hashable:
        args = dict(self.defaults.get(name, {}))
        args.update(directive.args)
        return frozenset((k, value_key(v)) for k, v in args.items())

    # -- access control propagation ----------------------------------------------------------------

    def access_control_sources(self) -> dict[str, DirectiveSources]:
        """Extra sources for ``@authenticated``/``@requiresScopes``/``@policy`` by
        ``"<coordinate>_<spec name>"``: objects and their fields propagate up to the interfaces
        they implement; ``@interfaceObject`` fields propagate down to the implementations."""
        ctx = self.ctx
        out: dict[str, DirectiveSources] = {}
        if not self.access_control:
            return out
        implementations: dict[str, set[str]] = {}
        interfaces_of: dict[str, set[str]] = {}
        for merged in ctx.schema.types.values():
            if merged.kind == "INTERFACE":
                implementations[merged.name] = set(ctx.possible_runtime_types(merged.name))
                for implementation in implementations[merged.name]:
                    interfaces_of.setdefault(implementation, set()).add(merged.name)
        for index, subgraph in enumerate(ctx.subgraphs):
            info = ctx.infos[index]
            for spec_name, _ in self.access_control:
                local = subgraph.local(spec_name)
                if local is None:
                    continue
                for type_def in subgraph.types.values():
                    if type_def.kind != "OBJECT":
                        continue
                    applied = [d for d in type_def.directives if d.name == local]
                    if applied:
                        for interface in interfaces_of.get(type_def.name, ()):
                            out.setdefault(f"{interface}_{spec_name}", []).append((index, applied))
                    is_itf_object = subgraph.is_interface_object(type_def.name)
                    for field_def in type_def.fields.values():
                        field_applied = [d for d in field_def.directives if d.name == local]
                        if not field_applied or info.is_external(field_def):
                            continue
                        if is_itf_object:
                            others: set[str] = set()
                            for implementation in implementations.get(type_def.name, ()):
                                key = f"{implementation}.{field_def.name}_{spec_name}"
                                out.setdefault(key, []).append((index, field_applied))
                                others |= interfaces_of.get(implementation, set()) - {type_def.name}
                            for interface in others:
                                key = f"{interface}.{field_def.name}_{spec_name}"
                                out.setdefault(key, []).append((index, field_applied))
                        else:
                            for interface in interfaces_of.get(type_def.name, ()):
                                key = f"{interface}.{field_def.name}_{spec_name}"
                                out.setdefault(key, []).append((index, field_applied))
        return out


def _to_merged(name: str, directive: AppliedDirective) -> MDirective:
    return MDirective(name, [(k, print_value(v)) for k, v in directive.args.items()])


def _merge_cost(
    spec_name: str, directives: list[AppliedDirective]
) -> tuple[list[tuple[str, str]], str]:
    """Differing ``@cost``/``@listSize`` applications merged (printed arguments, strategies)."""
    if spec_name == "cost":
        weights = [_int(d.args.get("weight")) for d in directives]
        return [("weight", str(max(w for w in weights if w is not None)))], "weight: MAX"
    args: list[tuple[str, str]] = []
    sizes = [s for s in (_int(d.args.get("assumedSize")) for d in directives) if s is not None]
    if sizes:
        args.append(("assumedSize", str(max(sizes))))
    for arg in ("slicingArguments", "sizedFields"):
        given = [d.args[arg] for d in directives if arg in d.args]
        if given:
            union: list[str] = []
            for value in given:
                for item in value.values if isinstance(value, ListValueNode) else ():
                    if isinstance(item, StringValueNode) and item.value not in union:
                        union.append(item.value)
            args.append((arg, "[" + ", ".join(print_string(v) for v in union) + "]"))
    required = all(
        not isinstance(v := d.args.get("requireOneSlicingArgument"), BooleanValueNode) or v.value
        for d in directives
    )
    args.append(("requireOneSlicingArgument", "true" if required else "false"))
    strategies = (
        "assumedSize: NULLABLE_MAX, slicingArguments: NULLABLE_UNION, sizedFields: "
        "NULLABLE_UNION, requireOneSlicingArgument: NULLABLE_AND"
    )
    return args, strategies


def _int(value: ValueNode | None) -> int | None:
    return int(value.value) if isinstance(value, IntValueNode) else None


def _nested_strings(value: ValueNode | None) -> list[list[str]]:
    out: list[list[str]] = []
    if isinstance(value, ListValueNode):
        for inner in value.values:
            if isinstance(inner, ListValueNode):
                out.append([v.value for v in inner.values if isinstance(v, StringValueNode)])
    return out


def dnf_conjunction(values: list[list[list[str]]]) -> list[list[str]]:
    """AND of several OR-of-ANDs requirement lists, simplified (Apollo's DNF_CONJUNCTION)."""
    if not values:
        return []
    normalized: list[list[list[str]]] = []
    for value in values:
        clauses = sorted({tuple(sorted(set(c))) for c in value} or {()})
        as_lists = [list(c) for c in clauses]
        if as_lists not in normalized:
            normalized.append(as_lists)
    result = normalized[0]
    for current in normalized[1:]:
        combined: list[list[str]] = []
        for left, right in product(result, current):
            candidate = sorted(set(left) | set(right))
            if candidate not in combined:
                combined.append(candidate)
        result = [c for c in combined if not any(o != c and set(o) <= set(c) for o in combined)]
    return result


def _subgraphs(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return f"subgraph {quoted[0]}"
    return "subgraphs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def attached_lists(types: dict[str, MType]) -> set[int]:
    """ids of the directive lists still in the supergraph (removed elements are skipped)."""
    ids: set[int] = set()
    for type_def in types.values():
        ids.add(id(type_def.directives))
        for field_def in type_def.fields.values():
            ids.add(id(field_def.directives))
            for arg in field_def.args.values():
                ids.add(id(arg.directives))
        for value in type_def.values.values():
            ids.add(id(value.directives))
    return ids
