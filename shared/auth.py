"""Staff authentication: HS256 bearer tokens, roles (DOMAIN §1) and the checks handlers make."""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.clock import Clock
from shared.http import Problem

log = logging.getLogger(__name__)

ALGORITHM = "HS256"  # the only one accepted: no "none", no algorithm confusion
LEEWAY = timedelta(seconds=30)
SECRET_ENV = "GONGKAI_JWT_SECRET"
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2


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
                audience: str | None = None) -> str:
    role_set = frozenset(Role(r) for r in roles)
    if not secret or not user or not role_set or ttl <= timedelta(0):
        raise ValueError("a token needs a secret, a user, at least one role and a positive ttl")
    if not agency and Role.CITY_ADMIN not in role_set:
        raise ValueError("only a city administrator's token may omit the agency")
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
                 audience: str | None = None) -> Staff:
    if not secret:
        raise ValueError("empty secret")
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
    return staff_from_claims(claims, now)


def staff_from_claims(claims: dict[str, Any], now: datetime, *, agency_claim: str = "agency",
                      roles_claim: str = "roles") -> Staff:
    """The staff member a verified token names; its times checked against the injected clock."""
    user, agency, raw_roles = claims["sub"], claims.get(agency_claim), claims.get(roles_claim)
    if not isinstance(user, str) or not user:
        raise AuthError("empty subject")
    at, leeway = _epoch(now), LEEWAY.total_seconds()
    if _number(claims, "exp") <= at - leeway:
        raise AuthError("expired", user)
    if _number(claims, "nbf") > at + leeway or _number(claims, "iat") > at + leeway:
        raise AuthError("not yet valid", user)
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


def load_secret(home: Path) -> str:
    """GONGKAI_JWT_SECRET, else a random secret made once in home/jwt.secret (mode 0600)."""
    secret = os.environ.get(SECRET_ENV)
    if secret:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"{SECRET_ENV} must be at least {MIN_SECRET_BYTES} bytes")
        return secret
    path = home / "jwt.secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=home, prefix=".jwt.secret.")  # created 0600
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


def staff_dependency(secret_provider: Callable[[], str],
                     clock_provider: Callable[[], Clock]) -> Callable[..., Awaitable[Staff]]:
    """The deployment's own HS256 tokens (`gongkai token issue`)."""

    async def verify(token: str) -> Staff:
        return verify_token(token, secret=secret_provider(), now=clock_provider().now())

    return bearer_dependency(verify)


def bearer_dependency(verify: Callable[[str], Awaitable[Staff]]) -> Callable[..., Awaitable[Staff]]:
    """A FastAPI dependency: the authenticated staff member, or 401 (never saying why)."""

    async def current_staff(
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Staff:
        try:
            if credentials is None:
                raise AuthError("no bearer token")
            return await verify(credentials.credentials)
        except AuthError as exc:
            log.info("authentication refused: %s (user %s)", exc.reason, exc.user or "unknown")
            raise Problem(401, "需要有效的身份凭证",
                          headers={"WWW-Authenticate": "Bearer"}) from None

    return current_staff


def require_role(staff: Staff, *roles: Role) -> None:
    if not staff.has(*roles):
        raise Problem(403, "当前角色无权执行此操作")


def require_agency(staff: Staff, agency: str) -> None:
    if not staff.can_act_for(agency):
        raise Problem(403, "无权访问其他行政机关的数据")
