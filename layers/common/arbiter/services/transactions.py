"""Use cases of transaction monitoring: decide a transaction on the customer's history, read a decided one.

A decision reads the customer's history (bounded: `arbiter.domain.monitoring`), evaluates the tenant's published
`transaction-monitoring` rule set on it, and records the transaction, what it counts and the alert it opens in
one write. The same id again is answered with the stored decision and counts nothing; another body under that id
is a Conflict naming the fields that differ. A tenant that never published monitoring scenarios gets the shipped
default set (`arbiter/rules/defaults/transaction-monitoring.json`), saved and published as its next version the
first time it is needed, so every decision pins a real, replayable version.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import time
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from aws_lambda_powertools import Logger

from arbiter.domain.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound, UncountedTransaction
from arbiter.domain.events import AlertedHit, AlertOpened, AlertUpdated, ArbiterEvent, TransactionDecided
from arbiter.domain.monitoring import (
    Changes,
    History,
    MonthlyVolume,
    Needs,
    changes_for,
    context_fields,
    monitoring_context,
    monthly_volume,
    needs_of,
    window_figures,
)
from arbiter.domain.monitoring_plan import ContextPlan, context_plan
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import (
    Alert,
    DecidedTransaction,
    MonitoringRuleSet,
    Severity,
    Transaction,
    decision_of,
    fields_differing,
    new_alert_id,
    primary_scenario,
)
from arbiter.services.ports import RuleSetRepository

if TYPE_CHECKING:
    # The rule engine loads with the first decision, not with the function (run_workflow serves cases too).
    from arbiter.rules.evaluation import CompiledRuleSet
    from arbiter.rules.ruleset import RuleSetDraft, RuleSetVersion
    from arbiter.services.rule_sets import CompiledRuleSets
    from arbiter.services.underwriting import VolumeReviewDeps

__all__ = [
    "MONITORING_RULE_SET_ID",
    "TransactionDeps",
    "TransactionStore",
    "decide_transaction",
    "default_scenarios",
    "get_transaction",
    "pin_monitoring_rule_set",
]

log = Logger(child=True)

#: The rule set a tenant's monitoring scenarios live in (published through the rule-set admin API).
MONITORING_RULE_SET_ID = "transaction-monitoring"
#: Who installs the shipped scenarios in a tenant that has none published.
DEFAULT_SCENARIOS_ACTOR = "arbiter"
#: A transaction may be a few minutes ahead of the server's clock, not more.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: Decisions taken again when the customer's history moved under one (another transaction of the same customer
#: recorded since it was read: its profile is written only over the version read). Batches never race (one
#: customer's messages come one at a time); synchronous calls of one customer at once each win in turn.
MAX_ATTEMPTS = 10
#: The longest wait between two attempts (waits double from 10 ms, each a random part of it).
MAX_BACKOFF = 0.25
_SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class TransactionStore(Protocol):
    """Decided transactions, the customers' history buckets and markers, alerts and their events."""

    def get(self, tenant_id: str, transaction_id: str) -> DecidedTransaction | None:
        """The decided transaction, or None (also for another tenant's)."""

    def history(self, tenant_id: str, tx: Transaction, needs: Needs) -> History:
        """What a decision on `tx` reads: the customer's profile, the party buckets and marker `needs` keeps
        (`reads_for(tx, needs)`), the onboarding record."""

    def open_alert(self, tenant_id: str, customer_id: str, scenario: str) -> Alert | None:
        """The customer's open alert for `scenario`, or None."""

    def count(self, decided: DecidedTransaction, changes: Changes) -> None:
        """Count a stored transaction: its customer's next profile only (ConcurrentUpdate when it moved)."""

    def uncounted(self, tenant_id: str, transaction_id: str) -> bool:
        """Whether the stored transaction's profile was never written (its two writes were cut between)."""

    def index_by_day(self, tenant_id: str, decided: list[DecidedTransaction]) -> None:
        """List transactions of batches, decided together, under their days (backtests find them there)."""

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert | None:
        """The alert, or None (also for another tenant's)."""

    def record(
        self, decided: DecidedTransaction, changes: Changes, alert: Alert | None, events: list[ArbiterEvent]
    ) -> None:
        """All of it or nothing: ConcurrentUpdate when the history moved since it was read (the profile is no
        longer the version read, a party bucket's max or the marker moved), its subclass `TransactionExists`
        (adapters) when the id is already recorded.

        Or, for a transaction that opens no alert and counts in nothing but its profile, the transaction first
        (its id claimed), then the profile: `UncountedTransaction` when the profile moved between the two. The
        transaction is stored then, and is counted with `count`.

        An alert with one transaction is opened: ConcurrentUpdate when the customer already has one open for its
        scenario. An alert with more is written over the open one: ConcurrentUpdate unless that one still has one
        transaction less (another transaction joined it meanwhile) and is still open."""


