"""Rule set versions in DynamoDB (`arbiter.adapters.dynamodb.versions` keeps them)."""

from __future__ import annotations

from arbiter.adapters.dynamodb.versions import DynamoVersionedStore
from arbiter.domain.errors import InvalidRule
from arbiter.rules.ruleset import RuleSetDraft, RuleSetSummary, RuleSetVersion

__all__ = ["DynamoRuleSetRepository"]


class DynamoRuleSetRepository(DynamoVersionedStore[RuleSetDraft, RuleSetVersion, RuleSetSummary]):
    """Implements `arbiter.services.ports.RuleSetRepository`."""

    KIND = "RULESET"
    VERSION = RuleSetVersion
    SUMMARY = RuleSetSummary
    INVALID = InvalidRule
    WHAT = "rule set"
    TOO_LARGE_PATH = "rules"
    ID_ATTRIBUTE = "rule_set_id"
