"""Trusting an OIDC provider's tokens instead of our own (a production deployment with a
city-wide identity provider): RS256/ES256 signatures checked against the provider's JWKS,
issuer and audience as configured, the agency and roles read from configured claims.

Configured by GONGKAI_OIDC_ISSUER, GONGKAI_OIDC_AUDIENCE, GONGKAI_OIDC_JWKS_URL and optionally
GONGKAI_OIDC_AGENCY_CLAIM (default gongkai_agency), GONGKAI_OIDC_ROLES_CLAIM (gongkai_roles).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from shared.auth import (
    DEFAULT_MAX_LIFETIME,
    MAX_TOKEN_CHARS,
    AuthError,
    Staff,
    staff_from_claims,
)
from shared.settings import Settings

ALGORITHMS = ["RS256", "ES256"]  # asymmetric only: an HS256 token could be forged with the key


@dataclass
class OidcVerifier:
    issuer: str
    audience: str
    jwks_url: str
    agency_claim: str = "gongkai_agency"
    roles_claim: str = "gongkai_roles"
    max_lifetime: timedelta = DEFAULT_MAX_LIFETIME

    def __post_init__(self) -> None:
        self._keys = jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=3600, timeout=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcVerifier | None:
        if not settings.oidc_issuer:
            return None
        if not settings.oidc_audience:
            raise KeyError("GONGKAI_OIDC_AUDIENCE")
        if not settings.oidc_jwks_url:
            raise KeyError("GONGKAI_OIDC_JWKS_URL")
        return cls(issuer=settings.oidc_issuer, audience=settings.oidc_audience,
                   jwks_url=settings.oidc_jwks_url, agency_claim=settings.oidc_agency_claim,
                   roles_claim=settings.oidc_roles_claim,
                   max_lifetime=settings.token_max_lifetime)

    def verify(self, token: str, now: datetime) -> Staff:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            raise AuthError("token too long")
        try:
            alg = jwt.get_unverified_header(token).get("alg")
            if alg not in ALGORITHMS:
                raise AuthError("algorithm not allowed")
            key = self._keys.get_signing_key_from_jwt(token)
            # The key decides the algorithm: a header naming another type of key than the one
            # its kid names (ES256 on an RSA key) is refused here, not inside the library.
            if key.algorithm_name != alg:
                raise AuthError(f"algorithm {alg} does not match the key's {key.algorithm_name}")
            claims = jwt.decode(
                token, key.key, algorithms=[alg], issuer=self.issuer,
                audience=self.audience,
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                         "require": ["sub", "iss", "aud", "exp", "iat"]})
        except AuthError:
            raise
        except jwt.PyJWKClientError as exc:
            raise AuthError(f"signing key: {exc}") from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthError("bad signature") from exc
        except jwt.DecodeError as exc:
            raise AuthError("malformed token") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"claims: {exc}") from exc
        except Exception as exc:  # whatever else a hostile token provokes: refused, not a 500
            raise AuthError(f"malformed token ({type(exc).__name__})") from exc
        claims.setdefault("nbf", claims["iat"])
        return staff_from_claims(claims, now, agency_claim=self.agency_claim,
                                 roles_claim=self.roles_claim, max_lifetime=self.max_lifetime)

    async def verify_async(self, token: str, now: datetime) -> Staff:
        # Fetching the JWKS (first use, key rotation) is blocking I/O: keep it off the loop.
        return await asyncio.to_thread(self.verify, token, now)
