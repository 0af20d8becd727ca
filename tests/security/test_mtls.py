"""mTLS without a mesh: router and subgraphs served over TLS that requires client certificates.

The test makes its own PKI with `cryptography`: a CA, a server certificate for
127.0.0.1/localhost, client certificates for the router and an app, and a rogue client
certificate from another CA. The products subgraph (demo data, real PostgreSQL) and the
router run under uvicorn with the options their settings produce; calls with the right
client certificate get data, every other call is refused at the TLS handshake.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import orjson
import pytest
import uvicorn
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwt.algorithms import ECAlgorithm
from pydantic import ValidationError
from starlette.applications import Starlette
from typer.testing import CliRunner
from uvicorn.main import main as uvicorn_command_line

from deploy import entrypoint
from polyshop.devstack.ports import free_port
from router.cli import uvicorn_options
from router.engine import Engine, EngineConfig, GraphQLRequest, RequestContext
from router.execution.fetcher import FetcherConfig, FetchFailure, SubgraphFetcher
from router.http import create_app as create_router_app
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from subgraphs.kit import tls
from subgraphs.kit.auth import (
    ClientCredentialsTokenClient,
    JwksKeySet,
    KeysUnavailable,
    TokenRequestError,
)
from subgraphs.kit.auth.install import install_token_auth
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.settings import ServiceSettings
from subgraphs.orders.catalog import CatalogUnavailable, ProductCatalog
from subgraphs.products.app import create_app as create_products_app
from subgraphs.products.demo import load_demo_data
from subgraphs.products.settings import ProductsSettings

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
REPO = Path(__file__).resolve().parents[2]
QUERY = "{ products(first: 3) { edges { node { id name } } } }"
ENTITY_QUERY = b'{"query":"{ products(first: 1) { edges { node { id } } } }"}'


# --- a private PKI, made by the test ---------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    ca: Path
    server: Issued
    router: Issued
    app: Issued
    rogue: Issued


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _authority(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    directory: Path,
    stem: str,
    authority: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    *,
    server: bool,
) -> Issued:
    ca_cert, ca_key = authority
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(stem))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    issued = Issued(directory / f"{stem}.pem", directory / f"{stem}-key.pem")
    issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    issued.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return issued


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    authority = _authority("PolyShop test CA")
    rogue_authority = _authority("PolyShop test CA")  # same name, other key: still refused
    ca = directory / "ca.pem"
    ca.write_bytes(authority[0].public_bytes(serialization.Encoding.PEM))
    return Pki(
        ca=ca,
        server=_leaf(directory, "server", authority, server=True),
        router=_leaf(directory, "router", authority, server=False),
        app=_leaf(directory, "app", authority, server=False),
        rogue=_leaf(directory, "rogue", rogue_authority, server=False),
    )


# --- servers -----------------------------------------------------------------------------------


@asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[int]:
    """Runs ``app`` under uvicorn with ``options`` until the block ends; yields the port."""
    options.setdefault("port", free_port())
    options.setdefault("host", "127.0.0.1")
    options.setdefault("log_level", "warning")
    options.setdefault("lifespan", "on")
    options.pop("loop", None)  # the test's own event loop runs the server
    server = uvicorn.Server(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped during start-up")
                await asyncio.sleep(0.01)
        yield int(options["port"])
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def products_url(service_database: ServiceDatabaseFactory, pki: Pki) -> AsyncIterator[str]:
    """The products subgraph over HTTPS requiring client certificates from the test CA."""
    database_url = await service_database("products")
    await load_demo_data(database_url)
    settings = ProductsSettings(
        database_url=database_url,
        log_level="WARNING",
        metrics=False,
        tls_certfile=str(pki.server.cert),
        tls_keyfile=str(pki.server.key),
        tls_client_ca=str(pki.ca),
    )
    app = create_products_app(settings, verify_tokens=False, events=False)
    async with serving(app, **settings.uvicorn_ssl_options()) as port:
        yield f"https://127.0.0.1:{port}/graphql"


def _fetcher(url: str, **tls_options: Any) -> SubgraphFetcher:
    return SubgraphFetcher(FetcherConfig(urls={"products": url}, timeout=10, **tls_options))


async def _fetch(fetcher: SubgraphFetcher) -> Any:
    await fetcher.start()
    try:
        response = await fetcher.fetch("products", ENTITY_QUERY, {}, dedupe=True)
        return orjson.loads(response.body)
    finally:
        await fetcher.close()


# --- the subgraph: the router's client ---------------------------------------------------------


async def test_router_client_with_its_certificate_gets_data(products_url: str, pki: Pki) -> None:
    fetcher = _fetcher(
        products_url,
        tls_ca=str(pki.ca),
        tls_certfile=str(pki.router.cert),
        tls_keyfile=str(pki.router.key),
    )
    body = await _fetch(fetcher)
    assert body["data"]["products"]["edges"], body


async def test_whole_engine_plans_and_fetches_over_mtls(products_url: str, pki: Pki) -> None:
    supergraph = await load_supergraph(str(REPO / "schema" / "supergraph.graphql"))
    config = EngineConfig(
        subgraph_urls={"products": products_url},
        subgraph_tls_ca=str(pki.ca),
        subgraph_tls_certfile=str(pki.router.cert),
        subgraph_tls_keyfile=str(pki.router.key),
    )
    engine = Engine(supergraph, config)
    await engine.start()
    try:
        response = await engine.execute(GraphQLRequest(QUERY), RequestContext(headers={}))
    finally:
        await engine.close()
    assert "errors" not in response.body, response.body
    names = [edge["node"]["name"] for edge in response.body["data"]["products"]["edges"]]
    assert len(names) == 3
    assert all(names)


async def test_call_without_client_certificate_is_refused(products_url: str, pki: Pki) -> None:
    with pytest.raises(FetchFailure):
        await _fetch(_fetcher(products_url, tls_ca=str(pki.ca)))
    # Below aiohttp: the handshake itself fails, no HTTP status ever comes back.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await _handshake_and_get(products_url, tls.client_context(str(pki.ca)))


async def test_certificate_from_another_ca_is_refused(products_url: str, pki: Pki) -> None:
    rogue = {
        "tls_ca": str(pki.ca),
        "tls_certfile": str(pki.rogue.cert),
        "tls_keyfile": str(pki.rogue.key),
    }
    with pytest.raises(FetchFailure):
        await _fetch(_fetcher(products_url, **rogue))
    context = tls.client_context(str(pki.ca), str(pki.rogue.cert), str(pki.rogue.key))
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await _handshake_and_get(products_url, context)


async def test_right_certificate_passes_the_same_raw_handshake(products_url: str, pki: Pki) -> None:
    """The control of the two tests above: only the certificate differs."""
    context = tls.client_context(str(pki.ca), str(pki.app.cert), str(pki.app.key))
    assert (await _handshake_and_get(products_url, context)).startswith(b"HTTP/1.1 200")


async def test_plain_http_to_the_tls_port_fails(products_url: str) -> None:
    fetcher = _fetcher(products_url.replace("https://", "http://"))
    with pytest.raises(FetchFailure):
        await _fetch(fetcher)


async def _empty_app(scope: Any, receive: Any, send: Any) -> None:
    """Never called: only uvicorn's configuration is looked at."""


