"""Use case of telling an applicant that a reviewer sent their application back: a new link to the journey, opened
on what was sent back, e-mailed with the reviewer's reason (where the tenant sends e-mail)."""

from __future__ import annotations

import logging

from arbiter.domain.case import Case, CaseState
from arbiter.domain.principal import Principal
from arbiter.services import collection_mail
from arbiter.services.collection import CollectionLinkDeps, CollectionLinkRequest, issue_link
from arbiter.services.collection_mail import MailOutcome

__all__ = ["notify_revision"]

log = logging.getLogger(__name__)


def notify_revision(deps: CollectionLinkDeps, principal: Principal, case: Case) -> MailOutcome:
    """After a reviewer sent a collecting case back: a new link for its applicant (in the language of their last
    link), e-mailed with the reviewer's reason and what was sent back. None when no e-mail is due (the case does not
    collect, the tenant sends none, no address is known); never raises: the revision is stored already."""
    if case.state != CaseState.REVISION_REQUESTED or case.revision is None:
        return None
    try:
        journey = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).collection
        if journey is None or collection_mail.mail_settings(deps, case.tenant_id) is None:
            return None
        answers = journey.answers_for(deps.collection_links.answers(case.tenant_id, case.id), None)
        if collection_mail.applicant_address(case, answers) is None:
            return None
        own = [k for k in deps.collection_links.for_case(case.tenant_id, case.id) if k.person_id is None]
        language = next((k.language for k in reversed(own) if k.language), None)
        issued = issue_link(deps, principal, case, CollectionLinkRequest(language=language))
        return collection_mail.send_revision(
            deps,
            case,
            principal.actor,
            journey=journey,
            answers=answers,
            language=language,
            url=deps.collection_url(issued.token),
            expires_at=issued.link.expires_at,
            fields=case.revision.fields,
        )
    except Exception:  # the revision stands; the reviewer can send a link from the case
        log.exception("revision e-mail not sent", extra={"case_id": case.id})
        return "failed"
