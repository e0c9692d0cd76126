"""Cases, their audit trail, their outbox events and their check results in DynamoDB.

Every change is one TransactWriteItems: the case (conditional on its version), the new audit entries (each
conditional on not existing: append-only), the events to publish (the outbox the stream publisher reads), the
workflow continuations and the per-state counters. Either all of it is stored or none.

What it costs decides two shapes (a transaction bills each item twice, per started KB):
- A change's audit entries are one item (`audit_put`): an entry alone as its canonical JSON (`data`), several
  (an automatic decision records the assessment and the decision, an owner's case stored decided its creation
  too) as their canonical JSON lines compressed together with the case bodies' preset dictionary (`entries`),
  their links as the first sequence number (`seq`) and their hashes end to end (`hash`, 32 bytes each). The
  change's events ride on that item (compressed, attribute `event`: one envelope, or the list of them: always for
  several entries, for a lone entry when they still fit one KB), and the stream publisher reads them there; only the
  events beyond a lone entry's first that do not fit get items of their own (`EVENT#…`). Items of one entry each,
  as stored before, read and verify as they did. The change's workflow continuations ride on the item too when it
  still fits one KB (`continuations`), else get items of their own (`CONT#…`).
- Search terms are written outside the transaction: the new ones before it, the dropped ones after it. Neither
  can mislead a search: a term left behind by a write that failed half-way only names a case the search then
  reads and checks against the case's own terms (`CaseQuery.matches`), so a missing case or a stale term is
  dropped there.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import random
import threading
import weakref
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.check_results import check_items, is_check_item, stored_results
from arbiter.adapters.dynamodb.items import RIDING_LIMIT, from_item, item_size, to_item
from arbiter.adapters.dynamodb.packing import pack, unpack
from arbiter.domain.audit_chain import (
    Anchor,
    AuditChain,
    ChainHead,
    ChainLink,
    StoredAuditEntry,
    canonical,
    extend,
)
from arbiter.domain.case import AuditEntry, Case, CaseState, Change, Continuation
from arbiter.domain.errors import (
    ConcurrentUpdate,
    Conflict,
    InvalidInput,
    NotFound,
    TooLarge,
    TransientError,
)
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.search import search_terms
from arbiter.services.ports import CaseDetail, CaseQuery, Page

__all__ = [
    "DynamoCaseRepository",
    "audit_change_put",
    "audit_day",
    "audit_entries",
    "audit_put",
    "chain_head_of",
    "chain_head_values",
]

EVENT_RETENTION = dt.timedelta(days=30)  # outbox items stay a while as the case's event log
MAX_QUERY_ROUNDS = 8  # bound the reads one page may cost when filters drop items
_INDEX_KEYS = {
    "ByStatus": ("status_pk", "status_sk"),
    "ByAssignee": ("assignee_pk", "assignee_sk"),
    "ByWorkflow": ("workflow_pk", "workflow_sk"),
    "ByEntity": ("entity_pk", "entity_sk"),
    "ByTenant": ("tenant_pk", "tenant_sk"),
}


_Loaded = tuple[str | None, set[str], ChainHead | None, str | None, bool]
#: The counter of cases whose proposed decision awaits a second reviewer, beside the per-state ones.
PENDING_COUNTER = "pending_second_review"

#: Partitions of the ByAuditDay index per day, so that one day's first changes do not all land on one partition.
AUDIT_DAY_SHARDS = 16


def audit_day(tenant_id: str, case_id: str, day: str) -> str:
    """The ByAuditDay partition a case whose chain moved on `day` (YYYY-MM-DD) is listed under."""
    digest = hashlib.sha256(keys.case_pk(tenant_id, case_id).encode()).digest()
    return f"{day}#{digest[0] % AUDIT_DAY_SHARDS:02d}"


def chain_head_of(item: dict[str, Any]) -> ChainHead | None:
    """The chain head a case item carries (None: the case's entries are all older than the chain)."""
    raw = item.get("chain_head")
    raw = getattr(raw, "value", raw)
    entries = item.get("chain_len")
    if not isinstance(raw, bytes | bytearray) or not isinstance(entries, int) or isinstance(entries, bool):
        return None  # none yet, or changed into what this code never writes: the verifier says so
    return ChainHead(hash=bytes(raw).hex(), entries=entries)


def chain_head_values(head: ChainHead) -> dict[str, Any]:
    """The case item's attributes for `head` (the hash stored as 32 bytes: writes are billed per KB)."""
    return {"chain_head": bytes.fromhex(head.hash), "chain_len": head.entries}


class _LoadedCases:
    """What the store last read or wrote for each case object it handed out: its state, search terms and audit
    chain head (with the day it last moved), so a save moves the per-state counters, rewrites only the search terms
    that changed and extends the chain from the head it read. Kept here, beside the objects rather than on them
    (the domain knows nothing of counters, terms or heads), and forgotten with them."""

    def __init__(self) -> None:
        self._by_object: dict[int, _Loaded] = {}
        self._lock = threading.Lock()

    def remember(
        self, case: Case, state: str, terms: set[str], head: ChainHead | None, day: str | None
    ) -> None:
        key = id(case)
        with self._lock:
            if key not in self._by_object:
                weakref.finalize(case, self._forget, key)
            self._by_object[key] = (state, terms, head, day, case.proposal is not None)

    def recall(self, case: Case) -> _Loaded:
        with self._lock:
            return self._by_object.get(id(case), (None, set(), None, None, False))

    def _forget(self, key: int) -> None:
        with self._lock:
            self._by_object.pop(key, None)


_loaded = _LoadedCases()


def _pending_delta(was_pending: bool, case: Case) -> dict[str, int]:
    """The pending-second-review counter's move when a case gains or loses its proposal (nothing otherwise)."""
    pending = case.proposal is not None
    return {} if pending == was_pending else {PENDING_COUNTER: 1 if pending else -1}


def audit_put(
    table: str,
    tenant_id: str,
    case_id: str,
    entry: AuditEntry,
    chain_link: ChainLink,
    event: ArbiterEvent | None = None,
) -> dict[str, Any]:
    """The transaction item that appends one audit entry to a case (conditional on not existing: append-only),
    at its place in the case's chain, carrying `event` for the stream publisher when the change has one to
    publish. `data` is the entry's canonical JSON, the bytes its hash covers."""
    item: dict[str, Any] = {
        "pk": keys.case_pk(tenant_id, case_id),
        "sk": f"{keys.AUDIT_PREFIX}{keys.timestamp(entry.at)}#{entry.id}",
        "data": canonical(entry.model_dump(mode="json")).decode(),
        "seq": chain_link.seq,
        "hash": bytes.fromhex(chain_link.hash),
    }
    if event is not None:
        item["detail_type"] = event.type
        item["event"] = zlib.compress(json.dumps(event.envelope(), separators=(",", ":")).encode(), 6)
    return {
        "Put": {"TableName": table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(sk)"}
    }


def audit_change_put(
    table: str,
    tenant_id: str,
    case_id: str,
    entries: list[AuditEntry],
    links: list[ChainLink],
    events: list[ArbiterEvent],
) -> dict[str, Any]:
    """The transaction item that appends a change's several audit entries to a case as one item (conditional on
    not existing: append-only), keyed by the first entry, with all the change's events for the stream publisher.
    A transaction bills each item twice per started KB: an item per entry cost two write units each, where the
    change's entries and events packed together fit one KB."""
    first = entries[0]
    item: dict[str, Any] = {
        "pk": keys.case_pk(tenant_id, case_id),
        "sk": f"{keys.AUDIT_PREFIX}{keys.timestamp(first.at)}#{first.id}",
        # Canonical JSON holds no raw newline (JSON escapes it in strings): the lines are the bytes each hash covers.
        "entries": pack(b"\n".join(canonical(entry.model_dump(mode="json")) for entry in entries)),
        "seq": links[0].seq,
        "hash": b"".join(bytes.fromhex(link.hash) for link in links),
    }
    if events:
        item["detail_type"] = events[0].type
        item["event"] = pack(json.dumps([e.envelope() for e in events], separators=(",", ":")).encode())
    return {
        "Put": {"TableName": table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(sk)"}
    }


def _carry_events(audit_item: dict[str, Any], events: list[ArbiterEvent]) -> bool:
    """Put all the change's events on a lone entry's audit item (`event`: their JSON list, packed) instead of its
    first alone, if the item still fits one KB: each event beyond the first otherwise gets an outbox item of its own,
    two write units in the transaction. False (the item unchanged) when they do not fit."""
    packed = pack(json.dumps([e.envelope() for e in events], separators=(",", ":")).encode())
    if item_size({**audit_item, "event": {"B": packed}}) > RIDING_LIMIT:
        return False
    audit_item["event"] = {"B": packed}
    return True


def _ride(audit_item: dict[str, Any], continuations: list[Continuation]) -> bool:
    """Put the change's workflow continuations on its audit item (`continuations`: their JSON list, packed), for
    the stream to hand to ContinueWorkflowsFunction, if the item still fits one KB: an item of their own costs two
    write units in the transaction. False (the item unchanged) when they do not fit: they get items of their own."""
    packed = pack(
        json.dumps([c.model_dump(mode="json") for c in continuations], separators=(",", ":")).encode()
    )
    riding = {**audit_item, "continuations": {"B": packed}}
    if item_size(riding) > RIDING_LIMIT:
        return False
    audit_item["continuations"] = {"B": packed}
    return True


def audit_entries(item: dict[str, Any]) -> list[AuditEntry]:
    """The audit entries an audit item holds: one (`data`), or a change's several (`entries`)."""
    if "entries" not in item:
        return [AuditEntry.model_validate_json(item["data"])]
    return [AuditEntry.model_validate_json(line) for line in _entry_lines(item)]


def _entry_lines(item: dict[str, Any]) -> list[bytes]:
    raw = item["entries"]
    return unpack(bytes(getattr(raw, "value", raw))).split(b"\n")


class DynamoCaseRepository:
    """Implements `arbiter.services.ports.CaseRepository`."""

    def __init__(
        self, client: Any, table_name: str, *, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self._client = client
        self._table = table_name
        #: What day a chain moved on (ByAuditDay); None: the system clock.
        self._clock = clock

    # ------------------------------------------------------------------ writes
    def add(self, case: Case, change: Change) -> None:
        """Store a new case; Conflict if the id exists."""
        case.version = 1
        terms = search_terms(case)
        links, head, day = self._chain(case, change, None, None)
        operations = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(self._case_item(case, terms, head, day)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *self._history(case, change, links),
            self._count(case.tenant_id, {case.state.value: 1, **_pending_delta(False, case)}),
        ]
        self._write_terms(case, put=terms)
        self._transact(operations, case)
        _loaded.remember(case, case.state.value, terms, head, day)

    def save(self, case: Case, change: Change, *, expected_version: int) -> None:
        """Store the case if nobody else changed it since it was read (its version and its chain head); else
        Conflict."""
        previous_state, old_terms, old_head, old_day, was_pending = _loaded.recall(case)
        terms = search_terms(case)
        links, head, day = self._chain(case, change, old_head, old_day)
        case.version = expected_version + 1
        expected: dict[str, Any] = {":expected": expected_version}
        # The head is part of the condition: a clearance appends to the chain without changing the version, and a
        # case object this store did not read has no head to extend. Either way, no fork: a lost race.
        if old_head is None:
            condition = "version = :expected AND attribute_not_exists(chain_len)"
        else:
            condition = "version = :expected AND chain_len = :chain_len"
            expected[":chain_len"] = old_head.entries
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(self._case_item(case, terms, head, day)),
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_item(expected),
                }
            },
            *self._history(case, change, links),
        ]
        if previous_state is not None:
            deltas = _pending_delta(was_pending, case)
            if previous_state != case.state.value:
                deltas.update({previous_state: -1, case.state.value: 1})
            if deltas:
                operations.append(self._count(case.tenant_id, deltas))
        self._write_terms(case, put=terms - old_terms)
        try:
            self._transact(operations, case)
        except Conflict:
            case.version = expected_version
            raise
        _loaded.remember(case, case.state.value, terms, head, day)
        self._write_terms(case, delete=old_terms - terms)

    def _chain(
        self, case: Case, change: Change, head: ChainHead | None, day: str | None
    ) -> tuple[list[ChainLink], ChainHead | None, str | None]:
        """The links of the change's audit entries after `head`, the head after them and the day it moved."""
        links = extend(head, case.tenant_id, case.id, [e.model_dump(mode="json") for e in change.audit])
        if not links:
            return links, head, day
        today = (self._clock() if self._clock else dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
        return links, ChainHead(hash=links[-1].hash, entries=links[-1].seq + 1), today.isoformat()

    def claim_run(self, tenant_id: str, case_id: str, run: int, execution: str) -> bool:
        """A conditional put of the run's claim (one write unit, expiring with the outbox): Express executions are
        not idempotent by name, so a start continuation delivered twice can start two runs of the same number."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": keys.case_pk(tenant_id, case_id),
                        "sk": f"{keys.RUN_PREFIX}{run:06d}",
                        "execution": execution,
                        "expires_at": int((dt.datetime.now(dt.UTC) + EVENT_RETENTION).timestamp()),
                    }
                ),
                ConditionExpression="attribute_not_exists(sk) OR execution = :execution",
                ExpressionAttributeValues=to_item({":execution": execution}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def save_checks(
        self, tenant_id: str, case_id: str, results: dict[str, dict[str, Any]], *, replace: bool = False
    ) -> None:
        """Store check results (one item for a lone result, one packed item for several: `check_results.py`); a
        check's newer result replaces its previous one. `replace`: every result stored before is dropped."""
        pk = keys.case_pk(tenant_id, case_id)
        items = check_items(pk, results)
        stale: list[dict[str, Any]] = []
        if replace:
            written = {item["sk"] for item in items}
            stale = [
                {"DeleteRequest": {"Key": to_item({"pk": pk, "sk": item["sk"]})}}
                for item in self._query_all(
                    KeyConditionExpression="pk = :pk AND begins_with(sk, :check)",
                    ExpressionAttributeValues=to_item({":pk": pk, ":check": "CHECK"}),
                    ProjectionExpression="sk",
                    ConsistentRead=True,
                )
                if is_check_item(item["sk"]) and item["sk"] not in written
            ]
        self._batch_write(
            case_id, [{"PutRequest": {"Item": to_item(item)}} for item in items], "check results"
        )
        self._batch_write(case_id, stale, "check results")

    def _write_terms(self, case: Case, *, put: Iterable[str] = (), delete: Iterable[str] = ()) -> None:
        pk = keys.search_pk(case.tenant_id)
        self._batch_write(
            case.id,
            [
                *(
                    {
                        "PutRequest": {
                            "Item": to_item({"pk": pk, "sk": f"{term}#{case.id}", "case_id": case.id})
                        }
                    }
                    for term in sorted(put)
                ),
                *(
                    {"DeleteRequest": {"Key": to_item({"pk": pk, "sk": f"{term}#{case.id}"})}}
                    for term in sorted(delete)
                ),
            ],
            "search terms",
        )

    def _batch_write(
        self, case_id: str, requests: list[dict[str, Any]], what: str = "the case's items"
    ) -> None:
        """BatchWriteItem in chunks of 25, unprocessed items sent again; TransientError if some never are."""
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            for _ in range(5):
                response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
            if pending:
                raise TransientError(f"{what} could not all be stored; the step will retry", case_id=case_id)

    def _transact(self, operations: list[dict[str, Any]], case: Case) -> None:
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            error = exc.response["Error"]
            if "Item size" in str(error.get("Message", "")):  # ValidationException: over DynamoDB's 400 KB
                raise TooLarge(
                    "the case is too large to store (its data, compressed, is over DynamoDB's 400 KB per item): "
                    "send less metadata or context, or large files as documents",
                    case_id=case.id,
                ) from exc
            if error["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise ConcurrentUpdate(
                    "the case was changed by someone else; reload it and try again",
                    case_id=case.id,
                ) from exc
            if "ConditionalCheckFailed" in reasons:  # the only other conditions: audit entries, append-only
                raise Conflict("an audit entry of this change is already stored", case_id=case.id) from exc
            if "TransactionConflict" in reasons:
                raise ConcurrentUpdate(
                    "the case is being changed right now; try again", case_id=case.id
                ) from exc
            raise

    def _case_item(
        self, case: Case, terms: set[str], head: ChainHead | None, day: str | None
    ) -> dict[str, Any]:
        t = case.tenant_id
        created = keys.timestamp(case.created_at)
        state = case.state.value
        item: dict[str, Any] = {
            "pk": keys.case_pk(t, case.id),
            "sk": keys.CASE_SK,
            "version": case.version,
            "state": state,
            "risk_level": case.risk.level if case.risk else None,
            # Compressed with a dictionary of the shapes cases share (writes are billed per KB; see packing.py), its
            # runs' times as milliseconds after each run's first (AutomationRun, `stored`); not named `data`:
            # ByTenant and ByEntity project `data` (other items' JSON), never a case's.
            "body": pack(case.model_dump_json(context={"stored": True}).encode()),
            "status_pk": keys.status_pk(t, state),
            "status_sk": f"{created}#{case.id}",
            "workflow_pk": keys.workflow_pk(t, case.workflow_id),
            # Without the state: a decision then leaves the entry where it is (two write units a move). Entries
            # stored before (`{state}#{created}#{case}`) sort after these and are still read, and filtered, with them.
            "workflow_sk": f"{created}#{case.id}",
            "tenant_pk": keys.tenant_index_pk(t, "CASE"),
            "tenant_sk": f"{created}#{case.id}",
        }
        if case.assignee:
            item["assignee_pk"] = keys.assignee_pk(t, case.assignee.id)
            item["assignee_sk"] = f"{state}#{created}#{case.id}"
        if case.entity.id:
            item["entity_pk"] = keys.entity_pk(t, case.entity.id)
            item["entity_sk"] = f"{case.workflow_id}#{created}#{case.id}"
        if head is not None:
            item.update(chain_head_values(head))
        if day is not None:
            # ByAuditDay (keys only): the key moves on a case's first change of a day only, so the daily digest
            # finds the day's heads with a Query, for one index write per case and day.
            item["audit_day"] = audit_day(t, case.id, day)
        return item

    def _history(self, case: Case, change: Change, links: list[ChainLink]) -> list[dict[str, Any]]:
        pk = keys.case_pk(case.tenant_id, case.id)
        operations: list[dict[str, Any]] = []
        riding: list[ArbiterEvent] = []
        audit_item: dict[str, Any] | None = None  # the change's audit item, which what fits one KB rides on
        if len(change.audit) == 1:
            # One entry: its own item, with the change's first event, or all of them if they fit.
            riding = list(change.events[:1])
            put = audit_put(
                self._table, case.tenant_id, case.id, change.audit[0], links[0], next(iter(riding), None)
            )
            audit_item = put["Put"]["Item"]
            if len(change.events) > 1 and _carry_events(audit_item, list(change.events)):
                riding = list(change.events)
            operations.append(put)
        elif change.audit:  # several: one item, with all the change's events
            riding = list(change.events)
            put = audit_change_put(self._table, case.tenant_id, case.id, list(change.audit), links, riding)
            audit_item = put["Put"]["Item"]
            operations.append(put)
        expires = int((dt.datetime.now(dt.UTC) + EVENT_RETENTION).timestamp())
        for event in change.events[len(riding) :]:
            operations.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": pk,
                                "sk": f"{keys.EVENT_PREFIX}{keys.timestamp(event.time)}#{event.id}",
                                "detail_type": event.type,
                                "data": json.dumps(event.envelope()),
                                "expires_at": expires,
                            }
                        ),
                    }
                }
            )
        continuations = list(change.continuations)
        if continuations and audit_item is not None and _ride(audit_item, continuations):
            continuations = []
        for continuation in continuations:
            operations.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": pk,
                                "sk": f"{keys.CONTINUATION_PREFIX}{keys.timestamp(continuation.at)}#{continuation.id}",
                                "kind": continuation.kind,
                                "data": continuation.model_dump_json(),
                                "expires_at": expires,
                            }
                        ),
                    }
                }
            )
        operations += self._monitoring(case, change)
        return operations

    def _monitoring(self, case: Case, change: Change) -> list[dict[str, Any]]:
        """The entity's record in the monitored index, written or removed with the change. A record written
        again (the entity approved anew) keeps its `enabled` switch: a reviewer's "off" stays off."""
        operations: list[dict[str, Any]] = []
        pk = keys.monitored_pk(case.tenant_id)
        if change.monitored is not None:
            record = change.monitored
            operations.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"pk": pk, "sk": record.key}),
                        "UpdateExpression": "SET #d = :d, case_id = :c, enabled = if_not_exists(enabled, :on)",
                        "ExpressionAttributeNames": {"#d": "data"},
                        "ExpressionAttributeValues": to_item(
                            {
                                ":d": record.model_dump_json(exclude={"enabled", "tenant_id", "key"}),
                                ":c": record.case_id,
                                ":on": True,
                            }
                        ),
                    }
                }
            )
        if change.unmonitored is not None:
            operations.append(
                {"Delete": {"TableName": self._table, "Key": to_item({"pk": pk, "sk": change.unmonitored})}}
            )
        return operations

    def _count(self, tenant_id: str, deltas: dict[str, int]) -> dict[str, Any]:
        # Counters are sharded so that busy tenants' transactions rarely collide on one item.
        names = {f"#s{i}": state for i, state in enumerate(deltas)}
        values = {f":d{i}": delta for i, delta in enumerate(deltas.values())}
        expression = "ADD " + ", ".join(f"#s{i} :d{i}" for i in range(len(deltas)))
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item(
                    {
                        "pk": keys.counters_pk(tenant_id),
                        "sk": f"SHARD#{random.randrange(keys.COUNTER_SHARDS)}",  # noqa: S311 - spreads writes
                    }
                ),
                "UpdateExpression": expression,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
            }
        }

    # ------------------------------------------------------------------ reads
    def get(self, tenant_id: str, case_id: str) -> Case:
        """The case, or NotFound."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.case_pk(tenant_id, case_id), "sk": keys.CASE_SK}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise NotFound(f"case {case_id} not found", case_id=case_id)
        return self._case(from_item(response["Item"]))

    def detail(self, tenant_id: str, case_id: str) -> CaseDetail:
        """Everything stored under the case's partition, in one paginated Query."""
        items = self._query_all(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.case_pk(tenant_id, case_id)}),
            ConsistentRead=True,
        )
        case_item = next((i for i in items if i["sk"] == keys.CASE_SK), None)
        if case_item is None:
            raise NotFound(f"case {case_id} not found", case_id=case_id)
        detail = CaseDetail(case=self._case(case_item), checks=stored_results(items))
        for item in items:
            if item["sk"].startswith(keys.AUDIT_PREFIX):
                detail.audit += audit_entries(item)
        if detail.case.child_case_ids:
            detail.children = self.find_by_ids(tenant_id, detail.case.child_case_ids)
        return detail

    def audit_chain(self, tenant_id: str, case_id: str) -> AuditChain:
        """The case's audit entries as stored (with their links), its chain head and its latest anchor, in one
        Query of the keys from `ANCHOR` to `CASE` (the audit entries sort between them), without the events the
        entries carry."""
        items = self._query_all(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :case",
            ExpressionAttributeValues=to_item(
                {":pk": keys.case_pk(tenant_id, case_id), ":first": keys.ANCHOR_SK, ":case": keys.CASE_SK}
            ),
            ProjectionExpression="sk, #data, entries, seq, #hash, chain_head, chain_len, anchor",
            ExpressionAttributeNames={"#data": "data", "#hash": "hash"},
            ConsistentRead=True,
        )
        case_item = next((i for i in items if i["sk"] == keys.CASE_SK), None)
        if case_item is None:
            raise NotFound(f"case {case_id} not found", case_id=case_id)
        anchor_item = next((i for i in items if i["sk"] == keys.ANCHOR_SK), None)
        return AuditChain(
            tenant_id=tenant_id,
            case_id=case_id,
            records=[r for i in items if i["sk"].startswith(keys.AUDIT_PREFIX) for r in _stored_entries(i)],
            head=chain_head_of(case_item),
            anchor=Anchor.model_validate_json(anchor_item["anchor"]) if anchor_item else None,
        )

    def find_by_ids(self, tenant_id: str, case_ids: list[str]) -> list[Case]:
        """BatchGetItem in chunks of 100; order follows `case_ids`."""
        found: dict[str, Case] = {}
        unique = list(dict.fromkeys(case_ids))
        for start in range(0, len(unique), 100):
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [
                        to_item({"pk": keys.case_pk(tenant_id, cid), "sk": keys.CASE_SK})
                        for cid in unique[start : start + 100]
                    ]
                }
            }
            for _ in range(5):
                response = self._client.batch_get_item(RequestItems=pending)
                for item in response["Responses"].get(self._table, []):
                    case = self._case(from_item(item))
                    found[case.id] = case
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
        return [found[cid] for cid in unique if cid in found]

    def counts(self, tenant_id: str) -> dict[str, int]:
        """Sum of the counter shards, every state present (0 when none)."""
        totals = {state.value: 0 for state in CaseState}
        for item in self._counter_shards(tenant_id):
            for state in totals:
                totals[state] += int(item.get(state, 0))
        return totals

    def pending_second_review(self, tenant_id: str) -> int:
        """Sum of the counter shards of cases whose proposed decision awaits a second reviewer."""
        return sum(int(item.get(PENDING_COUNTER, 0)) for item in self._counter_shards(tenant_id))

    def _counter_shards(self, tenant_id: str) -> list[dict[str, Any]]:
        return list(
            self._query_all(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_item({":pk": keys.counters_pk(tenant_id)}),
            )
        )

    def query(self, query: CaseQuery) -> Page[Case]:
        """One page of cases matching `query`, through the index that narrows it most.

        The indexes hold only keys of cases (see template.yaml): each page of keys is read in full with
        BatchGetItem and the query's other filters are applied to the cases themselves, so a case whose index
        entry is behind (indexes are eventually consistent) is never listed under a state it has left."""
        if query.search:
            return self._search(query)
        index, key_condition, values = self._plan(query)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": not query.newest_first,
        }
        partition_attr = _INDEX_KEYS[index][0]
        start_key = self._decode_cursor(query.cursor, index, partition_attr, values[":p"])
        cases: list[Case] = []
        last_key: dict[str, Any] | None = None
        for _ in range(MAX_QUERY_ROUNDS):
            if start_key:
                request["ExclusiveStartKey"] = start_key
            request["Limit"] = max(query.limit - len(cases), 1) * 2
            response = self._client.query(**request)
            entries = [from_item(raw) for raw in response.get("Items", [])]
            found = {c.id: c for c in self.find_by_ids(query.tenant_id, [_case_id(e) for e in entries])}
            for entry in entries:
                case = found.get(_case_id(entry))
                if case is not None and query.matches(case):
                    cases.append(case)
                    if len(cases) == query.limit:
                        last_key = self._key_of(entry, index)
                        break
            if len(cases) == query.limit:
                break
            start_key = response.get("LastEvaluatedKey")
            last_key = from_item(start_key) if start_key else None
            if not start_key:
                break
        return Page(items=cases, cursor=self._encode_cursor(index, last_key) if last_key else None)

    def query_page(self, query: CaseQuery, number: int) -> list[Case]:
        """Page `number` (from 1) of `query.limit` cases in creation order, filtered by state only.

        What it costs does not grow with walking pages: the first `number * limit` keys are read from the index
        (one partition per state asked, or the tenant's; a keys-only Query returns thousands of keys per call),
        merged in creation order, and the page's keys are read in one BatchGetItem. A case whose index entry is
        behind (it has just left the state) is not listed, so such a page may be one short.
        """
        if not query.by_state_only:
            raise ValueError("numbered pages filter by state only; use query() and its cursor for the rest")
        if number < 1:
            raise ValueError("pages are numbered from 1")
        wanted = number * query.limit
        if query.states:
            partitions = [("ByStatus", keys.status_pk(query.tenant_id, s.value)) for s in query.states]
        else:
            partitions = [("ByTenant", keys.tenant_index_pk(query.tenant_id, "CASE"))]
        entries: dict[str, str] = {}  # case id -> sort key; a case moving between states may be in two
        for index, partition in partitions:
            for sort_key, case_id in self._index_keys(index, partition, wanted, query.newest_first):
                entries.setdefault(case_id, sort_key)
        ordered = sorted(entries, key=lambda cid: entries[cid], reverse=query.newest_first)
        page = ordered[(number - 1) * query.limit : wanted]
        return [c for c in self.find_by_ids(query.tenant_id, page) if query.matches(c)]

    def _index_keys(
        self, index: str, partition: str, wanted: int, newest_first: bool
    ) -> list[tuple[str, str]]:
        """The first `wanted` (sort key, case id) of one index partition, in its order."""
        partition_attr, sort_attr = _INDEX_KEYS[index]
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#p = :p",
            "ProjectionExpression": "pk, #s",
            "ExpressionAttributeNames": {"#p": partition_attr, "#s": sort_attr},
            "ExpressionAttributeValues": to_item({":p": partition}),
            "ScanIndexForward": not newest_first,
        }
        found: list[tuple[str, str]] = []
        while len(found) < wanted:
            request["Limit"] = wanted - len(found)
            response = self._client.query(**request)
            found += [(e[sort_attr], _case_id(e)) for e in map(from_item, response.get("Items", []))]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found

    def _plan(self, q: CaseQuery) -> tuple[str, str, dict[str, Any]]:
        """Index and key condition: assignee, then workflow, then entity, then state, then the whole tenant."""
        t = q.tenant_id
        one_state = q.states[0].value if len(q.states) == 1 else None
        if q.assignee and q.assignee != "unassigned":
            condition, values = "assignee_pk = :p", {":p": keys.assignee_pk(t, q.assignee)}
            if one_state:
                condition += " AND begins_with(assignee_sk, :s)"
                values[":s"] = f"{one_state}#"
            return "ByAssignee", condition, values
        if q.workflow_id:  # its cases of one state are filtered, not sought: the key has no state
            return "ByWorkflow", "workflow_pk = :p", {":p": keys.workflow_pk(t, q.workflow_id)}
        if q.entity_id:
            return "ByEntity", "entity_pk = :p", {":p": keys.entity_pk(t, q.entity_id)}
        if one_state:
            condition, values = "status_pk = :p", {":p": keys.status_pk(t, one_state)}
            condition, values = _date_range(condition, "status_sk", values, q)
            return "ByStatus", condition, values
        condition, values = "tenant_pk = :p", {":p": keys.tenant_index_pk(t, "CASE")}
        condition, values = _date_range(condition, "tenant_sk", values, q)
        return "ByTenant", condition, values

    def _search(self, q: CaseQuery) -> Page[Case]:
        """Prefix look-up of the folded query's first word (and exact look-ups of a case id or an entity id),
        then the other filters on the cases found."""
        prefix = q.search_prefix or ""
        items = self._query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": keys.search_pk(q.tenant_id), ":prefix": prefix}),
            max_items=200,
        )
        ids = [*self._exact_ids(q.tenant_id, (q.search or "").strip()), *(i["case_id"] for i in items)]
        cases = [c for c in self.find_by_ids(q.tenant_id, list(dict.fromkeys(ids))) if q.matches(c)]
        cases.sort(key=lambda c: c.created_at, reverse=q.newest_first)
        return Page(items=cases[: q.limit], cursor=None)

    def _exact_ids(self, tenant_id: str, text: str) -> list[str]:
        """The case whose id, or the cases whose entity id, is exactly `text`."""
        if not text or " " in text:
            return []
        entries = self._query_all(
            IndexName="ByEntity",
            KeyConditionExpression="entity_pk = :p",
            ExpressionAttributeValues=to_item({":p": keys.entity_pk(tenant_id, text)}),
            max_items=50,
        )
        return [text, *(_case_id(e) for e in entries if "#CASE#" in e["pk"])]

    def _query_all(self, max_items: int | None = None, **request: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self._client.query(TableName=self._table, **request)
            items += [from_item(i) for i in response.get("Items", [])]
            if max_items and len(items) >= max_items:
                return items[:max_items]
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    @staticmethod
    def _case(item: dict[str, Any]) -> Case:
        body = item.get("body")
        raw = unpack(bytes(getattr(body, "value", body))) if body is not None else item["data"]
        case = Case.model_validate_json(raw)
        case.version = int(item["version"])
        day = str(item["audit_day"]).split("#", 1)[0] if "audit_day" in item else None
        # The terms the case is listed under, to rewrite only those a save changes: computed from the case
        # rather than kept on its item (writes are billed per KB); items stored before still carry them.
        stored = item.get("search_terms")
        terms = set(stored) if stored is not None else search_terms(case)
        _loaded.remember(case, item["state"], terms, chain_head_of(item), day)
        return case

    @staticmethod
    def _key_of(item: dict[str, Any], index: str) -> dict[str, Any]:
        partition, sort = _INDEX_KEYS[index]
        return {"pk": item["pk"], "sk": item["sk"], partition: item[partition], sort: item[sort]}

    @staticmethod
    def _encode_cursor(index: str, key: dict[str, Any]) -> str:
        raw = json.dumps({"i": index, "k": key}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode_cursor(
        cursor: str | None, index: str, partition_attr: str, partition: str
    ) -> dict[str, Any] | None:
        if not cursor:
            return None
        key: Any = None
        try:
            decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            key = decoded["k"]
            valid = decoded["i"] == index and key[partition_attr] == partition
        except (ValueError, KeyError, TypeError, binascii.Error):
            valid = False
        if not valid:
            raise InvalidInput(
                "the cursor does not belong to this query; start again without it", path="cursor"
            )
        return to_item(key)


def _stored_entries(item: dict[str, Any]) -> list[StoredAuditEntry]:
    """The entries of an audit item as the verifier reads them: one item of one entry, or a change's several, each
    with its link (the item's first sequence number plus its place, its 32 bytes of the hashes). An item changed
    into something this code never writes (entries that do not unpack, hashes of the wrong length) still reads, as
    entries that cannot verify."""
    if "entries" not in item:
        return [_stored_entry(item)]
    try:
        lines = _entry_lines(item)
    except (TypeError, ValueError, zlib.error):
        lines = [b"not what the store writes"]
    seq = item.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        seq = None
    raw_hash = item.get("hash")
    raw_hash = getattr(raw_hash, "value", raw_hash)
    hashes = bytes(raw_hash) if isinstance(raw_hash, bytes | bytearray) else b""
    whole = len(hashes) == 32 * len(lines)
    return [
        StoredAuditEntry(
            content=_content(line),
            seq=None if seq is None else seq + place,
            hash=hashes[32 * place : 32 * (place + 1)].hex() if whole else "",
        )
        for place, line in enumerate(lines)
    ]


def _content(raw: Any) -> dict[str, Any]:
    """An entry's JSON object, or what stands for one that is not (it then matches no hash)."""
    try:
        content = json.loads(raw)
    except (TypeError, ValueError):
        content = None
    return content if isinstance(content, dict) else {"unreadable": str(raw)}


def _stored_entry(item: dict[str, Any]) -> StoredAuditEntry:
    """An audit item as the verifier reads it. An item changed into something this code never writes (data that is
    not a JSON object, a link of the wrong type) is still read, as content or a link that cannot verify: the
    verifier reports it rather than failing."""
    content = _content(item.get("data"))
    raw_hash = item.get("hash")
    raw_hash = getattr(raw_hash, "value", raw_hash)
    if raw_hash is None:
        stored_hash = None
    elif isinstance(raw_hash, bytes | bytearray):
        stored_hash = bytes(raw_hash).hex()
    else:
        stored_hash = ""  # not what this code writes: matches no hash
    seq = item.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        seq = None  # with a hash: a link half removed, reported as edited
    return StoredAuditEntry(content=content, seq=seq, hash=stored_hash)


def _date_range(
    condition: str, sort_attr: str, values: dict[str, Any], q: CaseQuery
) -> tuple[str, dict[str, Any]]:
    if q.created_from and q.created_to:
        values[":from"], values[":to"] = keys.timestamp(q.created_from), keys.timestamp(q.created_to) + "~"
        return f"{condition} AND {sort_attr} BETWEEN :from AND :to", values
    if q.created_from:
        values[":from"] = keys.timestamp(q.created_from)
        return f"{condition} AND {sort_attr} >= :from", values
    if q.created_to:
        values[":to"] = keys.timestamp(q.created_to) + "~"
        return f"{condition} AND {sort_attr} <= :to", values
    return condition, values


def _case_id(entry: dict[str, Any]) -> str:
    """The case an index entry is for (its table key: `TENANT#{t}#CASE#{case}`)."""
    return str(entry["pk"]).rsplit("#CASE#", 1)[1]
