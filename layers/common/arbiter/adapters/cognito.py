"""The reviewer directory: the accounts of the stack's Cognito user pool (ListUsers, ListUsersInGroup).

Cognito's ListUsers cannot filter on a custom attribute, so the pool's users are listed a page at a time and a
tenant's are those whose `custom:tenant_id` is the tenant (one pool holds every tenant's reviewers: for a pool of
thousands, keep the answer cached or use a pool per tenant). Roles are the groups the product knows, read with one
ListUsersInGroup per role. Finding one reviewer (to assign a case to them) filters ListUsers on `sub` or `email`
and reads that user's groups: two calls, whatever the pool's size.
"""

from __future__ import annotations

from typing import Any

from arbiter.domain.principal import ROLES, Role
from arbiter.domain.reviewer import Reviewer

__all__ = ["CognitoReviewerDirectory"]


class CognitoReviewerDirectory:
    """Implements `arbiter.services.review_team.ReviewerDirectory` over one user pool."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def reviewers(self, tenant_id: str) -> list[Reviewer]:
        """The tenant's reviewers, by e-mail."""
        users = [u for u in self._users("list_users") if _attributes(u).get("custom:tenant_id") == tenant_id]
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
        mine = [u for u in users if _attributes(u).get("custom:tenant_id") == tenant_id]
        if not mine:
            return None
        user = mine[0]
        groups = self._client.admin_list_groups_for_user(UserPoolId=self._pool, Username=user["Username"])
        held = {g["GroupName"] for g in groups.get("Groups", [])}
        return _reviewer(user, [r for r in ROLES if r in held])

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
