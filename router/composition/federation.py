"""Federation facts about one subgraph: keys, external/provided/shareable/used fields.

Computed once per subgraph (after any Federation 1 upgrade) following Apollo's definitions:
a key field of a type *extension* marked ``@external`` is not really external ("fake"), key
fields and ``@provides``-d externals are shareable, and an external field is "used" when a key,
``@requires`` or ``@provides`` selects it or an interface implementation needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import BooleanValueNode, StringValueNode

from router.composition.fieldset import COMPOSITE_KINDS, collect_fields
from router.composition.model import AppliedDirective, Field, Subgraph


@dataclass(frozen=True, slots=True)
class KeyInfo:
    fields: str
    resolvable: bool
    explicit_resolvable: bool | None
    """The ``resolvable:`` argument when given (printed into ``@join__type`` as given)."""
    extension: bool


def fields_arg(directive: AppliedDirective) -> str | None:
    value = directive.args.get("fields")
    return value.value if isinstance(value, StringValueNode) else None


class FederationInfo:
    def __init__(self, subgraph: Subgraph) -> None:
        self.subgraph = subgraph
        self.keys: dict[str, list[KeyInfo]] = {}
        self.fake_externals: set[str] = set()
        self.external_on_type: set[str] = set()
        self.provided: set[str] = set()
        self.shareable: set[str] = set()
        self.used: set[str] = set()
        self._compute()

    def _compute(self) -> None:
        sg = self.subgraph
        extends = sg.local("extends")
        for type_def in sg.types.values():
            if type_def.kind not in ("OBJECT", "INTERFACE"):
                continue
            has_extends = extends is not None and any(
                d.name == extends for d in type_def.directives
            )
            infos: list[KeyInfo] = []
            for key in sg.applied(type_def.directives, "key"):
                text = fields_arg(key)
                if text is None:
                    continue
                resolvable_node = key.args.get("resolvable")
                explicit = (
                    resolvable_node.value if isinstance(resolvable_node, BooleanValueNode) else None
                )
                from_extension = (
                    type_def.decl_is_extension[key.decl] if type_def.decl_is_extension else False
                )
                infos.append(
                    KeyInfo(text, explicit is not False, explicit, from_extension or has_extends)
                )
                for field in collect_fields(sg, type_def.name, text, include_implementations=True):
                    self.shareable.add(field.coordinate)
                    self.used.add(field.coordinate)
                if from_extension or has_extends:
                    for field in collect_fields(
                        sg, type_def.name, text, include_implementations=False
                    ):
                        if sg.has(field.directives, "external"):
                            self.fake_externals.add(field.coordinate)
            self.keys[type_def.name] = infos
            if (
                not sg.fed1
                and type_def.kind == "OBJECT"
                and sg.has(type_def.directives, "external")
            ):
                for field in type_def.fields.values():
                    self.external_on_type.add(field.coordinate)
        for type_def in sg.types.values():
            if type_def.kind not in ("OBJECT", "INTERFACE"):
                continue
            shareable_decls = {d.decl for d in sg.applied(type_def.directives, "shareable")}
            for field in type_def.fields.values():
                if type_def.kind == "OBJECT" and (
                    sg.has(field.directives, "shareable") or field.decl in shareable_decls
                ):
                    self.shareable.add(field.coordinate)
                for requires in sg.applied(field.directives, "requires"):
                    text = fields_arg(requires)
                    if text is not None:
                        for used in collect_fields(sg, type_def.name, text):
                            self.used.add(used.coordinate)
                for provides in sg.applied(field.directives, "provides"):
                    text = fields_arg(provides)
                    target = sg.types.get(field.type.named)
                    if text is None or target is None or target.kind not in COMPOSITE_KINDS:
                        continue
                    for provided in collect_fields(sg, target.name, text):
                        self.provided.add(provided.coordinate)
                        self.used.add(provided.coordinate)
                        if self.is_external(provided):
                            self.shareable.add(provided.coordinate)
        for type_def in sg.types.values():
            if type_def.kind != "INTERFACE":
                continue
            for implementation in sg.implementations(type_def.name):
                for field_name in type_def.fields:
                    implementation_field = sg.field(implementation, field_name)
                    if implementation_field is not None:
                        self.used.add(implementation_field.coordinate)

    # -- questions ---------------------------------------------------------------------------

    def is_external(self, field: Field) -> bool:
        marked = self.subgraph.has(field.directives, "external") or (
            field.coordinate in self.external_on_type
        )
        return marked and field.coordinate not in self.fake_externals

    def is_fake_external(self, field: Field) -> bool:
        return field.coordinate in self.fake_externals

    def is_partially_external(self, field: Field) -> bool:
        return self.is_external(field) and field.coordinate in self.provided

    def is_fully_external(self, field: Field) -> bool:
        return self.is_external(field) and field.coordinate not in self.provided

    def is_shareable(self, field: Field) -> bool:
        return field.coordinate in self.shareable

    def is_used(self, field: Field) -> bool:
        return field.coordinate in self.used

    def is_entity(self, type_name: str) -> bool:
        return bool(self.keys.get(type_name))

    def requires(self, field: Field) -> str | None:
        for directive in self.subgraph.applied(field.directives, "requires"):
            return fields_arg(directive)
        return None

    def provides(self, field: Field) -> str | None:
        for directive in self.subgraph.applied(field.directives, "provides"):
            return fields_arg(directive)
        return None

    def override(self, field: Field) -> tuple[str, str | None] | None:
        for directive in self.subgraph.applied(field.directives, "override"):
            source = directive.args.get("from")
            label = directive.args.get("label")
            if isinstance(source, StringValueNode):
                return source.value, label.value if isinstance(label, StringValueNode) else None
        return None
