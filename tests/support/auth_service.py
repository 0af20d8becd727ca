"""Shared helpers of the auth tests: settings with cheap hashing, a served app, a client."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from polyshop.devstack.ports import free_port
from subgraphs.auth.app import create_app
from subgraphs.auth.runtime import AuthRuntime, runtime_of
from subgraphs.auth.settings import AuthSettings

PASSWORD = "correct horse battery"
_emails = itertools.count()


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_emails)}@example.com"


TEST_KEY_PASSPHRASE = "test-signing-key-passphrase"


def fast_settings(database_url: str, **overrides: Any) -> AuthSettings:
    """Real argon2id, with the smallest parameters, so that tests hash in milliseconds."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "log_level": "WARNING",
        "auth_argon2_time_cost": 1,
        "auth_argon2_memory_kib": 1024,
        "auth_argon2_parallelism": 1,
        "auth_key_passphrase": TEST_KEY_PASSPHRASE,
        **overrides,
    }
    return AuthSettings(**values)


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Runs ``app`` on uvicorn on a free port until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        proxy_headers=False,  # as deployed: X-Forwarded-For is the app's to judge
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped during start-up")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class AuthServer:
    url: str
    app: Any
    settings: AuthSettings

    @property
    def runtime(self) -> AuthRuntime:
        return runtime_of(self.app)

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"


@asynccontextmanager
async def serve_auth(settings: AuthSettings) -> AsyncIterator[AuthServer]:
    app = create_app(settings)
    async with serve(app) as url:
        yield AuthServer(url=url, app=app, settings=settings)


class GraphQLClient:
    """POST /graphql; returns the body (status 200 asserted unless told otherwise)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        status: int = 200,
        **variables: Any,
    ) -> dict[str, Any]:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=all_headers
        )
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    async def register(self, email: str | None = None, password: str = PASSWORD) -> dict[str, Any]:
        body = await self(
            REGISTER, input={"email": email or unique_email(), "password": password, "name": "T"}
        )
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"]["register"]
        return payload

    async def login(self, email: str, password: str = PASSWORD, **kw: Any) -> dict[str, Any]:
        return await self(LOGIN, email=email, password=password, **kw)


PAYLOAD = """
  accessToken refreshToken tokenType expiresIn
  user { id email name roles }
"""
REGISTER = f"""
mutation Register($input: RegisterInput!) {{ register(input: $input) {{ {PAYLOAD} }} }}
"""
LOGIN = f"""
mutation Login($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {PAYLOAD} }}
}}
"""
REFRESH = f"""
mutation Refresh($rt: String!) {{ refreshToken(refreshToken: $rt) {{ {PAYLOAD} }} }}
"""
LOGOUT = """
mutation Logout($rt: String!, $all: Boolean! = false) {
  logout(refreshToken: $rt, allSessions: $all)
}
"""
CHANGE_PASSWORD = f"""
mutation Change($current: String!, $new: String!) {{
  changePassword(currentPassword: $current, newPassword: $new) {{ {PAYLOAD} }}
}}
"""
ME = "{ me { id email name roles } }"


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
