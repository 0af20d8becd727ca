"""Merging fields, arguments and input fields, and the ``@join__field`` they get.

Output fields: union across subgraphs; types must agree up to subtyping (the supergraph takes
the most general type); a field resolved by several subgraphs must be ``@shareable`` in all of
them; ``@external`` declarations do not count as definitions; ``@override`` moves ownership.
Arguments and input fields: intersection; the supergraph takes the most restrictive type;
defaults must agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql import StringValueNode

from router.composition.context import EnumUsage, MergeContext
from router.composition.directives import DirectiveMerger, DirectiveSources
from router.composition.errors import join_strings, mismatch_message, subgraph_list
from router.composition.merged import MArgument, MDirective, MField
from router.composition.model import Argument, Field
from router.composition.typeref import TypeRef
from router.composition.values import print_string, print_value

_LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:./]*$")
_PERCENT = re.compile(r"^percent\((\d{1,2}(\.\d{1,8})?|100)\)$")
_CONTEXT_FIELD = re.compile(r"^\s*\$(\w+)(.*)$", re.DOTALL)
"""`@fromContext(field: "$store { currency }")`: the context's name, then the selection."""


@dataclass
class OverrideState:
    """Per-subgraph outcome of ``@override`` for one field (Apollo's FieldMergeContext)."""

    used_overridden: set[int] = field(default_factory=set)
    unused_overridden: set[int] = field(default_factory=set)
    unknown_target: set[int] = field(default_factory=set)
    labels: dict[int, str] = field(default_factory=dict)


