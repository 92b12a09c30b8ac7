"""The console's sign-in with the city's identity provider: PKCE, the state cookie, the ID
token's checks and the reading of the person, and the whole exchange between the portal (in
process) and a real provider on loopback (tests/e2e/oidc_provider.py) — no mocked protocol."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from services.portal.adapters.oidc import (
    STATE_COOKIE,
    STATE_SECONDS,
    Pending,
    SignInFailed,
    authorization_url,
    check_id_token,
    check_state,
    code_challenge,
    identity,
    seal,
    token_expired,
    unseal,
)
from services.portal.adapters.sessions import COOKIE, Signer, new_session, portal_secret
from shared.auth import Role
from shared.oidc import OidcVerifier
from tests.e2e.oidc_provider import Person, TestProvider

SECRET = b"s" * 32
NOW = datetime.now(UTC)
CLIENT = "gongkai-portal"


@pytest.fixture(scope="module")
def provider() -> Iterator[TestProvider]:
    p = TestProvider(client_id=CLIENT, client_secret="门户-secret/1").start()
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def _person(provider: TestProvider) -> None:
    provider.person = Person()
    provider.id_token_extra = {}


# --- the pure parts -----------------------------------------------------------------------

def test_the_pkce_challenge_is_rfc_7636s() -> None:
    # RFC 7636 Appendix B.
    assert code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") \
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    a, b = Pending.begin("/staff/", "https://x/cb", 0), Pending.begin("/staff/", "https://x/cb", 0)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,128}", a.verifier)
    assert len({a.state, a.nonce, a.verifier, b.state, b.nonce, b.verifier}) == 6


def test_the_authorization_request_asks_for_a_code_with_s256() -> None:
    pending = Pending("st", "no", "v" * 43, "/staff/", "https://g.example/staff/oidc/callback", 0)
    url = authorization_url("https://id.example/auth?kc_idp_hint=city", client_id=CLIENT,
                            redirect_uri=pending.redirect_uri, pending=pending)
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://id.example/auth?")
    assert q == {"kc_idp_hint": "city", "response_type": "code", "client_id": CLIENT,
                 "redirect_uri": "https://g.example/staff/oidc/callback",
                 "scope": "openid profile", "state": "st", "nonce": "no",
                 "code_challenge": code_challenge("v" * 43), "code_challenge_method": "S256"}


def test_the_state_cookie_is_signed_short_lived_and_not_a_session() -> None:
    now = time.time()
    pending = Pending.begin("/staff/cases/1", "https://g/cb", now)
    cookie = seal(SECRET, pending)
    assert unseal(SECRET, cookie, now + 5) == pending
    assert unseal(SECRET, cookie, now + STATE_SECONDS + 1) is None  # too old
    assert unseal(SECRET, cookie, now - 60) is None  # from the future
    assert unseal(b"t" * 32, cookie, now) is None  # another installation's
    data, mac = cookie.rsplit(".", 1)
    assert unseal(SECRET, data[:-2] + "xx." + mac, now) is None  # altered
    assert unseal(SECRET, None, now) is None and unseal(SECRET, "junk", now) is None
    assert unseal(SECRET, data + ".签名", now) is None
    # Signed with a key of its own: it does not load as a session, nor a session as it.
    assert Signer(SECRET).load(cookie, now, 3600) is None
    session = Signer(SECRET).dump(new_session("t", "u", "a", ["auditor"], now))
    assert unseal(SECRET, session, now) is None


def test_the_callback_state_must_be_the_one_sent() -> None:
    pending = Pending.begin("/staff/", "https://g/cb", time.time())
    assert check_state(pending, pending.state) is pending
    for pending_, state in ((pending, "another"), (pending, None), (pending, ""),
                            (None, pending.state)):
        with pytest.raises(SignInFailed) as refused:
            check_state(pending_, state)
        assert refused.value.kind == "state"


def _id_token(provider: TestProvider, key: Any = None, alg: str = "RS256",
              **claims: Any) -> str:
    now = int(NOW.timestamp())
    payload = {"iss": provider.issuer, "sub": "zhang.wei@lc-mzj", "aud": CLIENT, "iat": now,
               "exp": now + 300, "nonce": "n-1", **claims}
    return jwt.encode({k: v for k, v in payload.items() if v is not None},
                      key or provider.key, algorithm=alg, headers={"kid": provider.kid})


def test_an_id_token_is_checked_as_oidc_core_asks(provider: TestProvider) -> None:
    public = provider.key.public_key()
    at_hash = jwt.utils.base64url_encode(hashlib.sha256(b"the-access").digest()[:16]).decode()
    good = _id_token(provider, at_hash=at_hash)
    claims = check_id_token(good, public, issuer=provider.issuer, client_id=CLIENT,
                            nonce="n-1", now=NOW, access_token="the-access")
    assert claims["sub"] == "zhang.wei@lc-mzj"
    several = _id_token(provider, aud=[CLIENT, "other"], azp=CLIENT)
    check_id_token(several, public, issuer=provider.issuer, client_id=CLIENT, nonce="n-1",
                   now=NOW)
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {
        "another key": _id_token(provider, key=stranger),
        "another issuer": _id_token(provider, iss="https://evil.example"),
        "another client": _id_token(provider, aud="another-app"),
        "several audiences, not ours as azp": _id_token(provider, aud=[CLIENT, "x"], azp="x"),
        "another sign-in": _id_token(provider, nonce="n-2"),
        "no nonce": _id_token(provider, nonce=None),
        "expired": _id_token(provider, exp=int((NOW - timedelta(minutes=2)).timestamp())),
        "issued in the future": _id_token(provider,
                                          iat=int((NOW + timedelta(minutes=5)).timestamp())),
        "no subject": _id_token(provider, sub=None),
        "for another access token": _id_token(provider, at_hash="AAAAAAAAAAAAAAAAAAAAAA"),
        "symmetric": _id_token(provider, key="k" * 32, alg="HS256"),
    }
    for why, token in bad.items():
        with pytest.raises(SignInFailed) as refused:
            check_id_token(token, public, issuer=provider.issuer, client_id=CLIENT,
                           nonce="n-1", now=NOW, access_token="the-access")
        assert refused.value.kind == "token", why


def _access(provider: TestProvider, **claims: Any) -> str:
    now = int(NOW.timestamp())
    payload = {"iss": provider.issuer, "sub": "zhang.wei@lc-mzj", "aud": "gongkai", "iat": now,
               "exp": now + 300, "gongkai_agency": "lc-mzj", "gongkai_roles": ["caseworker"],
               **claims}
    return provider.sign({k: v for k, v in payload.items() if v is not None})


def test_the_person_is_read_from_the_access_token_as_the_services_read_it(
        provider: TestProvider) -> None:
    verifier = OidcVerifier(provider.issuer, "gongkai", provider.jwks_url)
    staff = identity(verifier, _access(provider), NOW)
    assert (staff.user, staff.agency, staff.roles) == (
        "zhang.wei@lc-mzj", "lc-mzj", frozenset({Role.CASEWORKER}))
    admin = identity(verifier, _access(provider, gongkai_agency=None,
                                       gongkai_roles=["city_admin"]), NOW)
    assert admin.agency is None and admin.roles == frozenset({Role.CITY_ADMIN})
    renamed = OidcVerifier(provider.issuer, "gongkai", provider.jwks_url,
                           agency_claim="org", roles_claim="groups")
    assert identity(renamed, _access(provider, org="lc-jyj", groups=["auditor"]),
                    NOW).agency == "lc-jyj"
    for claims, kind in (({"gongkai_roles": None}, "account"),
                         ({"gongkai_roles": []}, "account"),
                         ({"gongkai_roles": ["superuser"]}, "account"),
                         ({"gongkai_agency": None}, "account"),
                         ({"aud": CLIENT}, "token"),  # the ID token's audience, not ours
                         ({"exp": int(NOW.timestamp()) - 120}, "token")):
        with pytest.raises(SignInFailed) as refused:
            identity(verifier, _access(provider, **claims), NOW)
        assert refused.value.kind == kind, claims
    unreachable = OidcVerifier(provider.issuer, "gongkai", "http://127.0.0.1:9/jwks")
    with pytest.raises(SignInFailed) as refused:
        identity(unreachable, _access(provider), NOW)
    assert refused.value.kind == "unavailable"


def test_a_session_ends_with_its_token(provider: TestProvider) -> None:
    token = _access(provider, exp=int(NOW.timestamp()) + 60)
    assert not token_expired(token, NOW)
    assert token_expired(token, NOW + timedelta(seconds=61))
    assert token_expired(_access(provider, exp=None), NOW)  # no expiry: not trusted to last
    assert token_expired("not-a-jwt", NOW)


# --- the portal and the provider, over HTTP -----------------------------------------------

@pytest.fixture
def configure(provider: TestProvider, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Any:
    def set_(**extra: str | None) -> None:
        env = {"GONGKAI_HOME": str(tmp_path), "GONGKAI_OIDC_ISSUER": provider.issuer,
               "GONGKAI_OIDC_AUDIENCE": "gongkai", "GONGKAI_OIDC_JWKS_URL": provider.jwks_url,
               "GONGKAI_PORTAL_OIDC_CLIENT_ID": CLIENT,
               "GONGKAI_PORTAL_OIDC_CLIENT_SECRET": provider.client_secret,
               "GONGKAI_PORTAL_DEV_SIGNIN": None, "GONGKAI_PORTAL_URL": None,
               "GONGKAI_CLOCK": None, "GONGKAI_PORTAL_SECRET": None, **extra}
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)

    set_()
    return set_


@pytest.fixture
async def portal(configure: Any) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    def open_() -> httpx.AsyncClient:
        from services.portal.bootstrap import create_app

        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()),
                                   base_url="http://portal.test")
        clients.append(client)
        return client

    yield open_
    for c in clients:
        await c.aclose()


async def _to_provider(client: httpx.AsyncClient, next_: str = "/staff/") -> str:
    """Start signing in; follow the provider's answer; the callback path it sends us to."""
    started = await client.get("/staff/oidc/start", params={"next": next_})
    assert started.status_code == 303, started.text
    cookie = started.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Path=/staff/oidc" in cookie and "Max-Age=600" in cookie
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(started.headers["location"])
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert (back.scheme, back.netloc, back.path) == ("http", "portal.test",
                                                     "/staff/oidc/callback")
    return f"{back.path}?{back.query}"


