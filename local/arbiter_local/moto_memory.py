"""What moto keeps in memory, bounded to what the local stack still reads.

- moto records every model object it ever creates (`BaseModel.instances_tracked`, for its dashboard): every
  version of every DynamoDB item, every stream record, every S3 object, every table copy. Nothing ever leaves
  those lists, so a long-running stack grows with every write. Here they hold their objects weakly: the
  dashboard still lists what is alive, and what moto no longer uses is freed.
- `TransactWriteItems` in moto backs up every table it touches by deep-copying the whole table, then rolls
  back by putting the copy in the table's place. That costs a copy of the table per transaction (quadratic
  over a soak, under the lock that serialises DynamoDB here, so requests queue behind it). Here the backup is
  the touched items only (at most 100, as DynamoDB allows), restored in place when the transaction fails.
- A transaction's stream records are held back until it commits, and dropped when it is cancelled (moto would
  otherwise hand a cancelled transaction's writes to the stream's Lambda mappings as it applies them).
- moto's Step Functions interpreter appends every thread it starts to a module-level list it never reads
  (`TMP_THREADS`): three per execution, kept after they end. Here the list keeps the running ones.

What stays is what the API reads: items, live executions, and every execution's history (a decided case's view
still shows the path its workflow took; about 30 KB per finished execution).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from moto.core.common_models import BaseModel
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard, Table

__all__ = ["MotoMemory"]

# Set while a transaction runs with moto's own whole-table backup (when the touched items cannot be named).
_whole_table_backup: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "whole_table_backup", default=False
)
#: The stream records of the transaction running in this thread, held back until it commits. moto applies a
#: transaction's writes one by one, goes on past a failed condition, and rolls back at the end; but each write's
#: stream record invokes the table's Lambda mappings at once, so a cancelled transaction (a reviewer's decision that
#: lost its race, say) would have its audit entries' events published, with the case still as it was. DynamoDB
#: writes a stream record only for what a transaction committed.
_held_stream: contextvars.ContextVar[list[tuple[Any, Any, Any]] | None] = contextvars.ContextVar(
    "held_stream", default=None
)


class _Ref(weakref.ref[Any]):
    """A weak reference that knows its key (one callback for all: no closure per tracked object)."""

    __slots__ = ("key",)
    key: int


class _LiveInstances:
    """A model's `instances_tracked` (moto only appends to it and iterates it), holding its instances weakly.
    Keyed by identity: some models define `__eq__` without `__hash__`."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._refs: dict[int, _Ref] = {}
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        with contextlib.suppress(TypeError):  # a model that cannot be weakly referenced is not tracked
            ref = _Ref(instance, self._forget)
            ref.key = id(instance)
            self._refs[ref.key] = ref

    def _forget(self, ref: _Ref) -> None:
        if self._refs.get(ref.key) is ref:
            del self._refs[ref.key]

    def __iter__(self) -> Iterator[Any]:
        for ref in list(self._refs.values()):
            instance = ref()
            if instance is not None:
                yield instance

    def __len__(self) -> int:
        return len(self._refs)


def _tracked_weakly(cls: type, *args: Any, **kwargs: Any) -> Any:
    instance: Any = object.__new__(cls)
    tracked = cls.instances_tracked  # type: ignore[attr-defined]  # set on every model class by moto
    if not isinstance(tracked, _LiveInstances):
        # A class created since the last call, or after moto reset its lists: from now on, weakly.
        tracked = _LiveInstances(tracked)
        cls.instances_tracked = tracked  # type: ignore[attr-defined]
    tracked.append(instance)
    return instance


