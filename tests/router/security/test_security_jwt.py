"""JWT verification against a real JWKS served over HTTP (keys generated here).

Behaviour matched: Apollo Router's JWT authentication ("Authentication in the GraphOS
Router", JWT): invalid tokens → HTTP 401 with ``extensions.code = "UNAUTHENTICATED"``, missing
token → the request continues unauthenticated.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import jwt as pyjwt
import pytest
import pytest_asyncio

from polyshop.runtime.jwks import JwksKeySet
from polyshop.runtime.jwt import JwtPolicy, JwtVerifier
from polyshop.runtime.principal import Principal
from router.security.errors import AUTH_ERROR, UNAUTHENTICATED, AuthenticationError
from router.security.jwt import JwtAuthenticator, JwtConfig, TokenSource
from tests.support.keys import TestKeys
from tests.support.router_security import JwksServer

POLICY = JwtPolicy(issuers=("polyshop-auth",), audiences=("polyshop",))


class Edge:
    """The platform's verifier as the router's edge answers: a bearer token in, a `Principal`
    or an `AuthenticationError` (status, body, ``WWW-Authenticate``) out."""

    def __init__(self, keys: JwksKeySet, policy: JwtPolicy | None = None) -> None:
        self.authenticator = JwtAuthenticator(JwtVerifier(keys, policy))

    async def verify(self, token: str) -> Principal:
        principal = await self.authenticator.authenticate({"authorization": f"Bearer {token}"})
        assert principal is not None
        return principal


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def ec_key() -> TestKeys:
    return TestKeys.ec("ec-1")


@pytest.fixture(scope="module")
def rsa_key() -> TestKeys:
    return TestKeys.rsa("rsa-1")


@pytest_asyncio.fixture
async def jwks(ec_key: TestKeys, rsa_key: TestKeys) -> AsyncIterator[JwksServer]:
    server = await JwksServer(ec_key, rsa_key).start()
    yield server
    await server.close()


@pytest_asyncio.fixture
async def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def keys(jwks: JwksServer, clock: Clock) -> AsyncIterator[JwksKeySet]:
    key_set = JwksKeySet([jwks.url], min_refresh_seconds=10, cache_seconds=300, clock=clock)
    yield key_set
    await key_set.aclose()


@pytest.fixture
def verifier(keys: JwksKeySet) -> Edge:
    return Edge(keys, POLICY)


async def test_es256_and_rs256_tokens_give_a_principal(
    verifier: Edge, ec_key: TestKeys, rsa_key: TestKeys
) -> None:
    token = ec_key.sign(scope="read:orders write:orders", roles=["admin"], client_id="web")
    principal = await verifier.verify(token)
    assert principal.subject == "user-1"
    assert principal.scopes == {"read:orders", "write:orders"}
    assert principal.roles == {"admin"}
    assert principal.client_id == "web"
    assert not principal.is_service
    assert principal.token == token
    assert principal.claims["iss"] == "polyshop-auth"

    service = await verifier.verify(rsa_key.sign(sub="orders", client_id="orders"))
    assert service.is_service


def in_seconds(offset: int) -> Callable[[], int]:
    """A time claim computed when the test runs (collection may be minutes earlier)."""
    return lambda: int(time.time()) + offset


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": in_seconds(-60)}, "token has expired"),
        ({"nbf": in_seconds(120)}, "token is not yet valid"),
        ({"aud": "someone-else"}, "invalid audience"),
        ({"iss": "evil-issuer"}, "invalid issuer"),
        ({"exp": None}, "missing claim 'exp'"),
        ({"sub": None}, "missing claim 'sub'"),
    ],
)
async def test_claims_are_checked(
    verifier: Edge, ec_key: TestKeys, claims: dict[str, object], reason: str
) -> None:
    now_claims = {key: value() if callable(value) else value for key, value in claims.items()}
    with pytest.raises(AuthenticationError) as caught:
        await verifier.verify(ec_key.sign(now_claims))
    assert caught.value.reason == reason
    assert caught.value.status == 401
    assert caught.value.body()["errors"][0]["extensions"]["code"] == UNAUTHENTICATED
    assert 'error="invalid_token"' in caught.value.headers["WWW-Authenticate"]


async def test_small_leeway_accepts_a_just_expired_token(
    keys: JwksKeySet, ec_key: TestKeys
) -> None:
    verifier = Edge(keys, JwtPolicy(leeway_seconds=30))
    principal = await verifier.verify(ec_key.sign(exp=int(time.time()) - 10))
    assert principal.subject == "user-1"


async def test_tampered_token_is_rejected(verifier: Edge, ec_key: TestKeys) -> None:
    header, _payload, signature = ec_key.sign().split(".")
    forged_payload = pyjwt.utils.base64url_encode(
        b'{"sub":"admin","iss":"polyshop-auth","aud":"polyshop","exp":9999999999}'
    ).decode()
    with pytest.raises(AuthenticationError) as caught:
        await verifier.verify(f"{header}.{forged_payload}.{signature}")
    assert caught.value.reason == "signature verification failed"


async def test_token_signed_by_an_unknown_key_is_rejected(verifier: Edge) -> None:
    stranger = TestKeys.ec("ec-1")  # same kid, different key: an attacker's guess
    with pytest.raises(AuthenticationError) as caught:
        await verifier.verify(stranger.sign())
    assert caught.value.reason == "signature verification failed"


async def test_algorithm_confusion_and_none_are_refused(verifier: Edge, ec_key: TestKeys) -> None:
    public_pem = ec_key.public_jwk["x"]  # anything public an attacker could use as an HMAC secret
    hs = pyjwt.encode({"sub": "x", "exp": 9999999999}, public_pem, "HS256", {"kid": "ec-1"})
    with pytest.raises(AuthenticationError, match="not allowed"):
        await verifier.verify(hs)
    unsigned = pyjwt.encode({"sub": "x"}, None, "none", {"kid": "ec-1"})
    with pytest.raises(AuthenticationError, match="not allowed"):
        await verifier.verify(unsigned)
    # RS256 declared on an EC key: the key does not fit the algorithm
    with pytest.raises(AuthenticationError, match="no signing key"):
        await verifier.verify(TestKeys.rsa("ec-1").sign(headers={"kid": "ec-1"}))


async def test_garbage_is_malformed(verifier: Edge) -> None:
    with pytest.raises(AuthenticationError, match="malformed token"):
        await verifier.verify("not-a-jwt")


async def test_keys_are_cached(verifier: Edge, jwks: JwksServer, ec_key: TestKeys) -> None:
    for _ in range(5):
        await verifier.verify(ec_key.sign())
    assert jwks.hits == 1


async def test_rotation_unknown_kid_triggers_a_refetch(
    verifier: Edge, jwks: JwksServer, ec_key: TestKeys, clock: Clock
) -> None:
    await verifier.verify(ec_key.sign())
    assert jwks.hits == 1
    rotated = TestKeys.ec("ec-2")
    jwks.keys = [rotated.public_jwk]  # the issuer rotates: old key gone, new key published
    clock.now += 11
    principal = await verifier.verify(rotated.sign(sub="after-rotation"))
    assert principal.subject == "after-rotation"
    assert jwks.hits == 2
    with pytest.raises(AuthenticationError, match="no signing key"):
        await verifier.verify(ec_key.sign())  # the retired key no longer verifies


async def test_unknown_kids_are_rate_limited(
    verifier: Edge, jwks: JwksServer, ec_key: TestKeys, clock: Clock
) -> None:
    await verifier.verify(ec_key.sign())
    made_up = [TestKeys.ec(f"fake-{i}") for i in range(3)]
    for key in made_up:
        with pytest.raises(AuthenticationError, match="no signing key"):
            await verifier.verify(key.sign())
    assert jwks.hits == 1  # within min_refresh_seconds: no refetch
    clock.now += 10
    with pytest.raises(AuthenticationError):
        await verifier.verify(made_up[0].sign())
    assert jwks.hits == 2


async def test_cache_expires_after_cache_seconds(
    verifier: Edge, jwks: JwksServer, ec_key: TestKeys, clock: Clock
) -> None:
    await verifier.verify(ec_key.sign())
    clock.now += 301
    await verifier.verify(ec_key.sign())
    assert jwks.hits == 2


async def test_outage_keeps_serving_cached_keys(
    verifier: Edge, jwks: JwksServer, ec_key: TestKeys, clock: Clock
) -> None:
    await verifier.verify(ec_key.sign())
    jwks.status = 500
    clock.now += 301
    principal = await verifier.verify(ec_key.sign())
    assert principal.subject == "user-1"
    assert jwks.hits == 2


async def test_no_keys_ever_is_a_503(jwks: JwksServer, ec_key: TestKeys) -> None:
    jwks.status = 503
    keys = JwksKeySet([jwks.url])
    try:
        with pytest.raises(AuthenticationError) as caught:
            await Edge(keys).verify(ec_key.sign())
        assert caught.value.status == 503
    finally:
        await keys.aclose()


async def test_several_jwks_urls(ec_key: TestKeys, rsa_key: TestKeys) -> None:
    first, second = await JwksServer(ec_key).start(), await JwksServer(rsa_key).start()
    keys = JwksKeySet([first.url, second.url])
    try:
        verifier = Edge(keys)
        assert (await verifier.verify(ec_key.sign())).subject == "user-1"
        assert (await verifier.verify(rsa_key.sign(sub="rsa"))).subject == "rsa"
    finally:
        await keys.aclose()
        await first.close()
        await second.close()


async def test_rsa_key_without_alg_and_token_without_kid() -> None:
    key = TestKeys.rsa("plain", declare_alg=False)
    server = await JwksServer(key).start()
    keys = JwksKeySet([server.url])
    try:
        verifier = Edge(keys)
        token = pyjwt.encode(
            {"sub": "no-kid", "exp": int(time.time()) + 60}, key.private_key, "RS384"
        )
        assert (await verifier.verify(token)).subject == "no-kid"
    finally:
        await keys.aclose()
        await server.close()


async def test_periodic_refresh_in_the_background(jwks: JwksServer, ec_key: TestKeys) -> None:
    keys = JwksKeySet([jwks.url], cache_seconds=0.05)
    await keys.start()
    try:
        assert jwks.hits == 1
        rotated = TestKeys.ec("bg-2")
        jwks.keys.append(rotated.public_jwk)
        await asyncio.sleep(0.2)
        assert jwks.hits >= 3
        assert await keys.candidates("bg-2", "ES256")
    finally:
        await keys.aclose()


# -- the edge hook --------------------------------------------------------------------


async def test_authenticator_missing_token_is_anonymous(verifier: Edge) -> None:
    assert await verifier.authenticator.authenticate({"accept": "*/*"}) is None


async def test_authenticator_reads_bearer(verifier: Edge, ec_key: TestKeys) -> None:
    token = ec_key.sign()
    principal = await verifier.authenticator.authenticate({"authorization": f"bearer {token}"})
    assert principal is not None
    assert principal.subject == "user-1"


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc"])
async def test_authenticator_malformed_header_is_401(verifier: Edge, value: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await verifier.authenticator.authenticate({"authorization": value})
    assert caught.value.status == 401


async def test_authenticator_reads_other_sources_in_order(
    keys: JwksKeySet, ec_key: TestKeys
) -> None:
    """``sources`` (Apollo's ``jwt.sources``): looked at when the main header is absent, in
    order; a source that is present but malformed is a 401 like the main header."""
    token, other = ec_key.sign(sub="from-header"), ec_key.sign(sub="from-cookie")
    config = JwtConfig(
        sources=(
            TokenSource("header", "X-Api-Token", ""),
            TokenSource("cookie", "polyshop_token"),
        )
    )
    authenticator = JwtAuthenticator(JwtVerifier(keys), config)
    cookie = f"a=1; polyshop_token={other}"
    both = await authenticator.authenticate({"x-api-token": token, "cookie": cookie})
    assert both is not None
    assert both.subject == "from-header"
    only_cookie = await authenticator.authenticate({"cookie": cookie})
    assert only_cookie is not None
    assert only_cookie.subject == "from-cookie"
    main = await authenticator.authenticate({"authorization": f"Bearer {token}", "cookie": cookie})
    assert main is not None
    assert main.subject == "from-header"
    assert await authenticator.authenticate({"cookie": 'a=1; broken="x'}) is None
    with pytest.raises(AuthenticationError) as caught:
        await authenticator.authenticate({"x-api-token": "two words"})
    assert caught.value.status == 401


async def test_authenticator_require_authentication(keys: JwksKeySet) -> None:
    authenticator = JwtAuthenticator(JwtVerifier(keys), JwtConfig(require_authentication=True))
    with pytest.raises(AuthenticationError) as caught:
        await authenticator.authenticate({})
    assert caught.value.status == 401
    assert caught.value.body()["errors"][0]["extensions"]["code"] == AUTH_ERROR


async def test_a_huge_or_hostile_kid_is_echoed_bounded_and_sanitized(
    verifier: Edge, ec_key: TestKeys
) -> None:
    """The kid comes from the client: 10 kB of it, quotes and control characters must not
    reach the WWW-Authenticate header as sent."""
    kid = 'x"\r\nSet-Cookie: a=b\\' + "k" * 10_000
    with pytest.raises(AuthenticationError) as caught:
        await verifier.verify(ec_key.sign(headers={"kid": kid}))
    challenge = caught.value.headers["WWW-Authenticate"]
    description = challenge.split('error_description="', 1)[1]
    assert description.endswith('"')
    assert '"' not in description[:-1]
    assert len(challenge) < 300
    assert "\r" not in challenge
    assert "\n" not in challenge
    assert "\\" not in challenge
    assert "kkkk" in challenge
    assert "k" * 100 not in challenge
    assert len(caught.value.reason) < 100


async def test_a_token_living_longer_than_the_maximum_is_refused(
    keys: JwksKeySet, ec_key: TestKeys
) -> None:
    verifier = Edge(keys, JwtPolicy(max_token_lifetime_seconds=3600))
    now = int(time.time())
    century = ec_key.sign(exp=now + 100 * 365 * 86400)
    with pytest.raises(AuthenticationError, match="lifetime exceeds 3600 s"):
        await verifier.verify(century)
    without_iat = ec_key.sign(iat=None, exp=now + 7200)
    with pytest.raises(AuthenticationError, match="lifetime exceeds"):
        await verifier.verify(without_iat)
    back_dated = ec_key.sign(iat=now - 3000, exp=now + 1000)
    with pytest.raises(AuthenticationError, match="lifetime exceeds"):
        await verifier.verify(back_dated)
    assert (await verifier.verify(ec_key.sign(iat=now - 3000, exp=now + 500))).subject


def test_router_and_subgraphs_read_one_leeway_and_one_maximum_lifetime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One variable each, read at both ends: the edge and the subgraphs cannot disagree."""
    from router.security.settings import SecuritySettings
    from subgraphs.kit.auth.settings import TokenSettings

    defaults = SecuritySettings(), TokenSettings()
    assert defaults[0].leeway_seconds == defaults[1].leeway_seconds == 5
    assert defaults[0].max_token_lifetime_seconds == defaults[1].max_token_lifetime_seconds
    monkeypatch.setenv("POLYSHOP_AUTH_LEEWAY_SECONDS", "7")
    monkeypatch.setenv("POLYSHOP_AUTH_MAX_TOKEN_LIFETIME_SECONDS", "600")
    router, subgraph = SecuritySettings(), TokenSettings()
    assert router.leeway_seconds == subgraph.leeway_seconds == 7
    assert router.max_token_lifetime_seconds == subgraph.max_token_lifetime_seconds == 600
