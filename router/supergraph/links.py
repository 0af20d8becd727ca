"""`@link` (and legacy `@core`) reading: which features a supergraph uses, under which names.

A linked feature's elements carry its *name in schema* (the URL's name, or `as:`) as a prefix:
``@join__type``, ``join__Graph``; its root directive is ``@<name>`` (``@inaccessible``); an
``import:`` entry puts an element in the schema under its bare (or aliased) name instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DocumentNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    value_from_ast_untyped,
)

from .errors import SupergraphError

LINK_IDENTITY = "https://specs.apollo.dev/link"
CORE_IDENTITY = "https://specs.apollo.dev/core"
JOIN_IDENTITY = "https://specs.apollo.dev/join"
INACCESSIBLE_IDENTITY = "https://specs.apollo.dev/inaccessible"
TAG_IDENTITY = "https://specs.apollo.dev/tag"
AUTHENTICATED_IDENTITY = "https://specs.apollo.dev/authenticated"
REQUIRES_SCOPES_IDENTITY = "https://specs.apollo.dev/requiresScopes"
POLICY_IDENTITY = "https://specs.apollo.dev/policy"
CONTEXT_IDENTITY = "https://specs.apollo.dev/context"
COST_IDENTITY = "https://specs.apollo.dev/cost"

SUPPORTED_VERSIONS: Mapping[str, frozenset[tuple[int, int]]] = {
    LINK_IDENTITY: frozenset({(1, 0)}),
    CORE_IDENTITY: frozenset({(0, 1), (0, 2)}),
    JOIN_IDENTITY: frozenset({(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)}),
    INACCESSIBLE_IDENTITY: frozenset({(0, 1), (0, 2)}),
    TAG_IDENTITY: frozenset({(0, 1), (0, 2), (0, 3)}),
    AUTHENTICATED_IDENTITY: frozenset({(0, 1)}),
    REQUIRES_SCOPES_IDENTITY: frozenset({(0, 1)}),
    POLICY_IDENTITY: frozenset({(0, 1)}),
    CONTEXT_IDENTITY: frozenset({(0, 1)}),
    COST_IDENTITY: frozenset({(0, 1)}),
}
"""Features the router implements, with the versions it knows; any other feature linked
`for: SECURITY` or `for: EXECUTION` makes the supergraph unusable for this router."""

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")
_REFUSED_PURPOSES = frozenset({"SECURITY", "EXECUTION"})


@dataclass(frozen=True, slots=True)
class FeatureUrl:
    """A parsed feature URL: ``https://specs.apollo.dev/join/v0.3``."""

    url: str
    identity: str
    name: str
    version: tuple[int, int] | None

    @classmethod
    def parse(cls, url: str) -> FeatureUrl:
        base = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        segments = base.split("/")
        match = _VERSION.match(segments[-1]) if segments else None
        if match and len(segments) >= 2:
            version: tuple[int, int] | None = (int(match.group(1)), int(match.group(2)))
            identity = "/".join(segments[:-1])
        else:
            version = None
            identity = base
        name = identity.rsplit("/", 1)[-1]
        if not name:
            raise SupergraphError(f"@link url {url!r} has no feature name")
        return cls(url=url, identity=identity, name=name, version=version)

    @property
    def version_text(self) -> str:
        return "" if self.version is None else f"v{self.version[0]}.{self.version[1]}"


@dataclass(frozen=True, slots=True)
class Link:
    """One `@link` application: a feature, the name its elements use, its imports, its purpose."""

    url: FeatureUrl
    name_in_schema: str
    purpose: str | None = None
    imports: Mapping[str, str] = field(default_factory=dict)
    """Element name in the spec (``"@key"``, ``"FieldSet"``) → name in this schema (same form)."""

    def directive_name(self, name: str) -> str:
        """Schema name of the feature's directive ``name`` (given without ``@``)."""
        imported = self.imports.get("@" + name)
        if imported is not None:
            return imported[1:]
        if name == self.url.name:
            return self.name_in_schema
        return f"{self.name_in_schema}__{name}"

    def type_name(self, name: str) -> str:
        """Schema name of the feature's type ``name``."""
        imported = self.imports.get(name)
        if imported is not None:
            return imported
        return f"{self.name_in_schema}__{name}"

    def owns_directive(self, schema_name: str) -> bool:
        return (
            schema_name == self.name_in_schema
            or schema_name.startswith(self.name_in_schema + "__")
            or ("@" + schema_name) in self.imports.values()
        )

    def owns_type(self, schema_name: str) -> bool:
        return schema_name.startswith(self.name_in_schema + "__") or (
            schema_name in self.imports.values()
        )


