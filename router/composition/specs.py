"""The specifications composition reads (federation v2.x) and writes (link, join, ...).

Subgraph side: which federation directives exist in each federation version, with their
definitions, so subgraph redefinitions can be checked. Supergraph side: the exact definitions
Apollo composition prints for the link, join, tag, inaccessible and authorization specs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FEDERATION_IDENTITY = "https://specs.apollo.dev/federation"
LINK_IDENTITY = "https://specs.apollo.dev/link"
CORE_IDENTITY = "https://specs.apollo.dev/core"

Version = tuple[int, int]

MIN_FED2_VERSION: Version = (2, 0)
MAX_FED_VERSION: Version = (2, 12)

_URL_RE = re.compile(r"^(?P<identity>.+)/(?P<name>[^/]+)/v(?P<major>\d+)\.(?P<minor>\d+)/?$")


@dataclass(frozen=True, slots=True)
class FeatureUrl:
    identity: str
    name: str
    version: Version

    def __str__(self) -> str:
        return f"{self.identity}/v{self.version[0]}.{self.version[1]}"


def parse_feature_url(url: str) -> FeatureUrl | None:
    match = _URL_RE.match(url)
    if match is None:
        return None
    version = (int(match["major"]), int(match["minor"]))
    name = match["name"]
    return FeatureUrl(f"{match['identity']}/{name}", name, version)


@dataclass(frozen=True, slots=True)
class ArgSpec:
    name: str
    type: str
    """Printed type; ``FieldSet`` stands for the federation field-set scalar."""
    default: str | None = None


@dataclass(frozen=True, slots=True)
class DirectiveSpec:
    name: str
    locations: tuple[str, ...]
    repeatable: bool = False
    args: tuple[ArgSpec, ...] = ()


_FIELDS = ArgSpec("fields", "FieldSet!")
_TYPE_LOCS = ("OBJECT", "INTERFACE")
_AUTH_LOCS = ("FIELD_DEFINITION", "OBJECT", "INTERFACE", "SCALAR", "ENUM")
TAG_LOCATIONS = (
    "FIELD_DEFINITION",
    "OBJECT",
    "INTERFACE",
    "UNION",
    "ARGUMENT_DEFINITION",
    "SCALAR",
    "ENUM",
    "ENUM_VALUE",
    "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
    "SCHEMA",
)
INACCESSIBLE_LOCATIONS = (
    "FIELD_DEFINITION",
    "OBJECT",
    "INTERFACE",
    "UNION",
    "ARGUMENT_DEFINITION",
    "SCALAR",
    "ENUM",
    "ENUM_VALUE",
    "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
)

# Registration order matters: it decides the order of `@link`s in the supergraph.
FEDERATION_DIRECTIVE_ORDER = (
    "key",
    "requires",
    "provides",
    "external",
    "tag",
    "extends",
    "shareable",
    "inaccessible",
    "override",
    "composeDirective",
    "interfaceObject",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "fromContext",
    "cost",
    "listSize",
)

FED1_DIRECTIVES = ("key", "requires", "provides", "external", "tag", "extends")


def federation_directives(version: Version) -> dict[str, DirectiveSpec]:
    """The federation directives (by name in the spec) available in ``version``."""
    specs: dict[str, DirectiveSpec] = {
        "key": DirectiveSpec(
            "key", _TYPE_LOCS, True, (_FIELDS, ArgSpec("resolvable", "Boolean", "true"))
        ),
        "requires": DirectiveSpec("requires", ("FIELD_DEFINITION",), False, (_FIELDS,)),
        "provides": DirectiveSpec("provides", ("FIELD_DEFINITION",), False, (_FIELDS,)),
        "external": DirectiveSpec(
            "external", ("OBJECT", "FIELD_DEFINITION"), False, (ArgSpec("reason", "String"),)
        ),
        "tag": DirectiveSpec("tag", TAG_LOCATIONS, True, (ArgSpec("name", "String!"),)),
        "extends": DirectiveSpec("extends", _TYPE_LOCS),
    }
    if version < MIN_FED2_VERSION:
        return specs
    specs["shareable"] = DirectiveSpec(
        "shareable", ("OBJECT", "FIELD_DEFINITION"), version >= (2, 2)
    )
    specs["inaccessible"] = DirectiveSpec("inaccessible", INACCESSIBLE_LOCATIONS)
    override_args = [ArgSpec("from", "String!")]
    if version >= (2, 7):
        override_args.append(ArgSpec("label", "String"))
    specs["override"] = DirectiveSpec(
        "override", ("FIELD_DEFINITION",), False, tuple(override_args)
    )
    if version >= (2, 1):
        specs["composeDirective"] = DirectiveSpec(
            "composeDirective", ("SCHEMA",), True, (ArgSpec("name", "String"),)
        )
    if version >= (2, 3):
        specs["interfaceObject"] = DirectiveSpec("interfaceObject", ("OBJECT",))
    if version >= (2, 5):
        specs["authenticated"] = DirectiveSpec("authenticated", _AUTH_LOCS)
        specs["requiresScopes"] = DirectiveSpec(
            "requiresScopes", _AUTH_LOCS, False, (ArgSpec("scopes", "[[Scope!]!]!"),)
        )
    if version >= (2, 6):
        specs["policy"] = DirectiveSpec(
            "policy", _AUTH_LOCS, False, (ArgSpec("policies", "[[Policy!]!]!"),)
        )
    if version >= (2, 8):
        specs["context"] = DirectiveSpec(
            "context", ("INTERFACE", "OBJECT", "UNION"), True, (ArgSpec("name", "String!"),)
        )
        specs["fromContext"] = DirectiveSpec(
            "fromContext", ("ARGUMENT_DEFINITION",), False, (ArgSpec("field", "ContextFieldValue"),)
        )
    if version >= (2, 9):
        specs["cost"] = DirectiveSpec(
            "cost",
            (
                "ARGUMENT_DEFINITION",
                "ENUM",
                "FIELD_DEFINITION",
                "INPUT_FIELD_DEFINITION",
                "OBJECT",
                "SCALAR",
            ),
            False,
            (ArgSpec("weight", "Int!"),),
        )
        specs["listSize"] = DirectiveSpec(
            "listSize",
            ("FIELD_DEFINITION",),
            False,
            (
                ArgSpec("assumedSize", "Int"),
                ArgSpec("slicingArguments", "[String!]"),
                ArgSpec("sizedFields", "[String!]"),
                ArgSpec("requireOneSlicingArgument", "Boolean", "true"),
            ),
        )
    return specs


def federation_types(version: Version) -> tuple[str, ...]:
    """Scalar types the federation spec defines (by name in the spec)."""
    names = ["FieldSet"]
    if version >= (2, 5):
        names.append("Scope")
    if version >= (2, 6):
        names.append("Policy")
    if version >= (2, 8):
        names.append("ContextFieldValue")
    return tuple(names)


# ---------------------------------------------------------------------------------------------
# Supergraph side


@dataclass(frozen=True, slots=True)
class SupergraphSpec:
    """A spec whose directives composition copies into the supergraph."""

    identity: str
    name: str
    version: str
    purpose: str | None
    directive_definition: str
    """Printed with ``{name}`` for the directive name and ``{prefix}`` for the spec prefix."""
    types: tuple[str, ...] = ()
    """Printed type definitions (``scalar {prefix}__Scope``)."""

    @property
    def url(self) -> str:
        return f"{self.identity}/{self.version}"


SUPERGRAPH_SPECS: dict[str, SupergraphSpec] = {
    "tag": SupergraphSpec(
        "https://specs.apollo.dev/tag",
        "tag",
        "v0.3",
        None,
        "directive @{name}(name: String!) repeatable on " + " | ".join(TAG_LOCATIONS),
    ),
    "inaccessible": SupergraphSpec(
        "https://specs.apollo.dev/inaccessible",
        "inaccessible",
        "v0.2",
        "SECURITY",
        "directive @{name} on " + " | ".join(INACCESSIBLE_LOCATIONS),
    ),
    "authenticated": SupergraphSpec(
        "https://specs.apollo.dev/authenticated",
        "authenticated",
        "v0.1",
        "SECURITY",
        "directive @{name} on " + " | ".join(_AUTH_LOCS),
    ),
    "requiresScopes": SupergraphSpec(
        "https://specs.apollo.dev/requiresScopes",
        "requiresScopes",
        "v0.1",
        "SECURITY",
        "directive @{name}(scopes: [[{prefix}__Scope!]!]!) on " + " | ".join(_AUTH_LOCS),
        ("scalar {prefix}__Scope",),
    ),
    "policy": SupergraphSpec(
        "https://specs.apollo.dev/policy",
        "policy",
        "v0.1",
        "SECURITY",
        "directive @{name}(policies: [[{prefix}__Policy!]!]!) on " + " | ".join(_AUTH_LOCS),
        ("scalar {prefix}__Policy",),
    ),
    "context": SupergraphSpec(
        "https://specs.apollo.dev/context",
        "context",
        "v0.1",
        "SECURITY",
        "directive @{name}(name: String!) repeatable on INTERFACE | OBJECT | UNION",
        ("scalar {prefix}__ContextFieldValue",),
    ),
}

ACCESS_CONTROL = ("authenticated", "requiresScopes", "policy")
FROM_CONTEXT_DEFINITION = (
    "directive @{prefix}__fromContext(field: {prefix}__ContextFieldValue) on ARGUMENT_DEFINITION"
)
"""`@fromContext` stays in the supergraph's definitions only: its uses become
``join__field(contextArguments:)``."""

COST_SPEC_URL = "https://specs.apollo.dev/cost/v0.1"
"""Demand control: federation 2.9's ``@cost``/``@listSize`` travel into the supergraph under
this one link (IBM's cost directives). Both definitions are always added; ``@cost`` is the
spec's own name, ``@listSize`` is imported when used (else it is ``@cost__listSize``)."""
COST_DIRECTIVES: dict[str, str] = {
    "cost": "directive @{name}(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | "
    "INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
    "listSize": "directive @{name}(assumedSize: Int, slicingArguments: [String!], sizedFields: "
    "[String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
}


def join_version_for(federation_version: Version) -> str:
    """The minimum join spec version able to express a federation version (as Apollo picks)."""
    if federation_version >= (2, 8):
        return "v0.5"
    if federation_version >= (2, 7):
        return "v0.4"
    return "v0.3"


LINK_DIRECTIVE = (
    "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
    "repeatable on SCHEMA"
)
LINK_TYPES = (
    "scalar link__Import",
    'enum link__Purpose {\n  """\n  `SECURITY` features provide metadata necessary to securely '
    'resolve fields.\n  """\n  SECURITY\n\n  """\n  `EXECUTION` features provide metadata '
    'necessary for operation execution.\n  """\n  EXECUTION\n}',
)


def join_directives(version: str) -> dict[str, str]:
    """The join spec's directive definitions, by directive name, as Apollo prints them."""
    field_args = (
        "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, "
        "external: Boolean, override: String, usedOverridden: Boolean"
    )
    if version >= "v0.4":
        field_args += ", overrideLabel: String"
    if version >= "v0.5":
        field_args += ", contextArguments: [join__ContextArgument!]"
    directives = {
        "join__enumValue": "directive @join__enumValue(graph: join__Graph!) repeatable on "
        "ENUM_VALUE",
        "join__field": f"directive @join__field({field_args}) repeatable on FIELD_DEFINITION | "
        "INPUT_FIELD_DEFINITION",
        "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "join__implements": "directive @join__implements(graph: join__Graph!, interface: String!) "
        "repeatable on OBJECT | INTERFACE",
        "join__type": "directive @join__type(graph: join__Graph!, key: join__FieldSet, "
        "extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = "
        "false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "join__unionMember": "directive @join__unionMember(graph: join__Graph!, member: String!) "
        "repeatable on UNION",
    }
    if version >= "v0.4":
        directives["join__directive"] = (
            "directive @join__directive(graphs: [join__Graph!], name: String!, args: "
            "join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
        )
    return directives


def join_types(version: str) -> dict[str, str]:
    """The join spec's types except ``join__Graph`` (built from the subgraphs)."""
    types = {"join__FieldSet": "scalar join__FieldSet"}
    if version >= "v0.4":
        types["join__DirectiveArguments"] = "scalar join__DirectiveArguments"
    if version >= "v0.5":
        types["join__FieldValue"] = "scalar join__FieldValue"
        types["join__ContextArgument"] = (
            "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n"
            "  selection: join__FieldValue!\n}"
        )
    return types


BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
BUILTIN_DIRECTIVES = frozenset(
    {"skip", "include", "deprecated", "specifiedBy", "oneOf", "defer", "stream"}
)
FEDERATION_OPERATION_TYPES = frozenset({"_Any", "_Entity", "_Service"})
FEDERATION_OPERATION_FIELDS = frozenset({"_entities", "_service"})
