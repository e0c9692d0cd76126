"""Who is calling: an integrator (by API key), a reviewer (by Cognito token) or an applicant (by a collection link's
token, within one case), always within one tenant."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from arbiter.domain.case import Actor
from arbiter.domain.errors import NotAllowed

__all__ = ["ROLES", "Principal"]

Role = Literal["admin", "reviewer", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "reviewer", "viewer")
_RANK = {"viewer": 0, "reviewer": 1, "admin": 2}


class Principal(BaseModel):
    """An authenticated caller."""

    kind: Literal["integrator", "reviewer", "collection"]
    tenant_id: str
    id: str
    email: str | None = None
    roles: tuple[Role, ...] = ()
    #: A collection principal's case: the only one it may read or fill in.
    case_id: str | None = None

    @property
    def actor(self) -> Actor:
        if self.kind == "collection":
            return Actor(type="applicant", id=self.id)
        return Actor(type=self.kind, id=self.id, email=self.email)

    def can(self, role: Role) -> bool:
        """True if one of the caller's roles is `role` or above (admin > reviewer > viewer)."""
        return any(_RANK[r] >= _RANK[role] for r in self.roles)

    def require(self, role: Role, doing: str) -> None:
        """NotAllowed unless the caller has `role` or above."""
        if not self.can(role):
            held = ", ".join(self.roles) or "none"
            raise NotAllowed(f"{doing} needs the {role} role (you have: {held})", required_role=role)
