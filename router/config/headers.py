"""The ``headers`` section: which headers subgraph requests carry, and which subgraph response
headers reach the client. The shape is Apollo Router's (``headers.all.request``,
``headers.subgraphs.<name>.request``, rules ``propagate`` / ``insert`` / ``remove``), with
Hive Router's ``response`` lists for subgraph → client headers and one extension of ours:
``insert.from_jwt_claim`` (a claim of the caller's verified token).

Rules run in order, ``all`` first, then the subgraph's own. Whatever the rules say, a client can
never set a hop-by-hop header or one of the router's identity headers (``X-PolyShop-*``) on a
subgraph request: a rule that names one is refused when the configuration is read, and a
``matching`` rule skips them. The correlation header is always sent (it is the router's own).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        # not hop-by-hop by RFC 9110, but owned by the client connection, never forwarded
        "content-length",
        "content-type",
        "content-encoding",
        "accept",
        "accept-encoding",
        "host",
    }
)
"""Headers that describe one connection or one message body (RFC 9110 §7.6.1, plus the
framing headers the router's HTTP client sets itself): never propagated or set by a rule."""

IDENTITY_PREFIX = "x-polyshop-"
"""The router's identity headers to subgraphs (`router.security.propagation`)."""

_FROZEN = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def reserved_reason(name: str) -> str | None:
    """Why a rule may not produce header ``name`` (None: it may)."""
    lowered = name.lower()
    if lowered in HOP_BY_HOP:
        return f"'{name}' is a hop-by-hop/framing header"
    if lowered.startswith(IDENTITY_PREFIX):
        return f"'{name}' is one of the router's identity headers (x-polyshop-*)"
    return None


def _header_name(value: str) -> str:
    if not value or not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", value):
        raise ValueError(f"'{value}' is not a valid header name")
    return value.lower()


def _not_reserved(value: str) -> str:
    reason = reserved_reason(value)
    if reason is not None:
        raise ValueError(f"{reason}: no rule may set it")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"invalid regular expression {value!r}: {error}") from error
    return value


class _PropagateSelector(BaseModel):
    """What a propagate rule copies, in either direction: one ``named`` header (optionally
    sent under ``rename``) or every header whose name ``matching`` matches."""

    model_config = _FROZEN

    named: str | None = None
    """Exact header name (case-insensitive)."""
    matching: str | None = None
    """Regular expression matched against the whole lower-cased name (``re.fullmatch``)."""
    rename: str | None = None
    """Send the ``named`` header under this name."""

    _named_only: ClassVar[tuple[str, ...]] = ("rename",)
    """Options that only make sense with ``named``."""

    @field_validator("named", "rename")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return None if value is None else _not_reserved(_header_name(value))

    @field_validator("matching")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return None if value is None else _regex(value)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.named is None) == (self.matching is None):
            raise ValueError("propagate needs exactly one of 'named' or 'matching'")
        if self.matching is not None and any(
            getattr(self, option) is not None for option in self._named_only
        ):
            options = " and ".join(f"'{option}'" for option in self._named_only)
            verb = "goes" if len(self._named_only) == 1 else "go"
            raise ValueError(f"{options} {verb} with 'named', not 'matching'")
        return self


class PropagateRule(_PropagateSelector):
    """Copy client request headers onto the subgraph request: one ``named`` header (with
    ``rename`` and ``default``) or every header whose name ``matching`` matches."""

    default: str | None = None
    """Value sent when the client did not send the ``named`` header."""

    _named_only: ClassVar[tuple[str, ...]] = ("rename", "default")


class InsertRule(BaseModel):
    """Set a header on the subgraph request: a static ``value``, or the value of a claim of
    the caller's verified JWT (``from_jwt_claim``, our extension; nothing is sent when there is
    no token or no such claim, unless ``default`` is given)."""

    model_config = _FROZEN

    name: str
    """The header to set (replaces a propagated one of that name)."""
    value: str | None = None
    """Static value."""
    from_jwt_claim: str | None = None
    """Claim of the verified token (``sub``, ``tenant``, ``org.id`` for a nested one); lists
    are joined with ``,``."""
    default: str | None = None
    """With ``from_jwt_claim``: the value when the claim is missing."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _not_reserved(_header_name(value))

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.value is None) == (self.from_jwt_claim is None):
            raise ValueError("insert needs exactly one of 'value' or 'from_jwt_claim'")
        if self.default is not None and self.from_jwt_claim is None:
            raise ValueError("'default' goes with 'from_jwt_claim'")
        return self


class RemoveRule(BaseModel):
    """Drop headers an earlier rule added: one ``named`` header or all ``matching`` a regex."""

    model_config = _FROZEN

    named: str | None = None
    matching: str | None = None

    @field_validator("named")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return None if value is None else _header_name(value)

    @field_validator("matching")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return None if value is None else _regex(value)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.named is None) == (self.matching is None):
            raise ValueError("remove needs exactly one of 'named' or 'matching'")
        return self


class Propagate(BaseModel):
    model_config = _FROZEN
    propagate: PropagateRule


class Insert(BaseModel):
    model_config = _FROZEN
    insert: InsertRule


class Remove(BaseModel):
    model_config = _FROZEN
    remove: RemoveRule


def _rule_kind(value: Any) -> str | None:
    """Which rule a list entry is: its one key (``propagate``, ``insert`` or ``remove``)."""
    if isinstance(value, dict):
        kinds = [kind for kind in ("propagate", "insert", "remove") if kind in value]
        return kinds[0] if len(kinds) == 1 and len(value) == 1 else None
    kinds_by_type: dict[type[BaseModel], str] = {
        Propagate: "propagate",
        Insert: "insert",
        Remove: "remove",
    }
    return kinds_by_type.get(type(value))


RequestRule = Annotated[
    Annotated[Propagate, Tag("propagate")]
    | Annotated[Insert, Tag("insert")]
    | Annotated[Remove, Tag("remove")],
    Discriminator(
        _rule_kind,
        custom_error_type="header_rule",
        custom_error_message="a rule is a mapping with one key: propagate, insert or remove",
    ),
]


class ResponsePropagateRule(_PropagateSelector):
    """Pass subgraph response headers to the client: ``named`` or ``matching``."""


class ResponsePropagate(BaseModel):
    model_config = _FROZEN
    propagate: ResponsePropagateRule


class HeaderRules(BaseModel):
    """Rules for the requests to one subgraph (or all), and for its response headers."""

    model_config = _FROZEN

    request: tuple[RequestRule, ...] = ()
    """Applied in order to build the subgraph request's headers."""
    response: tuple[ResponsePropagate, ...] = ()
    """Subgraph response headers passed to the client (e.g. ``set-cookie`` from ``auth``)."""


class HeadersConfig(BaseModel):
    """``headers``: ``all`` applies to every subgraph, then ``subgraphs.<name>``."""

    model_config = _FROZEN

    all: HeaderRules = Field(default_factory=HeaderRules)
    """Rules for every subgraph (run first)."""
    subgraphs: dict[str, HeaderRules] = Field(default_factory=dict)
    """Rules for one subgraph, by its name in the supergraph (run after ``all``)."""

    @property
    def is_empty(self) -> bool:
        return not (self.all.request or self.all.response or self.subgraphs)
