"""Staff authentication: HS256 bearer tokens, roles (docs/domain.md#actors) and the checks
handlers make."""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.clock import Clock
from shared.problems import Problem, problem_response

log = logging.getLogger(__name__)

ALGORITHM = "HS256"  # the only one accepted: no "none", no algorithm confusion
LEEWAY = timedelta(seconds=30)
SECRET_ENV = "GONGKAI_JWT_SECRET"
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2
MAX_LIFETIME_ENV = "GONGKAI_TOKEN_MAX_LIFETIME"
DEFAULT_MAX_LIFETIME = timedelta(hours=12)
MAX_TOKEN_CHARS = 8192  # a bearer token is a few hundred bytes; nothing larger is parsed


def parse_duration(raw: str) -> timedelta:
    """"12h", "90m", "3600s" or "3600" (seconds), "1d"."""
    found = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", raw or "")
    if not found or int(found[1]) <= 0:
        raise ValueError(f"not a positive duration: {raw!r} (e.g. 12h, 90m, 3600)")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[found[2]]
    return timedelta(seconds=int(found[1]) * unit)


# `max_lifetime` below: the longest a token may be valid (exp − iat), GONGKAI_TOKEN_MAX_LIFETIME
# (Settings.token_max_lifetime, default 12 h). A token issued for longer is refused whatever its
# signature: a leaked token is worth at most this long, and a revocation need be remembered no
# longer than this.


class Revocations:
    """Revoked tokens, kept in memory by every process that checks tokens (fed by
    shared.revocations from the gongkai.tokens topic): single tokens by their `jti`, and every
    token of a user issued at or before a moment (`gongkai token revoke --user`; a token the
    user is given afterwards is valid again)."""

    def __init__(self) -> None:
        self._jtis: set[str] = set()
        self._users: dict[str, float] = {}
        self._lock = threading.Lock()  # OIDC tokens are checked in worker threads

    def revoke_jti(self, jti: str) -> None:
        with self._lock:
            self._jtis.add(jti)

    def revoke_user(self, user: str, issued_until: float) -> None:
        with self._lock:
            self._users[user] = max(self._users.get(user, issued_until), issued_until)

    def refuses(self, claims: dict[str, Any]) -> str | None:
        """Why the token's claims are revoked, or None."""
        jti, user, iat = claims.get("jti"), claims.get("sub"), claims.get("iat")
        if isinstance(jti, str) and jti in self._jtis:
            return "revoked token"
        until = self._users.get(user) if isinstance(user, str) else None
        if until is not None and isinstance(iat, int | float) and iat <= until:
            return "revoked user"
        return None

    def __len__(self) -> int:
        return len(self._jtis) + len(self._users)


# The process's revocations: read by every check below, filled by the process's feed.
REVOKED = Revocations()


class Role(StrEnum):
    REGISTRAR = "registrar"  # 登记
    CASEWORKER = "caseworker"  # 承办
    APPROVER = "approver"  # 公开工作机构负责人: alone may approve an extension
    AUDITOR = "auditor"  # read-only
    CITY_ADMIN = "city_admin"  # city-wide; not bound to one agency


