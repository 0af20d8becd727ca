"""The supergraph being built: plain mutable data that `printer` turns into SDL."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.composition.typeref import TypeRef


@dataclass(slots=True)
class MDirective:
    """A directive application in the supergraph; argument values already printed."""

    name: str
    args: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.args:
            return f"@{self.name}"
        return f"@{self.name}(" + ", ".join(f"{k}: {v}" for k, v in self.args) + ")"

    def arg(self, name: str) -> str | None:
        for key, value in self.args:
            if key == name:
                return value
        return None


@dataclass(slots=True)
class MArgument:
    name: str
    type: TypeRef
    default: str | None = None
    description: str | None = None
    directives: list[MDirective] = field(default_factory=list)


@dataclass(slots=True)
class MField:
    name: str
    parent: str
    type: TypeRef
    args: dict[str, MArgument] = field(default_factory=dict)
    description: str | None = None
    directives: list[MDirective] = field(default_factory=list)
    default: str | None = None

    @property
    def coordinate(self) -> str:
        return f"{self.parent}.{self.name}"

    def has(self, name: str) -> bool:
        return any(d.name == name for d in self.directives)


@dataclass(slots=True)
class MEnumValue:
    name: str
    description: str | None = None
    directives: list[MDirective] = field(default_factory=list)


@dataclass(slots=True)
class MType:
    name: str
    kind: str
    description: str | None = None
    directives: list[MDirective] = field(default_factory=list)
    fields: dict[str, MField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, MEnumValue] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return any(d.name == name for d in self.directives)


@dataclass(slots=True)
class MDirectiveDefinition:
    name: str
    locations: list[str]
    repeatable: bool = False
    args: dict[str, MArgument] = field(default_factory=dict)
    description: str | None = None
    printed: str | None = None
    """Fixed text for spec directives (printed verbatim)."""


@dataclass(slots=True)
class MSchema:
    """The supergraph schema under construction."""

    links: list[MDirective] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    directives: dict[str, MDirectiveDefinition] = field(default_factory=dict)
    types: dict[str, MType] = field(default_factory=dict)
    fixed_types: dict[str, str] = field(default_factory=dict)
    """Spec types printed verbatim (join__FieldSet, link__Purpose, ...), by name."""
    graphs: list[tuple[str, str, str]] = field(default_factory=list)
    """(enum value, subgraph name, url) of join__Graph."""
