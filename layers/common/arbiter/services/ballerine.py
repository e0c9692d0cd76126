"""Ballerine compatibility: its run bodies turned into Arbiter cases, and cases shown as its workflow runtimes.

Ballerine integrations send loosely typed data (camelCase fields, string versions, numbers where strings are
expected, free-form `additionalInfo`). The mapping here is forgiving: it keeps everything that was sent in the
case context (what `GET …/context` returns), and fills Arbiter's typed entity with what it can read. A value
it cannot read is left out of the typed entity, never a reason to refuse the run.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from arbiter.domain.case import Case, CaseState
from arbiter.domain.entity import Address, Business, Entity, Person, RelatedPerson
from arbiter.domain.errors import InvalidInput
from arbiter.domain.principal import Principal
from arbiter.services import workflow_steps
from arbiter.services.cases import CaseDeps, DocumentInput, PageInput

__all__ = [
    "BALLERINE_EVENTS",
    "documents_from_context",
    "entity_from_context",
    "runtime_status",
    "runtime_view",
    "strip_inline_data",
]

#: Events Ballerine's external API sends, by their lower-case name.
BALLERINE_EVENTS = (
    "approve",
    "reject",
    "revision",
    "return_to_review",
    "update_context",
    "deep_merge_context",
    "resubmit",
    "resubmitted",
)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _country(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    text = text.upper()
    if re.fullmatch(r"[A-Z]{2}", text):
        return text
    import pycountry  # imported here: only Ballerine bodies with long country names need it

    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def _date(value: Any) -> dt.date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _percent(value: Any) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        return None
    return number if 0 <= number <= 100 else None


def _address(value: Any) -> Address | None:
    if isinstance(value, str) and value.strip():
        return Address(line1=value.strip())
    if not isinstance(value, dict):
        return None
    return Address(
        line1=_text(value.get("street") or value.get("line1") or value.get("streetAddress")),
        line2=_text(value.get("line2")),
        city=_text(value.get("city")),
        region=_text(value.get("state") or value.get("region")),
        postal_code=_text(value.get("postcode") or value.get("postalCode") or value.get("zip")),
        country=_country(value.get("country")),
    )


def _person(data: dict[str, Any], role: str | None = None) -> Person:
    fields: dict[str, Any] = {
        "first_name": _text(data.get("firstName") or data.get("first_name")),
        "middle_name": _text(data.get("middleName")),
        "last_name": _text(data.get("lastName") or data.get("last_name")),
        "full_name": _text(data.get("fullName") or data.get("name")),
        "date_of_birth": _date(data.get("dateOfBirth") or data.get("dob")),
        "nationality": _country(data.get("nationality")),
        "country_of_residence": _country(data.get("country")),
        "email": _text(data.get("email")),
        "phone": _text(data.get("phone") or data.get("phoneNumber")),
        "address": _address(data.get("address")),
        "is_pep": data.get("isPep") if isinstance(data.get("isPep"), bool) else None,
    }
    if role is not None:
        fields["ownership_percent"] = _percent(data.get("ownershipPercentage") or data.get("ownership"))
        fields["id"] = _text(data.get("id") or data.get("ballerineEntityId"))
        fields["roles"] = [role]
        return RelatedPerson(**{k: v for k, v in fields.items() if v is not None})
    return Person(**{k: v for k, v in fields.items() if v is not None})


def _related(items: Any, role: str) -> list[RelatedPerson]:
    people = [
        _person(item, role) for item in (items if isinstance(items, list) else []) if isinstance(item, dict)
    ]
    return [p for p in people if isinstance(p, RelatedPerson)]


def entity_from_context(context: dict[str, Any]) -> Entity:
    """Arbiter's entity from Ballerine's `context.entity` ({id, type, data})."""
    raw = context.get("entity")
    if not isinstance(raw, dict):
        raise InvalidInput("context.entity is required", path="context.entity")
    kind = str(raw.get("type") or "").lower()
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    entity_id = _text(raw.get("id") or raw.get("ballerineEntityId"))
    if kind == "business":
        info = data.get("additionalInfo") if isinstance(data.get("additionalInfo"), dict) else {}
        name = _text(data.get("companyName") or data.get("name")) or "(unnamed business)"
        business = Business(
            name=name,
            registration_number=_text(data.get("registrationNumber")),
            country_of_incorporation=_country(data.get("countryOfIncorporation") or data.get("country")),
            date_of_incorporation=_date(data.get("dateOfIncorporation")),
            legal_form=_text(data.get("legalForm") or data.get("businessType")),
            tax_id=_text(data.get("taxIdentificationNumber")),
            vat_number=_text(data.get("vatNumber")),
            industry=_text(data.get("industry")),
            website=_text(data.get("website")),
            email=_text(data.get("email")),
            phone=_text(data.get("phoneNumber") or data.get("phone")),
            address=_address(data.get("address")),
            ubos=_related(info.get("ubos") or data.get("ubos"), "ubo"),
            directors=_related(info.get("directors") or data.get("directors"), "director"),
        )
        return Entity(type="business", id=entity_id, business=business)
    if kind in ("individual", "end_user", "enduser", "person"):
        return Entity(type="individual", id=entity_id, individual=_person(data))
    raise InvalidInput("context.entity.type must be business or individual", path="context.entity.type")


def documents_from_context(context: dict[str, Any]) -> list[DocumentInput]:
    """Ballerine's documents, read loosely: a document without a type is kept as type `unknown`."""
    documents = []
    for item in context.get("documents") or []:
        if not isinstance(item, dict):
            continue
        pages = []
        for page in item.get("pages") or []:
            if isinstance(page, dict):
                pages.append(
                    PageInput(
                        uri=_text(page.get("uri")),
                        provider=_text(page.get("provider")),
                        data=page.get("data") if isinstance(page.get("data"), str) else None,
                        file_id=_text(page.get("ballerineFileId")),
                        type=_text(page.get("type")),
                        metadata=page.get("metadata") if isinstance(page.get("metadata"), dict) else {},
                    )
                )
        issuer = item.get("issuer") if isinstance(item.get("issuer"), dict) else {}
        documents.append(
            DocumentInput(
                id=_text(item.get("id")),
                type=_text(item.get("type")) or "unknown",
                category=_text(item.get("category")),
                issuer=issuer,
                properties=item.get("properties") if isinstance(item.get("properties"), dict) else {},
                pages=pages,
            )
        )
    return documents


