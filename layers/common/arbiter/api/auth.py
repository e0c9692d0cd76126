"""Who is calling: integrators by API key, reviewers by a verified Cognito ID token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arbiter.domain.errors import Unauthenticated
from arbiter.domain.principal import ROLES, Principal

__all__ = ["CognitoTokenVerifier", "api_key_from_headers", "bearer_token"]


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def bearer_token(headers: Mapping[str, str] | None) -> str | None:
    """The token of `Authorization: Bearer <token>`."""
    value = _header(headers, "authorization")
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def api_key_from_headers(headers: Mapping[str, str] | None) -> str | None:
    """An integrator's key: `Authorization: Bearer <key>`, `Authorization: Api-Key <key>`, or `X-API-Key`."""
    value = _header(headers, "authorization")
    if value:
        scheme, _, credential = value.strip().partition(" ")
        if scheme.lower() in ("bearer", "api-key", "apikey") and credential.strip():
            return credential.strip()
    return _header(headers, "x-api-key")


class CognitoTokenVerifier:
    """Verifies a Cognito ID token: RS256 signature (JWKS), expiry, audience (the app client), issuer, use.

    The JWKS is fetched on first use and cached for the life of the container.
    """

    def __init__(
        self, *, region: str, user_pool_id: str, client_id: str, endpoint_url: str | None = None
    ) -> None:
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        base = (endpoint_url or f"https://cognito-idp.{region}.amazonaws.com").rstrip("/")
        self.jwks_url = f"{base}/{user_pool_id}/.well-known/jwks.json"
        self.client_id = client_id
        import jwt  # PyJWT and cryptography load on first use, off the integrator API's cold start

        self._jwks = jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def verify(self, token: str | None) -> Principal:
        """The reviewer the token names; Unauthenticated if it is missing, forged, expired or not for us."""
        if not token:
            raise Unauthenticated("sign in first: send Authorization: Bearer <ID token>")
        import jwt

        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the session has expired: sign in again", reason="expired") from exc
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise Unauthenticated("the token is not valid", reason=type(exc).__name__) from exc
        if claims.get("token_use") != "id":
            raise Unauthenticated("send the ID token, not the access token")
        tenant_id = claims.get("custom:tenant_id")
        if not tenant_id:
            raise Unauthenticated("this account belongs to no tenant")
        roles = tuple(r for r in ROLES if r in (claims.get("cognito:groups") or []))
        return Principal(
            kind="reviewer", tenant_id=tenant_id, id=claims["sub"], email=claims.get("email"), roles=roles
        )
