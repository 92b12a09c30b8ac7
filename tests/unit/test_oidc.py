"""OIDC tokens: RS256 checked against a JWKS served over real HTTP on loopback."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import AuthError, Role
from shared.oidc import OidcVerifier

NOW = datetime(2025, 9, 22, 2, tzinfo=UTC)
ISSUER, AUDIENCE = "https://id.example.gov.cn/realms/city", "gongkai"


@pytest.fixture(scope="module")
def keys():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048), \
        rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(keys):
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys[0].public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks"
    server.shutdown()


def token(key, *, kid="k1", iss=ISSUER, aud=AUDIENCE, exp=NOW + timedelta(minutes=5), **claims):
    payload = {"sub": "clerk@lc-mzj", "iss": iss, "aud": aud, "exp": exp, "iat": NOW,
               "gongkai_agency": "lc-mzj", "gongkai_roles": ["caseworker"], **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def test_a_providers_token_names_the_staff_member(keys, jwks_url):
    staff = OidcVerifier(ISSUER, AUDIENCE, jwks_url).verify(token(keys[0]), NOW)
    assert staff.user == "clerk@lc-mzj" and staff.agency == "lc-mzj"
    assert staff.roles == frozenset({Role.CASEWORKER})


@pytest.mark.parametrize("bad", [
    {"key": 1},  # signed by another key under the same kid
    {"iss": "https://evil.example.com"},
    {"aud": "another-app"},
    {"exp": NOW - timedelta(minutes=5)},
    {"gongkai_roles": ["superuser"]},
    {"gongkai_agency": None},
    {"kid": "unknown"},
])
def test_tokens_the_deployment_must_not_trust_are_refused(keys, jwks_url, bad):
    key = keys[bad.pop("key", 0)]
    with pytest.raises(AuthError):
        OidcVerifier(ISSUER, AUDIENCE, jwks_url).verify(token(key, **bad), NOW)


def test_a_symmetric_token_is_refused_even_when_signed_with_the_public_key(keys, jwks_url):
    forged = jwt.encode({"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": NOW}, "secret" * 6,
                        algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(AuthError, match="algorithm"):
        OidcVerifier(ISSUER, AUDIENCE, jwks_url).verify(forged, NOW)


# --- hostile tokens: every one refused with AuthError (a 401), never another exception -------

def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forged(header: dict, claims: dict | None = None, signature: bytes = b"x" * 64) -> str:
    body = claims or {"sub": "x", "iss": ISSUER, "aud": AUDIENCE,
                      "exp": int((NOW + timedelta(minutes=5)).timestamp())}
    return ".".join((_b64(json.dumps(header).encode()), _b64(json.dumps(body).encode()),
                     _b64(signature)))


@pytest.mark.parametrize("forged", [
    _forged({"alg": "ES256", "kid": "k1"}),  # an RSA key's kid with an EC algorithm (was: 500)
    _forged({"alg": "ES256", "kid": "k1", "typ": "JWT"}, signature=b"\x00" * 64),
    _forged({"alg": "RS256"}),  # no kid
    _forged({"alg": "none", "kid": "k1"}, signature=b""),
    _forged({"alg": "HS256", "kid": "k1"}),
    _forged({"alg": "PS256", "kid": "k1"}),
    _forged({"alg": "RS256", "kid": ["k1"]}),
    _forged({"alg": "RS256", "kid": {"x": 1}}),
    _b64(b"not json") + "." + _b64(b"{}") + ".c2ln",
    _b64(b"[1]") + ".e30.c2ln",
    "a.b", "", "." * 5, "x" * 20_000,
])
def test_a_hostile_token_is_refused_not_an_error(keys, jwks_url, forged):
    with pytest.raises(AuthError):
        OidcVerifier(ISSUER, AUDIENCE, jwks_url).verify(forged, NOW)


def test_a_provider_token_must_say_when_it_was_issued_and_live_no_longer_than_allowed(
        keys, jwks_url):
    verifier = OidcVerifier(ISSUER, AUDIENCE, jwks_url)
    with pytest.raises(AuthError):
        verifier.verify(token(keys[0], iat=None), NOW)
    with pytest.raises(AuthError, match="lifetime"):
        verifier.verify(token(keys[0], exp=NOW + timedelta(days=3650)), NOW)
