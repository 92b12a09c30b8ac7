"""Signing staff in with the city's identity provider: OpenID Connect's authorization-code flow
with PKCE (RFC 7636). The provider is the one the services already trust (GONGKAI_OIDC_*);
the person is read from the *access token* by the services' own verifier, so the console shows
exactly the identity the services will accept. Nothing here logs a code, a token or a name."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import ssl
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
import jwt

from shared.auth import LEEWAY, AuthError, Staff
from shared.oidc import ALGORITHMS, OidcVerifier

log = logging.getLogger(__name__)

STATE_COOKIE = "gongkai_oidc"
STATE_PATH = "/staff/oidc"
STATE_SECONDS = 600  # time allowed between leaving for the provider and coming back
DISCOVERY_SECONDS = 3600
SCOPE = "openid profile"
# Refusals of the access token that mean "this person has no place in this system" rather
# than "this token is wrong" (shared.auth.staff_from_claims' reasons).
ACCOUNT_REASONS = ("missing roles", "unknown role", "no agency for a non-admin",
                   "malformed agency")


class SignInFailed(Exception):
    """A sign-in that cannot go on. `kind` picks the page the person sees (state, denied,
    unavailable, refused, token, account); `reason` is short English for the log, without
    anything personal."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


# --- the pure parts -----------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def code_challenge(verifier: str) -> str:
    """RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class Pending:
    """A sign-in under way, kept in a signed cookie while the person is at the provider."""

    state: str
    nonce: str
    verifier: str
    next: str
    redirect_uri: str
    at: float  # epoch seconds when it began

    @classmethod
    def begin(cls, next_: str, redirect_uri: str, now: float) -> Pending:
        # 64 characters of [A-Za-z0-9_-]: within RFC 7636's 43..128 unreserved characters.
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                   secrets.token_urlsafe(48), next_, redirect_uri, now)


def _state_mac(secret: bytes, data: bytes) -> str:
    # Its own key, derived from the portal's: a state cookie can never pass for a session.
    key = hmac.new(secret, b"gongkai portal: oidc sign-in state", hashlib.sha256).digest()
    return _b64(hmac.new(key, data, hashlib.sha256).digest())


def seal(secret: bytes, pending: Pending) -> str:
    data = _b64(json.dumps(asdict(pending), separators=(",", ":")).encode())
    return f"{data}.{_state_mac(secret, data.encode())}"


def unseal(secret: bytes, cookie: str | None, now: float) -> Pending | None:
    """The sign-in a cookie carries, or None if absent, forged or older than STATE_SECONDS."""
    if not cookie or "." not in cookie:
        return None
    data, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(mac.encode(), _state_mac(secret, data.encode()).encode()):
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        pending = Pending(**{k: raw[k] for k in Pending.__dataclass_fields__})
        if not all(isinstance(getattr(pending, k), str)
                   for k in ("state", "nonce", "verifier", "next", "redirect_uri")):
            return None
        at = float(pending.at)
    except (ValueError, KeyError, TypeError):
        return None
    if not 0 <= now - at <= STATE_SECONDS:
        return None
    return pending


def check_state(pending: Pending | None, state: str | None) -> Pending:
    """The callback's `state` must be the one this browser was sent off with."""
    if pending is None:
        raise SignInFailed("state", "no sign-in under way in this browser (or it expired)")
    if not state or not hmac.compare_digest(pending.state.encode(), state.encode()):
        raise SignInFailed("state", "state does not match")
    return pending


def authorization_url(endpoint: str, *, client_id: str, redirect_uri: str,
                      pending: Pending) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "scope": SCOPE, "state": pending.state, "nonce": pending.nonce,
              "code_challenge": code_challenge(pending.verifier),
              "code_challenge_method": "S256"}
    parts = urlsplit(endpoint)  # the endpoint may carry a query of its own
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return urlunsplit(parts._replace(query=query))


