"""The reviewers' ID tokens are verified, never trusted: signature against the pool's JWKS (served here by a real
local HTTP server), expiry, audience, issuer, token use, and a tenant; anything else is 401 with no detail."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from arbiter.api.auth import CognitoTokenVerifier
from arbiter.domain.errors import Unauthenticated
from tests.support.local_http import LocalServer, Reply

POOL = "us-east-1_TESTPOOL"
CLIENT = "backoffice-client"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"


def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


POOL_KEY = rsa_key()
OTHER_KEY = rsa_key()


@pytest.fixture(scope="module")
def verifier() -> Any:
    jwk = json.loads(RSAAlgorithm.to_jwk(POOL_KEY.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "pool-key", "alg": "RS256", "use": "sig"}]}).encode()
    server = LocalServer({f"/{POOL}/.well-known/jwks.json": lambda _request: Reply(200, body=jwks)})
    yield CognitoTokenVerifier(
        region="us-east-1",
        user_pool_id=POOL,
        client_id=CLIENT,
        endpoint_url=f"http://127.0.0.1:{server.port}",
    )
    server.close()


def token(key: Any = POOL_KEY, kid: str = "pool-key", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "u-1",
        "aud": CLIENT,
        "iss": ISSUER,
        "iat": now,
        "exp": now + 600,
        "token_use": "id",
        "custom:tenant_id": "acme",
        "cognito:groups": ["reviewer", "not-a-role"],
        "email": "ana@acme.example",
    }
    claims.update(changes)
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256", headers={"kid": kid}
    )


def test_a_token_of_the_pool_for_the_back_office_names_the_reviewer(verifier) -> None:
    principal = verifier.verify(token())
    assert (principal.tenant_id, principal.id, principal.roles) == ("acme", "u-1", ("reviewer",))


@pytest.mark.parametrize(
    ("forged", "reason"),
    [
        (lambda: token(exp=int(time.time()) - 1), "the session has expired"),
        (lambda: token(aud="another-client"), "the token is not valid"),
        (
            lambda: token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER"),
            "the token is not valid",
        ),
        (lambda: token(key=OTHER_KEY), "the token is not valid"),
        (lambda: token(key=OTHER_KEY, kid="unknown-key"), "the token is not valid"),
        (lambda: token(token_use="access"), "send the ID token"),
        (lambda: token(**{"custom:tenant_id": None}), "belongs to no tenant"),
        (lambda: token(exp=None), "the token is not valid"),
        (
            lambda: jwt.encode(
                {"sub": "u-1", "aud": CLIENT, "iss": ISSUER},
                "a-shared-secret-of-at-least-32-bytes",
                algorithm="HS256",
            ),
            "not valid",
        ),
        (lambda: "not.a.token", "the token is not valid"),
        (lambda: "", "sign in first"),
    ],
    ids=[
        "expired",
        "another audience",
        "another issuer",
        "another key",
        "unknown key id",
        "access token",
        "no tenant",
        "no expiry",
        "HS256",
        "garbage",
        "missing",
    ],
)
def test_anything_else_is_refused(verifier, forged, reason) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        verifier.verify(forged())
