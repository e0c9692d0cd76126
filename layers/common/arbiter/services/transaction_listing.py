"""Use case of reading decided transactions back as a list, newest first: one customer's (its own index, read up to
the page asked for), or the tenant's of a time range (the day index the backtests read, bounded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from arbiter.domain.errors import BadRequest
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import EARLIEST_TIME, MAX_DAY_RANGE, DecidedTransaction

__all__ = ["MAX_LISTED", "MAX_RANGE", "TENANT_RANGE", "ListingDeps", "TransactionReads", "list_transactions"]

#: The furthest a list reaches (page number times page size): a page costs what it reads up to it.
MAX_LISTED = 10_000
#: The most transactions a tenant-wide list reads over its range (a longer one is refused: narrow it).
MAX_RANGE = 2_000
#: A tenant-wide list without a start covers this long before its end.
TENANT_RANGE = dt.timedelta(days=30)


class TransactionReads(Protocol):
    def customer_transactions(
        self,
        tenant_id: str,
        customer_id: str,
        since: dt.datetime,
        limit: int,
        until: dt.datetime | None = None,
    ) -> list[DecidedTransaction]:
        """The customer's transactions of [since, until] (`until` None: no end), newest first, at most `limit`."""

    def transactions_between(
        self, tenant_id: str, start: dt.datetime, end: dt.datetime, limit: int
    ) -> list[DecidedTransaction]:
        """The tenant's transactions of [start, end), oldest first, at most `limit`."""


class ListingDeps(Protocol):
    @property
    def transactions(self) -> TransactionReads: ...
    def now(self) -> dt.datetime:
        """The current time, aware."""


def list_transactions(
    deps: ListingDeps,
    principal: Principal,
    *,
    customer_id: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    offset: int,
    limit: int,
    keep: Callable[[DecidedTransaction], bool] | None = None,
) -> list[DecidedTransaction]:
    """Transactions of the caller's tenant whose time is in [start, end] (end None: now), newest first, from
    `offset`, at most `limit`: the customer's when `customer_id` is given, else the tenant's (start None: the
    `TENANT_RANGE` before the end, at most `MAX_RANGE` of them). With `keep`, only those it keeps (read up to
    `MAX_LISTED`, then kept). BadRequest naming the parameter for a range or a page it cannot list: the tenant's
    are read day after day, over `MAX_DAY_RANGE` at most."""
    end = end or deps.now()
    if start is not None and start > end:
        raise BadRequest("startDate is after endDate", path="startDate")
    if customer_id is None and start is not None and end - max(start, EARLIEST_TIME) > MAX_DAY_RANGE:
        raise BadRequest(
            f"a list without counterpartyId covers at most {MAX_DAY_RANGE.days} days: narrow the range (startDate, "
            "endDate) or name the customer (counterpartyId)",
            path="startDate",
        )
    if offset + limit > MAX_LISTED:
        raise BadRequest(
            f"a list reaches {MAX_LISTED:,} transactions at most (page number times page size)",
            path="page[number]",
        )
    tenant_id = principal.tenant_id
    wanted = MAX_LISTED if keep is not None else offset + limit
    if customer_id is not None:
        found = deps.transactions.customer_transactions(
            tenant_id, customer_id, max(start or EARLIEST_TIME, EARLIEST_TIME), wanted, until=end
        )
    else:
        first = max(start or end - TENANT_RANGE, EARLIEST_TIME)
        found = deps.transactions.transactions_between(
            tenant_id, first, end + dt.timedelta(microseconds=1), MAX_RANGE + 1
        )
        if len(found) > MAX_RANGE:
            raise BadRequest(
                f"more than {MAX_RANGE:,} transactions between {first.isoformat()} and {end.isoformat()}: narrow the "
                "range (startDate, endDate) or name the customer (counterpartyId)",
                path="startDate",
            )
        found.reverse()
    if keep is not None:
        found = [decided for decided in found if keep(decided)]
    return found[offset : offset + limit]
