"""E-mail to applicants of the collection journey, sent through the `Mailer` port (SES) when their tenant set a
sender (`TenantSettings.collection_email`).

A message is sent after the action that causes it is stored, and its failure never undoes or fails that action:
the SES client retries what SES says to retry, and a message still refused is reported, as an entry
`collection.email_failed` in the case's history (the back office's timeline shows it), a warning in the log and,
for a link, `email: "failed"` in the answer, so that whoever sent it can send a new one. A failed message is not
queued to be sent again later: a link's message carries its token, which is never stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal, Protocol

from arbiter.domain.case import Actor, Case
from arbiter.domain.collection import CollectionLink
from arbiter.domain.collection_journey import CollectionJourney
from arbiter.domain.collection_mail import (
    OutgoingEmail,
    link_issued_email,
    mask_address,
    revision_requested_email,
    submitted_email,
)
from arbiter.domain.errors import MailRefused
from arbiter.domain.tenant import CollectionEmail
from arbiter.services import cases
from arbiter.services.ports import CaseRepository, Mailer, TenantRepository

__all__ = [
    "MailDeps",
    "MailOutcome",
    "applicant_address",
    "asked_again",
    "deliver",
    "link_email",
    "mail_settings",
    "person_address",
    "send_submitted",
]

log = logging.getLogger(__name__)

#: What became of a message: sent, not sent (see the module's docstring); None: none was due.
MailOutcome = Literal["sent", "failed"] | None


class MailDeps(Protocol):
    """What sending the journey's e-mail needs."""

    @property
    def cases(self) -> CaseRepository: ...
    @property
    def tenants(self) -> TenantRepository: ...
    @property
    def mailer(self) -> Mailer: ...
    def now(self) -> dt.datetime: ...
    def collection_url(self, token: str) -> str:
        """The link an applicant opens, with `token` (the collection site's address and the token's fragment)."""


def mail_settings(deps: MailDeps, tenant_id: str) -> CollectionEmail | None:
    """The tenant's e-mail settings when it sends e-mail (a sender set, not switched off); None otherwise."""
    tenant = deps.tenants.get(tenant_id)
    settings = tenant.settings.collection_email if tenant else None
    return settings if settings is not None and settings.on else None


def _email_in(data: Any) -> str | None:
    if isinstance(data, dict):
        value = data.get("email")
        if isinstance(value, str) and "@" in value:
            return value
    return None


def applicant_address(case: Case, answers: dict[str, Any]) -> str | None:
    """Where the applicant is written to: the e-mail they gave in the journey (a step's `email`), else the case's
    entity's (the business's or the person's)."""
    for data in answers.values():
        found = _email_in(data)
        if found:
            return found
    entity = case.entity
    return (entity.business.email if entity.business else None) or (
        entity.individual.email if entity.individual else None
    )


def person_address(case: Case, answers: dict[str, Any], person_id: str) -> str | None:
    """Where an owner or director is written to: their e-mail in the saved form, else on the case's entity."""
    for data in answers.values():
        if not isinstance(data, dict):
            continue
        for person in (*(data.get("ubos") or []), *(data.get("directors") or [])):
            if isinstance(person, dict) and person.get("id") == person_id and _email_in(person):
                return _email_in(person)
    business = case.entity.business
    for related in (*business.ubos, *business.directors) if business else ():
        if related.id == person_id and related.email:
            return related.email
    return None


def deliver(deps: MailDeps, case: Case, message: OutgoingEmail, actor: Actor) -> MailOutcome:
    """Send `message` and record in the case's history that it was sent, or why not; never raises for a message
    that could not be sent (what caused it is stored already)."""
    try:
        message_id: str | None = deps.mailer.send(message)
        error = None
    except Exception as exc:  # any failure to send is reported, none fails the action
        # SES's reason (MailRefused's code), else the error's class: never the message, its link or its recipient.
        message_id, error = (
            None,
            str(exc.context.get("code")) if isinstance(exc, MailRefused) else type(exc).__name__,
        )
        log.warning(
            "collection e-mail not sent", extra={"case_id": case.id, "kind": message.kind, "error": error}
        )

    def record() -> None:
        stored = deps.cases.get(case.tenant_id, case.id)
        change = stored.record_email(
            kind=message.kind,
            to=mask_address(message.to),
            actor=actor,
            at=deps.now(),
            message_id=message_id,
            error=error,
        )
        deps.cases.save(stored, change, expected_version=stored.version)

    try:
        cases.rerun_lost_races(record)
    except Exception:  # the message is out (or not); only its entry in the history is missing
        log.exception("collection e-mail not recorded", extra={"case_id": case.id, "kind": message.kind})
    return "sent" if message_id else "failed"