@dataclass(frozen=True)
class Staff:
    user: str
    agency: str | None
    roles: frozenset[Role]

    def can_act_for(self, agency: str) -> bool:
        return Role.CITY_ADMIN in self.roles or (self.agency is not None and self.agency == agency)

    def has(self, *roles: Role) -> bool:
        """True if the user holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)


class AuthError(Exception):
    """A token was refused. `reason` is short English for logs, never shown to the client."""

    def __init__(self, reason: str, user: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


def _epoch(now: datetime) -> float:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")  # a naive time would be read as local
    return now.timestamp()


def issue_token(secret: str, *, user: str, agency: str | None, roles: Iterable[Role],
                now: datetime, ttl: timedelta = timedelta(hours=12), issuer: str = "gongkai",
                audience: str | None = None,
                max_lifetime: timedelta = DEFAULT_MAX_LIFETIME) -> str:
    role_set = frozenset(Role(r) for r in roles)
    if not secret or not user or not role_set or ttl <= timedelta(0):
        raise ValueError("a token needs a secret, a user, at least one role and a positive ttl")
    if not agency and Role.CITY_ADMIN not in role_set:
        raise ValueError("only a city administrator's token may omit the agency")
    if ttl > max_lifetime:
        raise ValueError(f"a token may be valid for at most {max_lifetime} "
                         f"({MAX_LIFETIME_ENV}); the services would refuse a longer one")
    iat = int(_epoch(now))
    claims: dict[str, Any] = {
        "sub": user, "agency": agency or None, "roles": sorted(role_set), "iss": issuer,
        "iat": iat, "nbf": iat, "exp": iat + int(ttl.total_seconds()),
        "jti": secrets.token_hex(16),
    }
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthError(f"claim {name} missing or not a number")
    return float(value)


def verify_token(token: str, *, secret: str, now: datetime, issuer: str = "gongkai",
                 audience: str | None = None,
                 max_lifetime: timedelta = DEFAULT_MAX_LIFETIME) -> Staff:
    if not secret:
        raise ValueError("empty secret")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise AuthError("token too long")
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            raise AuthError("algorithm not allowed")
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=issuer, audience=audience,
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                     "require": ["sub", "iss", "iat", "nbf", "exp", "jti"]},
        )
    except jwt.InvalidSignatureError as exc:  # before DecodeError, its parent
        raise AuthError("bad signature") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise AuthError("algorithm not allowed") from exc
    except jwt.DecodeError as exc:
        raise AuthError("malformed token") from exc
    except jwt.InvalidTokenError as exc:  # issuer, audience, missing claim, bad sub/jti type
        raise AuthError(f"claims: {exc}") from exc
    except AuthError:
        raise
    except Exception as exc:  # anything else a hostile token provokes in the library: refused
        raise AuthError(f"malformed token ({type(exc).__name__})") from exc
    return staff_from_claims(claims, now, max_lifetime=max_lifetime)


def staff_from_claims(claims: dict[str, Any], now: datetime, *, agency_claim: str = "agency",
                      roles_claim: str = "roles", revoked: Revocations | None = None,
                      max_lifetime: timedelta = DEFAULT_MAX_LIFETIME) -> Staff:
    """The staff member a verified token names; its times checked against the injected clock,
    its lifetime against `max_lifetime`, itself against the revocations (`REVOKED`)."""
    user, agency, raw_roles = claims.get("sub"), claims.get(agency_claim), claims.get(roles_claim)
    if not isinstance(user, str) or not user:
        raise AuthError("empty subject")
    at, leeway = _epoch(now), LEEWAY.total_seconds()
    exp, iat = _number(claims, "exp"), _number(claims, "iat")
    if exp <= at - leeway:
        raise AuthError("expired", user)
    if _number(claims, "nbf") > at + leeway or iat > at + leeway:
        raise AuthError("not yet valid", user)
    if exp - iat > max_lifetime.total_seconds():
        raise AuthError(f"lifetime {exp - iat:.0f} s above the maximum", user)
    why = (REVOKED if revoked is None else revoked).refuses(claims)
    if why:
        raise AuthError(why, user)
    if not isinstance(raw_roles, list) or not raw_roles:
        raise AuthError("missing roles", user)
    try:
        roles = frozenset(Role(r) for r in raw_roles)
    except ValueError as exc:
        raise AuthError("unknown role", user) from exc
    if agency is not None and (not isinstance(agency, str) or not agency):
        raise AuthError("malformed agency", user)
    if agency is None and Role.CITY_ADMIN not in roles:
        raise AuthError("no agency for a non-admin", user)
    return Staff(user=user, agency=agency, roles=roles)


def load_secret(home: Path, configured: str | None = None) -> str:
    """`configured` (GONGKAI_JWT_SECRET, Settings.jwt_secret), else a random secret made once in
    home/jwt.secret (mode 0600)."""
    secret = configured
    if secret:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"{SECRET_ENV} must be at least {MIN_SECRET_BYTES} bytes")
        return secret
    return file_secret(home / "jwt.secret")


def file_secret(path: Path) -> str:
    """A random secret made once in `path` (mode 0600), shared by every process that reads it."""
    home = path.parent
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=home, prefix=f".{path.name}.")  # created 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32) + "\n")
            os.link(tmp, path)  # atomic; the first of several starting processes wins
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise RuntimeError(f"{path} is empty or too short; delete it to generate a new one")
    return secret


_bearer = HTTPBearer(auto_error=False)


def staff_dependency(secret_provider: Callable[[], str], clock_provider: Callable[[], Clock],
                     max_lifetime: timedelta = DEFAULT_MAX_LIFETIME,
                     ) -> Callable[..., Awaitable[Staff]]:
    """The deployment's own HS256 tokens (`gongkai token issue`)."""

    async def verify(token: str) -> Staff:
        return verify_token(token, secret=secret_provider(), now=clock_provider().now(),
                            max_lifetime=max_lifetime)

    return bearer_dependency(verify)