class FieldMerger:
    def __init__(self, ctx: MergeContext, directives: DirectiveMerger) -> None:
        self.ctx = ctx
        self.directives = directives
        self.access_control: dict[str, DirectiveSources] = {}

    # -- helpers ---------------------------------------------------------------------------------

    def is_external(self, index: int, field_def: Field) -> bool:
        return self.ctx.infos[index].is_external(field_def)

    def interface_object_fields(self, dest: MField, index: int) -> list[Field]:
        """Stand-ins for ``dest`` through ``@interfaceObject`` types of subgraph ``index``
        (only when the subgraph lacks the object type itself)."""
        ctx = self.ctx
        parent = ctx.schema.types.get(dest.parent)
        subgraph = ctx.subgraphs[index]
        if parent is None or parent.kind != "OBJECT" or dest.parent in subgraph.types:
            return []
        found: list[Field] = []
        for interface in parent.interfaces:
            merged_interface = ctx.schema.types.get(interface)
            if merged_interface is None or dest.name not in merged_interface.fields:
                continue
            local = subgraph.types.get(interface)
            if local is None or local.kind != "OBJECT":
                continue
            candidate = local.fields.get(dest.name)
            if candidate is not None:
                found.append(candidate)
        return found

    # -- @override --------------------------------------------------------------------------------

    def validate_override(self, sources: list[Field | None], dest: MField) -> OverrideState:
        ctx = self.ctx
        state = OverrideState()
        with_override: list[int] = []
        for index, source in enumerate(sources):
            if source is not None and ctx.infos[index].override(source) is not None:
                with_override.append(index)
        names_with_override = {ctx.names[i] for i in with_override}
        for index in with_override:
            source = sources[index]
            assert source is not None
            subgraph = ctx.names[index]
            override = ctx.infos[index].override(source)
            assert override is not None
            source_name, label = override
            parent = ctx.subgraphs[index].types[source.parent]
            if parent.kind == "INTERFACE":
                ctx.error(
                    "OVERRIDE_ON_INTERFACE",
                    f'@override cannot be used on field "{dest.coordinate}" on subgraph '
                    f'"{subgraph}": @override is not supported on interface type fields.',
                    [subgraph],
                    dest.coordinate,
                )
                continue
            if ctx.subgraphs[index].is_interface_object(source.parent):
                ctx.error(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    "@override is not yet supported on fields of @interfaceObject types: cannot be "
                    f'used on field "{dest.coordinate}" on subgraph "{subgraph}".',
                    [subgraph],
                    dest.coordinate,
                )
                continue
            if source_name not in ctx.names:
                state.unknown_target.add(index)
                ctx.hint(
                    "FROM_SUBGRAPH_DOES_NOT_EXIST",
                    f'Source subgraph "{source_name}" for field "{dest.coordinate}" on subgraph '
                    f'"{subgraph}" does not exist.',
                    [subgraph],
                    dest.coordinate,
                )
                continue
            if source_name == subgraph:
                ctx.error(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'Source and destination subgraphs "{source_name}" are the same for overridden '
                    f'field "{dest.coordinate}"',
                    [subgraph],
                    dest.coordinate,
                )
                continue
            if source_name in names_with_override:
                ctx.error(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{dest.coordinate}" on subgraph "{subgraph}" is also marked with '
                    f'directive @override in subgraph "{source_name}". Only one @override '
                    "directive is allowed per field.",
                    [subgraph, source_name],
                    dest.coordinate,
                )
                continue
            from_index = ctx.names.index(source_name)
            from_field = sources[from_index]
            if from_field is None:
                if self.interface_object_fields(dest, from_index):
                    ctx.error(
                        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                        f'Invalid @override on field "{dest.coordinate}" of subgraph "{subgraph}": '
                        f'source subgraph "{source_name}" does not have field "{dest.coordinate}" '
                        "but abstract it in an @interfaceObject and overriding abstracted fields "
                        "is not supported.",
                        [subgraph, source_name],
                        dest.coordinate,
                    )
                    continue
                ctx.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f'Field "{dest.coordinate}" on subgraph "{subgraph}" no longer exists in the '
                    "from subgraph. The @override directive can be removed.",
                    [subgraph],
                    dest.coordinate,
                )
                continue
            from_info = ctx.infos[from_index]
            conflict: tuple[str, str] | None = None
            if from_info.requires(from_field) is not None:
                conflict = ("requires", source_name)
            elif from_info.provides(from_field) is not None:
                conflict = ("provides", source_name)
            elif self.is_external(index, source):
                conflict = ("external", subgraph)
            if conflict is not None:
                ctx.error(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'@override cannot be used on field "{dest.coordinate}" on subgraph '
                    f'"{subgraph}" since "{dest.coordinate}" on "{conflict[1]}" is marked with '
                    f'directive "@{conflict[0]}"',
                    [subgraph, source_name],
                    dest.coordinate,
                )
                continue
            referenced = from_info.is_used(from_field)
            if self.is_external(from_index, from_field):
                ctx.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f'Field "{dest.coordinate}" on subgraph "{subgraph}" is not resolved '
                    "anymore by "
                    f'the from subgraph (it is marked "@external" in "{source_name}"). The '
                    "@override directive can be removed.",
                    [subgraph],
                    dest.coordinate,
                )
            elif referenced:
                state.used_overridden.add(from_index)
                if label is None:
                    ctx.hint(
                        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                        f'Field "{dest.coordinate}" on subgraph "{source_name}" is '
                        "overridden. It is "
                        "still used in some federation directive(s) (@key, @requires, and/or "
                        "@provides) and/or to satisfy interface constraint(s), but consider "
                        "marking it @external explicitly or removing it along with its references.",
                        [source_name],
                        dest.coordinate,
                    )
            else:
                state.unused_overridden.add(from_index)
                if label is None:
                    ctx.hint(
                        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                        f'Field "{dest.coordinate}" on subgraph "{source_name}" is overridden. '
                        "Consider removing it.",
                        [source_name],
                        dest.coordinate,
                    )
            if label is not None:
                valid = bool(_LABEL.match(label))
                percent = _PERCENT.match(label)
                if percent is not None and 0 <= float(percent.group(1)) <= 100:
                    valid = True
                if valid:
                    state.labels[index] = label
                    state.labels[from_index] = label
                else:
                    ctx.error(
                        "OVERRIDE_LABEL_INVALID",
                        f'Invalid @override label "{label}" on field "{dest.coordinate}" on '
                        f'subgraph "{subgraph}": labels must start with a letter and after '
                        "that may "
                        "contain alphanumerics, underscores, minuses, colons, periods, or slashes. "
                        'Alternatively, labels may be of the form "percent(x)" where x is a float '
                        "between 0-100 inclusive.",
                        [subgraph],
                        dest.coordinate,
                    )
                ctx.hint(
                    "OVERRIDE_MIGRATION_IN_PROGRESS",
                    f'Field "{dest.coordinate}" is currently being migrated with progressive '
                    f"@override. Once the migration is complete, remove the field from subgraph "
                    f'"{source_name}".',
                    [source_name],
                    dest.coordinate,
                )
        return state

    # -- output fields ----------------------------------------------------------------------------

    def merge_field(self, sources: list[Field | None], dest: MField, state: OverrideState) -> None:
        ctx = self.ctx
        every_external = True
        for index, source in enumerate(sources):
            if source is None:
                stand_ins = self.interface_object_fields(dest, index)
                every_external = every_external and all(
                    self.is_external(index, f) for f in stand_ins
                )
            else:
                every_external = every_external and self.is_external(index, source)
            if not every_external:
                break
        if every_external:
            defining = [ctx.names[i] for i, s in enumerate(sources) if s is not None]
            ctx.error(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{dest.coordinate}" is marked @external on all the subgraphs in which '
                "it is "
                f"listed ({subgraph_list(defining)}).",
                defining,
                dest.coordinate,
            )
            return
        without_external: list[Field | None] = []
        for index, source in enumerate(sources):
            if source is None or not self.is_external(index, source):
                without_external.append(source)
                continue
            without_external.append(None)
            for directive in source.directives:
                if (
                    self.directives.is_merged(index, directive)
                    and directive.name
                    not in (
                        "deprecated",
                        "specifiedBy",
                    )
                ) or directive.name in self.directives.composed_definitions:
                    ctx.error(
                        "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
                        f"[{ctx.names[index]}] Cannot apply merged directive @{directive.name} to "
                        f'external field "{source.coordinate}"',
                        [ctx.names[index]],
                        source.coordinate,
                    )
        has_definition = any(s is not None for s in without_external)
        if has_definition:
            dest.description = self.merge_description(
                [s.description if s else None for s in without_external], dest.coordinate
            )
            self.directives.record(
                _directive_sources(without_external),
                dest.directives,
                dest.coordinate,
                self._access_control_for(dest.coordinate),
            )
            self.merge_arguments(without_external, dest)
        all_equal = self.merge_type(
            [s.type if s else None for s in (without_external if has_definition else sources)],
            dest,
            dest.coordinate,
            is_input=False,
            is_argument=False,
        )
        if any(s is not None and self.is_external(i, s) for i, s in enumerate(sources)):
            self.validate_external_fields(sources, dest, all_equal)
        self.add_join_field(sources, dest, all_equal, state)

    def _access_control_for(self, coordinate: str) -> dict[str, DirectiveSources]:
        return {
            spec: self.access_control.get(f"{coordinate}_{spec}", [])
            for spec, _ in self.directives.access_control
        }

    def validate_field_sharing(
        self, sources: list[Field | None], dest: MField, state: OverrideState
    ) -> None:
        ctx = self.ctx
        shareable: list[str] = []
        non_shareable: list[tuple[str, int]] = []
        resolving: list[str] = []

        def categorize(index: int, label: str, field_def: Field) -> None:
            info = ctx.infos[index]
            if info.is_fully_external(field_def):
                return
            resolving.append(label)
            if info.is_shareable(field_def):
                shareable.append(label)
            else:
                non_shareable.append((label, index))

        for index, source in enumerate(sources):
            label = f'"{ctx.names[index]}"'
            if source is None:
                for stand_in in self.interface_object_fields(dest, index):
                    categorize(
                        index,
                        f'{label} (through @interfaceObject field "{stand_in.coordinate}")',
                        stand_in,
                    )
                continue
            if index in state.used_overridden or index in state.unused_overridden:
                continue
            categorize(index, label, source)
        if non_shareable and (shareable or len(non_shareable) > 1):

            def listing(labels: list[str]) -> str:
                if len(labels) == 1:
                    return f"subgraph {labels[0]}"
                return "subgraphs " + join_strings(labels)

            non_shareables = (
                listing([label for label, _ in non_shareable]) if shareable else "all of them"
            )
            extra = ""
            targetless = next((lbl for lbl, i in non_shareable if i in state.unknown_target), None)
            if targetless is not None:
                extra = (
                    f' (please note that "{dest.coordinate}" has an @override directive in '
                    f"{targetless} that targets an unknown subgraph so this could be due to "
                    "misspelling the @override(from:) argument)"
                )
            involved = [ctx.names[i] for i, s in enumerate(sources) if s is not None]
            ctx.error(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{dest.coordinate}" is resolved from multiple '
                "subgraphs: it is "
                f"resolved from {listing(resolving)} and defined as non-shareable in "
                f"{non_shareables}{extra}",
                involved,
                dest.coordinate,
            )

    def validate_external_fields(
        self, sources: list[Field | None], dest: MField, all_equal: bool
    ) -> None:
        ctx = self.ctx
        bad_type = False
        missing_args: list[str] = []
        bad_arg_types: list[str] = []
        bad_defaults: list[str] = []
        for index, source in enumerate(sources):
            if source is None or not self.is_external(index, source):
                continue
            if not (
                source.type == dest.type
                or (not all_equal and ctx.is_strict_subtype(dest.type, source.type))
            ):
                bad_type = True
            for arg_name, dest_arg in dest.args.items():
                arg = source.args.get(arg_name)
                if arg is None:
                    if arg_name not in missing_args:
                        missing_args.append(arg_name)
                    continue
                if arg.type != dest_arg.type and not ctx.is_strict_subtype(arg.type, dest_arg.type):
                    bad_arg_types.append(arg_name)
                default = print_value(arg.default) if arg.default is not None else None
                if default != dest_arg.default:
                    bad_defaults.append(arg_name)
        names = ctx.names
        if bad_type:
            values = [f'type "{s.type}"' if s is not None else None for s in sources]
            ctx.error(
                "EXTERNAL_TYPE_MISMATCH",
                mismatch_message(
                    f'Type of field "{dest.coordinate}" is incompatible across subgraphs (where '
                    "marked @external): it has ",
                    names,
                    values,
                    f'type "{dest.type}"',
                ),
                [n for n, v in zip(names, values, strict=True) if v],
                dest.coordinate,
            )
        for arg_name in missing_args:
            ctx.error(
                "EXTERNAL_ARGUMENT_MISSING",
                f'Field "{dest.coordinate}" is missing argument '
                f'"{dest.coordinate}({arg_name}:)" in '
                "some subgraphs where it is marked @external.",
                [names[i] for i, s in enumerate(sources) if s is not None],
                dest.coordinate,
            )
        for arg_name in dict.fromkeys(bad_arg_types):
            ctx.error(
                "EXTERNAL_ARGUMENT_TYPE_MISMATCH",
                f'Type of argument "{dest.coordinate}({arg_name}:)" is incompatible across '
                f'subgraphs (where "{dest.coordinate}" is marked @external).',
                [names[i] for i, s in enumerate(sources) if s is not None],
                dest.coordinate,
            )
        for arg_name in dict.fromkeys(bad_defaults):
            ctx.error(
                "EXTERNAL_ARGUMENT_DEFAULT_MISMATCH",
                f'Argument "{dest.coordinate}({arg_name}:)" has incompatible defaults across '
                f'subgraphs (where "{dest.coordinate}" is marked @external).',
                [names[i] for i, s in enumerate(sources) if s is not None],
                dest.coordinate,
            )

    # -- @join__field -----------------------------------------------------------------------------

    def needs_join_field(
        self, sources: list[Field | None], parent: str, all_equal: bool, state: OverrideState
    ) -> bool:
        if not all_equal or state.used_overridden or state.labels:
            return True
        for index, source in enumerate(sources):
            overridden = index in state.unused_overridden
            if source is not None and not overridden:
                info = self.ctx.infos[index]
                if (
                    self.is_external(index, source)
                    or info.provides(source) is not None
                    or info.requires(source) is not None
                    or self.context_arguments(index, source)
                ):
                    return True
            elif parent in self.ctx.subgraphs[index].types:
                return True
        return False

    def add_join_field(
        self, sources: list[Field | None], dest: MField, all_equal: bool, state: OverrideState
    ) -> None:
        for index in state.used_overridden | state.unused_overridden:
            if index not in state.labels:
                taker = next(
                    (
                        self.ctx.names[i]
                        for i, s in enumerate(sources)
                        if s is not None
                        and (override := self.ctx.infos[i].override(s)) is not None
                        and override[0] == self.ctx.names[index]
                    ),
                    "",
                )
                self.ctx.unresolvable[(index, dest.coordinate)] = taker
        if not self.needs_join_field(sources, dest.parent, all_equal, state):
            return
        ctx = self.ctx
        for index, source in enumerate(sources):
            label = state.labels.get(index)
            if source is None or (index in state.unused_overridden and label is None):
                continue
            info = ctx.infos[index]
            args: list[tuple[str, str]] = [("graph", ctx.graph(index))]
            requires = info.requires(source) if not _is_input(ctx, dest) else None
            provides = info.provides(source) if not _is_input(ctx, dest) else None
            override = info.override(source) if not _is_input(ctx, dest) else None
            if requires is not None:
                args.append(("requires", print_string(requires)))
            if provides is not None:
                args.append(("provides", print_string(provides)))
            if override is not None:
                args.append(("override", print_string(override[0])))
            if not all_equal:
                args.append(("type", print_string(str(source.type))))
            if not _is_input(ctx, dest) and self.is_external(index, source):
                args.append(("external", "true"))
            if index in state.used_overridden:
                args.append(("usedOverridden", "true"))
            if label is not None:
                args.append(("overrideLabel", print_string(label)))
            if not _is_input(ctx, dest):
                context_arguments = self.context_arguments(index, source)
                if context_arguments:
                    args.append(("contextArguments", "[" + ", ".join(context_arguments) + "]"))
            dest.directives.append(MDirective("join__field", args))

    # -- arguments --------------------------------------------------------------------------------

    def context_arguments(self, index: int, source: Field) -> list[str]:
        """``join__field(contextArguments:)`` entries for the arguments of ``source`` that
        subgraph ``index`` fills with `@fromContext` (they are not in the supergraph)."""
        subgraph = self.ctx.subgraphs[index]
        entries = []
        for argument in source.args.values():
            for directive in subgraph.applied(argument.directives, "fromContext"):
                value = directive.args.get("field")
                text = value.value if isinstance(value, StringValueNode) else ""
                match = _CONTEXT_FIELD.match(text)
                if match is None:
                    continue
                context, selection = match.group(1), match.group(2)
                entries.append(
                    "{context: "
                    + print_string(f"{self.ctx.names[index]}__{context}")
                    + ", name: "
                    + print_string(argument.name)
                    + ", type: "
                    + print_string(str(argument.type))
                    + ", selection: "
                    + print_string(selection)
                    + "}"
                )
        return entries

    def merge_arguments(self, sources: list[Field | None], dest: MField) -> None:
        ctx = self.ctx
        names: list[str] = []
        contextual: set[str] = set()
        for index, source in enumerate(sources):
            if source is not None:
                for name, argument in source.args.items():
                    if ctx.subgraphs[index].applied(argument.directives, "fromContext"):
                        contextual.add(name)
        for source in sources:
            if source is not None:
                for name in source.args:
                    if name not in names and name not in contextual:
                        names.append(name)
        for name in names:
            coordinate = f"{dest.coordinate}({name}:)"
            arg_sources = [s.args.get(name) if s is not None else None for s in sources]
            missing = [
                ctx.names[i] for i, s in enumerate(sources) if s is not None and name not in s.args
            ]
            if missing:
                required = [
                    ctx.names[i]
                    for i, a in enumerate(arg_sources)
                    if a is not None and a.type.is_non_null and a.default is None
                ]
                if required:
                    ctx.error(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{coordinate}" is required in some subgraphs but does not '
                        "appear "
                        f"in all subgraphs: it is required in {subgraph_list(required)} but does "
                        f"not appear in {subgraph_list(missing)}",
                        required + missing,
                        coordinate,
                    )
                else:
                    having = [ctx.names[i] for i, a in enumerate(arg_sources) if a is not None]
                    ctx.hint(
                        "INCONSISTENT_ARGUMENT_PRESENCE",
                        f'Optional argument "{coordinate}" will not be included in the '
                        "supergraph as "
                        f"it does not appear in all subgraphs: it is defined in "
                        f"{subgraph_list(having)} but not in {subgraph_list(missing)}.",
                        having + missing,
                        coordinate,
                    )
                continue
            first = next(a for a in arg_sources if a is not None)
            merged = MArgument(name, first.type)
            dest.args[name] = merged
            self.merge_argument(arg_sources, merged, coordinate)

    def merge_argument(
        self, sources: list[Argument | None], dest: MArgument, coordinate: str
    ) -> None:
        dest.description = self.merge_description(
            [s.description if s else None for s in sources], coordinate
        )
        self.directives.record(
            [(i, s.directives) for i, s in enumerate(sources) if s is not None],
            dest.directives,
            coordinate,
        )
        holder = MField(dest.name, "", dest.type)
        self.merge_type(
            [s.type if s else None for s in sources],
            holder,
            coordinate,
            is_input=True,
            is_argument=True,
        )
        dest.type = holder.type
        dest.default = self.merge_default(
            [(s.default, s.type) if s else None for s in sources], dest.type, coordinate, "Argument"
        )

    def merge_default(
        self,
        sources: list[tuple[object, TypeRef] | None],
        dest_type: TypeRef,
        coordinate: str,
        kind: str,
    ) -> str | None:
        ctx = self.ctx
        printed: list[str | None] = []
        seen_source = False
        dest_default: str | None = None
        inconsistent = False
        incompatible = False
        for source in sources:
            if source is None:
                printed.append(None)
                continue
            node = source[0]
            default = print_value(node) if node is not None else None  # type: ignore[arg-type]
            printed.append(default if default is not None else "no default value")
            if dest_default is None:
                if seen_source and default is not None:
                    inconsistent = True
                dest_default = default
            elif dest_default != default:
                inconsistent = True
                if default is not None:
                    incompatible = True
            seen_source = True
        if incompatible:
            code = (
                "FIELD_ARGUMENT_DEFAULT_MISMATCH"
                if kind == "Argument"
                else "INPUT_FIELD_DEFAULT_MISMATCH"
            )
            values = [
                None if p is None else (p if p == "no default value" else f"default value {p}")
                for p in printed
            ]
            ctx.error(
                code,
                mismatch_message(
                    f'{kind} "{coordinate}" has incompatible default values across subgraphs: '
                    "it has ",
                    ctx.names,
                    values,
                    f"default value {dest_default}",
                ),
                [n for n, v in zip(ctx.names, values, strict=True) if v],
                coordinate,
            )
            return dest_default
        if inconsistent:
            ctx.hint(
                "INCONSISTENT_DEFAULT_VALUE_PRESENCE",
                f'{kind} "{coordinate}" has a default value in only some subgraphs.',
                [n for n, p in zip(ctx.names, printed, strict=True) if p],
                coordinate,
            )
            return None
        return dest_default

    # -- types ------------------------------------------------------------------------------------

    def merge_type(
        self,
        sources: list[TypeRef | None],
        dest: MField,
        coordinate: str,
        *,
        is_input: bool,
        is_argument: bool,
    ) -> bool:
        """Set ``dest.type``; True when every subgraph used the same type."""
        ctx = self.ctx
        dest_type: TypeRef | None = None
        has_subtypes = False
        incompatible = False
        for source in sources:
            if source is None:
                continue
            if dest_type is None or dest_type == source:
                dest_type = source
            elif ctx.is_strict_subtype(dest_type, source):
                has_subtypes = True
                if is_input:
                    dest_type = source
            elif ctx.is_strict_subtype(source, dest_type):
                has_subtypes = True
                if not is_input:
                    dest_type = source
            else:
                incompatible = True
        assert dest_type is not None
        dest.type = dest_type
        base = ctx.schema.types.get(dest_type.named)
        if base is not None and base.kind == "ENUM":
            position = "Input" if is_input else "Output"
            usage = ctx.enum_usages.get(base.name)
            if usage is None:
                usage = ctx.enum_usages[base.name] = EnumUsage(position)
            elif usage.position != position:
                usage.position = "Both"
            usage.examples.setdefault(position, coordinate)
        kind = "argument" if is_argument else "field"
        if incompatible:
            values = [f'type "{s}"' if s is not None else None for s in sources]
            ctx.error(
                "FIELD_ARGUMENT_TYPE_MISMATCH" if is_argument else "FIELD_TYPE_MISMATCH",
                mismatch_message(
                    f'Type of {kind} "{coordinate}" is incompatible across subgraphs: it has ',
                    ctx.names,
                    values,
                    f'type "{dest_type}"',
                ),
                [n for n, v in zip(ctx.names, values, strict=True) if v],
                coordinate,
            )
            return False
        if has_subtypes:
            ctx.hint(
                "INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE"
                if is_argument
                else "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE",
                f'Type of {kind} "{coordinate}" is inconsistent but compatible across subgraphs: '
                f'will use type "{dest_type}" in supergraph.',
                [n for n, s in zip(ctx.names, sources, strict=True) if s is not None],
                coordinate,
            )
            return False
        return True

    # -- input fields -----------------------------------------------------------------------------

    def merge_input_field(self, sources: list[Field | None], dest: MField) -> None:
        dest.description = self.merge_description(
            [s.description if s else None for s in sources], dest.coordinate
        )
        self.directives.record(_directive_sources(sources), dest.directives, dest.coordinate)
        all_equal = self.merge_type(
            [s.type if s else None for s in sources],
            dest,
            dest.coordinate,
            is_input=True,
            is_argument=False,
        )
        self.add_join_field(sources, dest, all_equal, OverrideState())
        dest.default = self.merge_default(
            [(s.default, s.type) if s else None for s in sources],
            dest.type,
            dest.coordinate,
            "Input field",
        )

    # -- descriptions -----------------------------------------------------------------------------

    def merge_description(self, sources: list[str | None], coordinate: str) -> str | None:
        descriptions: list[str] = []
        counts: list[int] = []
        for text in sources:
            if text is None:
                continue
            if text in descriptions:
                counts[descriptions.index(text)] += 1
            else:
                descriptions.append(text)
                counts.append(-(10**9) if text == "" else 1)
        if not descriptions:
            return None
        non_empty = [d for d in descriptions if d != ""]
        if len(descriptions) == 1:
            return descriptions[0]
        if len(non_empty) == 1:
            return non_empty[0]
        chosen = descriptions[counts.index(max(counts))]
        self.ctx.hint(
            "INCONSISTENT_DESCRIPTION",
            f'Element "{coordinate}" has inconsistent descriptions across subgraphs.',
            [n for n, d in zip(self.ctx.names, sources, strict=True) if d is not None],
            coordinate,
        )
        return chosen


def _directive_sources(sources: list[Field | None]) -> DirectiveSources:
    return [(i, s.directives) for i, s in enumerate(sources) if s is not None]


def _is_input(ctx: MergeContext, dest: MField) -> bool:
    parent = ctx.schema.types.get(dest.parent)
    return parent is not None and parent.kind == "INPUT_OBJECT"
