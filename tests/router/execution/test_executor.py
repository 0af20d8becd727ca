"""The executor against real subgraphs over HTTP: representations, merging, errors, failures.

Every test starts its subgraphs on free ports, runs an `Engine` on a hand-written supergraph and
checks both the client's response and what the subgraphs received.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from router.config.traffic_shaping import SubgraphTrafficConfig, TrafficShapingConfig
from router.engine import Engine, EngineConfig, GraphQLRequest, GraphQLResponse, RequestContext
from tests.support.planning_supergraphs import supergraph
from tests.support.subgraph_server import Info, SubgraphCluster, SubgraphSpec

BODY = """
type Query @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  products: [Product] @join__field(graph: PRODUCTS)
  product(id: ID!): Product @join__field(graph: PRODUCTS)
  strictProducts: [Product!]! @join__field(graph: PRODUCTS)
  ping: String @join__field(graph: REVIEWS)
}

type Product @join__type(graph: PRODUCTS, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID
  name: String @join__field(graph: PRODUCTS)
  reviews: [Review] @join__field(graph: REVIEWS)
  rating: Int! @join__field(graph: REVIEWS)
  status: Status @join__field(graph: PRODUCTS)
}

type Review @join__type(graph: REVIEWS) {
  body: String!
  author: String
}

