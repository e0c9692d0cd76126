"""The reviewer directory: the accounts of the stack's Cognito user pool (ListUsers, ListUsersInGroup).

Cognito's ListUsers cannot filter on a custom attribute, so the pool's users are listed a page at a time and a
tenant's are those whose `custom:tenant_id` is the tenant (one pool holds every tenant's reviewers: for a pool of
thousands, keep the answer cached or use a pool per tenant). Roles are the groups the product knows, read with one
ListUsersInGroup per role. Finding one reviewer (to assign a case to them) filters ListUsers on `sub` or `email`
and reads that user's groups: two calls, whatever the pool's size.
"""

from __future__ import annotations

from typing import Any

from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.principal import ROLES, Role
from arbiter.domain.reviewer import Reviewer

__all__ = ["CognitoReviewerDirectory"]

#: The attribute that ties an account to its tenant (the ID token's claim the API reads).
TENANT_ATTRIBUTE = "custom:tenant_id"


class CognitoReviewerDirectory:
    """Implements `arbiter.services.review_team.ReviewerDirectory` over one user pool."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def reviewers(self, tenant_id: str) -> list[Reviewer]:
        """The tenant's reviewers, by e-mail."""
        users = [u for u in self._users("list_users") if _attributes(u).get(TENANT_ATTRIBUTE) == tenant_id]
        roles: dict[str, list[Role]] = {}
        for role in ROLES:
            try:
                members = self._users("list_users_in_group", GroupName=role)
            except self._client.exceptions.ResourceNotFoundException:
                continue  # a pool made before the role existed has no group for it: nobody holds it
            for user in members:
                roles.setdefault(user["Username"], []).append(role)
        found = [_reviewer(user, roles.get(user["Username"], [])) for user in users]
        return sorted(found, key=lambda r: (r.email or "", r.id))

    def find(self, tenant_id: str, who: str) -> Reviewer | None:
        """The tenant's reviewer whose id (`sub`) or e-mail is `who`; None when the tenant has none."""
        attribute = "email" if "@" in who else "sub"
        if '"' in who or "\\" in who:
            return None  # no account has such an id or e-mail; never part of a filter expression
        try:
            response = self._client.list_users(
                UserPoolId=self._pool, Filter=f'{attribute} = "{who}"', Limit=2
            )
        except self._client.exceptions.InvalidParameterException:
            return None  # a value Cognito cannot filter on (control characters…): nobody has it
        users = response["Users"]
        mine = [u for u in users if _attributes(u).get(TENANT_ATTRIBUTE) == tenant_id]
        if not mine:
            return None
        user = mine[0]
        groups = self._client.admin_list_groups_for_user(UserPoolId=self._pool, Username=user["Username"])
        held = {g["GroupName"] for g in groups.get("Groups", [])}
        return _reviewer(user, [r for r in ROLES if r in held])

    def invite(self, tenant_id: str, email: str, name: str | None, roles: list[Role]) -> Reviewer:
        """A new account (AdminCreateUser): Cognito e-mails a temporary password, which the reviewer replaces at
        their first sign-in (NEW_PASSWORD_REQUIRED) before setting up an authenticator app. Conflict when the
        e-mail has an account already."""
        attributes = [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": TENANT_ATTRIBUTE, "Value": tenant_id},
            *([{"Name": "name", "Value": name}] if name else []),
        ]
        try:
            created = self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=attributes,
                DesiredDeliveryMediums=["EMAIL"],
            )["User"]
        except self._client.exceptions.UsernameExistsException as exc:
            raise Conflict(f"{email} has an account already", path="email") from exc
        except self._client.exceptions.InvalidParameterException as exc:
            # An address the model accepts but Cognito does not (its own rules for user names and e-mails).
            raise InvalidInput(
                f"email: {exc.response['Error'].get('Message', 'not accepted')}", path="email"
            ) from exc
        for role in roles:
            self._client.admin_add_user_to_group(
                UserPoolId=self._pool, Username=created["Username"], GroupName=role
            )
        return _reviewer(created, roles)

    def update(self, tenant_id: str, who: str, *, roles: list[Role] | None, enabled: bool | None) -> Reviewer:
        """Set an account's roles (its groups) and whether it may sign in; NotFound outside the tenant."""
        found = self.find(tenant_id, who)
        if found is None:
            raise NotFound(f"no reviewer {who!r}", reviewer=who)
        username = self._username(found)
        if roles is not None:
            for role in ROLES:
                if role in roles and role not in found.roles:
                    self._client.admin_add_user_to_group(
                        UserPoolId=self._pool, Username=username, GroupName=role
                    )
                elif role not in roles and role in found.roles:
                    self._client.admin_remove_user_from_group(
                        UserPoolId=self._pool, Username=username, GroupName=role
                    )
        if enabled is not None and enabled != found.enabled:
            action = self._client.admin_enable_user if enabled else self._client.admin_disable_user
            action(UserPoolId=self._pool, Username=username)
        return found.model_copy(
            update={
                "roles": roles if roles is not None else found.roles,
                "enabled": found.enabled if enabled is None else enabled,
            }
        )

    def _username(self, reviewer: Reviewer) -> str:
        response = self._client.list_users(UserPoolId=self._pool, Filter=f'sub = "{reviewer.id}"', Limit=1)
        users = response["Users"]
        return str(users[0]["Username"]) if users else reviewer.email or reviewer.id

    def _users(self, operation: str, **arguments: Any) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator(operation)
        return [
            user
            for page in paginator.paginate(UserPoolId=self._pool, **arguments)
            for user in page.get("Users", [])
        ]


def _attributes(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("Attributes", [])}


def _reviewer(user: dict[str, Any], roles: list[Role]) -> Reviewer:
    attributes = _attributes(user)
    name = attributes.get("name") or " ".join(
        part for part in (attributes.get("given_name"), attributes.get("family_name")) if part
    )
    return Reviewer(
        id=attributes.get("sub") or user["Username"],
        email=attributes.get("email"),
        name=name or None,
        roles=[r for r in ROLES if r in roles],
        enabled=bool(user.get("Enabled", True)),
    )
