"""Batches on fakes: checked whole before anything is queued, one message per transaction in order, ordering
groups per customer, deduplication per batch and id, the consumer deciding them idempotently with the single path,
and the batch's status counted once per transaction however often its message is delivered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from arbiter.domain.errors import InvalidInput, NotFound, TransientError
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import MAX_BATCH_TRANSACTIONS, QueuedTransaction, Transaction
from arbiter.services.transaction_batches import (
    MAX_RECEIVES,
    accept_batch,
    decide_queued,
    get_batch_status,
    note_undecided,
    record_decided,
)
from arbiter.services.transactions import decide_transaction
from tests.unit.transaction_fakes import MonitoringDeps

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
T0 = NOW - dt.timedelta(hours=1)
KEY = Principal(kind="integrator", tenant_id="acme", id="key_1")


@pytest.fixture
def deps() -> MonitoringDeps:
    return MonitoringDeps()


def tx(number: int | str, customer: str = "cust-1", amount: str = "100", **fields: Any) -> Transaction:
    values: dict[str, Any] = {
        "id": f"tx-{number}",
        "customer_id": customer,
        "amount": Decimal(amount),
        "currency": "EUR",
        "direction": "outbound",
        "type": "transfer",
        "time": T0 + dt.timedelta(minutes=int(number) if str(number).isdigit() else 0),
        **fields,
    }
    return Transaction(**values)


def decide(deps: MonitoringDeps, *messages: Any) -> list[Any]:
    """As the scoring function does with the messages of one invocation: decide each, then list them."""
    decided = [decide_queued(deps, message.model_dump_json()) for message in messages]
    record_decided(deps, [d for d in decided if d is not None])
    return decided


def drain(deps: MonitoringDeps) -> list[Any]:
    return decide(deps, *deps.transaction_queue.receive())


def test_a_batch_is_queued_whole_in_order_then_decided(deps):
    batch = [tx(n, customer=f"cust-{n % 3}") for n in range(30)]
    accepted = accept_batch(deps, KEY, batch)
    assert accepted.accepted == 30
    assert accepted.batch_id.startswith("batch_")
    queued = deps.transaction_queue.messages
    assert [m.transaction for m in queued] == batch
    assert {m.batch_id for m in queued} == {accepted.batch_id}
    assert {m.tenant_id for m in queued} == {"acme"}
    assert deps.transactions.transactions == {}  # nothing decided before the queue is read
    decided = drain(deps)
    assert [d.transaction.id for d in decided] == [t.id for t in batch]
    for customer in ("cust-0", "cust-1", "cust-2"):
        stored = [d for d in deps.transactions.transactions.values() if d.transaction.customer_id == customer]
        assert len(stored) == 10


def test_one_customer_is_one_ordering_group_and_one_id_one_deduplication_id():
    first = QueuedTransaction(tenant_id="acme", batch_id="b1", transaction=tx(1))
    same_customer = QueuedTransaction(tenant_id="acme", batch_id="b2", transaction=tx(2))
    other_customer = QueuedTransaction(tenant_id="acme", batch_id="b1", transaction=tx(3, customer="cust-9"))
    other_tenant = QueuedTransaction(tenant_id="globex", batch_id="b1", transaction=tx(1))
    assert first.group == same_customer.group != other_customer.group
    assert first.group != other_tenant.group
    assert first.deduplication_id != same_customer.deduplication_id
    assert first.deduplication_id != other_tenant.deduplication_id
    # The same id in another batch is another message: that batch's status must see it answered.
    again = QueuedTransaction(tenant_id="acme", batch_id="b2", transaction=tx(1))
    assert again.deduplication_id != first.deduplication_id
    assert QueuedTransaction(tenant_id="acme", batch_id="b1", transaction=tx(1)).deduplication_id == (
        first.deduplication_id
    )
    # SQS: ids of at most 128 characters from a narrow alphabet, whatever the integrator's ids hold.
    odd = QueuedTransaction(tenant_id="acme", batch_id="b", transaction=tx("é/" * 60, customer="ü " * 100))
    for value in (odd.group, odd.deduplication_id):
        assert len(value) <= 128
        assert value.isalnum()


@pytest.mark.parametrize(
    ("batch", "path"),
    [
        ([], "transactions"),
        ([tx(n) for n in range(MAX_BATCH_TRANSACTIONS + 1)], "transactions"),
        ([tx(1), tx(2), tx(3, time=NOW + dt.timedelta(hours=1))], "transactions[2].time"),
        ([tx(1), tx(2), tx(3), tx(2, amount="5")], "transactions[3].id"),
    ],
    ids=["empty", "over-1000", "future-time", "duplicate-id"],
)
def test_a_batch_with_one_bad_item_is_refused_naming_it_and_nothing_is_queued(deps, batch, path):
    with pytest.raises(InvalidInput) as refused:
        accept_batch(deps, KEY, batch)
    assert refused.value.path == path
    assert deps.transaction_queue.messages == []


def test_items_repeating_an_earlier_id_are_left_out_and_named_when_the_caller_answers_them(deps):
    repeats: dict[int, int] = {}
    batch = [tx(1), tx(2), tx(1, amount="5"), tx(3), tx(2)]
    accepted = accept_batch(deps, KEY, batch, repeats)
    assert repeats == {2: 0, 4: 1}
    assert accepted.accepted == 3
    assert [m.transaction for m in deps.transaction_queue.messages] == [batch[0], batch[1], batch[3]]
    assert [d.transaction.id for d in drain(deps)] == ["tx-1", "tx-2", "tx-3"]
    assert get_batch_status(deps, KEY, accepted.batch_id).done


def test_a_bad_item_after_a_repeat_is_named_by_its_place_in_the_request(deps):
    repeats: dict[int, int] = {}
    with pytest.raises(InvalidInput) as refused:
        accept_batch(deps, KEY, [tx(1), tx(1), tx(3, time=NOW + dt.timedelta(hours=1))], repeats)
    assert refused.value.path == "transactions[2].time"
    assert deps.transaction_queue.messages == []


def test_a_queue_that_refuses_the_batch_is_an_error_for_the_caller_and_leaves_no_batch(deps):
    deps.transaction_queue.refuse = True
    with pytest.raises(TransientError):
        accept_batch(deps, KEY, [tx(1)])
    assert deps.transaction_batches.batches == {}


def test_the_same_id_in_a_batch_and_alone_is_one_transaction_counted_once(deps):
    alone = decide_transaction(deps, KEY, tx(1, amount="9800"))
    first = accept_batch(deps, KEY, [tx(1, amount="9800"), tx(2)])
    second = accept_batch(deps, KEY, [tx(2)])  # sent again while queued: another batch's message
    assert len(deps.transaction_queue.messages) == 3
    decided = drain(deps)
    assert decided[0] == alone
    assert decided[2] == decided[1]
    assert decide_transaction(deps, KEY, tx(2)) == decided[1]
    assert len(deps.transactions.transactions) == 2
    customer = deps.transactions.history("acme", tx(3)).customer
    assert customer is not None
    assert customer.count == 2
    # Each batch's status counts each of its transactions, the ones decided before it as repeats.
    status = get_batch_status(deps, KEY, first.batch_id)
    assert (status.scored, status.repeats, status.failed, status.done) == (2, 1, 0, True)
    status = get_batch_status(deps, KEY, second.batch_id)
    assert (status.scored, status.repeats, status.failed, status.done) == (1, 1, 0, True)


def test_a_queued_transaction_that_conflicts_with_a_decided_one_is_a_failure_of_its_batch_not_retried(deps):
    decide_transaction(deps, KEY, tx(1, amount="100"))
    accepted = accept_batch(deps, KEY, [tx(1, amount="200"), tx(2)])
    assert drain(deps)[0] is None  # acknowledged: retrying could never decide it
    stored = deps.transactions.get("acme", "tx-1")
    assert stored is not None
    assert stored.transaction.amount == Decimal("100")
    status = get_batch_status(deps, KEY, accepted.batch_id)
    assert (status.scored, status.failed, status.done) == (1, 1, True)
    assert status.failures[0].transaction_id == "tx-1"
    assert "amount" in status.failures[0].reason


def test_a_batch_status_counts_redelivered_messages_once(deps):
    # cust-big's 25,000 EUR transfers trip the large-amount scenario: the first opens an alert, the next join it.
    batch = [tx(n, customer="cust-big", amount="25000") for n in range(3)] + [tx(n) for n in range(3, 8)]
    accepted = accept_batch(deps, KEY, batch)
    messages = deps.transaction_queue.receive()
    half = decide(deps, *messages[:4])
    status = get_batch_status(deps, KEY, accepted.batch_id)
    assert (status.accepted, status.scored, status.done) == (8, 4, False)
    # The queue delivers at least once: everything again (the first four a second time), then all once more.
    for _ in range(2):
        decide(deps, *messages)
    status = get_batch_status(deps, KEY, accepted.batch_id)
    assert (status.scored, status.repeats, status.failed, status.done) == (8, 0, 0, True)
    assert sum(status.decisions.values()) == 8
    big = [d for d in half if d is not None and d.transaction.customer_id == "cust-big"]
    assert {d.decision for d in big} <= {"review", "block"}
    assert status.decisions["allow"] == 5
    assert status.alerts_opened == 1  # one open alert per customer and scenario: the others joined it
    assert len(deps.transactions.alerts) == 1


def test_an_invocation_whose_lists_cannot_be_written_fails_and_its_messages_are_listed_when_delivered_again(
    deps, monkeypatch
):
    # The scoring function lists what it decided once all of it is done, before the queue lets the messages go:
    # when that write fails, the invocation fails and the queue delivers every message of it again.
    batch = [tx(n, customer=f"cust-{n % 2}") for n in range(4)]
    accepted = accept_batch(deps, KEY, batch)
    messages = deps.transaction_queue.receive()
    put_decided = deps.transaction_batches.put_decided
    failing = iter([True])

    def once_unavailable(*args: Any) -> None:
        if next(failing, False):
            raise TransientError("the table is throttling", batch_id=accepted.batch_id)
        put_decided(*args)

    monkeypatch.setattr(deps.transaction_batches, "put_decided", once_unavailable)
    with pytest.raises(TransientError):
        decide(deps, *messages)
    first = {d.transaction.id: d for d in deps.transactions.transactions.values()}
    assert sorted(first) == [t.id for t in batch]  # decided and stored, not yet listed under their batch
    status = get_batch_status(deps, KEY, accepted.batch_id)
    assert (status.scored, status.done) == (0, False)
    again = decide(deps, *messages)  # delivered again: answered as stored, then listed
    assert [d.decided_at for d in again] == [first[t.id].decided_at for t in batch]  # not decided twice
    assert len(deps.transactions.transactions) == 4
    for customer in ("cust-0", "cust-1"):  # each counted once in its customer's history
        seen = deps.transactions.history("acme", tx("probe", customer=customer)).customer
        assert seen is not None
        assert seen.count == 2
    status = get_batch_status(deps, KEY, accepted.batch_id)
    assert (status.scored, status.repeats, status.failed, status.done) == (4, 0, 0, True)
    assert {
        ("acme", t.id) for t in batch
    } <= deps.transactions.listed_by_day  # and under their days, for backtests


def test_another_tenants_batch_is_not_found(deps):
    accepted = accept_batch(deps, KEY, [tx(1)])
    other = Principal(kind="integrator", tenant_id="globex", id="key_2")
    with pytest.raises(NotFound):
        get_batch_status(deps, other, accepted.batch_id)
    with pytest.raises(NotFound):
        get_batch_status(deps, KEY, "batch_unknown")


def test_a_message_that_is_not_a_queued_transaction_raises(deps):
    with pytest.raises(ValidationError):
        decide_queued(deps, '{"tenant_id": "acme"}')
    with pytest.raises(ValidationError):
        decide_queued(deps, "not json")
    assert deps.transactions.transactions == {}


def test_a_queued_transaction_is_decided_for_the_tenant_that_sent_it(deps):
    accept_batch(deps, Principal(kind="integrator", tenant_id="globex", id="key_2"), [tx(1)])
    drain(deps)
    assert deps.transactions.get("globex", "tx-1") is not None
    assert deps.transactions.get("acme", "tx-1") is None


def test_a_message_failing_on_its_last_delivery_is_a_named_failure_of_its_batch_until_decided(deps):
    accepted = accept_batch(deps, KEY, [tx(1), tx(2)])
    first, second = deps.transaction_queue.receive()
    decide(deps, second)
    error = TransientError("the history kept changing")
    for receives in range(1, MAX_RECEIVES):
        assert not note_undecided(deps, first.model_dump_json(), error, receives)
    assert not get_batch_status(deps, KEY, accepted.batch_id).done
    assert note_undecided(deps, first.model_dump_json(), error, MAX_RECEIVES)
    assert not note_undecided(deps, "not a queued transaction", error, MAX_RECEIVES)
    status = get_batch_status(deps, KEY, accepted.batch_id)
    assert (status.scored, status.failed, status.done) == (1, 1, True)
    assert "TransientError: the history kept changing" in status.failures[0].reason
    # Sent back from the dead-letter queue and decided: the decision outranks the failure.
    decide(deps, first)
    status = get_batch_status(deps, KEY, accepted.batch_id)
    assert (status.scored, status.failed, status.done) == (2, 0, True)


def test_the_last_delivery_is_the_queues_max_receive_count():
    from arbiter_local.cfn import load_template
    from arbiter_local.stack import PROJECT_ROOT

    queue = load_template(PROJECT_ROOT / "template.yaml").resources["TransactionsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
