"""A small but real OpenID Connect provider for tests: discovery, a JWKS with an RSA key made
here, an authorization endpoint that signs in one configured person at once (no login form)
and redirects back with a code, and a token endpoint that checks the client, the redirect URI
and the PKCE verifier against the challenge it was given, and answers with an RS256 ID token
and access token. It runs with uvicorn on a free loopback port, in a thread of the test."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Person:
    sub: str = "zhang.wei@lc-mzj"
    name: str = "张伟"
    agency: str | None = "lc-mzj"
    roles: list[str] = field(default_factory=lambda: ["caseworker"])


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    person: Person


class TestProvider:
    """`person` is who the next sign-in is; `audience` the services' GONGKAI_OIDC_AUDIENCE.
    `token_requests` records what the token endpoint saw (secrets only as a flag)."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, *, client_id: str = "gongkai-portal", client_secret: str | None = None,
                 audience: str = "gongkai", auth_methods: tuple[str, ...] = (
                     "client_secret_basic", "client_secret_post"),
                 lifetime: int = 600) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.audience = audience
        self.auth_methods = auth_methods
        self.lifetime = lifetime
        self.person = Person()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-" + secrets.token_hex(4)
        self.grants: dict[str, Grant] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.id_token_extra: dict[str, Any] = {}
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self._app(), log_level="warning",
                                                    lifespan="off", access_log=False))
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    def start(self) -> TestProvider:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OIDC provider did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def tokens(self, grant: Grant) -> dict[str, Any]:
        now, person = int(time.time()), grant.person
        access = self.sign({
            "iss": self.issuer, "sub": person.sub, "aud": self.audience, "azp": grant.client_id,
            "iat": now, "nbf": now, "exp": now + self.lifetime, "jti": secrets.token_hex(8),
            "scope": "openid profile", "gongkai_agency": person.agency,
            "gongkai_roles": person.roles})
        at_hash = _b64(hashlib.sha256(access.encode()).digest()[:16])
        id_token = self.sign({
            "iss": self.issuer, "sub": person.sub, "aud": grant.client_id, "iat": now,
            "exp": now + self.lifetime, "nonce": grant.nonce, "at_hash": at_hash,
            "name": person.name, **self.id_token_extra})
        return {"access_token": access, "id_token": id_token, "token_type": "Bearer",
                "expires_in": self.lifetime}

    def _app(self) -> FastAPI:
        app = FastAPI()

        def refuse(error: str, status: int = 400) -> JSONResponse:
            return JSONResponse({"error": error}, status_code=status)

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {"issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": self.jwks_url,
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": list(self.auth_methods)}

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

        @app.get("/authorize")
        async def authorize(request: Request):
            q = request.query_params
            if q.get("client_id") != self.client_id or not q.get("redirect_uri"):
                return refuse("invalid_client")  # never redirect to an unknown client
            if (q.get("response_type") != "code" or q.get("code_challenge_method") != "S256"
                    or not q.get("code_challenge") or "openid" not in q.get("scope", "").split()):
                return refuse("invalid_request")
            code = secrets.token_urlsafe(24)
            self.grants[code] = Grant(q["client_id"], q["redirect_uri"], q["code_challenge"],
                                      q.get("nonce", ""), self.person)
            back = {"code": code, "state": q.get("state", ""), "iss": self.issuer}
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", status_code=302)

        @app.post("/token")
        async def token(request: Request):
            form = await request.form()
            client_id, secret, method = form.get("client_id"), form.get("client_secret"), "none"
            if secret is not None:
                method = "client_secret_post"
            header = request.headers.get("authorization", "")
            if header.startswith("Basic "):
                who, _, secret = base64.b64decode(header[6:]).decode().partition(":")
                client_id, secret, method = unquote(who), unquote(secret), "client_secret_basic"
            self.token_requests.append({"method": method, "client_id": client_id,
                                        "has_verifier": bool(form.get("code_verifier"))})
            if client_id != self.client_id or (self.client_secret is not None and (
                    secret != self.client_secret or method not in self.auth_methods)):
                return refuse("invalid_client", 401)
            if form.get("grant_type") != "authorization_code":
                return refuse("unsupported_grant_type")
            grant = self.grants.pop(str(form.get("code") or ""), None)  # a code is used once
            if grant is None or grant.client_id != client_id:
                return refuse("invalid_grant")
            if form.get("redirect_uri") != grant.redirect_uri:
                return refuse("invalid_grant")
            verifier = str(form.get("code_verifier") or "")
            if _b64(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
                return refuse("invalid_grant")  # RFC 7636 §4.6
            return JSONResponse(self.tokens(grant),
                                headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

        return app
