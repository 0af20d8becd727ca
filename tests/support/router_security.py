"""Real HTTP servers for the router's security tests: a JWKS endpoint publishing `TestKeys`
and a client-credentials token endpoint."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from aiohttp import web

from tests.support.keys import TestKeys


class _Server:
    def __init__(self) -> None:
        self.app = web.Application()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> _Server:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class JwksServer(_Server):
    """Serves ``{"keys": keys}``; ``status`` other than 200 simulates an outage."""

    def __init__(self, *keys: TestKeys) -> None:
        super().__init__()
        self.keys: list[dict[str, Any]] = [k.public_jwk for k in keys]
        self.hits = 0
        self.status = 200
        self.app.router.add_get("/.well-known/jwks.json", self._jwks)

    @property
    def url(self) -> str:
        return f"{self.base}/.well-known/jwks.json"

    async def _jwks(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.status != 200:
            return web.json_response({"error": "down"}, status=self.status)
        return web.json_response({"keys": self.keys})


class TokenServer(_Server):
    """An RFC 6749 §4.4 token endpoint: HTTP Basic client auth, form body, JSON answers."""

    def __init__(
        self, client_id: str = "router", client_secret: str = "s3cret", expires_in: int = 300
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.requests: list[dict[str, str]] = []
        self.issued: list[str] = []
        self.fail_with: int | None = None
        self.app.router.add_post("/oauth/token", self._token)

    @property
    def url(self) -> str:
        return f"{self.base}/oauth/token"

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(parse_qsl(await request.text()))
        self.requests.append(form)
        if self.fail_with is not None:
            return web.json_response(
                {"error": "server_error", "error_description": "down"}, status=self.fail_with
            )
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response({"error": "invalid_request"}, status=400)
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        client_id, _, secret = base64.b64decode(encoded or "Og==").decode().partition(":")
        client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        if scheme != "Basic" or (client_id, secret) != (self.client_id, self.client_secret):
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        token = f"service-token-{len(self.issued) + 1}"
        self.issued.append(token)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        if "scope" in form:
            body["scope"] = form["scope"]
        return web.json_response(body, headers={"Cache-Control": "no-store"})


# -- a supergraph with authorization directives ----------------------------------------

_PREAMBLE = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)
{ query: Query mutation: Mutation }

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet,
  type: String, external: Boolean, override: String, usedOverridden: Boolean)
  repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__implements(graph: join__Graph!, interface: String!)
  repeatable on OBJECT | INTERFACE
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
scalar join__FieldSet
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
scalar requiresScopes__Scope
directive @policy(policies: [[policy__Policy!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
scalar policy__Policy

enum join__Graph { SHOP @join__graph(name: "shop", url: "http://127.0.0.1:1/graphql") }
"""

SHOP_TYPES = """
scalar Secret @join__type(graph: SHOP) @authenticated

type Query @join__type(graph: SHOP) {
  me: User @authenticated
  post(id: ID!): Post
  posts: [Post!]!
  feed: [Item!]!
  notes: [Note!]
  search: [SearchResult!]!
  users: [User!]! @requiresScopes(scopes: [["read:others"]])
  orders: [Order!]
  adminStats: Stats @policy(policies: [["admin"]])
  secretNumber: Secret
  node(id: ID!): Node
  publicNumber: Int
}

type Mutation @join__type(graph: SHOP) {
  deletePost(id: ID!): Boolean @requiresScopes(scopes: [["write:posts"]])
  like(id: ID!): Int
}

interface Node @join__type(graph: SHOP) { id: ID! }

type User implements Node
  @join__type(graph: SHOP, key: "id") @join__implements(graph: SHOP, interface: "Node") {
  id: ID!
  username: String
  email: String @requiresScopes(scopes: [["read:email"]])
  posts: [Post!]!
  creditCard: String @policy(policies: [["read_credit_card"], ["billing", "admin"]])
}

type Post implements Node
  @join__type(graph: SHOP, key: "id") @join__implements(graph: SHOP, interface: "Node") {
  id: ID!
  author: User!
  title: String!
  views: Int @authenticated
  secretViews: Int! @authenticated
}

interface Item @join__type(graph: SHOP) { id: ID! title: String! }

type PublicBlog implements Item
  @join__type(graph: SHOP) @join__implements(graph: SHOP, interface: "Item") {
  id: ID!
  title: String!
}

type PrivateBlog implements Item
  @join__type(graph: SHOP) @join__implements(graph: SHOP, interface: "Item") @authenticated {
  id: ID!
  title: String!
}

union SearchResult @join__type(graph: SHOP)
  @join__unionMember(graph: SHOP, member: "PublicBlog")
  @join__unionMember(graph: SHOP, member: "PrivateBlog") = PublicBlog | PrivateBlog

interface Note @join__type(graph: SHOP) { id: ID! text: String }

type Memo implements Note
  @join__type(graph: SHOP) @join__implements(graph: SHOP, interface: "Note") {
  id: ID!
  text: String @authenticated
}

type Sticky implements Note
  @join__type(graph: SHOP) @join__implements(graph: SHOP, interface: "Note") {
  id: ID!
  text: String
}

type Order @join__type(graph: SHOP, key: "id")
  @requiresScopes(scopes: [["read:orders", "read:users"], ["admin"]]) {
  id: ID!
  total: String
}

type Stats @join__type(graph: SHOP) { count: Int }
"""


def shop_supergraph_sdl() -> str:
    return _PREAMBLE + SHOP_TYPES
