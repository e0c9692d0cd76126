"""DynamoDB queries in moto without sorting the whole table each time.

moto's `Table.query` takes its candidates from `Table.all_items()`, which sorts every item of the table, then
filters them by the key condition and sorts what is left. A query on the table's own key thus costs a sort of
the whole table instead of a read of one partition, and a query on an index a sort before its scan. Under the
lock that serialises DynamoDB here, that sort is what every request waits for once a soak has stored a few
thousand cases (tens of seconds per request at about 800 cases). While a query runs, `all_items()` here gives
the query the partition it names (a key query) or the items unsorted (an index query: moto still scans them, as
it has no index structure); the query sorts its own results as before. Scans keep the sorted order their
pagination relies on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from moto.dynamodb.models.table import Table

__all__ = ["MotoQueries"]

# (the table being queried, the partition key value of a key query or None for an index query)
_querying: ContextVar[tuple[Table, Any] | None] = ContextVar("moto_querying", default=None)
_ALL = object()


def _candidates(table: Table, sorted_items: Callable[[Table], list[Any]]) -> list[Any]:
    querying = _querying.get()
    if querying is None or querying[0] is not table:
        return sorted_items(table)
    hash_key = querying[1]
    partitions: Iterable[dict[Any, Any]]
    if hash_key is _ALL:
        partitions = table.items.values()
    else:
        partition = table.items.get(hash_key)  # .get: the table's defaultdict must not grow on a read
        partitions = [] if partition is None else [partition]
    if table.range_key_attr:
        return [item for partition in partitions for item in partition.values()]
    return list(partitions)


class MotoQueries:
    """Installs the query path; `uninstall` restores moto."""

    def __init__(self) -> None:
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        """Queries read their partition (key) or the unsorted items (index)."""
        if self._saved:
            return
        query, all_items = Table.query, Table.all_items
        self._saved = {"query": query, "all_items": all_items}
        signature = inspect.signature(query)

        def candidates(table: Table) -> list[Any]:
            return _candidates(table, all_items)

        def keyed_query(table: Table, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(table, *args, **kwargs)
            hash_key = bound.arguments.get("hash_key")
            by_key = not bound.arguments.get("index_name") and hash_key is not None
            token = _querying.set((table, hash_key if by_key else _ALL))
            try:
                return query(table, *args, **kwargs)
            finally:
                _querying.reset(token)

        keyed_query.__wrapped__ = query  # type: ignore[attr-defined]
        Table.all_items = candidates  # type: ignore[method-assign,assignment]  # same call, a narrower read
        Table.query = keyed_query  # type: ignore[method-assign,assignment]  # wraps moto's own

    def uninstall(self) -> None:
        """Put moto's own query path back."""
        if not self._saved:
            return
        Table.query = self._saved["query"]  # type: ignore[method-assign]
        Table.all_items = self._saved["all_items"]  # type: ignore[method-assign]
        self._saved = {}
