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
