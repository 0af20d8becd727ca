"""State shared by the merge steps: the subgraphs, their federation facts and the result."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

from router.composition.errors import Report
from router.composition.federation import FederationInfo
from router.composition.merged import MSchema
from router.composition.model import Subgraph
from router.composition.specs import Version
from router.composition.typeref import TypeRef, is_strict_subtype

T = TypeVar("T")
Sources = list[T | None]
"""One entry per subgraph (in subgraph order); ``None`` where the subgraph lacks the element."""


def graph_enum_names(names: list[str]) -> dict[str, str]:
    """``join__Graph`` values for subgraph names (Apollo's sanitization and de-duplication)."""

    def sanitize(name: str) -> str:
        text = re.sub(r"\W", "_", name)
        if re.match(r"^\d", text):
            text = "_" + text
        if re.search(r"_\d+$", text):
            text += "_"
        return text.upper()

    grouped: dict[str, list[str]] = {}
    for name in names:
        grouped.setdefault(sanitize(name), []).append(name)
    result: dict[str, str] = {}
    for sanitized, group in grouped.items():
        if len(group) == 1:
            result[group[0]] = sanitized
        else:
            for index, name in enumerate(group):
                result[name] = f"{sanitized}_{index + 1}"
    return result


@dataclass
class EnumUsage:
    position: str
    """``Input``, ``Output`` or ``Both``."""
    examples: dict[str, str] = field(default_factory=dict)


class MergeContext:
    def __init__(self, subgraphs: list[Subgraph], report: Report) -> None:
        self.subgraphs = subgraphs
        self.names = [s.name for s in subgraphs]
        self.infos = [FederationInfo(s) for s in subgraphs]
        self.report = report
        self.graphs = graph_enum_names(self.names)
        self.schema = MSchema()
        self.enum_usages: dict[str, EnumUsage] = {}
        self.unresolvable: dict[tuple[int, str], str] = {}
        """(subgraph index, field coordinate) overridden away from that subgraph -> the
        subgraph that took it."""
        self.inaccessible: str | None = None
        """Name of ``@inaccessible`` in the supergraph, when some subgraph uses it."""
        self.latest_version: Version = max((s.version for s in subgraphs), default=(2, 0))

    def graph(self, index: int) -> str:
        return self.graphs[self.names[index]]

    def error(
        self,
        code: str,
        message: str,
        subgraphs: list[str] | tuple[str, ...] = (),
        *coordinates: str,
    ) -> None:
        self.report.error(code, message, tuple(subgraphs), coordinates)

    def hint(
        self,
        code: str,
        message: str,
        subgraphs: list[str] | tuple[str, ...] = (),
        *coordinates: str,
    ) -> None:
        self.report.hint(code, message, tuple(subgraphs), coordinates)

    # -- type relations in the merged schema ----------------------------------------------------

    def is_direct_subtype(self, abstract: str, member: str) -> bool:
        abstract_type = self.schema.types.get(abstract)
        member_type = self.schema.types.get(member)
        if abstract_type is None or member_type is None:
            return False
        if abstract_type.kind == "UNION":
            return member_type.kind == "OBJECT" and member in abstract_type.members
        if abstract_type.kind == "INTERFACE":
            return (
                member_type.kind in ("OBJECT", "INTERFACE") and abstract in member_type.interfaces
            )
        return False

    def is_strict_subtype(self, supertype: TypeRef, subtype: TypeRef) -> bool:
        return is_strict_subtype(supertype, subtype, self.is_direct_subtype)

    def possible_runtime_types(self, name: str) -> list[str]:
        type_def = self.schema.types.get(name)
        if type_def is None:
            return []
        if type_def.kind == "OBJECT":
            return [name]
        if type_def.kind == "UNION":
            return list(type_def.members)
        if type_def.kind == "INTERFACE":
            return [
                t.name
                for t in self.schema.types.values()
                if t.kind == "OBJECT" and name in t.interfaces
            ]
        return []