@dataclass(frozen=True, slots=True)
class Links:
    """All the features a schema links, found from its schema definition and extensions."""

    links: tuple[Link, ...]
    bootstrap: str
    """Name of the link directive itself (``link``, or ``core`` for Federation 1 supergraphs)."""

    def by_identity(self, identity: str) -> Link | None:
        for link in self.links:
            if link.url.identity == identity:
                return link
        return None

    def owns_directive(self, schema_name: str) -> bool:
        return any(link.owns_directive(schema_name) for link in self.links)

    def owns_type(self, schema_name: str) -> bool:
        return any(link.owns_type(schema_name) for link in self.links)

    def check_supported(self) -> None:
        """Refuse features the router must understand (SECURITY/EXECUTION) but does not."""
        for link in self.links:
            if link.purpose not in _REFUSED_PURPOSES:
                continue
            versions = SUPPORTED_VERSIONS.get(link.url.identity)
            if versions is None:
                raise SupergraphError(
                    f"the supergraph links feature {link.url.url!r} for {link.purpose}, "
                    "which this router does not implement; refusing to serve it "
                    "(it would return wrong or unsafe results)"
                )
            if link.url.version not in versions:
                known = ", ".join(f"v{major}.{minor}" for major, minor in sorted(versions))
                raise SupergraphError(
                    f"the supergraph links feature {link.url.url!r} for {link.purpose} "
                    f"at version {link.url.version_text or '(none)'}, which this router does "
                    f"not implement (known versions: {known})"
                )


def read_links(document: DocumentNode) -> Links:
    """Collect the `@link`/`@core` applications on the schema definition and its extensions."""
    directives = [
        directive
        for definition in document.definitions
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode)
        for directive in definition.directives or ()
    ]
    bootstrap = _find_bootstrap(directives)
    if bootstrap is None:
        raise SupergraphError(
            "not a supergraph: the schema has no @link(url: "
            '"https://specs.apollo.dev/link/v1.0") (nor a Federation 1 @core) directive'
        )
    arg_name = "feature" if _is_core(bootstrap, directives) else "url"
    links = tuple(
        _read_link(directive, arg_name)
        for directive in directives
        if directive.name.value == bootstrap
    )
    return Links(links=links, bootstrap=bootstrap)


def _is_core(bootstrap: str, directives: Iterable[ConstDirectiveNode]) -> bool:
    for directive in directives:
        if directive.name.value == bootstrap:
            return any(arg.name.value == "feature" for arg in directive.arguments or ())
    return False


def _find_bootstrap(directives: Iterable[ConstDirectiveNode]) -> str | None:
    """The name under which the link (or core) spec links itself."""
    for directive in directives:
        args = _arguments(directive)
        url = args.get("url", args.get("feature"))
        if not isinstance(url, str):
            continue
        parsed = FeatureUrl.parse(url)
        if parsed.identity not in (LINK_IDENTITY, CORE_IDENTITY):
            continue
        name = args.get("as") or parsed.name
        if name == directive.name.value:
            return str(name)
    return None


def _arguments(directive: ConstDirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def _read_link(directive: ConstDirectiveNode, url_arg: str) -> Link:
    args = _arguments(directive)
    raw_url = args.get(url_arg)
    if not isinstance(raw_url, str):
        raise SupergraphError(f"@{directive.name.value} without a string {url_arg!r} argument")
    url = FeatureUrl.parse(raw_url)
    alias = args.get("as")
    if alias is not None and not isinstance(alias, str):
        raise SupergraphError(f"@{directive.name.value}(url: {raw_url!r}) has a non-string 'as'")
    purpose = args.get("for")
    if purpose is not None and not isinstance(purpose, str):
        raise SupergraphError(f"@{directive.name.value}(url: {raw_url!r}) has a bad 'for'")
    return Link(
        url=url,
        name_in_schema=alias or url.name,
        purpose=purpose,
        imports=_read_imports(args.get("import"), raw_url),
    )


def _read_imports(raw: Any, url: str) -> dict[str, str]:
    imports: dict[str, str] = {}
    for entry in raw or ():
        if isinstance(entry, str):
            name, alias = entry, entry
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            name = entry["name"]
            alias = entry.get("as") or name
        else:
            raise SupergraphError(f"@link(url: {url!r}) has an unreadable import {entry!r}")
        if not isinstance(alias, str) or name.startswith("@") != alias.startswith("@"):
            raise SupergraphError(
                f"@link(url: {url!r}) imports {name!r} as {alias!r}: a directive must be "
                "imported as a directive and a type as a type"
            )
        imports[name] = alias
    return imports