def strip_inline_data(context: dict[str, Any]) -> dict[str, Any]:
    """The context to keep on the case: inline page data replaced by a marker (the bytes go to S3)."""
    kept = dict(context)
    documents = []
    for item in context.get("documents") or []:
        if isinstance(item, dict) and isinstance(item.get("pages"), list):
            item = {
                **item,
                "pages": [
                    {**p, "data": "(stored)"} if isinstance(p, dict) and p.get("data") else p
                    for p in item["pages"]
                ],
            }
        documents.append(item)
    if "documents" in context:
        kept["documents"] = documents
    return kept


def runtime_status(state: CaseState) -> str:
    """Ballerine's runtime status: active, completed or failed."""
    if state == CaseState.FAILED:
        return "failed"
    return "completed" if state.terminal else "active"


_BALLERINE_STATE = {
    CaseState.COLLECTING: "collection_flow",
    CaseState.PROCESSING: "processing",
    CaseState.MANUAL_REVIEW: "manual_review",
    CaseState.REVISION_REQUESTED: "revision",
    CaseState.APPROVED: "approved",
    CaseState.REJECTED: "rejected",
    CaseState.FAILED: "failed",
}


def runtime_view(case: Case, definition_id: str | None = None) -> dict[str, Any]:
    """A case as a Ballerine workflow runtime."""
    return {
        "id": case.id,
        "workflowDefinitionId": definition_id
        or case.context.get("_workflowDefinitionId")
        or case.workflow_id,
        "workflowDefinitionVersion": case.workflow_version,
        "status": runtime_status(case.state),
        "state": _BALLERINE_STATE[case.state],
        "context": _public_context(case),
        "tags": [case.state.value],
        "assigneeId": case.assignee.id if case.assignee else None,
        "createdAt": case.created_at.isoformat(),
        "updatedAt": case.updated_at.isoformat(),
        "resolvedAt": case.decision.at.isoformat() if case.decision else None,
    }


