"""Prices from the products subgraph, asked over GraphQL at order time.

Orders never reads the products database: it resolves ``Product`` entities through the
products subgraph's ``_entities`` field, as the router would, with the service's own
client-credentials token (none in development, when no client credentials are set).

Each request carries the current trace context (W3C ``traceparent``), so the products
service's span continues the order's trace: under a CLIENT span of its own when the catalogue
is given a tracer, else directly under the orders span that asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from ssl import SSLContext
from typing import Any

import aiohttp
from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, Tracer

from subgraphs.kit.auth import ClientCredentialsTokenClient, TokenRequestError, client_session
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.errors import ServiceError
from subgraphs.kit.logging import CORRELATION_HEADER, get_logger

log = get_logger("polyshop.orders.catalog")

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
PRODUCTS_SERVICE = "products"
PRICES_SPAN = "products _entities"

PRICES_QUERY = """
query OrderPrices($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id price currency active isDeleted }
  }
}
"""


class CatalogUnavailable(ServiceError):
    """The products service could not tell us prices; nothing was written, retry later."""

    code = SERVICE_UNAVAILABLE


@dataclass(frozen=True, slots=True)
class ProductQuote:
    """What orders needs to know about a product at the moment of ordering."""

    id: int
    price: Decimal
    currency: str
    active: bool
    is_deleted: bool

    @property
    def orderable(self) -> bool:
        return self.active and not self.is_deleted


class ProductCatalog:
    """One kept-alive HTTP session to products for the life of the process."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 5.0,
        token_client: ClientCredentialsTokenClient | None = None,
        tracer: Tracer | None = None,
        ssl: SSLContext | None = None,
    ) -> None:
        """``ssl``: the service's outgoing TLS context, so products sees our certificate."""
        self.url = url
        self.tracer = tracer
        self._ssl = ssl
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._token_client = token_client
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(
        cls,
        url: str,
        *,
        timeout_seconds: float,
        token_settings: TokenSettings,
        tracer: Tracer | None = None,
        ssl: SSLContext | None = None,
    ) -> ProductCatalog:
        """With a token client only when client credentials are configured (not in dev);
        ``ssl`` serves both the calls to products and those to the token endpoint."""
        token_client = None
        if token_settings.client_id and token_settings.client_secret:
            token_client = ClientCredentialsTokenClient.from_settings(token_settings, ssl=ssl)
        return cls(
            url, timeout_seconds=timeout_seconds, token_client=token_client, tracer=tracer, ssl=ssl
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._token_client is not None:
            await self._token_client.aclose()

    async def quotes(
        self, product_ids: Sequence[int], *, correlation_id: str | None = None
    ) -> dict[int, ProductQuote]:
        """The quote of every product that exists; unknown ids are simply absent."""
        if not product_ids:
            return {}
        representations = [{"__typename": "Product", "id": str(pid)} for pid in product_ids]
        body = await self._post(
            {"query": PRICES_QUERY, "variables": {"representations": representations}},
            correlation_id=correlation_id,
        )
        errors = body.get("errors")
        data = body.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if errors or not isinstance(entities, list) or len(entities) != len(product_ids):
            log.error("products answered with errors", errors=errors)
            raise CatalogUnavailable("The product catalogue could not be read; try again later")
        found: dict[int, ProductQuote] = {}
        for entity in entities:
            if isinstance(entity, Mapping) and entity.get("id") is not None:
                quote = _quote(entity)
                found[quote.id] = quote
        return found

    async def _post(self, payload: dict[str, Any], *, correlation_id: str | None) -> Any:
        if self.tracer is None:
            return await self._send(payload, correlation_id=correlation_id, span=None)
        with self.tracer.start_as_current_span(
            PRICES_SPAN,
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "POST",
                "url.full": self.url,
                "peer.service": PRODUCTS_SERVICE,
            },
        ) as span:
            return await self._send(payload, correlation_id=correlation_id, span=span)

    async def _send(
        self, payload: dict[str, Any], *, correlation_id: str | None, span: Span | None
    ) -> Any:
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json"}
            if correlation_id:
                headers[CORRELATION_HEADER] = correlation_id
            # The CLIENT span when there is one, else the orders span that asked.
            propagate.inject(headers)
            if self._token_client is not None:
                try:
                    headers.update(await self._token_client.authorization())
                except TokenRequestError as exc:
                    log.error("no service token", error=str(exc))
                    raise CatalogUnavailable(
                        "The product catalogue could not be read; try again later"
                    ) from exc
            try:
                async with self._http().post(self.url, json=payload, headers=headers) as response:
                    if span is not None:
                        # A failure raises inside the span, which marks it as an error.
                        span.set_attribute("http.response.status_code", response.status)
                    if response.status == 401 and self._token_client is not None and attempt == 1:
                        # Keys rotated or our token was revoked: fetch a new one once.
                        self._token_client.invalidate()
                        continue
                    if response.status != 200:
                        raise CatalogUnavailable(
                            f"The product catalogue answered HTTP {response.status}"
                        )
                    return await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.error("products unreachable", url=self.url, error=repr(exc))
                raise CatalogUnavailable(
                    "The product catalogue could not be reached; try again later"
                ) from exc
        raise CatalogUnavailable("The product catalogue refused our credentials")

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = client_session(self._ssl, timeout=self._timeout)
        return self._session


def _quote(entity: Mapping[str, Any]) -> ProductQuote:
    try:
        return ProductQuote(
            id=int(str(entity["id"])),
            price=Decimal(str(entity["price"])),
            currency=str(entity["currency"]).upper(),
            active=bool(entity["active"]),
            is_deleted=bool(entity["isDeleted"]),
        )
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise CatalogUnavailable("The product catalogue sent a malformed product") from exc