def _session(client: httpx.AsyncClient, tmp_path) -> Any:
    return Signer(portal_secret(tmp_path)).load(client.cookies.get(COOKIE), time.time(), 60)


async def test_a_person_signs_in_with_the_provider(portal: Any, provider: TestProvider,
                                                   tmp_path, caplog) -> None:
    client = portal()
    page = await client.get("/staff/signin", params={"next": "/staff/reports"})
    assert "统一身份认证登录" in page.text
    assert 'href="/staff/oidc/start?next=/staff/reports"' in page.text
    provider.token_requests.clear()
    callback = await _to_provider(client, "/staff/reports?year=2025")
    done = await client.get(callback)
    assert done.status_code == 303 and done.headers["location"] == "/staff/reports?year=2025"
    session = _session(client, tmp_path)
    assert (session.user, session.agency, session.roles) == (
        "zhang.wei@lc-mzj", "lc-mzj", ("caseworker",))
    assert jwt.decode(session.token, options={"verify_signature": False})["aud"] == "gongkai"
    assert client.cookies.get(STATE_COOKIE) is None  # the sign-in is used up
    # The secret went in an Authorization header (the provider offers basic first), with the
    # verifier. The callback cannot be replayed: the sign-in it belonged to is over.
    assert provider.token_requests == [{"method": "client_secret_basic", "client_id": CLIENT,
                                        "has_verifier": True}]
    again = await client.get(callback)
    assert again.status_code == 400 and "登录请求已失效" in again.text
    assert "zhang.wei" not in caplog.text and "张伟" not in caplog.text


