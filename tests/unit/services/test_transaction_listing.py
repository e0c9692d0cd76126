"""Listing decided transactions on fakes: newest first, a customer's or the tenant's over a range, pages, a kept
subset, and the bounds a list refuses past (naming the parameter)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arbiter.domain.errors import BadRequest
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Transaction
from arbiter.services import transaction_listing
from arbiter.services.transaction_listing import list_transactions
from arbiter.services.transactions import decide_transaction
from tests.unit.transaction_fakes import MonitoringDeps

KEY = Principal(kind="integrator", tenant_id="acme", id="key_1")
OTHER = Principal(kind="integrator", tenant_id="globex", id="key_2")


@pytest.fixture
def deps() -> MonitoringDeps:
    deps = MonitoringDeps()
    for n in range(8):
        tx = Transaction(
            id=f"tx-{n}",
            customer_id="alpha" if n % 2 else "beta",
            amount=Decimal(100 + n),
            currency="EUR",
            direction="outbound",
            type="transfer",
            time=deps.clock - dt.timedelta(hours=8 - n),
        )
        decide_transaction(deps, KEY, tx)
    return deps


def ids(found: list) -> list[str]:
    return [d.transaction.id for d in found]


def test_a_customers_transactions_newest_first_by_pages_within_the_range(deps):
    listed = list_transactions(deps, KEY, customer_id="alpha", start=None, end=None, offset=0, limit=10)
    assert ids(listed) == ["tx-7", "tx-5", "tx-3", "tx-1"]
    page = list_transactions(deps, KEY, customer_id="alpha", start=None, end=None, offset=1, limit=2)
    assert ids(page) == ["tx-5", "tx-3"]
    start, end = (
        deps.clock - dt.timedelta(hours=5),
        deps.clock - dt.timedelta(hours=3),
    )  # tx-3 and tx-5, included
    assert ids(
        list_transactions(deps, KEY, customer_id="alpha", start=start, end=end, offset=0, limit=10)
    ) == [
        "tx-5",
        "tx-3",
    ]
    assert list_transactions(deps, OTHER, customer_id="alpha", start=None, end=None, offset=0, limit=10) == []


def test_the_tenants_transactions_newest_first_and_a_kept_subset(deps):
    listed = list_transactions(deps, KEY, customer_id=None, start=None, end=None, offset=0, limit=3)
    assert ids(listed) == ["tx-7", "tx-6", "tx-5"]
    large = list_transactions(
        deps,
        KEY,
        customer_id=None,
        start=None,
        end=None,
        offset=0,
        limit=2,
        keep=lambda d: d.transaction.amount > 104,
    )
    assert ids(large) == ["tx-7", "tx-6"]
    assert list_transactions(deps, OTHER, customer_id=None, start=None, end=None, offset=0, limit=3) == []


def test_a_range_holding_more_than_a_list_reads_is_refused_naming_its_start(deps, monkeypatch):
    monkeypatch.setattr(transaction_listing, "MAX_RANGE", 7)
    with pytest.raises(BadRequest) as refused:
        list_transactions(deps, KEY, customer_id=None, start=None, end=None, offset=0, limit=1)
    assert refused.value.context["path"] == "startDate"
    # A narrower range, or one customer, is listed.
    start = deps.clock - dt.timedelta(hours=4)
    assert len(list_transactions(deps, KEY, customer_id=None, start=start, end=None, offset=0, limit=10)) == 4
    assert (
        len(list_transactions(deps, KEY, customer_id="beta", start=None, end=None, offset=0, limit=10)) == 4
    )


@pytest.mark.parametrize(
    ("start", "end", "offset", "path"),
    [
        (dt.datetime(2026, 12, 2, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC), 0, "startDate"),
        (None, None, transaction_listing.MAX_LISTED, "page[number]"),
    ],
    ids=["start-after-end", "past-the-furthest"],
)
def test_a_list_it_cannot_give_is_refused_naming_the_parameter(deps, start, end, offset, path):
    with pytest.raises(BadRequest) as refused:
        list_transactions(deps, KEY, customer_id="alpha", start=start, end=end, offset=offset, limit=1)
    assert refused.value.context["path"] == path


def test_the_tenants_list_covers_a_years_days_at_most_a_customers_any_range(deps):
    start = deps.clock - dt.timedelta(days=367)
    with pytest.raises(BadRequest) as refused:
        list_transactions(deps, KEY, customer_id=None, start=start, end=None, offset=0, limit=10)
    assert refused.value.context["path"] == "startDate"
    assert (
        len(list_transactions(deps, KEY, customer_id="alpha", start=start, end=None, offset=0, limit=10)) == 4
    )
    # Before 2000 there is nothing: such a start is read from 2000 on.
    old = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
    assert (
        len(list_transactions(deps, KEY, customer_id="alpha", start=old, end=None, offset=0, limit=10)) == 4
    )
