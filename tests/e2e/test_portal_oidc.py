"""Staff sign-in through an identity provider, end to end: a stack of its own (PostgreSQL,
broker, intake, casework and the portal as processes) trusting a real OIDC provider on
loopback (tests/e2e/oidc_provider.py), driven like a browser: every redirect followed by hand,
cookies kept per person."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from services.portal.adapters.sessions import COOKIE, Signer, portal_secret
from tests.e2e.oidc_provider import Person, TestProvider

pytestmark = pytest.mark.e2e

CLIENT, CLIENT_SECRET = "gongkai-portal", "portal-client-secret"


@pytest.fixture(scope="module")
def provider() -> Iterator[TestProvider]:
    p = TestProvider(client_id=CLIENT, client_secret=CLIENT_SECRET, audience="gongkai").start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def oidc_stack(provider: TestProvider, tmp_path_factory: pytest.TempPathFactory,
               ) -> Iterator[Any]:
    """Intake, casework and the portal trusting the provider; no development sign-in."""
    from gongkai.city import DEMO_CITY
    from gongkai.cli import _load_agencies
    from gongkai.stack import Stack, test_settings

    home: Path = tmp_path_factory.mktemp("oidc")
    # The wall clock: the provider's tokens carry the time they are really issued.
    settings = replace(test_settings(home), clock=None, sweep_seconds=3600.0)
    stack = Stack(settings, ephemeral=True)
    saved = dict(os.environ)
    os.environ.update(
        GONGKAI_OIDC_ISSUER=provider.issuer, GONGKAI_OIDC_AUDIENCE="gongkai",
        GONGKAI_OIDC_JWKS_URL=provider.jwks_url,
        GONGKAI_PORTAL_OIDC_CLIENT_ID=CLIENT, GONGKAI_PORTAL_OIDC_CLIENT_SECRET=CLIENT_SECRET,
        GONGKAI_PORTAL_DEV_SIGNIN="0", GONGKAI_PORTAL_FACES="staff")
    os.environ.pop("GONGKAI_PORTAL_URL", None)  # the redirect URI from the request
    try:
        stack.start_infrastructure()
        asyncio.run(stack.prepare())
        asyncio.run(_load_agencies(stack.database_url, DEMO_CITY, settings.clock))
        for service in ("intake", "casework", "portal"):
            stack.start_service(service)
        stack.wait_healthy(("intake", "casework", "portal"), timeout=90)
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


class Browser:
    """Cookies of one browser; redirects followed one at a time, as a browser would."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = httpx.Client(timeout=20)
        self.hops: list[str] = []

    def get(self, url: str, *, stop_at: str | None = None) -> httpx.Response:
        """GET `url` and follow redirects, unless the next one goes to `stop_at`."""
        url = urljoin(self.base, url)
        for _ in range(10):
            self.hops.append(url)
            response = self.client.get(url)
            if response.status_code not in (301, 302, 303, 307):
                return response
            following = urljoin(url, response.headers["location"])
            if stop_at and urlsplit(following).path == stop_at:
                response.next_url = following  # type: ignore[attr-defined]
                return response
            url = following
        raise AssertionError(f"too many redirects: {self.hops}")


def _start_link(page: str) -> str:
    match = re.search(r'href="(/staff/oidc/start[^"]*)"[^>]*>统一身份认证登录', page)
    assert match, "no 统一身份认证登录 on the sign-in page"
    return unescape(match.group(1))