async def test_a_city_administrator_has_no_agency(portal: Any, provider: TestProvider,
                                                  tmp_path) -> None:
    provider.person = Person(sub="admin@city", agency=None, roles=["city_admin"])
    client = portal()
    done = await client.get(await _to_provider(client))
    assert done.status_code == 303 and done.headers["location"] == "/staff/"
    session = _session(client, tmp_path)
    assert session.agency is None and session.city_admin


async def test_a_wrong_or_missing_state_is_refused(portal: Any, caplog) -> None:
    client = portal()
    callback = await _to_provider(client)
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    refused = await client.get(forged)
    assert refused.status_code == 400
    assert "登录请求已失效" in refused.text and "Traceback" not in refused.text
    assert client.cookies.get(COOKIE) is None
    # Nor does the real state help a browser that did not start this sign-in.
    stranger = portal()
    assert (await stranger.get(callback)).status_code == 400
    assert stranger.cookies.get(COOKIE) is None
    assert "code=" not in caplog.text


async def test_a_stolen_code_is_useless_without_its_verifier(portal: Any,
                                                              provider: TestProvider) -> None:
    victim, attacker = portal(), portal()
    stolen = parse_qs(urlsplit(await _to_provider(victim)).query)["code"][0]
    own = await _to_provider(attacker)
    # The attacker's own state with the victim's code: the verifier is the attacker's.
    injected = re.sub(r"code=[^&]+", f"code={stolen}", own)
    refused = await attacker.get(injected)
    assert refused.status_code == 400 and "统一身份认证未接受本次登录" in refused.text
    assert attacker.cookies.get(COOKIE) is None


