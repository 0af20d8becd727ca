"""Demo data: idempotent, and the demo accounts and clients work."""

from __future__ import annotations

from typing import Any

from subgraphs.auth.demo import DEMO_CLIENTS, DEMO_USERS, load_demo_data
from tests.support.auth_service import AuthServer, GraphQLClient, fast_settings


async def test_demo_data_loads_once_and_signs_in(
    auth_db: str, auth_server: AuthServer, gql: GraphQLClient, http: Any, sql: Any
) -> None:
    settings = fast_settings(auth_db, auth_demo_client_secret="shared-dev-secret")
    assert await load_demo_data(auth_db, settings) == len(DEMO_USERS) + len(DEMO_CLIENTS)
    assert await load_demo_data(auth_db, settings) == 0
    assert await sql.fetchval("SELECT count(*) FROM users") == len(DEMO_USERS)

    body = await gql.login("admin@example.com", "polyshop-demo")
    assert body["data"]["login"]["user"]["roles"] == ["admin", "customer"]
    alice = await gql.login("alice@example.com", "polyshop-demo")
    assert alice["data"]["login"]["user"]["roles"] == ["customer"]

    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("orders", "shared-dev-secret"),
    )
    assert response.status_code == 200, response.text
    assert set(response.json()["scope"].split()) == set(DEMO_CLIENTS["orders"])