def _public_context(case: Case) -> dict[str, Any]:
    context = {k: v for k, v in case.context.items() if not k.startswith("_")}
    context.setdefault(
        "entity",
        {
            "id": case.entity.id,
            "type": case.entity.type,
            "data": case.entity.model_dump(mode="json", exclude_none=True),
        },
    )
    if case.decision:
        context["decision"] = {"status": case.decision.outcome, "reason": case.decision.reason}
    return context


def send_ballerine_event(
    deps: CaseDeps, principal: Principal, case_id: str, name: str, payload: dict[str, Any]
) -> Case:
    """Ballerine's events: decisions, revision, return to review, and context merges (in any state)."""
    event = name.strip().lower()
    case = deps.cases.get(principal.tenant_id, case_id)
    expected = case.version
    actor = principal.actor
    reason = _text(payload.get("reason")) or f"{event} sent through the API"
    if event in ("update_context", "deep_merge_context"):
        patch = payload.get("context", payload) if isinstance(payload.get("context", payload), dict) else {}
        deps.cases.save(
            case,
            case.merge_context(patch, actor, deep=event == "deep_merge_context"),
            expected_version=expected,
        )
        return case
    if event in ("approve", "reject") and case.state == CaseState.MANUAL_REVIEW:
        token = case.task_tokens.get("review")
        change = case.decide("approved" if event == "approve" else "rejected", actor=actor, reason=reason)
        deps.cases.save(case, change, expected_version=expected)
        workflow_steps.resume(deps, token, {"decision": case.state.value})
        workflow_steps.notify_parent(deps, case)
        return case
    if event == "revision" and case.state == CaseState.MANUAL_REVIEW:
        token = case.task_tokens.get("review")
        documents = [str(d) for d in payload.get("documentIds", []) if isinstance(d, str | int)]
        deps.cases.save(
            case,
            case.request_revision(actor=actor, reason=reason, document_ids=documents),
            expected_version=expected,
        )
        workflow_steps.resume(deps, token, {"decision": "revision"})
        return case
    if (
        event in ("return_to_review", "resubmit", "resubmitted")
        and case.state == CaseState.REVISION_REQUESTED
    ):
        change, token = case.resubmit(actor)
        deps.cases.save(case, change, expected_version=expected)
        workflow_steps.resume(
            deps, token, {"resubmitted": True, "return_to_review": event == "return_to_review"}
        )
        return case
    raise BallerineEventRefused(
        f"event {name!r} cannot be sent to a workflow in state {runtime_view(case)['state']}; "
        f"it accepts: {', '.join(accepted_ballerine_events(case))}",
        allowed_events=accepted_ballerine_events(case),
    )


class BallerineEventRefused(InvalidInput):
    """Ballerine answers 400 for an event the runtime cannot take."""

    kind = "bad_request"


def accepted_ballerine_events(case: Case) -> list[str]:
    """The Ballerine events the case can take now."""
    events = []
    if case.state == CaseState.MANUAL_REVIEW:
        events += ["approve", "reject", "revision"]
    if case.state == CaseState.REVISION_REQUESTED:
        events += ["RETURN_TO_REVIEW", "resubmit"]
    if not case.state.terminal:
        events += ["UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT"]
    return events
