"""The shared fake subgraph behaves like a strict federation subgraph and records requests."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from graphql import GraphQLError

from tests.support.subgraph_server import SubgraphCluster, SubgraphSpec, entity_by_key

SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { things: [Thing!]! slow: Int }
interface Media @key(fields: "id") { id: ID! }
type Book implements Media @key(fields: "id") { id: ID! title: String! }
type Thing @key(fields: "id") @key(fields: "group { code }") {
  id: ID!
  group: Group!
  label: String
}
type Group { code: String! }
"""
THINGS = [
    {"id": "t1", "group": {"code": "g1"}, "label": "one"},
    {"id": "t2", "group": {"code": "g2"}, "label": "two"},
]


def thing_entity(rep: dict[str, Any], _info: Any) -> Any:
    if rep.get("id") == "boom":
        raise GraphQLError("no such thing", extensions={"code": "NOT_FOUND"})
    if "group" in rep:
        return next(t for t in THINGS if t["group"] == rep["group"])
    return entity_by_key(THINGS, "id")(rep, _info)


async def slow(_parent: Any, _info: Any) -> int:
    await asyncio.sleep(0.01)
    return 7


SPEC = SubgraphSpec(
    "things",
    sdl=SDL,
    resolvers={"Query": {"things": lambda _p, _i: THINGS, "slow": slow}},
    entities={
        "Thing": thing_entity,
        "Media": lambda rep, _i: {"__typename": "Book", "id": rep["id"], "title": "T"},
    },
)
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Thing { id label } ... on Book { title } } }"  # noqa: E501


async def _post(url: str, query: str, variables: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"query": query, "variables": variables}) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_entities_by_either_key_with_per_item_errors() -> None:
    async with SubgraphCluster([SPEC]) as cluster:
        reps = [
            {"__typename": "Thing", "group": {"code": "g2"}},
            {"__typename": "Thing", "id": "boom"},
            {"__typename": "Thing", "id": "t1"},
            {"__typename": "Media", "id": "b9"},
        ]
        status, body = await _post(cluster.urls["things"], ENTITIES, {"r": reps})
    assert status == 200
    assert body["data"] == {
        "_entities": [
            {"__typename": "Thing", "id": "t2", "label": "two"},
            None,
            {"__typename": "Thing", "id": "t1", "label": "one"},
            {"__typename": "Book", "title": "T"},
        ]
    }
    (error,) = body["errors"]
    assert error["path"] == ["_entities", 1]
    assert error["message"] == "no such thing"
    assert error["extensions"] == {"code": "NOT_FOUND"}
    (record,) = cluster.recorder.requests
    assert record.is_entities
    assert record.representations == reps
    assert not record.rejected


@pytest.mark.parametrize(
    "representation",
    [
        {"__typename": "Thing", "id": None},
        {"__typename": "Thing", "group": {"code": None}},
        {"__typename": "Thing"},
        {"__typename": "Unknown", "id": "t1"},
    ],
)
async def test_incomplete_or_unknown_representation_is_an_error(
    representation: dict[str, Any],
) -> None:
    async with SubgraphCluster([SPEC]) as cluster:
        _, body = await _post(cluster.urls["things"], ENTITIES, {"r": [representation]})
    assert body["data"] == {"_entities": [None]}
    assert body["errors"][0]["path"] == ["_entities", 0]


async def test_invalid_operation_is_rejected_and_recorded() -> None:
    async with SubgraphCluster([SPEC]) as cluster:
        _, body = await _post(cluster.urls["things"], "{ things { nope } }")
        _, ok = await _post(cluster.urls["things"], "query Q { slow things { id } }")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert ok == {"data": {"slow": 7, "things": [{"id": "t1"}, {"id": "t2"}]}}
    first, second = cluster.recorder.requests
    assert first.rejected
    assert not second.rejected
    assert second.root_fields == ["slow", "things"]
    assert second.operation_type == "query"
    assert first.started < first.finished < second.started < second.finished
    assert cluster.recorder.counts() == {"things": 2}


async def test_down_and_failing_subgraphs() -> None:
    down = SubgraphSpec("down", sdl=SDL, down=True)
    failing = SubgraphSpec("failing", sdl=SDL, http_status=500)
    async with SubgraphCluster([down, failing]) as cluster:
        with pytest.raises(aiohttp.ClientConnectionError):
            await _post(cluster.urls["down"], "{ slow }")
        async with (
            aiohttp.ClientSession() as session,
            session.post(cluster.urls["failing"], json={"query": "{ slow }"}) as response,
        ):
            assert response.status == 500
            assert response.content_type == "text/plain"
    assert cluster.recorder.counts() == {"failing": 1}
