"""The collection link store's contract (`arbiter.services.ports.CollectionLinkRepository`): the fake and the
DynamoDB adapter agree."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.collection import CollectionLink, generate_collection_token, hash_collection_token
from arbiter.domain.errors import Conflict, NotFound
from tests.unit.contracts.backends import Backend

AT = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)


def a_link(backend: Backend, case_id: str, link_id: str, *, minutes: int = 0) -> CollectionLink:
    return CollectionLink(
        id=link_id,
        tenant_id=backend.tenant_id,
        case_id=case_id,
        token_hash=hash_collection_token(generate_collection_token()),
        created_at=AT + dt.timedelta(minutes=minutes),
        created_by="key_1",
        expires_at=AT + dt.timedelta(days=7),
    )


def test_a_link_is_found_by_its_token_hash_and_listed_with_its_case_only(backend: Backend) -> None:
    links = backend.ports.collection_links
    second, first = a_link(backend, "c-1", "cl_2", minutes=5), a_link(backend, "c-1", "cl_1")
    other_case = a_link(backend, "c-2", "cl_3")
    for link in (second, first, other_case):
        links.add(link)
    assert links.by_token_hash(first.token_hash) == first
    assert [k.id for k in links.for_case(backend.tenant_id, "c-1")] == ["cl_1", "cl_2"]
    assert links.for_case(backend.other_tenant(), "c-1") == []
    assert links.by_token_hash(hash_collection_token(generate_collection_token())) is None


def test_a_revocation_is_stored_and_a_second_add_of_one_token_conflicts(backend: Backend) -> None:
    links = backend.ports.collection_links
    link = a_link(backend, "c-1", "cl_1")
    links.add(link)
    with pytest.raises(Conflict):
        links.add(link)
    links.update(link.revoked(AT))
    assert links.by_token_hash(link.token_hash).revoked_at == AT  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        links.update(a_link(backend, "c-1", "cl_never_added"))


def test_each_steps_answer_is_kept_apart_and_read_back_as_saved(backend: Backend) -> None:
    links = backend.ports.collection_links
    assert links.answers(backend.tenant_id, "c-1") == {}
    links.save_answer(backend.tenant_id, "c-1", "company", {"name": "Acme", "share": 12.5}, AT)
    links.save_answer(backend.tenant_id, "c-1", "address", {"city": "Berlin", "lines": ["a", "b"]}, AT)
    links.save_answer(backend.tenant_id, "c-1", "company", {"name": "Acme GmbH"}, AT)
    links.save_answer(backend.tenant_id, "c-2", "company", {"name": "Other"}, AT)
    assert links.answers(backend.tenant_id, "c-1") == {
        "company": {"name": "Acme GmbH"},
        "address": {"city": "Berlin", "lines": ["a", "b"]},
    }
    assert links.answers(backend.other_tenant(), "c-1") == {}


def test_erasing_a_cases_answers_removes_every_step_and_no_other_cases(backend: Backend) -> None:
    links = backend.ports.collection_links
    links.save_answer(backend.tenant_id, "c-1", "company", {"name": "Acme"}, AT)
    links.save_answer(backend.tenant_id, "c-1", "address", {"city": "Berlin"}, AT)
    links.save_answer(backend.tenant_id, "c-2", "company", {"name": "Other"}, AT)
    links.erase_answers(backend.tenant_id, "c-1")
    links.erase_answers(backend.tenant_id, "c-9")  # nothing saved: nothing to do
    assert links.answers(backend.tenant_id, "c-1") == {}
    assert links.answers(backend.tenant_id, "c-2") == {"company": {"name": "Other"}}
