"""Notify's own settings, read once from the environment at its composition root
(services/notify/bootstrap.py) — README: Configuration."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

ACK_SMS_PER_DAY_ENV = "GONGKAI_ACK_SMS_PER_DAY"
DEFAULT_ACK_SMS_PER_DAY = 5


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    sender: str = "gongkai@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False


@dataclass(frozen=True)
class NotifySettings:
    smtp: Smtp | None = None  # GONGKAI_SMTP_*; unset host: the development mail sink
    templates_dir: Path | None = None  # GONGKAI_TEMPLATES_DIR; unset: GONGKAI_HOME/templates
    dev_sinks: bool = False  # GONGKAI_DEV_SINKS=1 (bootstrap.dev_sinks_enabled decides)
    ack_sms_per_day: int = DEFAULT_ACK_SMS_PER_DAY  # GONGKAI_ACK_SMS_PER_DAY
    # The city file names the SMS providers' secrets by environment variable ("env:NAME"): the
    # names are data, not known here, so the environment is copied once, at start, for them.
    secrets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if environ is None else environ
        host = env.get("GONGKAI_SMTP_HOST")
        smtp = Smtp(host=host, port=int(env.get("GONGKAI_SMTP_PORT", "25")),
                    sender=env.get("GONGKAI_SMTP_FROM", "gongkai@localhost"),
                    user=env.get("GONGKAI_SMTP_USER") or None,
                    password=env.get("GONGKAI_SMTP_PASSWORD") or None,
                    starttls=env.get("GONGKAI_SMTP_STARTTLS") == "1") if host else None
        templates = env.get("GONGKAI_TEMPLATES_DIR")
        return cls(smtp=smtp, templates_dir=Path(templates) if templates else None,
                   dev_sinks=env.get("GONGKAI_DEV_SINKS") == "1",
                   ack_sms_per_day=ack_sms_per_day(env),
                   secrets=MappingProxyType(dict(env)))


def ack_sms_per_day(environ: Mapping[str, str]) -> int:
    raw = environ.get(ACK_SMS_PER_DAY_ENV) or str(DEFAULT_ACK_SMS_PER_DAY)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{ACK_SMS_PER_DAY_ENV} must be a whole number of at least 1, "
                         f"not {raw!r}")
    return int(raw)
