"""An in-memory transaction store with the DynamoDB adapter's rules: an id is recorded once; a profile is written
only over the version read, a party bucket's max and a marker's first/last time must not have moved since they were
read; all or nothing, except a transaction that opens no alert and counts only in its profile, stored first and
counted second (`UncountedTransaction` between); a read returns only the buckets of the ranges `reads_for` names."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arbiter.adapters.dynamodb.profiles import pack_profile, unpack_profile
from arbiter.domain.alert_history import AlertAction, AlertFilters
from arbiter.domain.errors import ConcurrentUpdate, InvalidInput, TransientError, UncountedTransaction
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.monitoring import (
    EVERYTHING,
    RECENT,
    Bucket,
    BucketUpdate,
    Changes,
    Dimension,
    Granularity,
    History,
    Needs,
    Profile,
    Seen,
    counted,
    marked,
    reads_for,
)
from arbiter.domain.transaction_batches import Batch, BatchEntry
from arbiter.domain.transactions import (
    Alert,
    DecidedTransaction,
    QueuedTransaction,
    Transaction,
    counterparty_key,
    stored_json,
)
from arbiter.services.ports import Page
from arbiter.services.rule_sets import CompiledRuleSets
from arbiter.services.transaction_backtest_jobs import BacktestJob, JobStatus
from arbiter.services.transaction_backtests import CustomerNow
from tests.unit.fakes import FakeEngine, InMemoryCases, InMemoryRuleSets
from tests.unit.monitoring_fakes import InMemoryMonitoredEntities

BucketKey = tuple[
    str, str, Dimension, str, Granularity, str
]  # tenant, customer, dimension, key, granularity, start
MarkerKey = tuple[str, str, Dimension, str]


class AlreadyRecorded(ConcurrentUpdate):
    """The id is recorded (the adapter's TransactionExists)."""


@dataclass
class InMemoryTransactions:
    #: (tenant, transaction) -> the decided transaction as the adapter writes it (its JSON), parsed by every read
    #: as the adapter's reads parse it: a store holds bytes, not a decision's objects (bench/monitoring: a heap of
    #: kept decisions was a fifth of its time in the collector's full passes).
    written: dict[tuple[str, str], bytes] = field(default_factory=dict)
    buckets: dict[BucketKey, Bucket] = field(default_factory=dict)
    #: The same buckets by series (tenant, customer, dimension, key, granularity): a read looks at one series, as
    #: the adapter's Query does (bench/monitoring decides thousands of transactions on this store).
    series: dict[tuple[str, str, Dimension, str, Granularity], dict[str, Bucket]] = field(
        default_factory=dict
    )
    #: The counterparties' markers (the profiles hold the customers' and their countries').
    markers: dict[MarkerKey, Seen] = field(default_factory=dict)
    #: (tenant, transaction) -> the profile version it was decided on, when stored in two writes (the `pv`).
    claimed_on: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (tenant, transaction) of batches listed under their days by the scoring (`index_by_day`).
    listed_by_day: set[tuple[str, str]] = field(default_factory=set)
    #: (tenant, customer) -> (version, the packed profile), as the adapter's `PROFILE` item (the profile itself
    #: when not `packs`).
    profiles: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    alerts: dict[tuple[str, str], Alert] = field(default_factory=dict)
    #: (tenant, customer, scenario) -> the open alert's id: the adapter's OPEN_ALERT marker.
    open_alerts: dict[tuple[str, str, str], str] = field(default_factory=dict)
    #: (tenant, alert id) -> its transactions' ids, in the order they came.
    alert_transactions_of: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: (tenant, alert id) -> its history entries, oldest first.
    history_entries: dict[tuple[str, str], list[AlertAction]] = field(default_factory=dict)
    events: list[ArbiterEvent] = field(default_factory=list)
    #: The monitored index (tenant, entity key) -> record, as a case store keeps it: the risk level's source.
    monitored: dict[tuple[str, str], MonitoredEntity] = field(default_factory=dict)
    #: Bucket ranges read, for tests of what a decision reads.
    reads: list[int] = field(default_factory=list)
    #: Reads of party buckets hand out copies, so a caller's changes never reach the store (the adapter parses its
    #: items anew each time). bench/monitoring switches it off: its figures are Arbiter's work, not this store's
    #: copying.
    copies: bool = True
    #: Profiles kept packed, as the adapter keeps them: a decision unpacks and packs its customer's, as a function
    #: does. bench/monitoring also keeps them as they are (the aggregates in memory, as its goal is stated).
    packs: bool = True

    @property
    def transactions(self) -> dict[tuple[str, str], DecidedTransaction]:
        """Every decided transaction, parsed."""
        return {key: self._parsed(key) for key in self.written}

    def get(self, tenant_id: str, transaction_id: str) -> DecidedTransaction | None:
        key = (tenant_id, transaction_id)
        return self._parsed(key) if key in self.written else None

    def _parsed(self, key: tuple[str, str]) -> DecidedTransaction:
        """A decided transaction written, parsed as the adapter's reads parse it."""
        return DecidedTransaction.model_validate_json(self.written[key])

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert | None:
        return self.alerts.get((tenant_id, alert_id))

    def open_alert(self, tenant_id: str, customer_id: str, scenario: str) -> Alert | None:
        alert_id = self.open_alerts.get((tenant_id, customer_id, scenario))
        return self.alerts[(tenant_id, alert_id)].model_copy(deep=True) if alert_id else None

    def update_alert(
        self, alert: Alert, entry: AlertAction, events: list[ArbiterEvent], closing: bool = False
    ) -> None:
        stored = self.alerts.get((alert.tenant_id, alert.id))
        if (
            stored is None
            or stored.revision != alert.revision - 1
            or stored.transaction_count != alert.transaction_count
        ):
            raise ConcurrentUpdate("the alert changed since it was read")
        self.alerts[(alert.tenant_id, alert.id)] = alert
        self.history_entries.setdefault((alert.tenant_id, alert.id), []).append(entry)
        scenario_key = (alert.tenant_id, alert.customer_id, alert.scenario or "")
        if closing and self.open_alerts.get(scenario_key) == alert.id:
            del self.open_alerts[scenario_key]
        self.events += events

    def list_alerts(
        self, tenant_id: str, filters: AlertFilters, cursor: str | None, limit: int
    ) -> Page[Alert]:
        # The index's order: newest first by (created, id); the cursor is the last key returned, this list's only.
        ordered = sorted(
            (a for (t, _), a in self.alerts.items() if t == tenant_id),
            key=lambda a: (a.created_at, a.id),
            reverse=True,
        )
        if cursor is not None:
            prefix = f"{tenant_id}|"
            if not cursor.startswith(prefix):
                raise InvalidInput(
                    "the cursor does not belong to this list; start again without it", path="cursor"
                )
            last = cursor[len(prefix) :]
            keys = [f"{a.created_at.isoformat()}#{a.id}" for a in ordered]
            ordered = ordered[keys.index(last) + 1 :] if last in keys else []
        found = [a for a in ordered if filters.match(a)]
        if len(found) > limit:
            last_alert = found[limit - 1]
            return Page(
                items=found[:limit], cursor=f"{tenant_id}|{last_alert.created_at.isoformat()}#{last_alert.id}"
            )
        return Page(items=found)

    def alert_history(self, tenant_id: str, alert_id: str) -> list[AlertAction]:
        return list(self.history_entries.get((tenant_id, alert_id), []))

    def alert_transactions(self, tenant_id: str, alert_id: str, limit: int) -> list[DecidedTransaction]:
        ids = self.alert_transactions_of.get((tenant_id, alert_id), [])[:limit]
        return [self._parsed((tenant_id, i)) for i in ids]

    def customer_transactions(
        self,
        tenant_id: str,
        customer_id: str,
        since: dt.datetime,
        limit: int,
        until: dt.datetime | None = None,
    ) -> list[DecidedTransaction]:
        mine = [
            d
            for (t, _), d in self.transactions.items()
            if t == tenant_id
            and d.transaction.customer_id == customer_id
            and since <= d.transaction.time <= (until or d.transaction.time)
        ]
        return sorted(mine, key=lambda d: (d.transaction.time, d.transaction.id), reverse=True)[:limit]

    def transactions_between(
        self, tenant_id: str, start: dt.datetime, end: dt.datetime, limit: int
    ) -> list[DecidedTransaction]:
        # As the adapter finds them: a transaction sent alone, or one of a batch once the scoring listed it.
        mine = [
            d
            for (t, i), d in self.transactions.items()
            if t == tenant_id
            and start <= d.transaction.time < end
            and (d.batch_id is None or (t, i) in self.listed_by_day)
        ]
        return sorted(mine, key=lambda d: (d.transaction.time, d.transaction.id))[:limit]

    def index_by_day(self, tenant_id: str, decided: list[DecidedTransaction]) -> None:
        self.listed_by_day.update((tenant_id, d.transaction.id) for d in decided)

    def customer_now(self, tenant_id: str, customer_id: str, before: dt.datetime) -> CustomerNow:
        earlier = [
            d.transaction.time
            for (t, _), d in self.transactions.items()
            if t == tenant_id and d.transaction.customer_id == customer_id and d.transaction.time < before
        ]
        onboarded = self.monitored.get((tenant_id, customer_id))
        markers = {
            (dimension, key): seen
            for (t, customer, dimension, key), seen in self.markers.items()
            if (t, customer) == (tenant_id, customer_id)
        }
        profile = self._stored_profile(tenant_id, customer_id)
        if profile is not None:
            if profile.customer is not None:
                markers[("customer", customer_id)] = profile.customer
            markers.update({("country", code): seen for code, seen in profile.countries.items()})
        return CustomerNow(
            markers=markers,
            risk_level=onboarded.risk_level if onboarded else None,
            last_before=max(earlier, default=None),
        )

    def history(self, tenant_id: str, tx: Transaction, needs: Needs = EVERYTHING) -> History:
        # Stored as the adapter stores it (packed), so a decision pays what it pays in a function to read it.
        history = History(profile=self._stored_profile(tenant_id, tx.customer_id) or Profile())
        ranges = reads_for(tx, needs, customer=False)  # the customer's own: the profile's
        self.reads.append(len(ranges))
        for wanted in ranges:
            series = self.series.get(
                (tenant_id, tx.customer_id, wanted.dimension, wanted.key, wanted.granularity), {}
            )
            history.buckets[(wanted.dimension, wanted.granularity)] = {
                start: copy.deepcopy(bucket) if self.copies else bucket
                for start, bucket in series.items()
                if wanted.first <= start <= wanted.last
            }
        history.profile.read(tx, history)
        onboarded = self.monitored.get((tenant_id, tx.customer_id))
        history.risk_level = onboarded.risk_level if onboarded else None
        if onboarded is not None and onboarded.monthly_limit is not None and onboarded.limit_currency:
            history.monthly_limit = Decimal(str(onboarded.monthly_limit))
            history.limit_currency = onboarded.limit_currency
        party = counterparty_key(tx.counterparty) if needs.counterparty_seen else None
        if party:
            history.counterparty = self.markers.get((tenant_id, tx.customer_id, "counterparty", party))
        return history

    def record(
        self, decided: DecidedTransaction, changes: Changes, alert: Alert | None, events: list[ArbiterEvent]
    ) -> None:
        tenant_id, tx = decided.tenant_id, decided.transaction
        if (tenant_id, tx.id) in self.written:
            raise AlreadyRecorded(f"transaction {tx.id} is already recorded")
        stored = self.profiles.get((tenant_id, tx.customer_id))
        moved = (stored[0] if stored else 0) != changes.version
        if alert is None and not changes.buckets and not changes.markers:
            # The adapter's two writes: the transaction (with the version it was decided on), then the profile.
            self.written[(tenant_id, tx.id)] = stored_json(decided)
            self.claimed_on[(tenant_id, tx.id)] = changes.version
            if moved:
                raise UncountedTransaction("the profile was written since it was read")
            self.count(decided, changes)
            return
        if moved:
            raise ConcurrentUpdate("the profile was written since it was read")
        for update in changes.buckets:
            found = self.buckets.get(self._bucket_key(tenant_id, tx, update))
            totals = found.totals.get(update.currency) if found else None
            if update.raise_max and totals and totals.max is not None and totals.max >= update.amount:
                raise ConcurrentUpdate("a bucket's max moved")
        for marker in changes.markers:
            seen = self.markers.get((tenant_id, tx.customer_id, marker.dimension, marker.key))
            if seen and marker.first and seen.first <= marker.first:
                raise ConcurrentUpdate("a marker's first time moved")
            if seen and marker.last and seen.last >= marker.last:
                raise ConcurrentUpdate("a marker's last time moved")
        if alert is not None:
            scenario_key = (tenant_id, alert.customer_id, alert.scenario or "")
            if alert.transaction_count == 1 and (
                scenario_key in self.open_alerts or (tenant_id, alert.id) in self.alerts
            ):
                raise ConcurrentUpdate("the customer already has an open alert of this scenario")
            if alert.transaction_count > 1:
                stored_alert = self.alerts.get((tenant_id, alert.id))
                if (
                    stored_alert is None
                    or stored_alert.status != "open"
                    or stored_alert.transaction_count != alert.transaction_count - 1
                    or stored_alert.revision != alert.revision
                ):
                    raise ConcurrentUpdate("the alert changed since it was read")
        self.written[(tenant_id, tx.id)] = stored_json(decided)
        self._put_profile(tenant_id, tx.customer_id, changes.profile)
        for update in changes.buckets:
            key = self._bucket_key(tenant_id, tx, update)
            self.buckets[key] = self.series.setdefault(key[:5], {})[update.start] = counted(
                self.buckets.get(key), update
            )
        for marker in changes.markers:
            marker_key: MarkerKey = (tenant_id, tx.customer_id, marker.dimension, marker.key)
            self.markers[marker_key] = marked(self.markers.get(marker_key), marker, tx.time)
        if alert is not None:
            self.alerts[(tenant_id, alert.id)] = alert
            if alert.transaction_count == 1:
                self.open_alerts[(tenant_id, alert.customer_id, alert.scenario or "")] = alert.id
            self.alert_transactions_of.setdefault((tenant_id, alert.id), []).append(tx.id)
            self.events += events

    def count(self, decided: DecidedTransaction, changes: Changes) -> None:
        tenant_id, tx = decided.tenant_id, decided.transaction
        stored = self.profiles.get((tenant_id, tx.customer_id))
        if (stored[0] if stored else 0) != changes.version:
            raise ConcurrentUpdate("the profile was written since it was read")
        self._put_profile(tenant_id, tx.customer_id, changes.profile)

    def uncounted(self, tenant_id: str, transaction_id: str) -> bool:
        claimed_on = self.claimed_on.get((tenant_id, transaction_id))
        if claimed_on is None:
            return False
        customer_id = self._parsed((tenant_id, transaction_id)).transaction.customer_id
        profile = self._stored_profile(tenant_id, customer_id)
        if profile is None:
            return True
        return not profile.counted_recently(transaction_id) and profile.version <= claimed_on + RECENT

    def _stored_profile(self, tenant_id: str, customer_id: str) -> Profile | None:
        stored = self.profiles.get((tenant_id, customer_id))
        if stored is None:
            return None
        if self.packs:
            return unpack_profile(stored[1], stored[0])
        kept = stored[1]  # its series are the ones a decision counts in place (`Changes.profile`)
        return Profile(stored[0], kept.customer, kept.countries, kept.series, kept.recent)

    def _put_profile(self, tenant_id: str, customer_id: str, profile: Profile) -> None:
        """The next version of the profile read (packed, or as it is when not `packs`)."""
        kept = pack_profile(profile) if self.packs else profile
        self.profiles[(tenant_id, customer_id)] = (profile.version + 1, kept)

    @staticmethod
    def _bucket_key(tenant_id: str, tx: Transaction, update: BucketUpdate) -> BucketKey:
        return (tenant_id, tx.customer_id, update.dimension, update.key, update.granularity, update.start)


@dataclass
class InMemoryTransactionQueue:
    """The FIFO queue's rules that matter here: all of a call or nothing (`refuse` makes it fail), a message whose
    deduplication id is already queued is dropped, and `receive` hands out messages in the order sent."""

    messages: list[QueuedTransaction] = field(default_factory=list)
    refuse: bool = False

    def enqueue(self, messages: Sequence[QueuedTransaction]) -> None:
        if self.refuse:
            raise TransientError("the queue did not take the batch")
        queued = {m.deduplication_id for m in self.messages}
        for message in messages:
            if message.deduplication_id not in queued:
                self.messages.append(message)
                queued.add(message.deduplication_id)

    def receive(self) -> list[QueuedTransaction]:
        taken, self.messages = self.messages, []
        return taken


@dataclass
class InMemoryTransactionBatches:
    """Batches, their repeat and failure entries (one per transaction id) and the lists of transactions the
    scoring decided together (one per set of ids)."""

    transactions: InMemoryTransactions
    batches: dict[tuple[str, str], Batch] = field(default_factory=dict)
    stored_entries: dict[tuple[str, str, str], BatchEntry] = field(default_factory=dict)
    decided_lists: dict[tuple[str, str, tuple[str, ...]], list[BatchEntry]] = field(default_factory=dict)

    def create(self, batch: Batch) -> None:
        assert (batch.tenant_id, batch.id) not in self.batches
        self.batches[(batch.tenant_id, batch.id)] = batch

    def delete(self, tenant_id: str, batch_id: str) -> None:
        self.batches.pop((tenant_id, batch_id), None)

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        return self.batches.get((tenant_id, batch_id))

    def put_entry(self, tenant_id: str, batch_id: str, entry: BatchEntry) -> None:
        self.stored_entries[(tenant_id, batch_id, entry.transaction_id)] = entry

    def put_decided(self, tenant_id: str, batch_id: str, entries: list[BatchEntry]) -> None:
        key = tuple(sorted(e.transaction_id for e in entries))
        self.decided_lists[(tenant_id, batch_id, key)] = list(entries)

    def entries(self, tenant_id: str, batch_id: str) -> list[BatchEntry]:
        found = [e for (t, b, _), e in self.stored_entries.items() if (t, b) == (tenant_id, batch_id)]
        for (t, b, _), listed in self.decided_lists.items():
            if (t, b) == (tenant_id, batch_id):
                found += listed
        return found


@dataclass
class InMemoryBacktestJobs:
    """Backtest jobs with the adapter's rules: created once, saved only over the status the writer read."""

    jobs: dict[tuple[str, str], BacktestJob] = field(default_factory=dict)

    def create(self, job: BacktestJob) -> None:
        if (job.tenant_id, job.id) in self.jobs:
            raise ConcurrentUpdate(f"backtest {job.id} exists")
        self.jobs[(job.tenant_id, job.id)] = job.model_copy(deep=True)

    def get(self, tenant_id: str, job_id: str) -> BacktestJob | None:
        found = self.jobs.get((tenant_id, job_id))
        return found.model_copy(deep=True) if found else None

    def save(self, job: BacktestJob, expected: JobStatus) -> bool:
        stored = self.jobs.get((job.tenant_id, job.id))
        if stored is None or stored.status != expected:
            return False
        self.jobs[(job.tenant_id, job.id)] = job.model_copy(deep=True)
        return True

    def delete(self, tenant_id: str, job_id: str) -> None:
        self.jobs.pop((tenant_id, job_id), None)


@dataclass
class MonitoringDeps:
    """The ports of the monitoring use cases, in memory: transactions, rule sets (compiled through the service's
    cache), the batch queue, and a clock tests set."""

    transactions: InMemoryTransactions = field(default_factory=InMemoryTransactions)
    rule_sets: InMemoryRuleSets = field(default_factory=InMemoryRuleSets)
    transaction_queue: InMemoryTransactionQueue = field(default_factory=InMemoryTransactionQueue)
    backtest_jobs: InMemoryBacktestJobs = field(default_factory=InMemoryBacktestJobs)
    engine: FakeEngine = field(default_factory=FakeEngine)
    clock: dt.datetime = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)

    def __post_init__(self) -> None:
        self.compiled_rule_sets = CompiledRuleSets(self.rule_sets)
        self.transaction_batches = InMemoryTransactionBatches(self.transactions)
        self.transaction_history = self.transactions
        #: The monitored index (onboarding case and risk level of approved customers), kept by a case store.
        self.cases = InMemoryCases()
        self.monitored = InMemoryMonitoredEntities(self.cases)
        self.transactions.monitored = self.cases.monitored  # one table: the store reads the same records

    def now(self) -> dt.datetime:
        return self.clock


#: The clock of the alert tests: a Sunday at noon.
ALERT_TESTS_NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def card_payment(number: int, customer: str = "cust-1", minutes: int = 0, **fields: Any) -> Transaction:
    """The customer's payment `number` of 120 EUR, `50 - number - minutes` minutes before ALERT_TESTS_NOW."""
    values: dict[str, Any] = {
        "id": f"{customer}-tx-{number}",
        "customer_id": customer,
        "amount": Decimal("120"),
        "currency": "EUR",
        "direction": "outbound",
        "type": "card",
        "time": ALERT_TESTS_NOW - dt.timedelta(minutes=50 - number - minutes),
        **fields,
    }
    return Transaction(**values)
