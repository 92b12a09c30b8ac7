"""The staff member's session: a signed, HttpOnly, SameSite=Lax cookie holding their token,
a CSRF token and the time of their last request (idle timeout). The portal keeps no table."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

COOKIE = "gongkai_staff"


@dataclass(frozen=True)
class Session:
    token: str
    user: str
    agency: str | None
    roles: tuple[str, ...]
    csrf: str
    seen: float  # epoch seconds of the last request

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def city_admin(self) -> bool:
        return "city_admin" in self.roles


def new_session(token: str, user: str, agency: str | None, roles: list[str], now: float,
                ) -> Session:
    return Session(token, user, agency, tuple(roles), secrets.token_urlsafe(24), now)


class Signer:
    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _mac(self, data: bytes) -> str:
        return base64.urlsafe_b64encode(
            hmac.new(self.secret, data, hashlib.sha256).digest()).decode().rstrip("=")

    def dump(self, session: Session) -> str:
        data = base64.urlsafe_b64encode(
            json.dumps(asdict(session), separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{data}.{self._mac(data.encode())}"

    def load(self, cookie: str | None, now: float, idle_seconds: float) -> Session | None:
        """The session a cookie carries, or None if it is absent, forged or idle too long."""
        if not cookie or "." not in cookie:
            return None
        data, mac = cookie.rsplit(".", 1)
        # Bytes, not str: compare_digest refuses non-ASCII text, which a forged cookie may hold.
        if not hmac.compare_digest(mac.encode(), self._mac(data.encode()).encode()):
            return None
        try:
            padded = data + "=" * (-len(data) % 4)
            raw: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
            session = Session(raw["token"], raw["user"], raw["agency"], tuple(raw["roles"]),
                              raw["csrf"], float(raw["seen"]))
        except (ValueError, KeyError, TypeError):
            return None
        if now - session.seen > idle_seconds:
            return None
        return session


def portal_secret(home: Path, configured: str | None = None) -> bytes:
    """`configured` (GONGKAI_PORTAL_SECRET, PortalConfig.secret), else a random key made once in
    home/portal.secret (mode 0600), shared by every portal process of one installation."""
    if configured:
        if len(configured.encode()) < 32:
            raise ValueError("GONGKAI_PORTAL_SECRET must be at least 32 bytes")
        return configured.encode()
    path = home / "portal.secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=home, prefix=".portal.secret.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32) + "\n")
            os.link(tmp, path)  # atomic: the first of several starting processes wins
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip().encode()
