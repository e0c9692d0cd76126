"""The rule set store's contract (`arbiter.services.ports.RuleSetRepository`): the fake and DynamoDB agree."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from arbiter.domain.errors import Conflict, InvalidRule, NotFound
from arbiter.rules.ruleset import Rule, RuleSetDraft
from arbiter.services.ports import RuleSetRepository
from tests.unit.contracts.backends import Backend

AT = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def draft(rule_set_id: str = "kyc-default", name: str = "KYC", rules: int = 1) -> RuleSetDraft:
    return RuleSetDraft(
        id=rule_set_id,
        name=name,
        rules=[
            Rule(id=f"r{i}", name=f"rule {i}", outcome="review", condition={"==": [{"var": "x"}, i]})
            for i in range(rules)
        ],
    )


def later(minutes: int) -> dt.datetime:
    return AT + dt.timedelta(minutes=minutes)


def test_versions_are_numbered_from_1_and_read_back_as_saved(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    first = rule_sets.add_version(t, draft(rules=1), actor="admin-1", at=AT)
    second = rule_sets.add_version(t, draft(name="KYC v2", rules=2), actor=None, at=later(1))
    assert (first.version, first.status, first.created_by) == (1, "draft", "admin-1")
    assert (second.version, second.created_by, second.created_at) == (2, None, later(1))
    assert rule_sets.get_version(t, "kyc-default", 1) == first
    assert rule_sets.get_version(t, "kyc-default", 2) == second
    assert rule_sets.get_version(t, "kyc-default", 2).content() == draft(name="KYC v2", rules=2)


def test_a_missing_version_or_rule_set_or_another_tenants_is_not_found(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    rule_sets.add_version(backend.tenant_id, draft(), actor="a", at=AT)
    for tenant_id, rule_set_id, version in (
        (backend.tenant_id, "kyc-default", 2),
        (backend.tenant_id, "other", 1),
        (backend.other_tenant(), "kyc-default", 1),
    ):
        with pytest.raises(NotFound):
            rule_sets.get_version(tenant_id, rule_set_id, version)
    with pytest.raises(NotFound):
        rule_sets.versions(backend.other_tenant(), "kyc-default")
    assert rule_sets.published_version(backend.other_tenant(), "kyc-default") is None


def test_versions_are_listed_newest_first_up_to_the_limit(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    for minute in range(4):
        rule_sets.add_version(backend.tenant_id, draft(), actor="a", at=later(minute))
    assert [v.version for v in rule_sets.versions(backend.tenant_id, "kyc-default")] == [4, 3, 2, 1]
    assert [v.version for v in rule_sets.versions(backend.tenant_id, "kyc-default", limit=2)] == [4, 3]


def test_a_save_above_a_version_read_earlier_is_refused_once_another_version_was_saved(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    assert rule_sets.add_version(t, draft(), actor="a", at=AT, after=0).version == 1
    with pytest.raises(Conflict):
        rule_sets.add_version(t, draft(name="stale"), actor="b", at=later(1), after=0)
    assert rule_sets.add_version(t, draft(), actor="c", at=later(2), after=1).version == 2
    assert [v.created_by for v in rule_sets.versions(t, "kyc-default")] == ["c", "a"]


def test_a_rule_set_too_large_to_store_is_refused_and_nothing_is_stored(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    huge = RuleSetDraft(id="huge", name="huge", lists={"names": ["x" * 1000] * 400})
    with pytest.raises(InvalidRule) as refused:
        rule_sets.add_version(backend.tenant_id, huge, actor="a", at=AT)
    assert refused.value.path == "rules"
    with pytest.raises(NotFound):
        rule_sets.versions(backend.tenant_id, "huge")


def test_publishing_marks_the_version_and_makes_it_the_one_cases_pin(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    for minute in range(3):
        rule_sets.add_version(t, draft(), actor="a", at=later(minute))
    assert rule_sets.published_version(t, "kyc-default") is None
    rule_sets.publish(t, "kyc-default", 2, actor="admin-2", at=later(10))
    published = rule_sets.get_version(t, "kyc-default", 2)
    assert (published.status, published.published_at, published.published_by) == (
        "published",
        later(10),
        "admin-2",
    )
    assert rule_sets.published_version(t, "kyc-default") == 2
    assert rule_sets.get_version(t, "kyc-default", 3).status == "draft"
    rule_sets.publish(t, "kyc-default", 3, actor="admin-2", at=later(11))
    assert rule_sets.published_version(t, "kyc-default") == 3
    assert rule_sets.get_version(t, "kyc-default", 2).status == "published"  # versions never change back


def test_publishing_again_or_behind_a_newer_published_version_is_a_conflict(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    for minute in range(3):
        rule_sets.add_version(t, draft(), actor="a", at=later(minute))
    rule_sets.publish(t, "kyc-default", 2, actor="a", at=later(10))
    rule_sets.publish(
        t, "kyc-default", 2, actor="a", at=later(10)
    )  # the same publication, retried: no change
    with pytest.raises(Conflict):
        rule_sets.publish(t, "kyc-default", 2, actor="a", at=later(11))
    with pytest.raises(Conflict):
        rule_sets.publish(t, "kyc-default", 1, actor="a", at=later(12))
    assert rule_sets.published_version(t, "kyc-default") == 2
    assert rule_sets.get_version(t, "kyc-default", 1).status == "draft"
    with pytest.raises(NotFound):
        rule_sets.publish(t, "kyc-default", 9, actor="a", at=later(13))


def test_the_list_holds_each_rule_set_once_by_id_with_its_versions(
    rule_sets: RuleSetRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    rule_sets.add_version(t, draft("kyb", "KYB"), actor="a", at=AT)
    rule_sets.add_version(t, draft("aml", "AML"), actor="a", at=later(1))
    rule_sets.add_version(t, draft("kyb", "KYB renamed"), actor="a", at=later(2))
    rule_sets.publish(t, "kyb", 1, actor="a", at=later(3))
    rule_sets.add_version(backend.other_tenant(), draft("zzz-theirs"), actor="a", at=AT)
    page = rule_sets.list(t)
    assert [(s.id, s.name, s.latest_version, s.published_version) for s in page.items] == [
        ("aml", "AML", 1, None),
        ("kyb", "KYB renamed", 2, 1),
    ]
    assert page.items[1].updated_at is not None
    assert dt.datetime.fromisoformat(page.items[1].updated_at) == later(2)


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_the_cursor_walks_the_list_by_id(rule_sets: RuleSetRepository, backend: Backend, limit: int) -> None:
    names = ["rs-0", "rs-1", "rs-2", "rs-3", "rs-4"]
    for name in reversed(names):
        rule_sets.add_version(backend.tenant_id, draft(name), actor="a", at=AT)
    walked: list[str] = []
    cursor = None
    for _ in range(10):
        page = rule_sets.list(backend.tenant_id, cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        walked += [s.id for s in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert walked == names


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "null",
        "not json",
        "{}",
        '{"pk": {"S": "x"}}',
        '{"pk": {"N": "1"}, "sk": {"S": "x"}, "tenant_pk": {"S": "x"}, "tenant_sk": {"S": "x"}}',
        _b64({"p": "x", "k": ["a"]}),
    ],
)
def test_a_forged_cursor_is_refused_naming_the_field(
    rule_sets: RuleSetRepository, backend: Backend, cursor: str
) -> None:
    rule_sets.add_version(backend.tenant_id, draft(), actor="a", at=AT)
    with pytest.raises(InvalidRule) as refused:
        rule_sets.list(backend.tenant_id, cursor=cursor)
    assert refused.value.path == "cursor"


def test_another_tenants_cursor_is_refused(rule_sets: RuleSetRepository, backend: Backend) -> None:
    other = backend.other_tenant()
    for name in ("a", "b"):
        rule_sets.add_version(other, draft(name), actor="x", at=AT)
    theirs = rule_sets.list(other, limit=1).cursor
    assert theirs is not None
    with pytest.raises(InvalidRule):
        rule_sets.list(backend.tenant_id, cursor=theirs)
