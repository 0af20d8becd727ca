"""The platform layer the router and the subgraph kit share: one implementation each of the
process plumbing both need.

- `polyshop.runtime.shutdown`: readiness goes first on SIGTERM, the listener closes later.
- `polyshop.runtime.logging`: structlog JSON lines with trace ids, stdlib routed through it.
- `polyshop.runtime.tls`: TLS contexts (floor TLS 1.2), uvicorn's TLS options, aiohttp sessions.
- `polyshop.runtime.principal`: `Principal`, the verified caller.
- `polyshop.runtime.jwks`: `JwksKeySet`, the issuers' public keys, cached and refreshed.
- `polyshop.runtime.jwt`: `JwtVerifier`, a bearer token to a `Principal` or `InvalidToken`.
- `polyshop.runtime.tokens`: `ClientCredentialsClient`, a process's own access token.

Direction: ``router`` and ``subgraphs.kit`` import from here; nothing here imports ``router``,
``subgraphs`` or any other ``polyshop`` module (a test in ``tests/polyshop`` holds the line),
so the router and the subgraphs still never import each other. Policy stays with the callers:
how an invalid token is answered (the router's 401 with ``WWW-Authenticate``, the kit's
GraphQL error), which settings object configures a piece, which logger names it uses.
"""