class TransactionDeps(Protocol):
    """The ports the monitoring use cases need (`arbiter.bootstrap.Dependencies` in a function)."""

    @property
    def transactions(self) -> TransactionStore: ...
    @property
    def rule_sets(self) -> RuleSetRepository: ...
    @property
    def compiled_rule_sets(self) -> CompiledRuleSets: ...
    def now(self) -> dt.datetime:
        """The current time, aware."""


@functools.cache
def default_scenarios() -> RuleSetDraft:
    """The shipped monitoring scenarios (a rule set draft)."""
    from arbiter.rules.ruleset import parse_draft

    text = (
        resources.files("arbiter.rules")
        .joinpath("defaults", "transaction-monitoring.json")
        .read_text("utf-8")
    )
    return parse_draft(json.loads(text))


def pin_monitoring_rule_set(deps: TransactionDeps, tenant_id: str) -> MonitoringRuleSet:
    """The tenant's published monitoring rule set; the shipped default, installed and published, when none is."""
    for _ in range(5):
        version = deps.rule_sets.published_version(tenant_id, MONITORING_RULE_SET_ID)
        if version is not None:
            return _pinned(version)
        at = deps.now()
        try:
            newest = _newest_version(deps, tenant_id)
            if newest is not None and newest.status == "published":
                continue  # published since it was read: read it again
            # Another request may be installing the default right now (saved, not yet published): publish that
            # one rather than a second copy above it. The copy is saved only above the version read, so a save
            # this read did not see yet (a query sees a transaction's items one by one) is a conflict, not a
            # second default.
            installing = newest is not None and newest.created_by == DEFAULT_SCENARIOS_ACTOR
            saved_version = (
                newest.version
                if newest is not None and installing
                else deps.rule_sets.add_version(
                    tenant_id,
                    default_scenarios(),
                    actor=DEFAULT_SCENARIOS_ACTOR,
                    at=at,
                    after=newest.version if newest is not None else 0,
                ).version
            )
            deps.rule_sets.publish(
                tenant_id, MONITORING_RULE_SET_ID, saved_version, actor=DEFAULT_SCENARIOS_ACTOR, at=at
            )
        except Conflict:
            continue  # another request installed it (or a version) at the same moment: read again
        return MonitoringRuleSet(id=MONITORING_RULE_SET_ID, version=saved_version)
    raise ConcurrentUpdate("the monitoring rule set is being published right now; retry the transaction")


@functools.lru_cache(maxsize=256)
def _pinned(version: int) -> MonitoringRuleSet:
    # One per version, shared by the decisions on it: a model less made, and kept, per decision.
    return MonitoringRuleSet(id=MONITORING_RULE_SET_ID, version=version)


def _newest_version(deps: TransactionDeps, tenant_id: str) -> RuleSetVersion | None:
    """The tenant's newest monitoring rule set version, or None when it has none."""
    try:
        newest = deps.rule_sets.versions(tenant_id, MONITORING_RULE_SET_ID, limit=1)
    except NotFound:
        return None
    return newest[0] if newest else None


def _replay(stored: DecidedTransaction, received: Transaction) -> DecidedTransaction:
    differing = fields_differing(stored.transaction, received)
    if differing:
        raise Conflict(
            f"transaction {received.id} was already received with another {', '.join(differing)}",
            transaction_id=received.id,
            fields=differing,
        )
    return stored


def _severity(hits: list[dict[str, Any]]) -> Severity:
    found: Severity = max((h["severity"] for h in hits), key=_SEVERITY_RANK.__getitem__, default="medium")
    return found


def _decided_event(alert: Alert, decided: DecidedTransaction) -> TransactionDecided:
    tx = decided.transaction
    return TransactionDecided(
        time=decided.decided_at,
        tenant_id=decided.tenant_id,
        alert_id=alert.id,
        transaction_id=tx.id,
        customer_id=tx.customer_id,
        decision="block" if decided.decision == "block" else "review",
        score=decided.score,
        severity=_severity(decided.hits),
        amount=str(tx.amount),
        currency=tx.currency,
        rule_set_id=decided.rule_set.id,
        rule_set_version=decided.rule_set.version,
        hits=[
            AlertedHit(
                rule=h["rule_id"],
                name=h["name"],
                severity=h["severity"],
                score=h["score"],
                outcome=h["outcome"],
                values=h["values"],
            )
            for h in decided.hits
        ],
    )


