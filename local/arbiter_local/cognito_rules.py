"""Cognito's rules on who may write a user's attributes, which moto 5.2.5 does not apply.

The API trusts a reviewer's tenant because only the operator can set it: `custom:tenant_id` is immutable in the
template's user pool and absent from the back office client's `WriteAttributes`. moto ignores both (and the pool's
`AllowAdminCreateUserOnly`), so locally a signed-in viewer could move themselves into another tenant with
`UpdateUserAttributes`. Here moto's backend refuses what Cognito refuses, with Cognito's error codes and messages:

- `UpdateUserAttributes` (the user, with their access token) of an attribute not in the app client's
  `WriteAttributes`: NotAuthorizedException "A client attempted to write unauthorized attribute"; of an
  immutable attribute: InvalidParameterException "user.<name>: Attribute cannot be updated.".
- `AdminUpdateUserAttributes` of an immutable attribute (after creation, whether or not it was set then):
  InvalidParameterException, the same message.
- `SignUp` in a pool that allows only administrators to create users: NotAuthorizedException
  "SignUp is not permitted for this user pool"; otherwise its attributes must be in the client's `WriteAttributes`.

A client without `WriteAttributes` may write every mutable attribute, as in Cognito.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

__all__ = ["CognitoRules"]

UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"
SIGN_UP_NOT_PERMITTED = "SignUp is not permitted for this user pool"

_PATCHED = ("update_user_attributes", "admin_update_user_attributes", "sign_up")


class CognitoRules:
    """Installs the checks on moto's Cognito backend; `uninstall` restores moto."""

    def __init__(self) -> None:
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        """Patch UpdateUserAttributes, AdminUpdateUserAttributes and SignUp."""
        self._saved = {name: getattr(CognitoIdpBackend, name) for name in _PATCHED}
        original = dict(self._saved)

        def update_user_attributes(
            backend: CognitoIdpBackend, access_token: str, attributes: list[dict[str, str]]
        ) -> None:
            for pool in backend.user_pools.values():
                if access_token in pool.access_tokens:
                    client_id, _username = pool.access_tokens[access_token]
                    _check_client_writes(pool, client_id, _names(attributes))
                    _check_mutable(pool, _names(attributes))
                    break
            original["update_user_attributes"](backend, access_token, attributes)

        def admin_update_user_attributes(
            backend: CognitoIdpBackend, user_pool_id: str, username: str, attributes: list[dict[str, str]]
        ) -> None:
            _check_mutable(backend.describe_user_pool(user_pool_id), _names(attributes))
            original["admin_update_user_attributes"](backend, user_pool_id, username, attributes)

        def sign_up(
            backend: CognitoIdpBackend,
            client_id: str,
            username: str,
            password: str,
            attributes: list[dict[str, str]],
        ) -> Any:
            for pool in backend.user_pools.values():
                if client_id in pool.clients:
                    if pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly"):
                        raise NotAuthorizedError(SIGN_UP_NOT_PERMITTED)
                    _check_client_writes(pool, client_id, _names(attributes))
            return original["sign_up"](backend, client_id, username, password, attributes)

        CognitoIdpBackend.update_user_attributes = update_user_attributes  # type: ignore[assignment]
        CognitoIdpBackend.admin_update_user_attributes = admin_update_user_attributes  # type: ignore[assignment]
        CognitoIdpBackend.sign_up = sign_up  # type: ignore[assignment]

    def uninstall(self) -> None:
        """Restore moto's own behaviour."""
        for name, method in self._saved.items():
            setattr(CognitoIdpBackend, name, method)
        self._saved = {}


def _names(attributes: Iterable[dict[str, str]]) -> list[str]:
    return [str(a.get("Name", "")) for a in attributes]


def _check_client_writes(pool: CognitoIdpUserPool, client_id: str, names: list[str]) -> None:
    client = pool.clients.get(client_id)
    allowed = client.extended_config.get("WriteAttributes") if client else None
    if allowed is None:  # no list: the client may write every attribute (mutability still applies)
        return
    if any(name not in allowed for name in names):
        raise NotAuthorizedError(UNAUTHORIZED_ATTRIBUTE)


def _check_mutable(pool: CognitoIdpUserPool, names: list[str]) -> None:
    for name in names:
        attribute = pool.schema_attributes.get(name)
        if attribute is not None and not attribute.mutable:
            raise InvalidParameterException(f"user.{name}: Attribute cannot be updated.")
