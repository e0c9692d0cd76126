"""Underwriting terms: the strictest of every source wins, and a role's authority bounds a reviewer's changes."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import NotAllowed
from arbiter.domain.underwriting import Terms, UnderwritingPolicy, merge_terms

PROPOSED = Terms(
    risk_tier="high",
    monthly_limit=50_000,
    currency="EUR",
    reserve_percent=10,
    reserve_days=180,
    settlement_delay_days=7,
    conditions=["3-D Secure required"],
)


def test_the_strictest_of_each_term_wins_and_conditions_add_up() -> None:
    merged = merge_terms(
        [
            Terms(risk_tier="low", monthly_limit=150_000, currency="EUR", settlement_delay_days=2),
            Terms(reserve_percent=10, reserve_days=180, conditions=["3-D Secure required", "Monthly report"]),
            Terms(
                risk_tier="high", monthly_limit=50_000, reserve_percent=5, conditions=["3-D Secure required"]
            ),
        ]
    )
    assert merged == Terms(
        risk_tier="high",
        monthly_limit=50_000,
        currency="EUR",
        reserve_percent=10,
        reserve_days=180,
        settlement_delay_days=2,
        conditions=["3-D Secure required", "Monthly report"],
    )
    assert merge_terms([]) is None


def test_tightening_is_always_within_authority() -> None:
    tighter = PROPOSED.model_copy(
        update={"monthly_limit": 20_000, "reserve_percent": 15, "conditions": ["a", *PROPOSED.conditions]}
    )
    UnderwritingPolicy().check(["reviewer"], PROPOSED, tighter)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"monthly_limit": 100_001}, "terms.monthly_limit"),
        ({"reserve_percent": 5}, "terms.reserve_percent"),
        ({"reserve_days": 90}, "terms.reserve_days"),
        ({"settlement_delay_days": None}, "terms.settlement_delay_days"),
        ({"risk_tier": "medium"}, "terms.risk_tier"),
        ({"conditions": []}, "terms.conditions"),
    ],
)
def test_a_reviewer_cannot_raise_the_limit_past_their_ceiling_or_relax_terms(changes, path) -> None:
    with pytest.raises(NotAllowed) as caught:
        UnderwritingPolicy().check(["reviewer"], PROPOSED, PROPOSED.model_copy(update=changes))
    assert caught.value.context["path"] == path


def test_a_reviewer_may_raise_the_limit_up_to_their_ceiling_and_an_admin_beyond_and_relax() -> None:
    policy = UnderwritingPolicy()
    policy.check(["reviewer"], PROPOSED, PROPOSED.model_copy(update={"monthly_limit": 100_000}))
    relaxed = PROPOSED.model_copy(update={"monthly_limit": 1_000_000, "reserve_percent": 0, "conditions": []})
    policy.check(["admin"], PROPOSED, relaxed)
    with pytest.raises(NotAllowed):
        policy.check(["viewer"], PROPOSED, PROPOSED)


def test_changes_are_named_for_the_audit_trail() -> None:
    changed = PROPOSED.model_copy(
        update={"monthly_limit": 40_000, "conditions": ["3-D Secure required", "Weekly payouts"]}
    )
    assert changed.changes_from(PROPOSED) == ["monthly_limit", "conditions"]
