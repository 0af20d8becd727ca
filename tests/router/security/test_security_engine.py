"""The engine's authorization hook: caching, variables, projection safety, hot reload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from graphql import parse

from router.engine import Engine, EngineConfig, GraphQLRequest, RequestContext
from router.execution.projection import Projector, compile_selection
from router.http.runtime import engine_builder
from router.operation.normalize import prepare
from router.planning.nodes import ResponseAlias
from router.security import Authorizer, Principal, SecurityLayer, SecuritySettings
from router.security.nulls import add_null_fields
from router.security.rules import Access
from router.settings import RouterSettings
from router.supergraph import Supergraph, read_supergraph
from tests.support.router_security import shop_supergraph_sdl
from tests.support.secured_graph import subgraph_specs, supergraph_sdl
from tests.support.subgraph_server import SubgraphCluster

PLAIN_SUPERGRAPH = (
    shop_supergraph_sdl().split("scalar Secret")[0]
    + """
type Query @join__type(graph: SHOP) { hello: String }
type Mutation @join__type(graph: SHOP) { noop: Boolean }
"""
)


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return read_supergraph(supergraph_sdl())


@pytest_asyncio.fixture(scope="module")
async def engine(supergraph: Supergraph) -> AsyncIterator[Engine]:
    async with SubgraphCluster(subgraph_specs()) as cluster:
        engine = Engine(
            supergraph,
            EngineConfig(subgraph_urls=cluster.urls),
            authorizer=Authorizer(supergraph),
        )
        await engine.start()
        yield engine
        await engine.close()


async def run(
    engine: Engine,
    query: str,
    principal: Principal | None = None,
    variables: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    response = await engine.execute(
        GraphQLRequest(query, variables=variables), RequestContext({}, principal=principal)
    )
    return response.status, response.body


def test_a_supergraph_without_directives_skips_authorization() -> None:
    plain = read_supergraph(PLAIN_SUPERGRAPH)
    assert Engine(plain, authorizer=Authorizer(plain)).authorizer is None


async def test_repeated_requests_reuse_one_authorization(engine: Engine) -> None:
    """The hot path: anonymous, nothing protected selected → one cached, unfiltered result."""
    authorizer = engine.authorizer
    assert authorizer is not None
    query = "{ products { name } }"
    first = await authorizer.authorize(parse(query), None, None, cache_key=query)
    assert not first.filtered
    for _ in range(3):
        assert (await run(engine, query))[1] == {
            "data": {"products": [{"name": "Table"}, {"name": "Chair"}]}
        }
    assert await authorizer.authorize(parse(query), None, None, cache_key=query) is first


async def test_filtered_plans_are_kept_per_access(engine: Engine) -> None:
    query = "{ products { name price } }"
    anonymous = (await run(engine, query))[1]
    member = (await run(engine, query, Principal("u1")))[1]
    again = (await run(engine, query))[1]
    assert anonymous == again
    assert anonymous["data"]["products"][0] == {"name": "Table", "price": None}
    assert member == {
        "data": {"products": [{"name": "Table", "price": 120.0}, {"name": "Chair", "price": 40.0}]}
    }


async def test_variables_are_coerced_against_the_original_operation(engine: Engine) -> None:
    query = "query($m: Boolean!) { me @include(if: $m) { name } products { name } }"
    status, body = await run(engine, query)  # $m is required even though `me` is removed
    assert status == 400
    assert "data" not in body
    status, body = await run(engine, query, variables={"m": False})
    assert status == 200
    assert "errors" not in body


def test_a_removed_field_never_shows_a_value_the_plan_fetched_anyway(
    supergraph: Supergraph,
) -> None:
    """A removed field may still be in the merged data (as a key or for ``@requires``)."""
    schema = supergraph.api_schema
    query = '{ product(id: "p1") { id name price } }'
    result = Authorizer(supergraph).filter(parse(query), None, Access())
    assert result.document is not None
    selection = prepare(schema, result.document, None).expand(schema, {})
    projected = add_null_fields(selection, result.nulls(), schema)
    (product,) = projected.by_type["Query"]
    assert product.selection is not None
    assert [f.response_key for f in product.selection.by_type["Product"] if f.removed] == ["price"]
    merged = {"product": {"id": "p1", "name": "Table", "price": 120.0}}
    projector = Projector([], explains=result.explains)
    data = projector.project_root(merged, compile_selection(schema, projected, frozenset()))
    assert data == {"product": {"id": "p1", "name": "Table", "price": None}}
    assert projector.errors == []


def test_rebuilt_fields_keep_their_internal_aliases(supergraph: Supergraph) -> None:
    schema = supergraph.api_schema
    query = '{ product(id: "p1") { name seller { name email } } }'
    result = Authorizer(supergraph).filter(parse(query), None, Access())
    assert result.document is not None
    selection = prepare(schema, result.document, None).expand(schema, {})
    (product,) = selection.by_type["Query"]
    aliases = [ResponseAlias((), "Query", "product", "product__alias_1")]
    projected = add_null_fields(selection, result.nulls(), schema)
    (rebuilt,) = projected.by_type["Query"]
    assert rebuilt is not product  # its selection gained a placeholder below
    merged = {"product__alias_1": {"name": "Table", "seller": {"name": "Alice", "email": "x"}}}
    data = Projector([]).project_root(
        merged, compile_selection(schema, projected, frozenset(), aliases)
    )
    assert data == {"product": {"name": "Table", "seller": {"name": "Alice", "email": None}}}


async def test_each_engine_gets_the_authorizer_of_its_supergraph(supergraph: Supergraph) -> None:
    """Hot reload builds a new engine per supergraph; its authorizer follows the new schema."""
    security = SecurityLayer(SecuritySettings())
    build = engine_builder(RouterSettings(security=SecuritySettings()), security)
    await security.start()
    first = await build(supergraph)
    other = read_supergraph(shop_supergraph_sdl())
    second = await build(other)
    try:
        assert isinstance(first, Engine)
        assert isinstance(second, Engine)
        assert first.authorizer is not None
        assert second.authorizer is not None
        assert second.authorizer is security.authorizer(other)
        assert ("Product", "price") in first.authorizer.rules.fields
        assert ("Product", "price") not in second.authorizer.rules.fields
        assert ("User", "creditCard") in second.authorizer.rules.fields
    finally:
        await first.close()
        await second.close()
        await security.aclose()


async def test_fragment_fan_out_with_a_removed_field_runs_in_linear_work(engine: Engine) -> None:
    """The report's 750-byte shape, 40 deep, with a field anonymous callers may not see: the
    filtered document keeps its fragments, so preparing it costs a few selections per
    fragment (counted), and the answer nulls the removed field."""
    count = 40
    fragments = " ".join(
        f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(count)
    )
    query = f"{{ products {{ ...F0 }} }} {fragments} fragment F{count} on Product {{ name price }}"
    before = engine.work.total
    status, body = await run(engine, query)
    work = engine.work.total - before
    assert status == 200
    assert body["data"] == {
        "products": [{"name": "Table", "price": None}, {"name": "Chair", "price": None}]
    }
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHORIZED_FIELD_OR_TYPE"}
    assert work <= 10 * count, work