def _token_hash(access_token: str) -> str:
    # OIDC Core §3.1.3.6 at_hash: the left half of the hash (SHA-256 for RS256 and ES256).
    return _b64(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def check_id_token(id_token: str, key: Any, *, issuer: str, client_id: str, nonce: str,
                   now: datetime, access_token: str | None = None) -> dict[str, Any]:
    """OIDC Core §3.1.3.7: signed by the provider (RS256/ES256 only), by this issuer, for this
    client, for this sign-in (nonce), not expired on the services' clock; its claims."""
    try:
        if jwt.get_unverified_header(id_token).get("alg") not in ALGORITHMS:
            raise SignInFailed("token", "id token: algorithm not allowed")
        claims = jwt.decode(id_token, key, algorithms=ALGORITHMS, issuer=issuer,
                            audience=client_id,
                            options={"verify_exp": False, "verify_nbf": False,
                                     "verify_iat": False,
                                     "require": ["sub", "iss", "aud", "exp", "iat"]})
    except jwt.InvalidTokenError as exc:
        raise SignInFailed("token", f"id token: {type(exc).__name__}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInFailed("token", "id token: azp is not this client")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise SignInFailed("token", "id token: nonce does not match")
    at, leeway = now.timestamp(), LEEWAY.total_seconds()
    try:
        exp, iat = float(claims["exp"]), float(claims["iat"])
    except (TypeError, ValueError):
        raise SignInFailed("token", "id token: exp or iat not a number") from None
    if exp <= at - leeway:
        raise SignInFailed("token", "id token: expired")
    if iat > at + leeway:
        raise SignInFailed("token", "id token: issued in the future")
    if access_token is not None and "at_hash" in claims and not hmac.compare_digest(
            str(claims["at_hash"]).encode(), _token_hash(access_token).encode()):
        raise SignInFailed("token", "id token: at_hash does not match the access token")
    return claims


def identity(verifier: OidcVerifier, access_token: str, now: datetime) -> Staff:
    """The staff member the access token names, checked exactly as the services check it."""
    try:
        return verifier.verify(access_token, now)
    except AuthError as exc:  # exc.user is the person: never logged from here
        if isinstance(exc.__cause__, jwt.PyJWKClientConnectionError):
            raise SignInFailed("unavailable", "jwks unreachable") from None
        kind = "account" if exc.reason in ACCOUNT_REASONS else "token"
        raise SignInFailed(kind, f"access token: {exc.reason}") from None


def token_expired(token: str, now: datetime) -> bool:
    """True once a session's token has expired on the services' clock (or cannot be read):
    a session never outlives its token. Its signature was checked when it was issued to us
    and the session cookie is signed, so only the time is read here."""
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
        return not isinstance(exp, int | float) or isinstance(exp, bool) \
            or exp <= now.timestamp()
    except jwt.InvalidTokenError:
        return True


# --- talking to the provider --------------------------------------------------------------

@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    jwks: str
    auth_methods: tuple[str, ...]


class Provider:
    """The identity provider, found by discovery (cached for an hour)."""

    def __init__(self, issuer: str, client_id: str, client_secret: str | None,
                 verifier: OidcVerifier, timeout: float = 10.0) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.verifier = verifier
        self.timeout = timeout
        self._endpoints: Endpoints | None = None
        self._fetched = 0.0
        self._keys: dict[str, jwt.PyJWKClient] = {}
        self._tls: ssl.SSLContext | None = None

    def _client(self) -> httpx.AsyncClient:
        # A client per call (sign-ins are rare), but the TLS context, costly to make, once.
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return httpx.AsyncClient(timeout=self.timeout, verify=self._tls)

    async def _get(self, url: str) -> Any:
        try:
            async with self._client() as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise SignInFailed("unavailable", f"discovery: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise SignInFailed("unavailable", f"discovery: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise SignInFailed("unavailable", "discovery: not JSON") from None

    async def endpoints(self) -> Endpoints:
        if self._endpoints is not None and time.monotonic() - self._fetched < DISCOVERY_SECONDS:
            return self._endpoints
        doc = await self._get(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if not isinstance(doc, dict) or doc.get("issuer") != self.issuer:
            # OIDC Discovery §4.3: the document must name the issuer it was fetched for.
            raise SignInFailed("unavailable", "discovery: issuer does not match")
        try:
            found = Endpoints(str(doc["authorization_endpoint"]), str(doc["token_endpoint"]),
                              str(doc["jwks_uri"]),
                              tuple(doc.get("token_endpoint_auth_methods_supported")
                                    or ("client_secret_basic",)))
        except KeyError as exc:
            raise SignInFailed("unavailable", f"discovery: no {exc.args[0]}") from None
        self._endpoints, self._fetched = found, time.monotonic()
        return found

    async def start(self, next_: str, redirect_uri: str) -> tuple[str, Pending]:
        """Where to send the person, and what to remember until they come back."""
        pending = Pending.begin(next_, redirect_uri, time.time())
        found = await self.endpoints()
        return authorization_url(found.authorization, client_id=self.client_id,
                                 redirect_uri=redirect_uri, pending=pending), pending

    async def exchange(self, code: str, pending: Pending) -> dict[str, Any]:
        """The token endpoint's answer to the code and this sign-in's PKCE verifier."""
        found = await self.endpoints()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": pending.redirect_uri, "code_verifier": pending.verifier,
                "client_id": self.client_id}
        headers = {"Accept": "application/json"}
        if self.client_secret:
            if ("client_secret_basic" not in found.auth_methods
                    and "client_secret_post" in found.auth_methods):
                form["client_secret"] = self.client_secret
            else:  # RFC 6749 §2.3.1: each part form-urlencoded before joining
                pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
                headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            async with self._client() as client:
                response = await client.post(found.token, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise SignInFailed("unavailable", f"token endpoint: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise SignInFailed("unavailable", f"token endpoint: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            error = error if isinstance(error, str) and re.fullmatch(r"[a-z_]{1,40}", error) \
                else "no error code"
            raise SignInFailed("refused", f"token endpoint: HTTP {response.status_code}, "
                                          f"{error}")
        if not isinstance(body.get("access_token"), str) or not isinstance(
                body.get("id_token"), str):
            raise SignInFailed("token", "token endpoint: no access token or id token")
        if str(body.get("token_type", "")).lower() != "bearer":
            raise SignInFailed("token", "token endpoint: not a bearer token")
        return body

    def _signing_key(self, jwks_uri: str, token: str) -> Any:
        keys = self._keys.get(jwks_uri)
        if keys is None:
            keys = self._keys[jwks_uri] = jwt.PyJWKClient(jwks_uri, cache_keys=True,
                                                          lifespan=3600, timeout=self.timeout)
        try:
            return keys.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise SignInFailed("unavailable", "jwks unreachable") from None
        except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
            raise SignInFailed("token", f"id token: {type(exc).__name__}") from None

    async def sign_in(self, code: str, pending: Pending, now: datetime) -> tuple[str, Staff]:
        """Exchange the code, check the ID token, and read the person from the access token;
        the access token (for the session) and the person."""
        tokens = await self.exchange(code, pending)
        found = await self.endpoints()
        key = await asyncio.to_thread(self._signing_key, found.jwks, tokens["id_token"])
        check_id_token(tokens["id_token"], key, issuer=self.issuer, client_id=self.client_id,
                       nonce=pending.nonce, now=now, access_token=tokens["access_token"])
        # Fetching the services' JWKS (first use, rotation) is blocking: off the loop.
        staff = await asyncio.to_thread(identity, self.verifier, tokens["access_token"], now)
        return tokens["access_token"], staff
