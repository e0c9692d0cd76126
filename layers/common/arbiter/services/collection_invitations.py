"""Use case of an applicant inviting one of the owners or directors they named: that person gets a link of their
own, to the journey's person steps (their identity, their ID), and their answers join the case's entity when the
case is submitted."""

from __future__ import annotations

import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from arbiter.domain.collection_journey import check_step_data
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed
from arbiter.domain.principal import Principal
from arbiter.services.collection import (
    CollectionLinkDeps,
    CollectionLinkRequest,
    IssuedLink,
    collected_case,
    issue_link,
    journey_for,
    mail_link,
    require_collecting,
)

__all__ = ["InvitationRequest", "invite_person"]

_ROLE = {"ubos": "ubo", "directors": "director"}


class InvitationRequest(BaseModel):
    """Which person of the saved form to invite: the n-th (from 0) of its `ubos` or `directors`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"people": "ubos", "index": 0}]}
    )

    people: Literal["ubos", "directors"]
    index: int = Field(ge=0, le=99, strict=True)  # JSON true/false is no index
    email: EmailStr | None = Field(
        default=None,
        description="Their e-mail address: the link is e-mailed to them when the tenant sends e-mail",
    )


def invite_person(deps: CollectionLinkDeps, principal: Principal, request: InvitationRequest) -> IssuedLink:
    """A link for one person the applicant named and saved (they get an `id` if they had none, kept in the saved
    step); InvalidInput naming `index` when the saved step lists no such person, NotAllowed for a person's own
    link, Conflict once the case no longer collects. While the case waits for its invited people, a person it
    waits for may be invited again (a new link: theirs expired or was lost), and no one else."""
    case = collected_case(deps, principal)
    opened = journey_for(deps, principal, case)
    if opened.person_id is not None:
        raise NotAllowed("a link sent to one person invites no one", path="people")
    awaited = {p.id for p in case.people_pending}
    if not awaited:
        require_collecting(case, "invitations")
    step = next(
        (s for s in opened.definition.steps if request.people in (s.data_schema.get("properties") or {})),
        None,
    )
    if step is None:
        raise InvalidInput(f"the journey names no {request.people}", path="people")
    data = dict(opened.answers.get(step.id) or {})
    listed = [dict(person) for person in data.get(request.people) or []]
    if request.index >= len(listed):
        raise InvalidInput(
            f"{step.id}.{request.people} has no person {request.index} saved: save the step first",
            path="index",
        )
    person = listed[request.index]
    if awaited and person.get("id") not in awaited:
        # Submitted, the case waits: only a person it waits for is invited again (a new link, say for an expired one).
        raise Conflict(
            f"the application was submitted: the case waits only for {', '.join(sorted(awaited))}, "
            f"not for {request.people} {request.index}",
            case_id=case.id,
            state=case.state.value,
        )
    if not person.get("id"):
        person["id"] = f"{_ROLE[request.people]}-{secrets.token_hex(4)}"
        listed[request.index] = person
        data[request.people] = listed
        check_step_data(step, data)
        deps.collection_links.save_answer(case.tenant_id, case.id, step.id, data, deps.now())
    invitation = CollectionLinkRequest(person_id=str(person["id"]), language=opened.language)
    return mail_link(deps, principal, case, issue_link(deps, principal, case, invitation), to=request.email)
