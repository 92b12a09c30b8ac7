"""Keys that recognise an applicant without the number, and the sealed access code.

An applicant's key is an HMAC of the ID or credit code under a secret only intake holds: the
same number always gives the same key, and no one without the secret can go from a key back to
a number by trying candidates (an unsalted hash of an 18-digit ID number falls in seconds: a
district and a birth year leave ~364,000 of them). Intake holds a ring of secrets, the current
first; an application carries one key per secret, so while an old secret is still in the ring
a new application is recognised by cases keyed under it (docs/privacy.md: rotation).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Secret:
    key_id: str  # short, printed in each key so a key names the secret it was made under
    value: bytes


def applicant_keys(number: str | None, ring: Sequence[Secret]) -> list[str]:
    if not number or not number.strip():
        return []
    normal = number.strip().upper().encode()
    return [f"{s.key_id}:{hmac.new(s.value, normal, hashlib.sha256).hexdigest()[:32]}"
            for s in ring]


def _pad(secret: Secret, idempotency_key: str, length: int) -> bytes:
    pad = hmac.new(secret.value, b"access-code\n" + idempotency_key.encode(),
                   hashlib.sha256).digest()
    if length > len(pad):
        raise ValueError("access code longer than the pad")
    return pad[:length]


def seal(code: str, idempotency_key: str, secret: Secret) -> str:
    """The access code as the idempotency record keeps it, so that a retry with the same key
    gets the same answer: unreadable without both the key (which only the client has) and
    intake's secret."""
    raw = code.encode()
    sealed = bytes(a ^ b for a, b in zip(raw, _pad(secret, idempotency_key, len(raw)),
                                         strict=True))
    return f"{secret.key_id}:{sealed.hex()}"


def unseal(sealed: str, idempotency_key: str, ring: Sequence[Secret]) -> str | None:
    key_id, _, hexed = sealed.partition(":")
    secret = next((s for s in ring if s.key_id == key_id), None)
    if secret is None:
        return None  # the secret left the ring: the code cannot be given again
    raw = bytes.fromhex(hexed)
    return bytes(a ^ b for a, b in zip(raw, _pad(secret, idempotency_key, len(raw)),
                                       strict=True)).decode(errors="replace")
