"""The confirmation a ledger check hands out, and the import requires: proof that exactly this
file was checked, for this agency, by this staff member, a short while ago.

It is an HS256 token signed with a key derived from the installation's secret for this purpose
alone (so it can never pass as a staff bearer token, nor a bearer token as it), holding the
agency, the user, the file's name, size and SHA-256, and an expiry on the injected clock. Intake
keeps nothing between the two steps: the client sends the file again with the token, and any
other bytes, user, agency or a late token is refused. Pure: key and clock are passed in."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

PURPOSE = "gongkai.intake.ledger-import.confirmation.v1"
TTL = timedelta(hours=2)
_ALGORITHM = "HS256"


class ConfirmationRefused(ValueError):
    """Why a confirmation does not fit (Chinese, for the clerk: check the file again)."""


@dataclass(frozen=True)
class Checked:
    agency: str
    user: str
    name: str
    size: int
    sha256: str


def signing_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), PURPOSE.encode(), hashlib.sha256).digest()


def issue(key: bytes, checked: Checked, now: datetime) -> tuple[str, datetime]:
    expires = now + TTL
    claims = {"purpose": PURPOSE, "agency": checked.agency, "sub": checked.user,
              "name": checked.name, "size": checked.size, "sha256": checked.sha256,
              "exp": int(expires.timestamp())}
    return jwt.encode(claims, key, algorithm=_ALGORITHM), expires


def verify(key: bytes, token: str, expected: Checked, now: datetime) -> None:
    """Returns if `token` confirms `expected` (what is being imported, by whom) at `now`."""
    try:
        claims = jwt.decode(token, key, algorithms=[_ALGORITHM],
                            options={"verify_exp": False, "require": ["purpose", "exp"]})
    except jwt.InvalidTokenError:
        raise ConfirmationRefused("确认凭证无效，请重新检查台账后再导入") from None
    if claims.get("purpose") != PURPOSE:
        raise ConfirmationRefused("确认凭证无效，请重新检查台账后再导入")
    if not isinstance(claims["exp"], int) or claims["exp"] <= now.timestamp():
        raise ConfirmationRefused(f"确认凭证已过期（检查后{TTL.seconds // 3600}小时内有效），"
                                  "请重新检查台账后再导入")
    if (claims.get("agency"), claims.get("sub")) != (expected.agency, expected.user):
        raise ConfirmationRefused("确认凭证不是当前用户为该机关检查台账时取得的，请重新检查")
    if (claims.get("sha256"), claims.get("size"), claims.get("name")) != (
            expected.sha256, expected.size, expected.name):
        raise ConfirmationRefused("导入的文件与检查时的文件不同，请重新检查台账后再导入")