class _TablesByReference:
    """`copy` as moto's DynamoDB backend uses it, where deep-copying a table (its transaction backup) returns
    the table itself: the items a transaction touches are backed up by `_item_backup` instead."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table) and not _whole_table_backup.get():
            return value
        return copy.deepcopy(value, memo)


_Saved = tuple[Table, Any, Any, Any]  # table, hash key, range key, the item before (None: absent)


def _touched_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[_Saved]:
    """A copy of every item the transaction may write, as it is now."""
    saved: list[_Saved] = []
    for entry in transact_items:
        ((kind, op),) = entry.items()
        table = backend.get_table(op["TableName"])
        if kind == "Put":
            names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
            key = {name: op["Item"][name] for name in names}
        else:
            key = op["Key"]
        hash_key, range_key = backend.get_keys_value(table, key)
        saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _restore(saved: list[_Saved]) -> None:
    """Put the touched items back as they were (no stream record: nothing was committed)."""
    for table, hash_key, range_key, item in reversed(saved):
        if range_key is not None:
            if item is None:
                table.items[hash_key].pop(range_key, None)
                if not table.items[hash_key]:
                    del table.items[hash_key]
            else:
                table.items[hash_key][range_key] = item
        elif item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item


def _held_back(add: Callable[..., Any]) -> Callable[..., Any]:
    """`StreamShard.add`, holding the record back while a transaction runs in this thread."""

    def held_add(shard: Any, old: Any, new: Any) -> None:
        held = _held_stream.get()
        if held is None:
            add(shard, old, new)
        else:
            held.append((shard, old, new))

    held_add.__wrapped__ = add  # type: ignore[attr-defined]
    return held_add


def _committed(run: Callable[[], Any]) -> Any:
    """Run a transaction with its stream records held back; add them once it committed, drop them if not."""
    held: list[tuple[Any, Any, Any]] = []
    token = _held_stream.set(held)
    try:
        result = run()
    finally:
        _held_stream.reset(token)
    for shard, old, new in held:
        shard.add(old, new)
    return result


def _item_backup(method: Callable[..., Any]) -> Callable[..., Any]:
    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
        try:
            saved = _touched_items(backend, transact_items)
        except Exception:  # a malformed request: moto's own path (and its whole-table backup) answers it
            token = _whole_table_backup.set(True)
            try:
                return _committed(lambda: method(backend, transact_items))
            finally:
                _whole_table_backup.reset(token)

        def run() -> Any:
            try:
                return method(backend, transact_items)
            except BaseException:
                _restore(saved)
                raise

        return _committed(run)

    transact_write_items.__wrapped__ = method  # type: ignore[attr-defined]
    return transact_write_items


class _RunningThreads(list[Any]):
    """moto's `TMP_THREADS`: appended to, never read; here it drops the threads that have ended."""

    def append(self, thread: Any) -> None:
        self[:] = [t for t in self if t.is_alive()]
        super().append(thread)


def _bound_interpreter_threads() -> None:
    from moto.stepfunctions.parser import utils

    old = utils.TMP_THREADS
    if isinstance(old, _RunningThreads):
        return
    running = _RunningThreads(t for t in old if t.is_alive())
    utils.TMP_THREADS = running
    # The modules that imported the list by name hold it too; those imported later get the new one.
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.") and getattr(module, "TMP_THREADS", None) is old:
            module.TMP_THREADS = running  # type: ignore[attr-defined]


class MotoMemory:
    """Installs the bounds; `uninstall` restores moto."""

    def __init__(self) -> None:
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        """Weak instance tracking, per-item transaction backups, only running interpreter threads listed. Call before DynamoDB serialisation
        wraps `transact_write_items`, so the backup is taken under the same lock as the writes."""
        if self._saved:
            return
        self._saved = {
            "new": BaseModel.__dict__["__new__"],
            "copy": dynamodb_models.copy,
            "transact": DynamoDBBackend.transact_write_items,
            "stream": StreamShard.add,
        }
        BaseModel.__new__ = staticmethod(_tracked_weakly)  # type: ignore[method-assign]
        dynamodb_models.copy = _TablesByReference()  # type: ignore[assignment]  # moto's module `copy`, replaced
        DynamoDBBackend.transact_write_items = _item_backup(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign]
        StreamShard.add = _held_back(StreamShard.add)  # type: ignore[method-assign]
        _bound_interpreter_threads()  # for the life of the process: nothing reads the list

    def uninstall(self) -> None:
        """Put moto's own behaviour back (instances already tracked stay weakly tracked)."""
        if not self._saved:
            return
        BaseModel.__new__ = self._saved["new"]  # type: ignore[method-assign]
        dynamodb_models.copy = self._saved["copy"]
        DynamoDBBackend.transact_write_items = self._saved["transact"]  # type: ignore[method-assign]
        StreamShard.add = self._saved["stream"]  # type: ignore[method-assign]
        self._saved = {}
