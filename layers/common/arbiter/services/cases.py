"""Use cases of integrators: start a case, read it, list cases, send it an event."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.case import ACTIVE_STATES, Actor, Case, CaseState, Change, RuleSetRef
from arbiter.domain.document import Document, Page, PageSource
from arbiter.domain.entity import Entity
from arbiter.domain.errors import BadRequest, ConcurrentUpdate, Conflict, InvalidInput
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.domain.workflow import CustomEvent, WorkflowDefinition
from arbiter.services.ports import (
    CaseQuery,
    CaseRepository,
    ClearanceStore,
    RuleSetRepository,
    WorkflowCatalog,
    WorkflowEngine,
)
from arbiter.services.ports import Page as ResultPage

T = TypeVar("T")

__all__ = [
    "ActiveCaseExists",
    "CaseDeps",
    "DocumentInput",
    "PageInput",
    "active_case",
    "get_case",
    "list_cases",
    "pin_rule_set",
    "rerun_lost_races",
    "resubmission",
    "send_event",
    "start_case",
    "startable_workflows",
    "workflow_start",
]

RESUBMIT_EVENTS = ("resubmitted", "resubmit")
SUBMIT_EVENTS = ("submitted", "submit")


class CaseDeps(Protocol):
    """The ports the case use cases need (`arbiter.bootstrap.Dependencies` in a function, fakes in tests)."""

    @property
    def cases(self) -> CaseRepository: ...
    @property
    def workflows(self) -> WorkflowCatalog: ...
    @property
    def engine(self) -> WorkflowEngine: ...
    @property
    def rule_sets(self) -> RuleSetRepository | None:
        """Rule set versions: a case pins the published version of its workflow's rule set."""

    @property
    def clearances(self) -> ClearanceStore | None:
        """Reviewers' clearances of screening matches, read before an approval; None: none held."""

    def now(self) -> dt.datetime:
        """The current time, aware."""


class ActiveCaseExists(Conflict):
    """The entity already has an active case of this workflow."""


class PageInput(BaseModel):
    """A page as integrators send it: a remote URI, inline base64 data, or an uploaded file's id."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    uri: str | None = Field(default=None, max_length=8192)
    provider: str | None = Field(default=None, max_length=64)
    data: str | None = Field(default=None, description="Inline base64 content", repr=False)
    file_id: str | None = Field(default=None, max_length=128, alias="ballerineFileId")
    type: str | None = Field(default=None, max_length=100, description="MIME type or extension, if known")
    metadata: dict[str, Any] = Field(default_factory=dict)


class DocumentInput(BaseModel):
    """A document declared with a case."""

    model_config = ConfigDict(extra="allow")

    id: str | None = Field(default=None, max_length=128)
    type: str = Field(min_length=1, max_length=100)
    category: str | None = Field(default=None, max_length=100)
    issuer: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    pages: list[PageInput] = Field(default_factory=list, max_length=50)


def _document(doc: DocumentInput, at: dt.datetime) -> Document:
    pages = []
    for index, page in enumerate(doc.pages):
        provider = page.provider or (
            "base64" if page.data else "file" if page.file_id else "http" if page.uri else "upload"
        )
        pages.append(
            Page(
                index=index,
                source=PageSource(
                    provider=provider,
                    uri=page.uri if provider != "base64" else None,
                    file_id=page.file_id,
                    has_inline_data=bool(page.data) or provider == "base64",
                ),
                content_type=page.type,
                metadata=page.metadata,
            )
        )
    extra = {k: v for k, v in (doc.model_extra or {}).items()}
    return Document(
        id=doc.id or f"doc_{secrets.token_hex(8)}",
        type=doc.type,
        category=doc.category,
        issuer=doc.issuer,
        properties=doc.properties,
        pages=pages,
        created_at=at,
        **extra,
    )


def _check_entity(workflow: WorkflowDefinition, entity: Entity) -> None:
    if entity.type not in workflow.entity_types:
        allowed = " or ".join(workflow.entity_types)
        raise InvalidInput(
            f"workflow {workflow.id} takes {allowed} entities, not {entity.type}", path="entity.type"
        )


def start_case(
    deps: CaseDeps,
    principal: Principal,
    tenant: Tenant,
    *,
    workflow: str,
    entity: Entity,
    documents: list[DocumentInput] | None = None,
    metadata: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    correlation_id: str | None = None,
    submit: bool = True,
    source: Literal["api", "ballerine"] = "api",
    reuse_active: bool = False,
) -> tuple[Case, bool]:
    """Open a case and start its workflow; returns (case, created).

    An entity with an active case of the same workflow gets that case back (`reuse_active`, Ballerine's
    behaviour) or ActiveCaseExists, unless the tenant allows several active cases.
    """
    definition = deps.workflows.get(tenant.id, tenant.settings.resolve_workflow(workflow))
    if definition.opened_by != "integrator":
        raise InvalidInput(
            f"workflow {definition.id} is opened by Arbiter itself (ongoing screening), not through the API",
            path="workflow",
        )
    _check_entity(definition, entity)
    if submit:  # a case still collecting gets its context from the applicant
        definition.check_context(context or {})
    at = deps.now()
    if entity.id and not tenant.settings.allow_multiple_active_cases:
        active = active_case(deps, tenant.id, entity.id, definition.id)
        if active is not None:
            if reuse_active:
                return _update_active(deps, active, principal, entity, context or {}, documents), False
            raise ActiveCaseExists(
                f"entity {entity.id} already has an active {definition.id} case",
                case_id=active.id,
                path="entity.id",
            )
    case, change = Case.open(
        tenant_id=tenant.id,
        workflow_id=definition.id,
        workflow_version=definition.version,
        machine=definition.machine,
        entity=entity,
        actor=principal.actor,
        collecting=not submit,
        at=at,
        documents=[_document(d, at) for d in documents or []],
        metadata=metadata or {},
        context=context or {},
        correlation_id=correlation_id,
        source=source,
    )
    case.rule_set = pin_rule_set(deps, case.tenant_id, definition.rule_set_id)
    if submit:
        change += workflow_start(deps, case)
    deps.cases.add(case, change)
    return case, True


def startable_workflows(deps: CaseDeps, tenant_id: str) -> list[WorkflowDefinition]:
    """The workflows an integrator can start (not those only Arbiter opens, such as `monitoring`)."""
    return [w for w in deps.workflows.list(tenant_id) if w.opened_by == "integrator"]


def pin_rule_set(deps: CaseDeps, tenant_id: str, rule_set_id: str | None) -> RuleSetRef | None:
    """The published version of the workflow's rule set, recorded on the case as it starts (None: none yet)."""
    if deps.rule_sets is None or not rule_set_id:
        return None
    version = deps.rule_sets.published_version(tenant_id, rule_set_id)
    return RuleSetRef(id=rule_set_id, version=version) if version is not None else None


