"""Intake's own settings, read once from the environment at its composition root
(services/intake/bootstrap.py; the CLI's ledger import reads them too) — README: Configuration."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from services.intake.domain.id_document import DEFAULT_MAX_BYTES

MAX_BYTES_ENV = "GONGKAI_ID_DOCUMENT_MAX_BYTES"
RING_ENV = "GONGKAI_APPLICANT_KEY_SECRETS"


@dataclass(frozen=True)
class IntakeSettings:
    # GONGKAI_APPLICANT_KEY_SECRETS (raw "id:secret,…"; unset: made once in GONGKAI_HOME).
    applicant_key_secrets: str = ""
    # GONGKAI_ID_DOCUMENT_MAX_BYTES: the largest identity document of a form.
    id_document_max_bytes: int = DEFAULT_MAX_BYTES
    # GONGKAI_FAULT: fault injection for the end-to-end tests of invariant 1; never in production.
    fault: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if environ is None else environ
        return cls(applicant_key_secrets=env.get(RING_ENV, "").strip(),
                   id_document_max_bytes=max_bytes(env.get(MAX_BYTES_ENV, "")),
                   fault=env.get("GONGKAI_FAULT", ""))


def max_bytes(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_BYTES_ENV} must be a positive number of bytes, not {raw!r}")
    return int(raw)
