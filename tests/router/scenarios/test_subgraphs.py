"""The scenario subgraphs themselves, queried directly over HTTP (no router).

These prove the fixtures answer as the federation subgraph spec says (``_service``,
``_entities``) and that each scenario's data gives what its ``Direct`` checks state, so a
failing scenario points at the router rather than at its test double.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import pytest

from tests.support.subgraph_server import SubgraphCluster, entity_keys

from .expect import assert_errors
from .model import all_scenarios, load

pytestmark = pytest.mark.slow  # every scenario subgraph served and queried

SCENARIOS = [pytest.param(loaded.name, id=loaded.name) for loaded in all_scenarios()]


async def _post(
    session: aiohttp.ClientSession, url: str, query: str, variables: Any = None
) -> dict[str, Any]:
    async with session.post(url, json={"query": query, "variables": variables}) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


@pytest.mark.parametrize("scenario_name", SCENARIOS)
async def test_subgraphs_answer_federation_queries(scenario_name: str) -> None:
    loaded = load(scenario_name)
    # failure modes off: these checks are about the subgraph's answers, not its outage
    live = [
        dataclasses.replace(s, delay=0.0)
        for s in loaded.scenario.subgraphs
        if not s.down and s.http_status is None
    ]
    async with SubgraphCluster(live) as cluster, aiohttp.ClientSession() as session:
        for spec in live:
            url = cluster.urls[spec.name]
            body = await _post(session, url, "{ _service { sdl } }")
            assert body == {"data": {"_service": {"sdl": spec.sdl}}}
            if entity_keys(spec.sdl):
                body = await _post(
                    session,
                    url,
                    "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
                    {"r": []},
                )
                assert body == {"data": {"_entities": []}}
        for check in loaded.scenario.direct:
            body = await _post(session, cluster.urls[check.subgraph], check.query, check.variables)
            assert body.get("data") == check.data, body
            if check.errors:
                assert_errors(body.get("errors"), check.errors)
            else:
                assert "errors" not in body, body
