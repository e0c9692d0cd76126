"""Ballerine's use cases on in-memory fakes: its published run requests, its optional fields read as "not given",
its events (decisions only where the tenant allows them), and its numbered list."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.egress import AllowList
from arbiter.services import ballerine, workflow_steps
from arbiter.services.ballerine import BallerineBadRequest, BallerineEventRefused
from arbiter.services.decisions import ApprovalBlocked, IntegratorDecisionsOff
from tests.builders import clearance, clearance_audit, integrator, screening_result, tenant
from tests.support.ballerine_examples import (
    BACK_OFFICE_CURL,
    DTO_CONTEXT_EXAMPLE,
    EVENT_BODIES,
    RUN_EXAMPLES,
    page_uris,
)
from tests.support.documents import jpeg
from tests.unit.documents.fakes import FakeFetcher, document_deps

ALIASES = {body["workflowId"]: "manual-review" for body in RUN_EXAMPLES.values()} | {"flow": "manual-review"}


def acme(**settings: Any):
    return tenant("acme", workflow_aliases=ALIASES, webhook_shared_secret="shared", **settings)


def public_resolver(host: str, port: int) -> list[str]:
    """Every published webhook host resolves to a public address (no DNS in unit tests)."""
    return ["93.184.216.34"]


def run(deps, body: dict[str, Any], tenant=None):
    return ballerine.run_workflow(
        deps,
        integrator(),
        tenant or acme(),
        workflow_id=body["workflowId"],
        context=body["context"],
        config=body.get("config"),
        allow=AllowList.parse(""),
        resolve=public_resolver,
    )


def minimal(entity: dict[str, Any] | None = None, **context: Any) -> dict[str, Any]:
    entity = entity or {
        "id": "e-1",
        "type": "individual",
        "data": {"firstName": "Ada", "lastName": "Lovelace"},
    }
    return {"workflowId": "flow", "context": {"entity": entity, **context}}


# ---------------------------------------------------------------------------------------------- runs


@pytest.mark.parametrize("name", sorted(RUN_EXAMPLES))
def test_every_published_run_request_starts_a_case_with_its_entity_and_pages(name):
    body = RUN_EXAMPLES[name]
    image = jpeg(64, 48)
    deps = document_deps(FakeFetcher(dict.fromkeys(page_uris(body), image)))
    case, created = run(deps, body)
    assert created
    assert deps.engine.started[0][1] == f"{case.id}-a1"
    entity = body["context"]["entity"]
    assert (case.entity.type, case.entity.id) == (entity["type"], entity["id"])
    assert case.entity.business.name == entity["data"].get("companyName", "(unnamed business)")
    sent = body["context"].get("documents") or []
    assert [d.type for d in case.documents] == [d["type"] for d in sent]
    pages = [p for d in case.documents for p in d.pages]
    assert [p.source.uri for p in pages if p.source.uri] == page_uris(body)
    assert not any(p.source.has_inline_data for p in pages)  # "data": "" is no data
    assert case.context["_workflowDefinitionId"] == body["workflowId"]
    # The pages come from their URIs; the published `ballerineFileId`s name files of Ballerine's storage.
    from arbiter.services import document_ingestion

    counts = document_ingestion.ingest_case_documents(deps, "acme", case.id)
    assert counts.get("available", 0) == len(page_uris(body))
    assert sorted(deps.fetcher.fetched) == sorted(page_uris(body))


def test_the_back_office_guide_reads_as_ballerine_reads_it():
    deps = document_deps()
    case, _ = run(deps, BACK_OFFICE_CURL)
    business = case.entity.business
    assert business.name == "McClure Inc"
    assert business.country_of_incorporation == "HM"  # "Heard Island and McDonald Islands"
    assert str(business.date_of_incorporation) == "2016-04-09"
    assert business.address.line1 == "7533 Lilyan Springs"
    assert (business.phone, business.vat_number, business.website) == (
        "+7169584993",
        "VAT87025707",
        "https://oily-testing.biz",
    )
    licence, certificate = case.documents
    assert (licence.category, licence.issuer["country"], licence.properties["docNumber"]) == (
        "identification",
        "CA",
        "1234",
    )
    assert [p.metadata["side"] for p in licence.pages] == ["front", "back"]
    assert [p.source.provider for p in licence.pages] == ["http", "http"]
    assert certificate.pages[0].source.file_id == "clhz0lhzd0006ru5ab3p0uf67"
    kept = case.context["documents"][0]["pages"][0]
    assert kept["data"] == ""  # the context keeps what was sent


def test_a_page_known_only_by_a_ballerine_file_id_is_recorded_unavailable():
    deps = document_deps()
    case, _ = run(deps, DTO_CONTEXT_EXAMPLE)
    from arbiter.services import document_ingestion

    assert document_ingestion.ingest_case_documents(deps, "acme", case.id) == {"unavailable": 1}
    page = deps.cases.get("acme", case.id).documents[0].pages[0]
    assert page.reason == "unknown file id 'file123'"


def test_a_file_id_arbiter_issued_is_read_before_the_uri():
    from arbiter.services import document_ingestion

    deps = document_deps(FakeFetcher({"https://files.example/p.jpg": jpeg(10, 10)}))
    stored = document_ingestion.store_file(deps, integrator(), jpeg(20, 20))
    body = minimal(
        documents=[
            {
                "type": "passport",
                "pages": [{"ballerineFileId": stored["id"], "uri": "https://files.example/p.jpg"}],
            }
        ]
    )
    case, _ = run(deps, body)
    assert document_ingestion.ingest_case_documents(deps, "acme", case.id) == {"available": 1}
    assert deps.fetcher.fetched == []


def test_empty_strings_and_nulls_are_not_given_in_every_optional_field():
    deps = document_deps()
    body = {
        "workflowId": "flow",
        "context": {
            "entity": {
                "id": "",
                "ballerineEntityId": "bal-7",
                "type": "individual",
                "data": {
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "email": "",
                    "phone": None,
                    "country": "",
                    "dateOfBirth": None,
                    "nationalId": "",
                    "additionalInfo": None,
                    "correlationId": None,
                },
            },
            "documents": [
                {
                    "id": "",
                    "category": "",
                    "type": "",
                    "issuer": None,
                    "properties": None,
                    "decision": None,
                    "pages": [
                        {
                            "uri": "",
                            "provider": "",
                            "data": "",
                            "type": "",
                            "ballerineFileId": "",
                            "fileName": "",
                            "metadata": None,
                        }
                    ],
                }
            ],
            "customData": None,
        },
        "config": None,
    }
    case, _ = run(deps, body)
    assert case.entity.id == "bal-7"
    person = case.entity.individual
    assert (person.first_name, person.email, person.phone, person.country_of_residence) == (
        "Ada",
        None,
        None,
        None,
    )
    assert person.identifiers == []
    (document,) = case.documents
    assert (document.type, document.category, document.issuer, document.properties) == (
        "unknown",
        None,
        {},
        {},
    )
    assert document.id.startswith("doc_")
    (page,) = document.pages
    assert (page.source.uri, page.source.file_id, page.source.has_inline_data) == (None, None, False)
    assert "_config" not in case.context


def test_inline_page_data_is_still_stored_and_left_out_of_the_context():
    deps = document_deps()
    data = base64.b64encode(jpeg(8, 8)).decode()
    case, _ = run(
        deps, minimal(documents=[{"type": "selfie", "pages": [{"provider": "base64", "data": data}]}])
    )
    page = case.documents[0].pages[0]
    assert page.source.has_inline_data
    assert f"files/acme/{page.source.file_id}" in deps.store.objects
    assert case.context["documents"][0]["pages"][0]["data"] == "(stored)"


def test_a_missing_entity_type_is_read_from_the_data():
    deps = document_deps()
    business, _ = run(deps, minimal({"id": "b-1", "data": {"companyName": "Acme"}}))
    person, _ = run(deps, minimal({"id": "p-1", "type": "", "data": {"firstName": "Ada", "lastName": "L"}}))
    assert (business.entity.type, person.entity.type) == ("business", "individual")
    with pytest.raises(InvalidInput) as caught:
        run(deps, minimal({"id": "x-1", "data": {"note": "nothing to go by"}}))
    assert caught.value.path == "context.entity.type"
    with pytest.raises(InvalidInput) as caught:
        run(deps, minimal({"id": "x-2", "type": "company", "data": {"companyName": "Acme"}}))
    assert caught.value.path == "context.entity.type"


def test_the_website_is_read_where_ballerine_reads_it():
    deps = document_deps()
    stores, _ = run(
        deps,
        minimal(
            {
                "id": "m-1",
                "type": "business",
                "data": {
                    "companyName": "Shop",
                    "additionalInfo": {"store": {"website": {"mainWebsite": "https://shop.example"}}},
                },
            }
        ),
    )
    assert stores.entity.business.website == "https://shop.example"


@pytest.mark.parametrize(
    ("context", "path"),
    [
        (
            {"entity": {"id": "e", "type": "business", "data": {"companyName": "A" * 401}}},
            "context.entity.data.name",
        ),
        (
            {
                "entity": {"id": "e", "type": "individual", "data": {"firstName": "A"}},
                "documents": [{"type": "passport", "pages": [{"uri": "https://x.example/" + "a" * 9000}]}],
            },
            "context.documents[0].pages[0].uri",
        ),
        (
            {
                "entity": {"id": "e", "type": "individual", "data": {"firstName": "A"}},
                "documents": [{"type": "t" * 101, "pages": []}],
            },
            "context.documents[0].type",
        ),
    ],
)
def test_a_value_arbiter_cannot_keep_is_refused_naming_it_and_nothing_is_stored(context, path):
    deps = document_deps()
    with pytest.raises(InvalidInput) as caught:
        run(deps, {"workflowId": "flow", "context": context})
    assert caught.value.path == path
    assert deps.cases.cases == {}


def test_subscriptions_are_checked_before_anything_is_stored():
    deps = document_deps()
    body = {**minimal(), "config": {"subscriptions": [{"type": "webhook", "url": "http://169.254.169.254/"}]}}
    with pytest.raises(InvalidInput) as caught:
        run(deps, body)
    assert caught.value.path == "config.subscriptions[0].url"
    assert deps.cases.cases == {}


def test_a_second_run_updates_the_active_case_and_copies_its_new_pages_at_once():
    image = jpeg(30, 30)
    deps = document_deps(FakeFetcher({"https://files.example/new.jpg": image}))
    first, _ = run(deps, minimal())
    again = minimal(
        note="second",
        documents=[
            {"type": "passport", "pages": [{"provider": "http", "uri": "https://files.example/new.jpg"}]}
        ],
    )
    second, created = run(deps, again)
    assert (second.id, created) == (first.id, False)
    stored = deps.cases.get("acme", first.id)
    assert stored.context["note"] == "second"
    assert stored.documents[0].pages[0].status == "available"


# ---------------------------------------------------------------------------------------------- events


def in_review(deps, tenant_settings: dict[str, Any] | None = None, body: dict[str, Any] | None = None):
    case, _ = run(deps, body or minimal(), acme(**(tenant_settings or {})))
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    return case.id


def send(deps, case_id: str, name: str, payload: dict[str, Any] | None = None, **settings: Any):
    return ballerine.send_ballerine_event(deps, integrator(), acme(**settings), case_id, name, payload)


@pytest.mark.parametrize("name", ["approve", "reject", "revision", "APPROVE"])
def test_an_api_key_cannot_decide_unless_the_tenant_allows_it(name):
    deps = document_deps()
    case_id = in_review(deps)
    with pytest.raises(IntegratorDecisionsOff) as caught:
        send(deps, case_id, name, {"reason": "looks fine"})
    assert "allow_integrator_decisions" in caught.value.message
    assert caught.value.kind == "forbidden"
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW
    assert deps.engine.completed == []
    case = deps.cases.get("acme", case_id)
    assert "approve" not in ballerine.accepted_ballerine_events(case, acme())
    assert "approve" in ballerine.accepted_ballerine_events(case, acme(allow_integrator_decisions=True))


def test_where_the_tenant_allows_it_an_api_key_approves_rejects_and_asks_for_revisions():
    deps = document_deps()
    approved = in_review(deps)
    case = send(deps, approved, "approve", {"reason": "ok"}, allow_integrator_decisions=True)
    assert (case.state, case.decision.reason, case.decision.actor.type) == (
        CaseState.APPROVED,
        "ok",
        "integrator",
    )
    deps2 = document_deps()
    rejected = in_review(deps2)
    assert send(deps2, rejected, "reject", None, allow_integrator_decisions=True).state == CaseState.REJECTED
    assert deps2.cases.get("acme", rejected).decision.reason == "reject sent through the API"
    deps3 = document_deps()
    revised = in_review(deps3)
    case = send(deps3, revised, "revision", {"documentIds": ["d-1", 2]}, allow_integrator_decisions=True)
    assert (case.state, case.revision.document_ids) == (CaseState.REVISION_REQUESTED, ["d-1", "2"])
    assert deps3.engine.completed == [("review-token", {"decision": "revision"})]


def test_no_api_key_approves_over_an_uncleared_pep_hit_even_where_decisions_are_allowed():
    deps = document_deps()
    case_id = in_review(deps)
    deps.cases.save_checks("acme", case_id, {"sanctions": screening_result()})
    with pytest.raises(ApprovalBlocked) as caught:
        send(deps, case_id, "approve", {"reason": "ok"}, allow_integrator_decisions=True)
    assert caught.value.kind == "conflict"
    assert (
        "Leila Haddad (individual) may be Leila Nasser Haddad [demo-haddad] (pep_match"
        in caught.value.message
    )
    assert "clear it or reject" in caught.value.message
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW
    deps.clearances.add(clearance(case_id), clearance_audit())
    assert send(deps, case_id, "approve", {}, allow_integrator_decisions=True).state == CaseState.APPROVED


def test_an_uncleared_hit_does_not_stop_a_rejection():
    deps = document_deps()
    case_id = in_review(deps)
    deps.cases.save_checks("acme", case_id, {"sanctions": screening_result()})
    assert send(deps, case_id, "reject", {}, allow_integrator_decisions=True).state == CaseState.REJECTED


def test_a_decision_the_run_cannot_take_is_ballerines_400_naming_what_it_can():
    deps = document_deps()
    case, _ = run(deps, minimal())  # processing: not waiting for a reviewer
    with pytest.raises(BallerineEventRefused) as caught:
        send(deps, case.id, "approve", {}, allow_integrator_decisions=True)
    assert caught.value.kind == "bad_request"
    assert caught.value.context["allowed_events"] == ["UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT"]
    with pytest.raises(BallerineEventRefused, match="it accepts: UPDATE_CONTEXT, DEEP_MERGE_CONTEXT"):
        send(deps, case.id, "start")


@pytest.mark.parametrize("name", sorted(EVENT_BODIES))
def test_ballerines_context_event_bodies_are_taken(name):
    deps = document_deps()
    case_id = in_review(deps)
    body = EVENT_BODIES[name]
    send(deps, case_id, body["name"], body.get("payload"))
    context = deps.cases.get("acme", case_id).context
    expected = {
        "update-context": {"tier": "gold"},
        "deep-merge-context": {"crmId": 5},
    }.get(name)
    assert context.get("customerReference") == expected
    assert "newContext" not in context
    assert "arrayMergeOption" not in context


def test_a_context_event_on_a_decided_case_is_a_conflict():
    deps = document_deps()
    case_id = in_review(deps)
    send(deps, case_id, "reject", {}, allow_integrator_decisions=True)
    with pytest.raises(Conflict):
        send(deps, case_id, "UPDATE_CONTEXT", {"context": {"late": True}})


# ---------------------------------------------------------------------------------------------- the list


def many_runs(count: int, deps=None):
    deps = deps or document_deps()
    ids = [run(deps, minimal({"id": f"e-{i}", "type": "individual", "data": {"firstName": "A"}}))[0].id
           for i in range(count)]  # fmt: skip
    return deps, ids


def test_a_numbered_page_is_one_bounded_read_whatever_its_number():
    deps, ids = many_runs(7)
    listed = ballerine.list_runs(deps, integrator(), page=3, limit=2, order_direction="asc")
    assert [c.id for c in listed.items] == ids[4:6]
    assert (listed.pages, listed.total) == (4, 7)
    assert deps.cases.numbered_reads == 1
    newest = ballerine.list_runs(deps, integrator(), page=1, limit=3)
    assert [c.id for c in newest.items] == ids[::-1][:3]
    beyond = ballerine.list_runs(deps, integrator(), page=5, limit=2)
    assert (beyond.items, beyond.pages, beyond.total) == ([], 4, 7)
    assert deps.cases.numbered_reads == 2  # a page past the end reads nothing


def test_the_list_filters_by_ballerines_statuses():
    deps, ids = many_runs(3)
    workflow_steps.await_review(deps, "acme", ids[0], "t")
    send(deps, ids[0], "reject", {}, allow_integrator_decisions=True)
    completed = ballerine.list_runs(deps, integrator(), statuses=["completed", "failed"])
    assert ([c.id for c in completed.items], completed.total) == ([ids[0]], 1)
    active = ballerine.list_runs(deps, integrator(), statuses=["active"], order_direction="asc")
    assert [c.id for c in active.items] == ids[1:]
    twice = ballerine.list_runs(deps, integrator(), statuses=["active", "active"])
    assert twice.total == 2


@pytest.mark.parametrize(
    "order_by",
    ["updatedAt", "resolvedAt", "status", "state", "assignee", "workflowDefinitionName", "createdBy"],
)
def test_an_order_the_list_cannot_honour_is_a_400_naming_order_by(order_by):
    deps, _ = many_runs(1)
    with pytest.raises(BallerineBadRequest) as caught:
        ballerine.list_runs(deps, integrator(), order_by=order_by)
    assert (caught.value.path, caught.value.kind) == ("orderBy", "bad_request")
    assert order_by in caught.value.message
    assert deps.cases.numbered_reads == 0


@pytest.mark.parametrize(
    ("kwargs", "path"), [({"order_direction": "up"}, "orderDirection"), ({"statuses": ["paused"]}, "status")]
)
def test_other_bad_list_parameters_are_400s_naming_them(kwargs, path):
    deps, _ = many_runs(1)
    with pytest.raises(BallerineBadRequest) as caught:
        ballerine.list_runs(deps, integrator(), **kwargs)
    assert caught.value.path == path
