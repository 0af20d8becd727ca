"""Federation 1 subgraphs -> Federation 2 semantics (Apollo's schema upgrader).

Federation 1 had no ``@shareable``, treated ``extend type`` as "owned elsewhere" and tolerated a
few no-op directives. The upgrade rewrites a Federation 1 subgraph so the Federation 2 merge
rules give the result Federation 1 users expect: value types and fields resolved by several
subgraphs become shareable, key fields of extensions stop being external, useless ``@external``
fields, ``@provides`` and ``@requires`` are dropped.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    SelectionSetNode,
    StringValueNode,
)

from router.composition.errors import Report
from router.composition.federation import FederationInfo, fields_arg
from router.composition.fieldset import COMPOSITE_KINDS, collect_fields, parse_fieldset
from router.composition.model import AppliedDirective, Subgraph, TypeDef
from router.composition.specs import federation_directives


def _is_type_extension(subgraph: Subgraph, type_def: TypeDef) -> bool:
    has_extends = subgraph.has(type_def.directives, "extends")
    return (
        (type_def.has_extension or has_extends)
        and type_def.kind in ("OBJECT", "INTERFACE")
        and (has_extends or not type_def.has_definition)
    )


def _is_root_extension(subgraph: Subgraph, type_def: TypeDef) -> bool:
    return (
        type_def.name in subgraph.roots.values()
        and type_def.kind == "OBJECT"
        and (
            subgraph.has(type_def.directives, "extends")
            or (type_def.has_extension and not type_def.has_definition)
        )
    )


def upgrade_subgraphs(subgraphs: list[Subgraph], report: Report) -> None:
    """Upgrade, in place, every Federation 1 subgraph of ``subgraphs``."""
    originals = {sg.name: FederationInfo(sg) for sg in subgraphs}
    for subgraph in subgraphs:
        if subgraph.fed1:
            _Upgrader(subgraph, subgraphs, originals, report).upgrade()


class _Upgrader:
    def __init__(
        self,
        subgraph: Subgraph,
        all_subgraphs: list[Subgraph],
        originals: dict[str, FederationInfo],
        report: Report,
    ) -> None:
        self.sg = subgraph
        self.others = [s for s in all_subgraphs if s.name != subgraph.name]
        self.originals = originals
        self.report = report

    def upgrade(self) -> None:
        sg = self.sg
        self._check_extensions_have_base()
        extension_types = {
            t.name
            for t in sg.types.values()
            if _is_type_extension(sg, t) or _is_root_extension(sg, t)
        }
        for type_def in sg.types.values():
            if type_def.kind == "INTERFACE":
                for field in type_def.fields.values():
                    self._remove(field.directives, "external")
            if type_def.kind == "OBJECT":
                self._remove(type_def.directives, "external")
        self._remove_external_on_extension_keys(extension_types)
        self._fix_inactive_provides_and_requires()
        for name in extension_types:
            type_def = sg.types[name]
            type_def.decl_is_extension = [False] * len(type_def.decl_is_extension)
            self._remove(type_def.directives, "extends")
        for type_def in sg.types.values():
            if type_def.kind == "INTERFACE":
                self._remove(type_def.directives, "key")
                for field in type_def.fields.values():
                    self._remove(field.directives, "provides")
                    self._remove(field.directives, "requires")
            if type_def.kind == "OBJECT":
                for field in type_def.fields.values():
                    target = sg.types.get(field.type.named)
                    if target is None or target.kind not in COMPOSITE_KINDS:
                        self._remove(field.directives, "provides")
        # From here on, the subgraph speaks Federation 2.0 with default directive names.
        sg.names = {name: name for name in federation_directives((2, 0))}
        self._remove_unused_externals()
        self._add_shareable()

    @staticmethod
    def _remove(directives: list[AppliedDirective], name: str) -> None:
        directives[:] = [d for d in directives if d.name != name]

    def _check_extensions_have_base(self) -> None:
        for type_def in self.sg.types.values():
            if _is_root_extension(self.sg, type_def) or not _is_type_extension(self.sg, type_def):
                continue
            has_base = any(
                (other_type := other.types.get(type_def.name)) is not None
                and other_type.has_definition
                for other in self.others
            )
            if not has_base:
                self.report.error(
                    "EXTENSION_WITH_NO_BASE",
                    f'[{self.sg.name}] Type "{type_def.name}" is an extension type, but there '
                    "is no "
                    f'type definition for "{type_def.name}" in any subgraph.',
                    (self.sg.name,),
                    (type_def.name,),
                )

    def _remove_external_on_extension_keys(self, extension_types: set[str]) -> None:
        sg = self.sg
        for name in extension_types:
            type_def = sg.types[name]
            keys = sg.applied(type_def.directives, "key")
            key_texts = [t for t in (fields_arg(k) for k in keys) if t is not None]
            if not key_texts:
                for other in self.others:
                    other_type = other.types.get(name)
                    if other_type is None:
                        continue
                    other_keys = other.applied(other_type.directives, "key")
                    if other_keys:
                        text = fields_arg(other_keys[0])
                        if text is not None:
                            key_texts.append(text)
                            for field in collect_fields(
                                other, name, text, include_implementations=False
                            ):
                                own = type_def.fields.get(field.name)
                                if field.parent == name and own is not None:
                                    self._remove(own.directives, "external")
                continue
            for text in key_texts:
                for field in collect_fields(sg, name, text, include_implementations=False):
                    if field.parent == name:
                        self._remove(field.directives, "external")

    def _is_external(self, type_name: str, field_name: str) -> bool:
        field = self.sg.field(type_name, field_name)
        if field is None:
            return False
        if self.sg.has(field.directives, "external"):
            return True
        type_def = self.sg.types.get(type_name)
        if type_def is not None and type_def.kind == "INTERFACE":
            for implementation in self.sg.implementations(type_name):
                implementation_field = self.sg.field(implementation, field_name)
                if implementation_field is not None and self.sg.has(
                    implementation_field.directives, "external"
                ):
                    return True
        return False

    def _fix_inactive_provides_and_requires(self) -> None:
        sg = self.sg
        for type_def in sg.types.values():
            if type_def.kind not in ("OBJECT", "INTERFACE"):
                continue
            for field in type_def.fields.values():
                for name, target in (("provides", field.type.named), ("requires", type_def.name)):
                    for directive in sg.applied(field.directives, name):
                        text = fields_arg(directive)
                        if text is None or target not in sg.types:
                            continue
                        try:
                            selection = parse_fieldset(text)
                        except GraphQLSyntaxError:
                            continue
                        kept = self._without_local_leaves(target, selection)
                        if kept == _print_selection(selection):
                            continue
                        if kept:
                            directive.args["fields"] = StringValueNode(value=kept)
                        else:
                            field.directives.remove(directive)

    def _without_local_leaves(self, parent: str, selection: SelectionSetNode) -> str:
        parts: list[str] = []
        for node in selection.selections:
            if isinstance(node, FieldNode):
                if self._is_external(parent, node.name.value):
                    parts.append(_print_node(node))
                    continue
                field = self.sg.field(parent, node.name.value)
                if node.selection_set is not None and field is not None:
                    inner = self._without_local_leaves(field.type.named, node.selection_set)
                    if inner:
                        parts.append(f"{node.name.value} {{ {inner} }}")
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else parent
                inner = self._without_local_leaves(condition, node.selection_set)
                if inner:
                    parts.append(f"... on {condition} {{ {inner} }}")
        return " ".join(parts)

    def _remove_unused_externals(self) -> None:
        sg = self.sg
        info = FederationInfo(sg)
        for type_def in list(sg.types.values()):
            if type_def.kind not in ("OBJECT", "INTERFACE"):
                continue
            removed = False
            for field in list(type_def.fields.values()):
                if info.is_external(field) and not info.is_used(field):
                    del type_def.fields[field.name]
                    removed = True
            if removed and not type_def.fields:
                if self._is_referenced(type_def.name):
                    self.report.error(
                        "TYPE_WITH_ONLY_UNUSED_EXTERNAL",
                        f"[{sg.name}] Type {type_def.name} contains only external fields and all "
                        "those fields are all unused (they do not appear in any @key, @provides "
                        "or @requires).",
                        (sg.name,),
                        (type_def.name,),
                    )
                else:
                    del sg.types[type_def.name]

    def _is_referenced(self, name: str) -> bool:
        for type_def in self.sg.types.values():
            if name in type_def.interfaces or name in type_def.members:
                return True
            for field in type_def.fields.values():
                if field.type.named == name or any(
                    a.type.named == name for a in field.args.values()
                ):
                    return True
        return False

    def _add_shareable(self) -> None:
        sg = self.sg
        original = self.originals[sg.name]
        current = {other.name: FederationInfo(other) for other in self.others}
        for type_def in sg.types.values():
            if type_def.kind != "OBJECT" or sg.roots.get("subscription") == type_def.name:
                continue
            others_with_type = [o for o in self.others if o.types.get(type_def.name) is not None]
            is_root = type_def.name in sg.roots.values()
            if sg.applied(type_def.directives, "key") or is_root:
                for field in type_def.fields.values():
                    if original.is_shareable(field):
                        continue
                    resolved_elsewhere = False
                    for other in others_with_type:
                        other_field = other.field(type_def.name, field.name)
                        if other_field is None:
                            continue
                        other_info = (
                            self.originals[other.name] if other.fed1 else current[other.name]
                        )
                        if not other_info.is_external(
                            other_field
                        ) or other_info.is_partially_external(other_field):
                            resolved_elsewhere = True
                    if resolved_elsewhere and not sg.has(field.directives, "shareable"):
                        field.directives.append(AppliedDirective("shareable", {}))
            elif others_with_type and not sg.has(type_def.directives, "shareable"):
                for decl in range(max(1, len(type_def.decl_is_extension))):
                    type_def.directives.append(AppliedDirective("shareable", {}, decl))


def _print_node(node: FieldNode) -> str:
    if node.selection_set is None:
        return node.name.value
    return f"{node.name.value} {{ {_print_selection(node.selection_set)} }}"


def _print_selection(selection: SelectionSetNode) -> str:
    parts: list[str] = []
    for node in selection.selections:
        if isinstance(node, FieldNode):
            parts.append(_print_node(node))
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else ""
            parts.append(f"... on {condition} {{ {_print_selection(node.selection_set)} }}")
    return " ".join(parts)