def bearer_dependency(verify: Callable[[str], Awaitable[Staff]]) -> Callable[..., Awaitable[Staff]]:
    """A FastAPI dependency: the authenticated staff member, or 401 (never saying why)."""

    async def current_staff(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Staff:
        # Checked already, before the body was read (`TokenFirst`): not twice.
        token = credentials.credentials if credentials else None
        checked = request.scope.get("state", {}).get(CHECKED_STAFF)
        if checked is not None and token is not None and checked[0] == token:
            return checked[1]
        return await authenticate(verify, token)

    current_staff.verify = verify  # type: ignore[attr-defined]  # read by TokenFirst
    return current_staff


CHECKED_STAFF = "gongkai_checked_staff"
UNAUTHENTICATED = "需要有效的身份凭证"


async def authenticate(verify: Callable[[str], Awaitable[Staff]], token: str | None) -> Staff:
    """The staff member `token` names, or Problem 401. Whatever a malformed token makes the
    checks raise is a refusal, never a 500."""
    try:
        if not token:
            raise AuthError("no bearer token")
        return await verify(token)
    except AuthError as exc:
        reason, user = exc.reason, exc.user
    except Exception as exc:  # a token that trips a library: refused, logged without it
        log.warning("token check failed unexpectedly: %s", type(exc).__name__)
        reason, user = f"unreadable token ({type(exc).__name__})", None
    log.info("authentication refused: %s (user %s)", reason, user or "unknown")
    raise Problem(401, UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})


def require_role(staff: Staff, *roles: Role) -> None:
    if not staff.has(*roles):
        raise Problem(403, "当前角色无权执行此操作")


def require_agency(staff: Staff, agency: str) -> None:
    if not staff.can_act_for(agency):
        raise Problem(403, "无权访问其他行政机关的数据")


class TokenFirst:
    """ASGI middleware: on a route that needs a staff member, the bearer token is checked
    before anything reads the body. FastAPI reads (and parses) a route's body before it solves
    its dependencies, so without this a request with no token or a bad one and a large body
    had the body consumed, then got its 401. Here the first read of the body, once the router
    has chosen the route, checks the token first; refused, the 401 is sent and the body is
    never read (the app sees a disconnected client, and whatever it answers is dropped). The
    staff member is left in the request's state for the route's own dependency, so a token is
    checked once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._verifiers: dict[int, Callable[[str], Awaitable[Staff]] | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checked = refused = False

        async def receive_after_token() -> Message:
            nonlocal checked, refused
            if not checked:
                checked = True
                verify = self._verify_for(scope.get("route"))
                if verify is not None:
                    token = bearer_token(scope)
                    try:
                        staff = await authenticate(verify, token)
                    except Problem as exc:
                        refused = True
                        await problem_response(exc.status, exc.detail, instance=scope.get("path"),
                                               headers=exc.headers)(scope, receive, send)
                        return {"type": "http.disconnect"}
                    scope.setdefault("state", {})[CHECKED_STAFF] = (token, staff)
            if refused:
                return {"type": "http.disconnect"}
            return await receive()

        async def sending(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, receive_after_token, sending)
        except Exception:
            if not refused:
                raise

    def _verify_for(self, route: Any) -> Callable[[str], Awaitable[Staff]] | None:
        if route is None:
            return None
        key = id(route)
        if key not in self._verifiers:
            self._verifiers[key] = _staff_verifier(getattr(route, "dependant", None))
        return self._verifiers[key]


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            return credentials.strip() or None if scheme.lower() == "bearer" else None
    return None


def _staff_verifier(dependant: Any) -> Callable[[str], Awaitable[Staff]] | None:
    """The verify function of the staff dependency a route (or one of its dependencies) uses."""
    if dependant is None:
        return None
    verify = getattr(dependant.call, "verify", None)
    if verify is not None:
        return verify
    for sub in dependant.dependencies:
        found = _staff_verifier(sub)
        if found is not None:
            return found
    return None
