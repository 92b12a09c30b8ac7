"""The portal's configuration, from the environment (README: Configuration)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from shared.auth import DEFAULT_MAX_LIFETIME
from shared.oidc import OidcVerifier
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
    # Sign-in with the identity provider the services trust (GONGKAI_OIDC_*): this portal's
    # client at the provider, and the address people reach it at (for the redirect URI).
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    public_url: str | None = None
    secret: str | None = None  # GONGKAI_PORTAL_SECRET; unset: made once in home/portal.secret
    # The services' settings the console needs: their token key and identity provider.
    jwt_secret: str | None = None
    oidc: OidcVerifier | None = None
    token_max_lifetime: timedelta = DEFAULT_MAX_LIFETIME

    @property
    def public(self) -> bool:
        return self.faces in ("public", "both")

    @property
    def staff(self) -> bool:
        return self.faces in ("staff", "both")

    @property
    def oidc_signin(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @classmethod
    def from_env(cls, settings: Settings, environ: Mapping[str, str] | None = None,
                 ) -> PortalConfig:
        env = os.environ if environ is None else environ
        faces = env.get("GONGKAI_PORTAL_FACES", "both")
        if faces not in FACES:
            raise ValueError(f"GONGKAI_PORTAL_FACES must be one of {', '.join(FACES)}")
        # Each service at GONGKAI_<SERVICE>_URL, else on loopback at its configured port.
        urls = {s: env.get(f"GONGKAI_{s.upper()}_URL")
                or f"http://127.0.0.1:{settings.ports[s]}" for s in SERVICES}
        public_url = (env.get("GONGKAI_PORTAL_URL") or "").rstrip("/") or None
        if public_url and not public_url.startswith(("https://", "http://")):
            raise ValueError("GONGKAI_PORTAL_URL must be an http(s) address, e.g. "
                             "https://gongkai.example.gov.cn")
        if (env.get("GONGKAI_OIDC_ISSUER") and env.get("GONGKAI_PORTAL_OIDC_CLIENT_ID")
                and not (env.get("GONGKAI_OIDC_AUDIENCE") and env.get("GONGKAI_OIDC_JWKS_URL"))):
            # The console reads the person from the access token as the services will.
            raise ValueError("sign-in with GONGKAI_PORTAL_OIDC_CLIENT_ID needs the services' "
                             "GONGKAI_OIDC_AUDIENCE and GONGKAI_OIDC_JWKS_URL too")
        return cls(
            faces=faces, service_urls=urls, home=settings.home,
            dev_signin=env.get("GONGKAI_PORTAL_DEV_SIGNIN") == "1",
            idle_minutes=int(env.get("GONGKAI_PORTAL_IDLE_MINUTES", "30")),
            secure_cookies=env.get("GONGKAI_PORTAL_SECURE_COOKIES", "0") == "1",
            oidc_issuer=env.get("GONGKAI_OIDC_ISSUER") or None,
            oidc_client_id=env.get("GONGKAI_PORTAL_OIDC_CLIENT_ID") or None,
            oidc_client_secret=env.get("GONGKAI_PORTAL_OIDC_CLIENT_SECRET") or None,
            public_url=public_url,
            secret=env.get("GONGKAI_PORTAL_SECRET") or None,
            jwt_secret=settings.jwt_secret,
            oidc=(OidcVerifier.from_settings(settings)
                  if env.get("GONGKAI_OIDC_ISSUER") and env.get("GONGKAI_PORTAL_OIDC_CLIENT_ID")
                  else None),
            token_max_lifetime=settings.token_max_lifetime,
        )
