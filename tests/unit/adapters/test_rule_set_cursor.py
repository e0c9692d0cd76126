"""The rule set list's cursor in DynamoDB (the local stack's moto): what it returned pages on; anything else, or
another tenant's cursor, is refused naming the field, never sent to DynamoDB."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import boto3
import pytest

from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
from arbiter.domain.errors import InvalidRule
from arbiter.rules.ruleset import RuleSetDraft

AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def stored(stack) -> tuple[DynamoRuleSetRepository, str, str]:
    """Three rule sets of one tenant, one of another; (repository, tenant, other tenant)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    repository = DynamoRuleSetRepository(client, stack.physical_id("ArbiterTable"))
    tenant, other = f"t-{secrets.token_hex(4)}", f"t-{secrets.token_hex(4)}"
    for index in range(3):
        repository.add_version(
            tenant, RuleSetDraft(id=f"rs-{index}", name=f"rules {index}"), actor="a", at=AT
        )
    repository.add_version(other, RuleSetDraft(id="rs-other", name="theirs"), actor="a", at=AT)
    return repository, tenant, other


def test_the_cursor_pages_through_the_tenants_rule_sets(stored):
    repository, tenant, _other = stored
    first = repository.list(tenant, limit=2)
    assert first.cursor
    second = repository.list(tenant, cursor=first.cursor, limit=2)
    assert [r.id for r in first.items + second.items] == ["rs-0", "rs-1", "rs-2"]


@pytest.mark.parametrize(
    "cursor",
    [
        "null",
        "1",
        '"text"',
        "[]",
        "{}",
        "not json",
        '{"pk": {"S": "x"}}',
        '{"pk": {"N": "1"}, "sk": {"S": "x"}, "tenant_pk": {"S": "x"}, "tenant_sk": {"S": "x"}}',
    ],
)
def test_a_cursor_this_list_did_not_return_is_refused_naming_the_field(stored, cursor):
    repository, tenant, _other = stored
    with pytest.raises(InvalidRule) as refused:
        repository.list(tenant, cursor=cursor)
    assert refused.value.path == "cursor"


def test_another_tenants_cursor_is_refused(stored):
    repository, tenant, other = stored
    theirs = json.loads(repository.list(tenant, limit=1).cursor or "{}")
    mine_for_them = json.dumps(theirs)
    with pytest.raises(InvalidRule):
        repository.list(other, cursor=mine_for_them)