def workflow_start(deps: CaseDeps, case: Case) -> Change:
    """Start the case's workflow once the change it joins is stored: a run of its automated part (the Express
    machine), which hands the case to the workflow's Standard machine when people are awaited."""
    return case.start_automation()


def resubmission(deps: CaseDeps, case: Case, actor: Actor, *, return_to_review: bool = False) -> Change:
    """The integrator corrected the case: the Standard execution waiting for it ends, and a new run of the
    automated part starts (or, with `return_to_review`, a new Standard execution waits for a reviewer). A case
    whose execution began before revisions ended it continues there instead."""
    legacy = case.execution_arn is not None and not case.catches_revision  # its execution goes on
    change = case.resubmit(actor, return_to_review=return_to_review)
    if legacy:
        return change
    if return_to_review:
        change += case.hand_over("review", lambda name: deps.engine.execution_arn(case.waiting_machine, name))
    else:
        change += case.start_automation()
    return change


def active_case(deps: CaseDeps, tenant_id: str, entity_id: str, workflow_id: str) -> Case | None:
    """The entity's newest case of the workflow still under way, if any."""
    page = deps.cases.query(
        CaseQuery(tenant_id=tenant_id, entity_id=entity_id, states=ACTIVE_STATES, newest_first=True, limit=50)
    )
    return next((c for c in page.items if c.workflow_id == workflow_id), None)


def get_case(deps: CaseDeps, principal: Principal, case_id: str) -> Case:
    """A case of the caller's tenant (NotFound otherwise)."""
    return deps.cases.get(principal.tenant_id, case_id)


def list_cases(deps: CaseDeps, query: CaseQuery) -> ResultPage:
    """One page of the tenant's cases."""
    return deps.cases.query(query)


def allowed_events(deps: CaseDeps, case: Case) -> list[str]:
    """The events the case can take now."""
    events: list[str] = []
    if case.state == CaseState.COLLECTING:
        events.append("submitted")
    if case.state == CaseState.REVISION_REQUESTED:
        events.append("resubmitted")
    if not case.state.terminal:
        definition = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version)
        in_review = case.state == CaseState.MANUAL_REVIEW and case.proposal is None
        events += [e.name for e in definition.custom_events if e.action == "record" or in_review]
    return events