async def test_a_person_without_a_role_here_is_told_so(portal: Any, provider: TestProvider,
                                                       caplog) -> None:
    provider.person = Person(sub="visitor@city", roles=[])
    client = portal()
    refused = await client.get(await _to_provider(client))
    assert refused.status_code == 403 and "尚未分配本系统的机关或角色" in refused.text
    assert client.cookies.get(COOKIE) is None
    assert "missing roles" in caplog.text and "visitor" not in caplog.text


async def test_an_id_token_for_another_sign_in_is_refused(portal: Any,
                                                          provider: TestProvider) -> None:
    provider.id_token_extra = {"nonce": "someone-elses"}
    client = portal()
    refused = await client.get(await _to_provider(client))
    assert refused.status_code == 401 and "身份凭证未通过验证" in refused.text


async def test_a_refusal_at_the_provider_is_shown(portal: Any) -> None:
    client = portal()
    callback = await _to_provider(client)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    refused = await client.get("/staff/oidc/callback",
                               params={"error": "access_denied", "state": state})
    assert refused.status_code == 403 and "统一身份认证未完成或已取消" in refused.text


async def test_a_provider_that_does_not_answer(portal: Any, configure: Any) -> None:
    configure(GONGKAI_OIDC_ISSUER="http://127.0.0.1:9")
    page = await portal().get("/staff/oidc/start")
    assert page.status_code == 503 and "统一身份认证暂时不可用" in page.text


async def test_the_secret_goes_in_the_body_if_that_is_all_the_provider_takes(
        portal: Any, configure: Any) -> None:
    other = TestProvider(client_id=CLIENT, client_secret="s3", auth_methods=(
        "client_secret_post",)).start()
    try:
        configure(GONGKAI_OIDC_ISSUER=other.issuer, GONGKAI_OIDC_JWKS_URL=other.jwks_url,
                  GONGKAI_PORTAL_OIDC_CLIENT_SECRET="s3",
                  GONGKAI_PORTAL_URL="https://gongkai.example.gov.cn/")
        client = portal()
        started = await client.get("/staff/oidc/start")
        q = parse_qs(urlsplit(started.headers["location"]).query)
        assert q["redirect_uri"] == ["https://gongkai.example.gov.cn/staff/oidc/callback"]
        async with httpx.AsyncClient() as browser:
            back = urlsplit((await browser.get(started.headers["location"])).headers["location"])
        done = await client.get(f"{back.path}?{back.query}")
        assert done.status_code == 303
        assert other.token_requests[-1]["method"] == "client_secret_post"
    finally:
        other.stop()


async def test_the_button_shows_only_when_the_client_is_configured(portal: Any,
                                                                   configure: Any) -> None:
    assert "/staff/oidc/start" in (await portal().get("/staff/signin")).text
    configure(GONGKAI_PORTAL_OIDC_CLIENT_ID=None)
    client = portal()
    page = await client.get("/staff/signin")
    assert "/staff/oidc/start" not in page.text and "尚未配置统一身份认证" in page.text
    assert (await client.get("/staff/oidc/start")).status_code == 404


async def test_an_expired_token_sends_the_person_back_to_sign_in(portal: Any, tmp_path,
                                                                 provider: TestProvider) -> None:
    client = portal()
    token = _access(provider, exp=int(time.time()) - 1)
    signer = Signer(portal_secret(tmp_path))
    client.cookies.set(COOKIE, signer.dump(new_session(token, "u", "lc-mzj", ["auditor"],
                                                       time.time())), path="/staff")
    page = await client.get("/staff/calendar")
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/signin?next=%2Fstaff%2Fcalendar"

