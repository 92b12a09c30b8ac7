"""The portal's configuration, from the environment (README: Configuration)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared.settings import SERVICES, Settings

FACES = ("public", "staff", "both")


@dataclass(frozen=True)
class PortalConfig:
    faces: str
    service_urls: dict[str, str]
    home: Path
    dev_signin: bool
    idle_minutes: int
    secure_cookies: bool
    oidc_issuer: str | None

    @property
    def public(self) -> bool:
        return self.faces in ("public", "both")

    @property
    def staff(self) -> bool:
        return self.faces in ("staff", "both")

    @classmethod
    def from_env(cls, settings: Settings) -> PortalConfig:
        faces = os.environ.get("GONGKAI_PORTAL_FACES", "both")
        if faces not in FACES:
            raise ValueError(f"GONGKAI_PORTAL_FACES must be one of {', '.join(FACES)}")
        # Each service at GONGKAI_<SERVICE>_URL, else on loopback at its configured port.
        urls = {s: os.environ.get(f"GONGKAI_{s.upper()}_URL")
                or f"http://127.0.0.1:{settings.ports[s]}" for s in SERVICES}
        return cls(
            faces=faces, service_urls=urls, home=settings.home,
            dev_signin=os.environ.get("GONGKAI_PORTAL_DEV_SIGNIN") == "1",
            idle_minutes=int(os.environ.get("GONGKAI_PORTAL_IDLE_MINUTES", "30")),
            secure_cookies=os.environ.get("GONGKAI_PORTAL_SECURE_COOKIES", "0") == "1",
            oidc_issuer=os.environ.get("GONGKAI_OIDC_ISSUER") or None,
        )