def custom_event_change(case: Case, event: CustomEvent, payload: dict[str, Any], actor: Actor) -> Change:
    """What a declared custom event does to the case (`CustomEvent`), saved by the caller: kept in the history,
    and for `rerun_checks` a new run of the automated part, for `request_revision` a revision request."""
    change = case.receive_event(event.name, payload, actor)
    if event.action == "rerun_checks":
        change += case.rerun_checks(actor, _payload_reason(payload) or event.reason or f"event {event.name}")
        change += case.start_automation()
    elif event.action == "request_revision":
        documents = payload.get("document_ids")
        change += case.request_revision(
            actor=actor,
            reason=_payload_reason(payload) or event.reason or f"event {event.name}",
            document_ids=[str(d) for d in documents if isinstance(d, str)]
            if isinstance(documents, list)
            else [],
        )
    return change


def _payload_reason(payload: dict[str, Any]) -> str | None:
    reason = payload.get("reason")
    return reason.strip()[:2000] or None if isinstance(reason, str) else None


def undeclared_event(definition: WorkflowDefinition, name: str) -> BadRequest:
    """400 for an event the case's workflow version does not declare (a declared one refused in the case's state
    is a 409)."""
    declared = ", ".join(e.name for e in definition.custom_events) or "none"
    return BadRequest(
        f"workflow {definition.id} (version {definition.version}) declares no event {name!r}; it declares: "
        f"{declared} (and every workflow takes submitted and resubmitted)",
        path="name",
        workflow_id=definition.id,
    )


def rerun_lost_races(step: Callable[[], T], attempts: int = 5) -> T:
    """Run a use case again when its save lost a race to the workflow's own bookkeeping (a step parking its
    token, a page landing): it reads the case anew and decides again, so a caller gets 409 only for a change that
    conflicts with theirs (the case moved to a state the request no longer fits), or past `attempts` races."""
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def send_event(
    deps: CaseDeps, principal: Principal, case_id: str, name: str, payload: dict[str, Any] | None = None
) -> Case:
    """Deliver an integrator's event: submit, resubmit, or a custom event the workflow declares."""
    return rerun_lost_races(lambda: _send_event(deps, principal, case_id, name, payload))


def _send_event(
    deps: CaseDeps, principal: Principal, case_id: str, name: str, payload: dict[str, Any] | None
) -> Case:
    case = deps.cases.get(principal.tenant_id, case_id)
    expected = case.version
    allowed = allowed_events(deps, case)
    if name in SUBMIT_EVENTS and case.state == CaseState.COLLECTING:
        change = case.submit(principal.actor)
        change += workflow_start(deps, case)
        deps.cases.save(case, change, expected_version=expected)
        return case
    if name in RESUBMIT_EVENTS and case.state == CaseState.REVISION_REQUESTED:
        deps.cases.save(case, resubmission(deps, case, principal.actor), expected_version=expected)
        return case
    definition = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version)
    event = definition.custom_event(name)
    if event is None and name not in SUBMIT_EVENTS + RESUBMIT_EVENTS:
        raise undeclared_event(definition, name)
    if event is not None and name in allowed:
        change = custom_event_change(case, event, payload or {}, principal.actor)
        deps.cases.save(case, change, expected_version=expected)
        return case
    raise Conflict(
        f"the case ({case.state.value}) does not accept the event {name!r}; it accepts: "
        + (", ".join(allowed) if allowed else "no events"),
        case_id=case.id,
        allowed_events=allowed,
    )


def _update_active(
    deps: CaseDeps,
    case: Case,
    principal: Principal,
    entity: Entity,
    context: dict[str, Any],
    documents: list[DocumentInput] | None = None,
) -> Case:
    """A repeated run for an entity with an active case: the case takes the new entity data and context,
    and documents whose pages changed become new versions (how Ballerine integrations re-upload).

    The workflow may be saving the same case meanwhile; a lost race reads the case again and re-applies.
    """
    attempts = 5
    for attempt in range(1, attempts + 1):
        expected = case.version
        change = case.merge_context(context, principal.actor, deep=True)
        if entity != case.entity:
            case.entity = entity
            change.audit[0].details["entity_updated"] = True
        change += _new_document_versions(case, principal, documents or [], deps.now())
        try:
            deps.cases.save(case, change, expected_version=expected)
            return case
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
            case = deps.cases.get(case.tenant_id, case.id)
    raise AssertionError("unreachable")  # the loop returns or raises


def _new_document_versions(
    case: Case, principal: Principal, documents: list[DocumentInput], at: dt.datetime
) -> Change:
    change = Change()
    for incoming in documents:
        document = _document(incoming, at)
        sources = _page_sources(document)
        existing = case.document(document.id)
        if existing is None and any(_page_sources(d) == sources for d in case.documents):
            continue  # the same pages sent again without an id: nothing new
        if existing is not None and _page_sources(existing) == sources:
            continue
        change += case.declare_document(document, principal.actor, at)
    return change


def _page_sources(document: Document) -> list[tuple[str, str | None, str | None]]:
    return [(p.source.provider, p.source.uri, p.source.file_id) for p in document.pages]