enum Status @join__type(graph: PRODUCTS) {
  ACTIVE @join__enumValue(graph: PRODUCTS)
  RETIRED @join__enumValue(graph: PRODUCTS) @inaccessible
}
"""

PRODUCTS_SDL = """
type Query { products: [Product] product(id: ID!): Product strictProducts: [Product!]! }
type Product @key(fields: "id") { id: ID name: String status: Status }
enum Status { ACTIVE RETIRED }
"""

REVIEWS_SDL = """
type Query { ping: String }
type Product @key(fields: "id") { id: ID reviews: [Review] rating: Int! }
type Review { body: String! author: String }
"""

CATALOG = [
    {"id": "1", "name": "Table", "status": "ACTIVE"},
    {"id": "2", "name": "Chair", "status": "RETIRED"},
    {"id": "1", "name": "Table again", "status": "ACTIVE"},
    {"id": None, "name": "Ghost", "status": "ACTIVE"},
]
REVIEWS = {
    "1": [{"body": "Solid", "author": "ann"}],
    "2": [{"body": "Wobbly", "author": None}],
}


def products_subgraph(catalog: list[dict[str, Any]] | None = None) -> SubgraphSpec:
    items = CATALOG if catalog is None else catalog
    return SubgraphSpec(
        "products",
        sdl=PRODUCTS_SDL,
        resolvers={
            "Query": {
                "products": lambda _p, _i: items,
                "product": lambda _p, _i, id: next((p for p in items if p["id"] == id), None),
                "strictProducts": lambda _p, _i: items[:2],
            }
        },
        entities={"Product": lambda rep, _i: next(p for p in items if p["id"] == rep["id"])},
    )


def reviews_subgraph(
    product: Callable[[dict[str, Any], Info], Any] | None = None, **options: Any
) -> SubgraphSpec:
    def reviewed(rep: dict[str, Any], _info: Info) -> dict[str, Any]:
        return {"id": rep["id"], "reviews": REVIEWS.get(rep["id"], []), "rating": 4}

    return SubgraphSpec(
        "reviews",
        sdl=REVIEWS_SDL,
        resolvers={"Query": {"ping": lambda _p, _i: "pong"}},
        entities={"Product": product or reviewed},
        **options,
    )


@asynccontextmanager
async def engine_for(cluster: SubgraphCluster, **config: Any) -> AsyncIterator[Engine]:
    engine = Engine(
        supergraph(["products", "reviews"], BODY),
        EngineConfig(subgraph_urls=cluster.urls, **config),
    )
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()


async def run(
    engine: Engine,
    query: str,
    variables: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> GraphQLResponse:
    return await engine.execute(
        GraphQLRequest(query, variables=variables), RequestContext(headers=headers or {})
    )


async def test_representations_are_deduplicated_and_merged_into_every_origin() -> None:
    async with (
        SubgraphCluster([products_subgraph(), reviews_subgraph()]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(engine, "{ products { name reviews { body } } }")
    (fetch,) = cluster["reviews"].entity_requests
    # Product 1 appears twice in the list: one representation; the null-key one is not sent.
    assert fetch.variables["representations"] == [
        {"__typename": "Product", "id": "1"},
        {"__typename": "Product", "id": "2"},
    ]
    assert response.body["data"] == {
        "products": [
            {"name": "Table", "reviews": [{"body": "Solid"}]},
            {"name": "Chair", "reviews": [{"body": "Wobbly"}]},
            {"name": "Table again", "reviews": [{"body": "Solid"}]},
            {"name": "Ghost", "reviews": None},
        ]
    }


async def test_null_keys_are_skipped_with_one_error() -> None:
    async with (
        SubgraphCluster([products_subgraph(), reviews_subgraph()]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(engine, "{ products { reviews { body } } }")
    (error,) = response.body["errors"]
    assert error["extensions"]["code"] == "ENTITY_KEY_MISSING"
    assert error["path"] == ["products", 3]
    for request in cluster["reviews"].entity_requests:
        assert all(rep["id"] is not None for rep in request.variables["representations"])


async def test_entity_error_paths_are_rewritten_to_client_paths() -> None:
    def failing(rep: dict[str, Any], _info: Info) -> dict[str, Any]:
        if rep["id"] == "2":
            raise ValueError("no reviews for 2")
        return {"reviews": REVIEWS[rep["id"]], "rating": 5}

    reviews = reviews_subgraph(failing)
    catalog = [CATALOG[0], CATALOG[1], {"id": "2", "name": "Chair bis", "status": "ACTIVE"}]
    async with (
        SubgraphCluster([products_subgraph(catalog), reviews]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(engine, "{ products { name reviews { body } } }")
    errors = response.body["errors"]
    # One subgraph error on `_entities[1]`, which stands for products 1 and 2.
    assert sorted(e["path"] for e in errors) == [["products", 1], ["products", 2]]
    for error in errors:
        assert error["message"] == "no reviews for 2"
        assert error["extensions"]["code"] == "DOWNSTREAM_SERVICE_ERROR"
        assert error["extensions"]["serviceName"] == "reviews"
    assert response.body["data"]["products"][0] == {"name": "Table", "reviews": [{"body": "Solid"}]}
    assert response.body["data"]["products"][1] == {"name": "Chair", "reviews": None}


async def test_subgraph_down_gives_partial_data_and_subrequest_http_error() -> None:
    async with SubgraphCluster([products_subgraph()]) as cluster:
        urls = {**cluster.urls, "reviews": "http://127.0.0.1:9/graphql"}
        engine = Engine(supergraph(["products", "reviews"], BODY), EngineConfig(subgraph_urls=urls))
        await engine.start()
        try:
            response = await run(engine, "{ products { name reviews { body } } }")
        finally:
            await engine.close()
    assert response.status == 200
    assert [p["name"] for p in response.body["data"]["products"]] == [
        "Table",
        "Chair",
        "Table again",
        "Ghost",
    ]
    assert all(p["reviews"] is None for p in response.body["data"]["products"])
    failures = [
        e for e in response.body["errors"] if e["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    ]
    (failure,) = failures
    assert failure["extensions"]["service"] == "reviews"
    assert "error trying to connect" in failure["extensions"]["reason"]
    assert failure["message"].startswith("HTTP fetch failed from 'reviews': ")


async def test_timeout_gives_subrequest_http_error_and_keeps_other_fields() -> None:
    async with (
        SubgraphCluster([products_subgraph(), reviews_subgraph(delay=2.0)]) as cluster,
        engine_for(
            cluster,
            traffic_shaping=TrafficShapingConfig(
                subgraphs={"reviews": SubgraphTrafficConfig(timeout=0.2)}
            ),
        ) as engine,
    ):
        response = await run(engine, '{ product(id: "1") { name reviews { body } } }')
    assert response.body["data"] == {"product": {"name": "Table", "reviews": None}}
    (error,) = response.body["errors"]
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["reason"] == "request timed out"


async def test_http_error_status_and_bad_json_are_subrequest_http_errors() -> None:
    broken = reviews_subgraph(http_status=500, raw_body=b"<html>oops</html>")
    async with (
        SubgraphCluster([products_subgraph(), broken]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(engine, '{ ping product(id: "2") { name } }')
    assert response.body["data"] == {"ping": None, "product": {"name": "Chair"}}
    (error,) = response.body["errors"]
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["http"] == {"status": 500}

    garbage = reviews_subgraph(raw_body=b"not json")
    async with (
        SubgraphCluster([products_subgraph(), garbage]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(engine, "{ ping }")
    assert response.body["data"] == {"ping": None}
    assert response.body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"


async def test_null_in_non_null_position_bubbles_to_nearest_nullable_parent() -> None:
    def no_rating(rep: dict[str, Any], _info: Info) -> dict[str, Any]:
        return {"reviews": [], "rating": None} if rep["id"] == "2" else {"rating": 3}

    reviews = reviews_subgraph(no_rating)
    async with (
        SubgraphCluster([products_subgraph(), reviews]) as cluster,
        engine_for(cluster) as engine,
    ):
        nullable_list = await run(engine, "{ products { id rating } }")
        strict_list = await run(engine, "{ strictProducts { id rating } }")
    # `rating: Int!` null in product 2: the product (a nullable list item) becomes null.
    products = nullable_list.body["data"]["products"]
    assert products[0] == {"id": "1", "rating": 3}
    assert products[1] is None
    # In `[Product!]!` the null climbs through the list to the root field, then to `data`.
    assert strict_list.body["data"] is None
    paths = [e["path"] for e in strict_list.body["errors"]]
    assert ["strictProducts", 1, "rating"] in paths


async def test_unknown_enum_values_are_nulled_with_an_error() -> None:
    async with (
        SubgraphCluster([products_subgraph(), reviews_subgraph()]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(engine, "{ products { name status } }")
    statuses = [p["status"] for p in response.body["data"]["products"]]
    assert statuses == ["ACTIVE", None, "ACTIVE", "ACTIVE"]
    (error,) = response.body["errors"]
    assert error["path"] == ["products", 1, "status"]
    assert error["extensions"]["code"] == "RESPONSE_VALIDATION_FAILED"


async def test_in_flight_deduplication_shares_one_request() -> None:
    slow = reviews_subgraph(delay=0.2)
    async with (
        SubgraphCluster([products_subgraph(), slow]) as cluster,
        engine_for(cluster, deduplicate_requests=True) as engine,
    ):
        responses = await asyncio.gather(*(run(engine, "{ ping }") for _ in range(5)))
        assert [r.body for r in responses] == [{"data": {"ping": "pong"}}] * 5
        assert len(cluster["reviews"].received) == 1
        async with engine_for(cluster, deduplicate_requests=False) as engine:
            await asyncio.gather(*(run(engine, "{ ping }") for _ in range(3)))
        assert len(cluster["reviews"].received) == 4


async def test_deduplication_keeps_requests_with_different_headers_apart() -> None:
    slow = reviews_subgraph(delay=0.1)
    async with (
        SubgraphCluster([products_subgraph(), slow]) as cluster,
        engine_for(cluster, deduplicate_requests=True) as engine,
    ):
        await asyncio.gather(
            run(engine, "{ ping }", headers={"authorization": "a"}),
            run(engine, "{ ping }", headers={"authorization": "b"}),
        )
    assert sorted(r.headers["authorization"] for r in cluster["reviews"].received) == ["a", "b"]


async def test_only_used_variables_are_forwarded() -> None:
    async with (
        SubgraphCluster([products_subgraph(), reviews_subgraph()]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(
            engine,
            "query($id: ID!, $flag: Boolean!) {"
            " product(id: $id) { name reviews @include(if: $flag) { body } } }",
            {"id": "1", "flag": True},
        )
    assert response.body == {"data": {"product": {"name": "Table", "reviews": [{"body": "Solid"}]}}}
    (root,) = cluster["products"].received
    assert root.variables == {"id": "1"}
    assert "$id: ID!" in root.query
    (entities,) = cluster["reviews"].received
    assert set(entities.variables) == {"representations"}


async def test_mixed_introspection_and_data() -> None:
    async with (
        SubgraphCluster([products_subgraph(), reviews_subgraph()]) as cluster,
        engine_for(cluster) as engine,
    ):
        response = await run(
            engine,
            '{ __typename ping t: __type(name: "Status") { enumValues { name } } }',
        )
    assert response.body == {
        "data": {
            "__typename": "Query",
            "ping": "pong",
            "t": {"enumValues": [{"name": "ACTIVE"}]},
        }
    }
    assert not cluster["products"].received