def test_a_caseworker_signs_in_and_casework_accepts_her_token(oidc_stack: Any,
                                                               provider: TestProvider) -> None:
    provider.person = Person(sub="zhang.wei@lc-mzj", agency="lc-mzj", roles=["caseworker"])
    portal = oidc_stack.url("portal")
    b = Browser(portal)
    # Not signed in: the queue sends her to the sign-in page, which offers only the provider.
    signin = b.get("/staff/")
    assert urlsplit(str(signin.url)).path == "/staff/signin"
    assert "开发环境登录" not in signin.text
    queue = b.get(_start_link(signin.text))
    # There and back: the provider's authorization endpoint, the callback, the queue.
    paths = [urlsplit(u)[1:3] for u in b.hops[-4:]]
    assert paths[0] == (urlsplit(portal).netloc, "/staff/oidc/start")
    assert paths[1] == (urlsplit(provider.issuer).netloc, "/authorize")
    assert paths[2] == (urlsplit(portal).netloc, "/staff/oidc/callback")
    assert paths[3] == (urlsplit(portal).netloc, "/staff/")
    sent = parse_qs(urlsplit(b.hops[-3]).query)
    assert sent["redirect_uri"] == [f"{portal}/staff/oidc/callback"]
    assert sent["code_challenge_method"] == ["S256"] and sent["scope"] == ["openid profile"]
    # Casework answered the queue with her token: the page, not a sign-in redirect.
    assert queue.status_code == 200, queue.text
    assert "聊城市民政局 · 申请办理队列" in queue.text and 'id="queue-count"' in queue.text
    assert re.search(r'class="who">zhang\.wei@lc-mzj（承办人）<', queue.text)
    assert provider.token_requests[-1] == {"method": "client_secret_basic",
                                           "client_id": CLIENT, "has_verifier": True}
    # The session's token is the provider's access token, and the services read the same
    # person from it: her agency's queue, not another's.
    session = Signer(portal_secret(oidc_stack.home)).load(b.client.cookies.get(COOKIE),
                                                           time.time(), 60)
    assert (session.user, session.agency, session.roles) == (
        "zhang.wei@lc-mzj", "lc-mzj", ("caseworker",))
    bearer = {"Authorization": f"Bearer {session.token}"}
    casework = oidc_stack.url("casework")
    assert httpx.get(f"{casework}/v1/queues/lc-mzj", headers=bearer, timeout=10).status_code \
        == 200
    assert httpx.get(f"{casework}/v1/queues/dcf-mzj", headers=bearer, timeout=10).status_code \
        == 403
    # Signing out (with the session's CSRF token, as the page's form sends it) ends it.
    assert b.client.post(f"{portal}/staff/signout",
                         data={"csrf": session.csrf}).status_code == 303
    assert urlsplit(str(b.get("/staff/").url)).path == "/staff/signin"


def test_a_wrong_state_is_refused(oidc_stack: Any, provider: TestProvider) -> None:
    portal = oidc_stack.url("portal")
    b = Browser(portal)
    at_provider = b.get("/staff/oidc/start?next=/staff/", stop_at="/staff/oidc/callback")
    callback = at_provider.next_url
    forged = re.sub(r"state=[^&]+", "state=not-the-one-sent", callback)
    refused = b.get(forged)
    assert refused.status_code == 400
    assert "登录请求已失效" in refused.text and "Traceback" not in refused.text
    assert urlsplit(str(b.get("/staff/").url)).path == "/staff/signin"  # not signed in


def test_a_code_replayed_with_another_verifier_is_refused(oidc_stack: Any,
                                                         provider: TestProvider) -> None:
    portal = oidc_stack.url("portal")
    victim, attacker = Browser(portal), Browser(portal)
    stolen = parse_qs(urlsplit(victim.get(
        "/staff/oidc/start", stop_at="/staff/oidc/callback").next_url).query)["code"][0]
    # The provider itself refuses the code with a verifier that is not the one it was for.
    direct = httpx.post(f"{provider.issuer}/token", auth=(CLIENT, CLIENT_SECRET), data={
        "grant_type": "authorization_code", "code": stolen, "code_verifier": "x" * 64,
        "redirect_uri": f"{portal}/staff/oidc/callback"}, timeout=10)
    assert direct.status_code == 400 and direct.json() == {"error": "invalid_grant"}
    # And through the portal: the attacker's own sign-in (own state, own verifier) with a
    # fresh stolen code.
    stolen = parse_qs(urlsplit(victim.get(
        "/staff/oidc/start", stop_at="/staff/oidc/callback").next_url).query)["code"][0]
    own = attacker.get("/staff/oidc/start", stop_at="/staff/oidc/callback").next_url
    refused = attacker.get(re.sub(r"code=[^&]+", f"code={stolen}", own))
    assert refused.status_code == 400 and "统一身份认证未接受本次登录" in refused.text
    assert urlsplit(str(attacker.get("/staff/").url)).path == "/staff/signin"
    log = (oidc_stack.logs / "portal.log").read_text(errors="replace")
    assert "invalid_grant" in log and stolen not in log and "zhang.wei" not in log
