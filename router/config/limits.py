"""``limits``: what one request may ask of the router, named as in Apollo Router's ``limits``.

.. code-block:: yaml

    limits:
      max_depth: 100                  # MAX_DEPTH_LIMIT
      max_height: 200                 # MAX_HEIGHT_LIMIT
      max_aliases: 30                 # MAX_ALIASES_LIMIT
      max_root_fields: 20             # MAX_ROOT_FIELDS_LIMIT
      parser_max_tokens: 15000        # GRAPHQL_PARSE_FAILED
      parser_max_recursion: 200       # GRAPHQL_PARSE_FAILED
      http_max_request_bytes: 2000000 # 413 (body), 414 (query string)
      http1_max_request_buf_size: 32768  # request line + headers, else 431
      max_selections: 100000          # MAX_SELECTIONS_LIMIT (ours: the work budget)
      max_response_bytes: 20971520    # RESPONSE_SIZE_LIMIT_EXCEEDED (ours)
      subgraph_max_response_bytes: 10485760  # SUBREQUEST_HTTP_ERROR (ours)

The defaults are Apollo Router's recommended production values; ``null`` (or an empty
environment variable, ``POLYSHOP_ROUTER_LIMITS__MAX_DEPTH=``) turns an operation limit off.
The keys that Apollo Router has keep its names and error codes; ``max_selections``,
``max_response_bytes`` and ``subgraph_max_response_bytes`` are ours (Apollo has no
equivalent). Before this section existed the same values were flat settings
(``POLYSHOP_ROUTER_MAX_DEPTH``, ``..._MAX_REQUEST_BYTES``, ``..._HTTP_MAX_HEADER_BYTES``...):
those names still work, with a deprecation warning (`router.config.moved`).

graphql-core refuses documents nested deeper than 200 levels on its own, so
``parser_max_recursion`` can only lower that bound (``le=200``); a lower value costs one
extra pass of the lexer over the document (see `router.operation.normalize.parse`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

PARSER_NESTING_CAP = 200
"""graphql-core's own nesting limit (``MAX_NESTING_DEPTH``)."""


class LimitsConfig(BaseModel):
    """Operation, parser and HTTP limits (Apollo Router's ``limits``); None: no limit."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    max_depth: int | None = Field(default=100, ge=1)
    """Deepest selection path of an operation (``MAX_DEPTH_LIMIT``)."""
    max_height: int | None = Field(default=200, ge=1)
    """Distinct response paths of an operation (``MAX_HEIGHT_LIMIT``)."""
    max_aliases: int | None = Field(default=30, ge=0)
    """Aliased fields of an operation (``MAX_ALIASES_LIMIT``)."""
    max_root_fields: int | None = Field(default=20, ge=1)
    """Root fields of an operation (``MAX_ROOT_FIELDS_LIMIT``)."""
    parser_max_tokens: int | None = Field(default=15_000, ge=1)
    """Tokens of a document (``GRAPHQL_PARSE_FAILED``)."""
    parser_max_recursion: int = Field(default=PARSER_NESTING_CAP, ge=1, le=PARSER_NESTING_CAP)
    """Nesting of selection sets, lists and objects in a document (``GRAPHQL_PARSE_FAILED``)."""
    http_max_request_bytes: int = Field(default=2_000_000, ge=1)
    """Request body (else 413) and GET query string (else 414), after decompression."""
    http1_max_request_buf_size: int = Field(default=32 * 1024, ge=1024)
    """Request line and headers (else 431); read when the listener starts."""
    max_selections: int | None = Field(default=100_000, ge=1)
    """Selections visited to measure or expand one operation (``MAX_SELECTIONS_LIMIT``)."""
    max_response_bytes: int | None = Field(default=20 * 1024 * 1024, ge=1)
    """Subgraph bytes one client request may receive in total, and the size of its answer
    (``RESPONSE_SIZE_LIMIT_EXCEEDED``)."""
    subgraph_max_response_bytes: int | None = Field(default=10 * 1024 * 1024, ge=1)
    """One subgraph response body (the fetch fails with ``SUBREQUEST_HTTP_ERROR``)."""

    @field_validator(
        "max_depth",
        "max_height",
        "max_aliases",
        "max_root_fields",
        "parser_max_tokens",
        "max_selections",
        "max_response_bytes",
        "subgraph_max_response_bytes",
        mode="before",
    )
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        """``POLYSHOP_ROUTER_LIMITS__MAX_DEPTH=`` (empty) turns a limit off."""
        if isinstance(value, str) and not value.strip():
            return None
        return value