def test_uvicorn_context_from_settings_requires_certificates_from_tls_1_2(pki: Pki) -> None:
    """What uvicorn itself builds from the options our settings produce."""
    settings = ServiceSettings(
        tls_certfile=str(pki.server.cert),
        tls_keyfile=str(pki.server.key),
        tls_client_ca=str(pki.ca),
    )
    config = uvicorn.Config(_empty_app, **settings.uvicorn_ssl_options())
    config.load()
    assert config.ssl is not None
    assert config.ssl.verify_mode == ssl.CERT_REQUIRED
    assert config.ssl.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert [c["subject"] for c in config.ssl.get_ca_certs()] == [
        ((("commonName", "PolyShop test CA"),),)
    ]


async def test_client_checks_the_server_certificate(products_url: str, pki: Pki) -> None:
    """Without the private CA the router does not trust the subgraph (no silent downgrade)."""
    fetcher = _fetcher(
        products_url, tls_certfile=str(pki.router.cert), tls_keyfile=str(pki.router.key)
    )
    with pytest.raises(FetchFailure, match=r"(?i)certificate"):
        await _fetch(fetcher)


async def _handshake_and_get(url: str, context: ssl.SSLContext) -> bytes:
    """One TLS connection, one GET /health; the first bytes of the answer."""
    port = int(url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        await writer.drain()
        # TLS 1.3: the server judges the client certificate after the client's handshake
        # ends, so a refusal shows up on the first read.
        data = await asyncio.wait_for(reader.read(64), 10)
        if not data:
            raise ConnectionResetError("closed without an answer")
        return data
    finally:
        writer.close()
        with suppress(ssl.SSLError, ConnectionError):
            await writer.wait_closed()


# --- the router served over mTLS ---------------------------------------------------------------


@pytest.fixture(scope="module")
async def router_url(products_url: str, pki: Pki) -> AsyncIterator[str]:
    settings = RouterSettings(
        supergraph=str(REPO / "schema" / "supergraph.graphql"),
        port=free_port(),
        hot_reload=False,
        telemetry={"exporters": {"logging": {"level": "warning"}}},
        subgraph_urls={"products": products_url},
        tls_certfile=str(pki.server.cert),
        tls_keyfile=str(pki.server.key),
        tls_client_ca=str(pki.ca),
        subgraph_tls_ca=str(pki.ca),
        subgraph_tls_certfile=str(pki.router.cert),
        subgraph_tls_keyfile=str(pki.router.key),
    )
    options = uvicorn_options(settings)
    assert options["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    async with serving(create_router_app(settings), **options) as port:
        yield f"https://localhost:{port}/graphql"


async def _post(url: str, context: ssl.SSLContext) -> Any:
    connector = aiohttp.TCPConnector(ssl=context)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(url, json={"query": QUERY}) as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_router_over_mtls_answers_a_client_with_a_certificate(
    router_url: str, pki: Pki
) -> None:
    context = tls.client_context(str(pki.ca), str(pki.app.cert), str(pki.app.key))
    body = await _post(router_url, context)
    assert "errors" not in body, body
    assert len(body["data"]["products"]["edges"]) == 3


async def test_router_over_mtls_refuses_a_client_without_one(router_url: str, pki: Pki) -> None:
    with pytest.raises(aiohttp.ClientError):
        await _post(router_url, tls.client_context(str(pki.ca)))
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await _handshake_and_get(router_url, tls.client_context(str(pki.ca)))


async def test_router_over_mtls_refuses_a_rogue_certificate(router_url: str, pki: Pki) -> None:
    context = tls.client_context(str(pki.ca), str(pki.rogue.cert), str(pki.rogue.key))
    with pytest.raises(aiohttp.ClientError):
        await _post(router_url, context)


# --- settings ----------------------------------------------------------------------------------


def test_server_context_requires_client_certificates_from_tls_1_2(pki: Pki) -> None:
    context = tls.server_context(str(pki.server.cert), str(pki.server.key), str(pki.ca))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    plain = tls.server_context(str(pki.server.cert), str(pki.server.key))
    assert plain.verify_mode == ssl.CERT_NONE


def test_settings_without_tls_leave_servers_and_clients_alone() -> None:
    settings = ServiceSettings()
    assert settings.uvicorn_ssl_options() == {}
    assert tls.outgoing_context(settings) is None
    assert uvicorn_options(RouterSettings()).get("ssl_certfile") is None


def test_service_outgoing_context_presents_the_client_certificate(pki: Pki) -> None:
    settings = ServiceSettings(
        tls_ca=str(pki.ca),
        tls_client_certfile=str(pki.app.cert),
        tls_client_keyfile=str(pki.app.key),
    )
    context = tls.outgoing_context(settings)
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "PolyShop test CA"),),)
    ]


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (ServiceSettings, {"tls_client_ca": "ca.pem"}),
        (ServiceSettings, {"tls_keyfile": "key.pem"}),
        (ServiceSettings, {"tls_client_keyfile": "key.pem"}),
        (RouterSettings, {"tls_client_ca": "ca.pem"}),
        (RouterSettings, {"subgraph_tls_keyfile": "key.pem"}),
    ],
)
def test_half_configured_tls_is_an_error(cls: type[Any], values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        cls(**values)


def test_router_tls_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_TLS_CERTFILE", str(pki.server.cert))
    monkeypatch.setenv("POLYSHOP_ROUTER_TLS_CLIENT_CA", str(pki.ca))
    monkeypatch.setenv("POLYSHOP_ROUTER_SUBGRAPH_TLS_CERTFILE", str(pki.router.cert))
    settings = RouterSettings()
    options = uvicorn_options(settings)
    assert options["ssl_certfile"] == str(pki.server.cert)
    assert options["ssl_ca_certs"] == str(pki.ca)
    assert settings.subgraph_tls_certfile == str(pki.router.cert)


# --- the image's entrypoint --------------------------------------------------------------------


def _subgraph_tls_env(pki: Pki) -> dict[str, str]:
    return {
        "POLYSHOP_TLS_CERTFILE": str(pki.server.cert),
        "POLYSHOP_TLS_KEYFILE": str(pki.server.key),
        "POLYSHOP_TLS_CLIENT_CA": str(pki.ca),
        "POLYSHOP_TLS_CLIENT_CERTFILE": str(pki.app.cert),
        "POLYSHOP_TLS_CLIENT_KEYFILE": str(pki.app.key),
    }


def test_entrypoint_serves_a_subgraph_with_uvicorn_tls_flags(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    for name, value in _subgraph_tls_env(pki).items():
        monkeypatch.setenv(name, value)
    command = entrypoint.serve_command("products", entrypoint.DeploySettings())
    assert command[1:3] == ["-m", "uvicorn"]
    # uvicorn's own command line parses them into the options the kit's settings give.
    context = uvicorn_command_line.make_context("uvicorn", command[3:])
    assert context.params["ssl_certfile"] == str(pki.server.cert)
    assert context.params["ssl_keyfile"] == str(pki.server.key)
    assert context.params["ssl_ca_certs"] == str(pki.ca)
    assert context.params["ssl_cert_reqs"] == ssl.CERT_REQUIRED


def test_entrypoint_without_tls_adds_no_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYSHOP_TLS_CERTFILE", raising=False)
    command = entrypoint.serve_command("products", entrypoint.DeploySettings())
    assert not [part for part in command if part.startswith("--ssl")]


async def _healthcheck(service: str, env: dict[str, str]) -> tuple[int, str]:
    result = await asyncio.to_thread(
        CliRunner().invoke, entrypoint.app, ["healthcheck", service], env=env
    )
    return result.exit_code, result.output


async def test_entrypoint_healthcheck_presents_the_client_certificate(
    products_url: str, router_url: str, pki: Pki
) -> None:
    products_port = products_url.split(":")[2].split("/")[0]
    env = {**_subgraph_tls_env(pki), "POLYSHOP_PORT": products_port}
    assert await _healthcheck("products", env) == (0, "")
    without_certificate = {k: v for k, v in env.items() if "_TLS_CLIENT_" not in k}
    without_certificate["POLYSHOP_TLS_CLIENT_CA"] = str(pki.ca)
    code, output = await _healthcheck("products", without_certificate)
    assert code == 1
    assert output.startswith(f"products: https://127.0.0.1:{products_port}/health: "), output
    code, output = await _healthcheck("products", {"POLYSHOP_PORT": products_port})
    assert code == 1, output  # plain HTTP to the TLS port

    router_env = {
        "POLYSHOP_ROUTER_PORT": router_url.split(":")[2].split("/")[0],
        "POLYSHOP_ROUTER_TLS_CERTFILE": str(pki.server.cert),
        "POLYSHOP_ROUTER_SUBGRAPH_TLS_CERTFILE": str(pki.router.cert),
        "POLYSHOP_ROUTER_SUBGRAPH_TLS_KEYFILE": str(pki.router.key),
    }
    assert await _healthcheck("router", router_env) == (0, "")


# --- a service's own outgoing calls: JWKS, token endpoint, products ---------------------------

ISSUER_KID = "mtls-issuer"


@dataclass(frozen=True)
class Issuer:
    """An auth-like server over TLS that requires client certificates from the test CA."""

    base_url: str
    key: ec.EllipticCurvePrivateKey
    token_requests: list[str]

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/.well-known/jwks.json"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    def sign(self, subject: str = "svc-orders") -> str:
        now = int(datetime.datetime.now(datetime.UTC).timestamp())
        claims = {
            "sub": subject,
            "iss": "polyshop-auth",
            "aud": "polyshop",
            "iat": now,
            "exp": now + 300,
        }
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": ISSUER_KID})


@pytest.fixture(scope="module")
async def issuer(pki: Pki) -> AsyncIterator[Issuer]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": ISSUER_KID, "alg": "ES256", "use": "sig"})
    token_requests: list[str] = []

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response({"keys": [jwk]})

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        token_requests.append(str(form.get("grant_type")))
        return web.json_response({"access_token": "minted", "expires_in": 300})

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", jwks)
    app.router.add_post("/oauth/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    context = tls.server_context(str(pki.server.cert), str(pki.server.key), str(pki.ca))
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context)
    await site.start()
    try:
        yield Issuer(f"https://127.0.0.1:{port}", key, token_requests)
    finally:
        await runner.cleanup()


def _app_settings(pki: Pki, **values: Any) -> ServiceSettings:
    """A service's settings with its outgoing certificate (server side left plain)."""
    return ServiceSettings(
        tls_ca=str(pki.ca),
        tls_client_certfile=str(pki.app.cert),
        tls_client_keyfile=str(pki.app.key),
        **values,
    )


def _outgoing(pki: Pki) -> ssl.SSLContext:
    context = tls.outgoing_context(_app_settings(pki))
    assert context is not None
    return context


async def test_jwks_cache_presents_the_service_certificate(issuer: Issuer, pki: Pki) -> None:
    cache = JwksKeySet(issuer.jwks_url, ssl=_outgoing(pki))
    try:
        assert await cache.candidates(ISSUER_KID, "ES256")
    finally:
        await cache.aclose()


@pytest.mark.parametrize("with_ca_only", [False, True])
async def test_jwks_cache_without_the_certificate_gets_no_keys(
    issuer: Issuer, pki: Pki, with_ca_only: bool
) -> None:
    """No context: the private CA is not trusted; CA only: the server refuses us."""
    context = tls.client_context(str(pki.ca)) if with_ca_only else None
    cache = JwksKeySet(issuer.jwks_url, ssl=context, timeout_seconds=5)
    try:
        await cache.refresh()  # a failed fetch is logged; the keys stay empty
        assert cache.kids == frozenset()
        with pytest.raises(KeysUnavailable):
            await cache.candidates(ISSUER_KID, "ES256")
    finally:
        await cache.aclose()


def _token_client(issuer: Issuer, context: ssl.SSLContext | None) -> ClientCredentialsTokenClient:
    settings = TokenSettings(token_url=issuer.token_url, client_id="orders", client_secret="s3cret")
    return ClientCredentialsTokenClient.from_settings(settings, ssl=context)


async def test_token_client_presents_the_service_certificate(issuer: Issuer, pki: Pki) -> None:
    before = len(issuer.token_requests)
    client = _token_client(issuer, _outgoing(pki))
    try:
        assert await client.authorization() == {"Authorization": "Bearer minted"}
    finally:
        await client.aclose()
    assert issuer.token_requests[before:] == ["client_credentials"]


@pytest.mark.parametrize("with_ca_only", [False, True])
async def test_token_client_without_the_certificate_is_refused(
    issuer: Issuer, pki: Pki, with_ca_only: bool
) -> None:
    before = len(issuer.token_requests)
    client = _token_client(issuer, tls.client_context(str(pki.ca)) if with_ca_only else None)
    try:
        with pytest.raises(TokenRequestError) as caught:
            await client.token()
    finally:
        await client.aclose()
    assert caught.value.error == "token_endpoint_unavailable"
    assert len(issuer.token_requests) == before  # refused before any HTTP was read


async def _whoami_status(app: Any, token: str) -> int:
    """Status of an authenticated GraphQL call to ``app`` served over plain HTTP."""
    async with (
        serving(app) as port,
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        return response.status


async def test_service_app_fetches_jwks_with_its_certificate(
    issuer: Issuer,
    pki: Pki,
    service_database: ServiceDatabaseFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kit's app factory hands `outgoing_context(settings)` to its token verifier."""
    monkeypatch.setenv("POLYSHOP_AUTH_JWKS_URL", issuer.jwks_url)
    monkeypatch.setenv("POLYSHOP_AUTH_JWKS_TIMEOUT_SECONDS", "5")
    database_url = await service_database("products")
    with_certificate = ProductsSettings(
        database_url=database_url,
        log_level="WARNING",
        metrics=False,
        tls_ca=str(pki.ca),
        tls_client_certfile=str(pki.app.cert),
        tls_client_keyfile=str(pki.app.key),
    )
    token = issuer.sign()
    assert await _whoami_status(create_products_app(with_certificate), token) == 200
    without = ProductsSettings(
        database_url=database_url, log_level="WARNING", metrics=False, tls_ca=str(pki.ca)
    )
    assert await _whoami_status(create_products_app(without), token) == 503  # no keys


async def test_install_token_auth_passes_the_context_to_the_jwks_cache(
    issuer: Issuer, pki: Pki
) -> None:
    settings = TokenSettings(jwks_url=issuer.jwks_url)
    verifier = install_token_auth(
        Starlette(), dev_mode=False, settings=settings, ssl=_outgoing(pki)
    )
    try:
        identity = await verifier.verify(issuer.sign("svc-payments"))
    finally:
        await verifier.aclose()
    assert identity.subject == "svc-payments"


async def test_product_catalog_presents_the_service_certificate(
    products_url: str, pki: Pki
) -> None:
    dev_token_settings = TokenSettings(client_id=None, client_secret=None)
    catalog = ProductCatalog.from_settings(
        products_url, timeout_seconds=10, token_settings=dev_token_settings, ssl=_outgoing(pki)
    )
    try:
        quotes = await catalog.quotes([1, 2, 3])
    finally:
        await catalog.aclose()
    assert sorted(quotes) == [1, 2, 3]
    assert all(quote.price > 0 for quote in quotes.values())

    without = ProductCatalog(products_url, timeout_seconds=5, ssl=tls.client_context(str(pki.ca)))
    try:
        with pytest.raises(CatalogUnavailable):
            await without.quotes([1])
    finally:
        await without.aclose()