def _alert_events(alert: Alert, decided: DecidedTransaction) -> list[ArbiterEvent]:
    """`transaction.decided`, and `alert.opened` or `alert.updated` for what the transaction did to the alert."""
    scenario = alert.scenario or ""
    decision: Literal["review", "block"] = "block" if alert.decision == "block" else "review"
    change: ArbiterEvent
    if alert.transaction_count == 1:
        change = AlertOpened(
            time=decided.decided_at,
            tenant_id=alert.tenant_id,
            alert_id=alert.id,
            customer_id=alert.customer_id,
            scenario=scenario,
            transaction_id=decided.transaction.id,
            decision=decision,
            severity=alert.severity,
            score=alert.score,
            rule_set_id=alert.rule_set.id,
            rule_set_version=alert.rule_set.version,
        )
    else:
        change = AlertUpdated(
            time=decided.decided_at,
            tenant_id=alert.tenant_id,
            alert_id=alert.id,
            customer_id=alert.customer_id,
            scenario=scenario,
            transaction_id=decided.transaction.id,
            transaction_count=alert.transaction_count,
            decision=decision,
            severity=alert.severity,
            score=alert.score,
        )
    return [_decided_event(alert, decided), change]


def _alert_for(
    deps: TransactionDeps, decided: DecidedTransaction, severity: Severity, scenario: str
) -> Alert:
    """A new alert, or the customer's open alert of the same scenario with this transaction joined to it."""
    tx, at = decided.transaction, decided.decided_at
    open_alert = deps.transactions.open_alert(decided.tenant_id, tx.customer_id, scenario)
    if open_alert is not None:
        return open_alert.joined(tx.id, decided.decision, severity, decided.score, at)
    return Alert(
        id=new_alert_id(),
        tenant_id=decided.tenant_id,
        customer_id=tx.customer_id,
        transaction_id=tx.id,
        decision=decided.decision,
        severity=severity,
        score=decided.score,
        hits=decided.hits,
        rule_set=decided.rule_set,
        created_at=at,
        scenario=scenario,
        last_transaction_id=tx.id,
        last_seen_at=at,
    )


def _needs(deps: TransactionDeps, tenant_id: str, rule_set: MonitoringRuleSet) -> Needs:
    """What a version reads: only those windows are read and summed (all of them when it reads computed paths)."""
    return _needs_of(deps.compiled_rule_sets.get(tenant_id, rule_set.id, rule_set.version))


@functools.lru_cache(maxsize=64)
def _needs_of(rules: CompiledRuleSet) -> Needs:
    # Once per compiled version (as many as the compiled rule sets' cache holds), not per decision.
    return needs_of(_paths(rules))


@functools.lru_cache(maxsize=64)
def _fields_of(rules: CompiledRuleSet) -> frozenset[str] | None:
    """The rule context's fields a version reads (all of them when it reads computed paths)."""
    return context_fields(_paths(rules))


@functools.lru_cache(maxsize=64)
def _figures_of(rules: CompiledRuleSet) -> Mapping[str, frozenset[str]] | None:
    """The figures of the customer's windows a version reads, by window (all of them when it reads computed paths)."""
    return window_figures(_paths(rules))


@functools.lru_cache(maxsize=64)
def _context_plan_of(rules: CompiledRuleSet) -> ContextPlan | None:
    """The rule context made for what a version reads (`monitoring_plan`), or None: `monitoring_context` then."""
    return context_plan(_paths(rules))


def _paths(rules: CompiledRuleSet) -> tuple[str, ...] | None:
    return None if rules.reads_computed_paths else tuple(rules.variables)


def _decide(
    deps: TransactionDeps,
    tenant_id: str,
    tx: Transaction,
    rule_set: MonitoringRuleSet,
    batch_id: str | None,
) -> DecidedTransaction:
    rules = deps.compiled_rule_sets.get(tenant_id, rule_set.id, rule_set.version)
    needs = _needs_of(rules)
    history = deps.transactions.history(tenant_id, tx, needs)
    plan = _context_plan_of(rules)
    evaluation = rules.evaluate(
        plan(tx, history, needs)
        if plan is not None
        else monitoring_context(tx, history, needs, _fields_of(rules), _figures_of(rules))
    )
    decided = DecidedTransaction(
        tenant_id=tenant_id,
        transaction=tx,
        decision=decision_of(evaluation.recommendation),
        score=evaluation.score,
        level=evaluation.level,
        hits=evaluation.hits,
        errors=evaluation.errors,
        rule_set=rule_set,
        decided_at=deps.now(),
        batch_id=batch_id,
    )
    alert = None
    events: list[ArbiterEvent] = []
    if decided.decision != "allow":
        alert = _alert_for(deps, decided, _severity(evaluation.hits), primary_scenario(evaluation.hits))
        decided = decided.model_copy(update={"alert_id": alert.id})
        events = _alert_events(alert, decided)
    # The month's volume before this transaction: read before the record counts it in the history's profile.
    volume = monthly_volume(tx, history)
    try:
        deps.transactions.record(decided, changes_for(tx, history, needs), alert, events)
    except UncountedTransaction:
        _count_stored(deps, decided, needs)
    if volume is not None and volume.crossed:
        _review_volume(deps, tenant_id, tx, volume)
    return decided


