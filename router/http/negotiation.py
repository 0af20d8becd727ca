"""Content negotiation for `/graphql` (GraphQL-over-HTTP, with Apollo Router's error codes).

The response media type follows the client's ``Accept`` header: the spec's
``application/graphql-response+json`` when the client prefers it, ``application/json`` when it
asks for that, for ``*/*``, or sends no ``Accept`` at all (the spec's legacy default).
"""

from __future__ import annotations

from dataclasses import dataclass

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

# The fetch spec's "simple" content types: a browser sends them without a CORS preflight.
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)


@dataclass(frozen=True, slots=True)
class MediaRange:
    type: str
    subtype: str
    quality: float

    def matches(self, media_type: str) -> bool:
        wanted_type, _, wanted_subtype = media_type.partition("/")
        if self.type == "*":
            return True
        return self.type == wanted_type and self.subtype in ("*", wanted_subtype)

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed parts are ignored."""
    ranges: list[MediaRange] = []
    for part in header.split(","):
        media, *params = part.split(";")
        kind, slash, subtype = media.strip().lower().partition("/")
        if not slash or not kind or not subtype:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append(MediaRange(kind, subtype, quality))
    return ranges


def quality_of(ranges: list[MediaRange], media_type: str) -> float:
    """The q-value the client gives ``media_type``: the most specific matching range wins."""
    best: MediaRange | None = None
    for media_range in ranges:
        if media_range.matches(media_type) and (
            best is None or media_range.specificity > best.specificity
        ):
            best = media_range
    return best.quality if best is not None else 0.0


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither JSON type."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    ranges = parse_accept(accept)
    graphql_q = quality_of(ranges, GRAPHQL_RESPONSE_JSON)
    json_q = quality_of(ranges, APPLICATION_JSON)
    if graphql_q <= 0 and json_q <= 0:
        return None
    explicit_graphql = any(
        r.type == "application" and r.subtype == "graphql-response+json" for r in ranges
    )
    if explicit_graphql and graphql_q >= json_q:
        return GRAPHQL_RESPONSE_JSON
    return APPLICATION_JSON if json_q > 0 else GRAPHQL_RESPONSE_JSON


def wants_html(accept: str | None) -> bool:
    """Whether the client is a browser navigating to the page (``Accept`` names text/html)."""
    if not accept:
        return False
    return any(
        r.type == "text" and r.subtype == "html" and r.quality > 0 for r in parse_accept(accept)
    )


def media_essence(content_type: str | None) -> str | None:
    """``type/subtype`` of a Content-Type value, lower-cased, without parameters."""
    if content_type is None:
        return None
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence or None


def is_json_content_type(content_type: str | None) -> bool:
    """Request bodies we read: ``application/json`` or ``application/graphql-response+json``."""
    return media_essence(content_type) in (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON)