def link_email(
    deps: MailDeps,
    case: Case,
    link: CollectionLink,
    token: str,
    actor: Actor,
    *,
    to: str | None,
    answers: dict[str, Any],
) -> MailOutcome:
    """Send a link just issued to `to`, or to the applicant's (for a person's link, that person's) known address;
    None when the tenant sends no e-mail or nobody's address is known."""
    settings = mail_settings(deps, case.tenant_id)
    if settings is None or settings.sender is None:
        return None
    if to is None:
        to = (
            person_address(case, answers, link.person_id)
            if link.person_id
            else applicant_address(case, answers)
        )
    if to is None:
        return None
    name = person_name(case, answers, link.person_id) if link.person_id else None
    message = link_issued_email(
        sender=settings.sender,
        to=to,
        language=link.language,
        url=deps.collection_url(token),
        expires_at=link.expires_at,
        name=name,
        company=_company(case, answers),
        person=link.person_id is not None,
    )
    return deliver(deps, case, message, actor)


def _company(case: Case, answers: dict[str, Any]) -> str | None:
    company = answers.get("company")
    if isinstance(company, dict) and isinstance(company.get("name"), str):
        return str(company["name"])
    return case.entity.business.name if case.entity.business else None


def person_name(case: Case, answers: dict[str, Any], person_id: str) -> str | None:
    """An owner's or director's name as the form or the entity gives it."""
    people: list[dict[str, Any]] = [
        person
        for data in answers.values()
        if isinstance(data, dict)
        for person in (*(data.get("ubos") or []), *(data.get("directors") or []))
        if isinstance(person, dict)
    ]
    business = case.entity.business
    people += [p.model_dump() for p in ((*business.ubos, *business.directors) if business else ())]
    for person in people:
        if person.get("id") == person_id:
            name = " ".join(str(person.get(k) or "") for k in ("first_name", "last_name")).strip()
            return name or None
    return None


def asked_again(
    journey: CollectionJourney | None, document_ids: list[str], fields: list[str], language: str | None
) -> list[str]:
    """What a revision sends back, as the applicant reads it: each document by its slot's label (an owner's with
    their number) and each field by its label, in `language`."""
    slots = {
        slot.id: slot.label.get(language)
        for step in (journey.steps if journey else [])
        for slot in step.documents
    }
    fields_named = dict(journey.revisable_fields(language)) if journey else {}
    asked = []
    for document_id in document_ids:
        slot_id, _, number = document_id.partition(".")
        label = slots.get(slot_id, document_id)
        asked.append(f"{label} ({number})" if number else label)
    asked += [fields_named.get(field, field) for field in fields]
    return asked


def send_revision(
    deps: MailDeps,
    case: Case,
    actor: Actor,
    *,
    journey: CollectionJourney | None,
    answers: dict[str, Any],
    language: str | None,
    url: str | None,
    expires_at: dt.datetime | None,
    fields: list[str],
) -> MailOutcome:
    """Tell the applicant what a reviewer sent back, with a link to the journey (opened on just that)."""
    settings = mail_settings(deps, case.tenant_id)
    to = applicant_address(case, answers)
    if settings is None or settings.sender is None or to is None or case.revision is None:
        return None
    message = revision_requested_email(
        sender=settings.sender,
        to=to,
        language=language,
        url=url,
        reason=case.revision.reason,
        asked=asked_again(journey, case.revision.document_ids, fields, language),
        expires_at=expires_at,
    )
    return deliver(deps, case, message, actor)


def send_submitted(
    deps: MailDeps,
    case: Case,
    actor: Actor,
    *,
    answers: dict[str, Any],
    language: str | None,
    resubmission: bool,
) -> MailOutcome:
    """Confirm to the applicant that their application (or their changes) arrived."""
    settings = mail_settings(deps, case.tenant_id)
    to = applicant_address(case, answers)
    if settings is None or settings.sender is None or to is None:
        return None
    message = submitted_email(
        sender=settings.sender, to=to, language=language, at=deps.now(), resubmission=resubmission
    )
    return deliver(deps, case, message, actor)
