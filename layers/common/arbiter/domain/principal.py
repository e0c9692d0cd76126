"""Who is calling: an integrator (by API key), a reviewer (by Cognito token) or an applicant (by a collection link's
token, within one case), always within one tenant."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from arbiter.domain.case import Actor
from arbiter.domain.errors import NotAllowed

__all__ = ["ESCALATION_ROLES", "ROLES", "Principal", "Role"]

Role = Literal["admin", "senior", "reviewer", "viewer"]
#: The roles a reviewer's Cognito groups may grant. A senior reviewer decides what reviewers do, and the cases
#: escalated to seniors; an admin does all of it and configures the tenant.
ROLES: tuple[Role, ...] = ("admin", "senior", "reviewer", "viewer")
#: The roles a case can be escalated to (the queues above a plain reviewer).
ESCALATION_ROLES: tuple[Role, ...] = ("senior", "admin")
_RANK = {"viewer": 0, "reviewer": 1, "senior": 2, "admin": 3}


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
        """True if one of the caller's roles is `role` or above (admin > senior > reviewer > viewer)."""
        return any(_RANK[r] >= _RANK[role] for r in self.roles)

    def require(self, role: Role, doing: str) -> None:
        """NotAllowed unless the caller has `role` or above."""
        if not self.can(role):
            held = ", ".join(self.roles) or "none"
            raise NotAllowed(f"{doing} needs the {role} role (you have: {held})", required_role=role)
