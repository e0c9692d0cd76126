"""Who may manage reviewers: admins only, never their own account; roles kept in the product's order."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import NotAllowed
from arbiter.domain.reviewer import Reviewer
from arbiter.services import review_team
from tests.builders import reviewer


class Recording:
    """A directory that records what it was asked (the Cognito adapter has its own tests on moto)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def invite(self, tenant_id, email, name, roles) -> Reviewer:
        self.calls.append(("invite", tenant_id, email, name, roles))
        return Reviewer(id="sub-1", email=email, name=name, roles=roles)

    def update(self, tenant_id, who, *, roles, enabled) -> Reviewer:
        self.calls.append(("update", tenant_id, who, roles, enabled))
        return Reviewer(id=who, roles=roles or [], enabled=bool(enabled))


def test_an_admin_invites_with_the_email_lowercased_and_roles_in_order() -> None:
    directory = Recording()
    request = review_team.InviteRequest(email="Ana.Silva@Acme.example", roles=["admin", "viewer"])
    review_team.invite_reviewer(directory, reviewer("admin"), request)  # type: ignore[arg-type]
    assert directory.calls == [("invite", "acme", "ana.silva@acme.example", None, ["admin", "viewer"])]


def test_only_admins_manage_reviewers_and_never_their_own_account() -> None:
    directory = Recording()
    request = review_team.InviteRequest(email="ana@acme.example", roles=["reviewer"])
    with pytest.raises(NotAllowed):
        review_team.invite_reviewer(directory, reviewer("senior"), request)  # type: ignore[arg-type]
    admin = reviewer("admin")
    with pytest.raises(NotAllowed) as caught:
        review_team.change_reviewer(directory, admin, admin.id, review_team.ReviewerChange(enabled=False))  # type: ignore[arg-type]
    assert "your own account" in caught.value.message
    review_team.change_reviewer(directory, admin, "sub-2", review_team.ReviewerChange(roles=["viewer"]))  # type: ignore[arg-type]
    assert directory.calls == [("update", "acme", "sub-2", ["viewer"], None)]
