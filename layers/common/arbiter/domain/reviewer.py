"""A tenant's reviewers as the directory lists them (the people cases are assigned to)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from arbiter.domain.principal import ROLES, Role

__all__ = ["Reviewer"]

_RANKED = {role: index for index, role in enumerate(reversed(ROLES))}


class Reviewer(BaseModel):
    """One reviewer's account: who they are, what they may do, and whether they can sign in."""

    id: str = Field(description="Their id: the `sub` of their account, what a case's `assignee.id` holds")
    email: str | None = None
    name: str | None = Field(default=None, description="Their name, when their account has one")
    roles: list[Role] = Field(default_factory=list, description="Their roles (the account's groups)")
    enabled: bool = True

    def holds(self, role: Role) -> bool:
        """True if one of their roles is `role` or above (admin > senior > reviewer > viewer)."""
        return any(_RANKED[r] >= _RANKED[role] for r in self.roles)

    @property
    def label(self) -> str:
        """How the back office names them."""
        return self.name or self.email or self.id
