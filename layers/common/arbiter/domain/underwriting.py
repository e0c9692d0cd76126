"""Merchant underwriting: the terms a merchant is approved on, how rules propose them, and who may change them.

A rule set's decision table rows (and rules) may carry `terms`. When several hits carry terms, the strictest of
each wins (`merge_terms`): the highest risk tier, the lowest monthly limit, the highest reserve and the longest
reserve and settlement delay, every condition. The assessment keeps the merged terms and the hits that set them;
an approval carries them on the decision and in `case.decided`.

A reviewer may change the proposed terms before approving, within the authority the workflow's `underwriting`
policy gives their role (`UnderwritingPolicy.check`): tightening is always allowed; raising the monthly limit only
up to the role's `max_monthly_limit`; relaxing anything else (a lower tier, reserve or delay, a condition removed)
only with `may_relax`. Anything beyond is NotAllowed (403) and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.errors import NotAllowed

__all__ = [
    "RISK_TIERS",
    "Authority",
    "MerchantMetrics",
    "Terms",
    "Trigger",
    "UnderwritingPolicy",
    "merge_terms",
]

RiskTier = Literal["low", "medium", "high", "very_high"]
RISK_TIERS: tuple[RiskTier, ...] = ("low", "medium", "high", "very_high")


class Terms(BaseModel):
    """What a merchant may process and under which conditions; a field left out is not set by this source."""

    model_config = ConfigDict(extra="forbid")

    risk_tier: RiskTier | None = None
    #: The most the merchant may process in a calendar month, in `currency`.
    monthly_limit: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    #: A rolling reserve: this share of each day's volume held back for `reserve_days`.
    reserve_percent: float | None = Field(default=None, ge=0, le=100)
    reserve_days: int | None = Field(default=None, ge=0, le=365)
    #: Days between a payment and its payout.
    settlement_delay_days: int | None = Field(default=None, ge=0, le=90)
    #: What the merchant must keep doing (e.g. "3-D Secure required").
    conditions: list[str] = Field(default_factory=list, max_length=50)

    def changes_from(self, proposed: Terms) -> list[str]:
        """The fields that differ from `proposed` (for the audit trail)."""
        return [name for name in Terms.model_fields if getattr(self, name) != getattr(proposed, name)]


def _strictest_tier(tiers: Iterable[RiskTier | None]) -> RiskTier | None:
    known = [t for t in tiers if t is not None]
    return max(known, key=RISK_TIERS.index) if known else None


def _least(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _most(values: Iterable[float | int | None]) -> float | int | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def merge_terms(sources: Iterable[Terms]) -> Terms | None:
    """The strictest of each term over `sources` (None when there is none)."""
    terms = list(sources)
    if not terms:
        return None
    conditions: list[str] = []
    for source in terms:
        conditions += [c for c in source.conditions if c not in conditions]
    reserve_days = _most(t.reserve_days for t in terms)
    delay = _most(t.settlement_delay_days for t in terms)
    return Terms(
        risk_tier=_strictest_tier(t.risk_tier for t in terms),
        monthly_limit=_least(t.monthly_limit for t in terms),
        currency=next((t.currency for t in terms if t.currency), None),
        reserve_percent=_most(t.reserve_percent for t in terms),
        reserve_days=int(reserve_days) if reserve_days is not None else None,
        settlement_delay_days=int(delay) if delay is not None else None,
        conditions=conditions,
    )


class Authority(BaseModel):
    """How far a role may move proposed terms."""

    model_config = ConfigDict(extra="forbid")

    #: The highest monthly limit the role may approve (None: no ceiling).
    max_monthly_limit: float | None = Field(default=None, ge=0)
    #: Whether the role may relax terms: a lower tier, reserve or delay, a condition removed.
    may_relax: bool = False


AuthorityRole = Literal["reviewer", "admin"]


def _default_authority() -> dict[AuthorityRole, Authority]:
    return {
        "reviewer": Authority(max_monthly_limit=100_000, may_relax=False),
        "admin": Authority(max_monthly_limit=None, may_relax=True),
    }


def _default_chargeback_thresholds() -> dict[RiskTier, float]:
    return {"low": 0.9, "medium": 0.9, "high": 1.5, "very_high": 2.0}


class MerchantMetrics(BaseModel):
    """What an approved merchant processed in a month, as the integrator reports it."""

    model_config = ConfigDict(extra="ignore")

    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="The month, YYYY-MM")
    processed_volume: float = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    #: Chargebacks as a percentage of the month's transactions.
    chargeback_ratio: float | None = Field(default=None, ge=0, le=100)
    refund_ratio: float | None = Field(default=None, ge=0, le=100)


class Trigger(BaseModel):
    """A reason to underwrite a merchant again before its review is due."""

    code: Literal["volume_over_limit", "chargebacks_over_threshold"]
    message: str


class UnderwritingPolicy(BaseModel):
    """A workflow that underwrites: its approvals carry terms, each role's authority to change them, and the
    chargeback ratio per tier past which a merchant is underwritten again."""

    model_config = ConfigDict(extra="forbid")

    authority: dict[AuthorityRole, Authority] = Field(default_factory=_default_authority)
    chargeback_thresholds: dict[RiskTier, float] = Field(default_factory=_default_chargeback_thresholds)

    def triggers(self, terms: Terms | None, metrics: MerchantMetrics) -> list[Trigger]:
        """What in `metrics` breaks the granted `terms`: the volume over the monthly limit, the chargeback ratio
        over the tier's threshold."""
        if terms is None:
            return []
        found = []
        limit = terms.monthly_limit
        if limit is not None and metrics.processed_volume > limit:
            found.append(
                Trigger(
                    code="volume_over_limit",
                    message=f"processed {metrics.processed_volume:,.0f} {metrics.currency} in {metrics.period}, "
                    f"over the monthly limit of {limit:,.0f}",
                )
            )
        threshold = self.chargeback_thresholds.get(terms.risk_tier) if terms.risk_tier else None
        ratio = metrics.chargeback_ratio
        if threshold is not None and ratio is not None and ratio > threshold:
            found.append(
                Trigger(
                    code="chargebacks_over_threshold",
                    message=f"chargebacks at {ratio:g} % in {metrics.period}, over the {terms.risk_tier} tier's "
                    f"{threshold:g} %",
                )
            )
        return found

    def check(self, roles: Iterable[str], proposed: Terms | None, adjusted: Terms) -> None:
        """NotAllowed naming what is beyond the roles' authority (the most any of them has)."""
        granted = [a for role, a in self.authority.items() if role in set(roles)]
        if not granted:
            raise NotAllowed(
                "changing underwriting terms needs the reviewer or admin role", required_role="reviewer"
            )
        ceiling = (
            None
            if any(a.max_monthly_limit is None for a in granted)
            else max(a.max_monthly_limit or 0 for a in granted)
        )
        may_relax = any(a.may_relax for a in granted)
        base = proposed or Terms()
        limit = adjusted.monthly_limit
        if limit is not None and limit != base.monthly_limit and ceiling is not None and limit > ceiling:
            raise NotAllowed(
                f"a monthly limit of {limit:,.0f} is beyond your authority (at most {ceiling:,.0f})",
                required_role="admin",
                path="terms.monthly_limit",
            )
        relaxed = _relaxed(base, adjusted)
        if relaxed and not may_relax:
            raise NotAllowed(
                f"relaxing {', '.join(relaxed)} is beyond your authority: only tightening the proposed terms is",
                required_role="admin",
                path=f"terms.{relaxed[0]}",
            )


def _relaxed(proposed: Terms, adjusted: Terms) -> list[str]:
    """The terms `adjusted` makes looser than `proposed` (the monthly limit is checked against a ceiling)."""
    out = []
    if proposed.risk_tier and (
        adjusted.risk_tier is None
        or RISK_TIERS.index(adjusted.risk_tier) < RISK_TIERS.index(proposed.risk_tier)
    ):
        out.append("risk_tier")
    for name in ("reserve_percent", "reserve_days", "settlement_delay_days"):
        before, after = getattr(proposed, name), getattr(adjusted, name)
        if before is not None and (after is None or after < before):
            out.append(name)
    if any(c not in adjusted.conditions for c in proposed.conditions):
        out.append("conditions")
    return out
