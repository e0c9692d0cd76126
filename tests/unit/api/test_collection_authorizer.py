"""A collection link's token at the API's edge: the authorizer answers a verdict of kind `collection` scoped to the
link's case; only the collection routes' principal accepts it, never an integrator route's."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.api.authorizer import Refused, authorize_request
from arbiter.api.integrator import collection_principal, integrator_principal
from arbiter.domain.errors import Unauthenticated
from arbiter.services import cases, tenants
from arbiter.services.collection import CollectionLinkRequest, create_collection_link, revoke_collection_link
from tests.builders import individual, integrator, tenant
from tests.unit.api.test_authorizer import authorizer_event, proxy_event
from tests.unit.fakes import FakeDependencies, FakeUsagePlans

START = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)


class Now:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def deps(now: Now) -> FakeDependencies:
    deps = FakeDependencies(clock=now)
    tenants.create_tenant(deps.tenants, "acme", "Acme", usage_plans=FakeUsagePlans())
    return deps


def a_link(deps: FakeDependencies) -> tuple[str, str, str]:
    """(case id, link id, token) of a new collecting case's link."""
    entity = individual(f"user-{len(deps.collection_links.links)}")
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=entity, submit=False)
    issued = create_collection_link(deps, integrator(), case.id, CollectionLinkRequest())
    return case.id, issued.link.id, issued.token


def test_a_token_gets_a_collection_verdict_for_its_case_under_the_tenants_usage_key(deps):
    case_id, link_id, token = a_link(deps)
    answer = authorize_request(deps, authorizer_event({"Authorization": f"Bearer {token}"}))
    assert answer["principalId"] == f"acme/link_{link_id}"
    assert answer["context"]["kind"] == "collection"
    assert (answer["context"]["tenant_id"], answer["context"]["case_id"]) == ("acme", case_id)
    assert token not in str(answer)
    assert answer["usageIdentifierKey"] == deps.tenants.tenants["acme"].usage.value
    principal = collection_principal(
        deps, proxy_event({"Authorization": f"Bearer {token}"}, answer["context"])
    )
    assert (principal.kind, principal.case_id, principal.actor.type) == ("collection", case_id, "applicant")


def test_an_integrator_route_refuses_the_collection_verdict(deps):
    _case_id, _link_id, token = a_link(deps)
    verdict = authorize_request(deps, authorizer_event({"Authorization": f"Bearer {token}"}))["context"]
    with pytest.raises(Unauthenticated):
        integrator_principal(deps.tenants, proxy_event({"Authorization": f"Bearer {token}"}, verdict))


def test_a_verdict_vouches_for_its_own_token_only(deps):
    _case_id, _link_id, token = a_link(deps)
    _other_case, _other_link, other_token = a_link(deps)
    verdict = authorize_request(deps, authorizer_event({"Authorization": f"Bearer {token}"}))["context"]
    # another valid token with this verdict: verified itself, so it opens its own case, not the verdict's
    principal = collection_principal(deps, proxy_event({"Authorization": f"Bearer {other_token}"}, verdict))
    assert principal.case_id == _other_case
    with pytest.raises(Unauthenticated):
        collection_principal(deps, proxy_event({"Authorization": "Bearer clk_" + "x" * 43}, verdict))


def test_an_api_key_is_no_collection_credential(deps):
    key = tenants.issue_api_key(deps.tenants, "acme")
    with pytest.raises(Unauthenticated):
        collection_principal(deps, proxy_event({"Authorization": f"Bearer {key}"}))


def test_revoked_and_expired_tokens_are_refused_and_counted_against_the_source(deps, now):
    case_id, link_id, token = a_link(deps)
    _other_case, _other_link, expiring = a_link(deps)
    revoke_collection_link(deps, integrator(), case_id, link_id)
    with pytest.raises(Refused):
        authorize_request(deps, authorizer_event({"Authorization": f"Bearer {token}"}))
    now.at = START + dt.timedelta(days=7)
    with pytest.raises(Refused):
        authorize_request(deps, authorizer_event({"Authorization": f"Bearer {expiring}"}))
    assert sum(deps.auth_failures.counts.values()) == 2