def _count_stored(deps: TransactionDeps, decided: DecidedTransaction, needs: Needs) -> None:
    """Count a stored transaction on its customer's profile as it is now (the decision stands as stored)."""
    tenant_id, tx = decided.tenant_id, decided.transaction
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, min(MAX_BACKOFF, 0.005 * 2**attempt)))  # noqa: S311 - spreads retries
        history = deps.transactions.history(tenant_id, tx, needs)
        if history.profile.counted_recently(tx.id):
            return  # another attempt of the same transaction counted it
        try:
            deps.transactions.count(decided, changes_for(tx, history, needs))
        except ConcurrentUpdate:
            continue
        return
    raise ConcurrentUpdate(
        f"customer {tx.customer_id}'s history kept changing while transaction {tx.id} was counted; retry it",
        transaction_id=tx.id,
    )


def _review_volume(deps: TransactionDeps, tenant_id: str, tx: Transaction, volume: MonthlyVolume) -> None:
    """The payment took the merchant's month over its limit: its re-underwriting review opens now. The decision
    is recorded already and stands: a failure here is logged, and the month's figures reported through
    `underwriting-metrics` open the same case."""
    from arbiter.services import underwriting  # the case machinery loads only when a limit is crossed

    # Every composition root that decides transactions (bootstrap.Dependencies) holds the case ports too; they are
    # not part of TransactionDeps so that monitoring's own fakes and bench stay free of them.
    review_deps = cast("VolumeReviewDeps", deps)
    try:
        answer = underwriting.review_volume(review_deps, tenant_id, tx.customer_id, volume)
    except Exception:
        log.exception(
            "re-underwriting review not opened",
            extra={"customer_id": tx.customer_id, "transaction_id": tx.id, "month": volume.month},
        )
        return
    log.info(
        "monthly limit crossed",
        extra={
            "customer_id": tx.customer_id,
            "transaction_id": tx.id,
            "case_id": answer["case_id"],
            "opened": answer["opened"],
        },
    )


def decide_transaction(
    deps: TransactionDeps, principal: Principal, tx: Transaction, batch_id: str | None = None
) -> DecidedTransaction:
    """Decide `tx` for the caller's tenant (or answer the decision stored for its id); `batch_id` is the batch
    it came in, recorded with a new decision."""
    tenant_id = principal.tenant_id
    if tx.time > deps.now() + CLOCK_SKEW:
        raise InvalidInput("time is in the future", path="time")
    for attempt in range(MAX_ATTEMPTS):
        if attempt:  # lost to another transaction of the customer: wait a little, a random while, so that
            # transactions arriving together do not collide again in step (up to 10, 20, 40 ms... 250 ms)
            wait = min(MAX_BACKOFF, 0.005 * 2**attempt)
            time.sleep(random.uniform(0, wait))  # noqa: S311 - spreads retries, no secret
        rule_set = pin_monitoring_rule_set(deps, tenant_id)
        try:
            return _decide(deps, tenant_id, tx, rule_set, batch_id)
        except ConcurrentUpdate:
            # The id is already recorded (a repeat: answered with what is stored), or the history moved: again.
            stored = deps.transactions.get(tenant_id, tx.id)
            if stored is not None:
                if deps.transactions.uncounted(
                    tenant_id, tx.id
                ):  # an earlier attempt was cut between its writes
                    _count_stored(deps, stored, _needs(deps, tenant_id, stored.rule_set))
                return _replay(stored, tx)
    raise ConcurrentUpdate(
        f"customer {tx.customer_id}'s history kept changing while transaction {tx.id} was decided; retry it",
        transaction_id=tx.id,
    )


def get_transaction(deps: TransactionDeps, principal: Principal, transaction_id: str) -> DecidedTransaction:
    """A decided transaction of the caller's tenant, or NotFound."""
    found = deps.transactions.get(principal.tenant_id, transaction_id)
    if found is None:
        raise NotFound(f"transaction {transaction_id} not found", transaction_id=transaction_id)
    return found
