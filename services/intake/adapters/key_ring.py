"""Intake's secrets for applicant keys, from the environment or made once for the embedded stack.

`GONGKAI_APPLICANT_KEY_SECRETS` is a comma-separated ring `id:secret,id:secret`, the current
first (each secret at least 32 bytes). Only intake's process gets it; without it (the embedded
stack) a random secret is made once in `<GONGKAI_HOME>/intake/applicant-key.secret` (0600).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from services.intake.domain.applicant_keys import Secret

RING_ENV = "GONGKAI_APPLICANT_KEY_SECRETS"
MIN_BYTES = 32


def parse_ring(raw: str) -> list[Secret]:
    ring: list[Secret] = []
    for item in (part.strip() for part in raw.split(",")):
        key_id, sep, value = item.partition(":")
        if not sep or not key_id.isalnum() or len(value.encode()) < MIN_BYTES:
            raise ValueError(f"{RING_ENV}: each entry is id:secret, the id letters and digits, "
                             f"the secret at least {MIN_BYTES} bytes")
        if any(s.key_id == key_id for s in ring):
            raise ValueError(f"{RING_ENV}: the id {key_id!r} is used twice")
        ring.append(Secret(key_id, value.encode()))
    return ring


def load_ring(home: Path, configured: str = "") -> list[Secret]:
    """`configured`: GONGKAI_APPLICANT_KEY_SECRETS (IntakeSettings.applicant_key_secrets)."""
    raw = configured.strip()
    if raw:
        return parse_ring(raw)
    path = home / "intake" / "applicant-key.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write("k1:" + secrets.token_urlsafe(32) + "\n")
        except FileExistsError:  # another process made it first
            pass
    return parse_ring(path.read_text().strip())
