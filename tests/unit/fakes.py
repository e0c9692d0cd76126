"""In-memory fakes of the service layer's ports, with the same rules as the real adapters.

Like the DynamoDB repository, the case fake refuses a save whose expected version is stale, so the
services' race handling is tested for real; everything is copied in and out, as a store would.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arbiter.adapters.dynamodb.versions import MAX_CONTENT_BYTES
from arbiter.adapters.workflow_files import BuiltinWorkflowCatalog
from arbiter.domain.audit_chain import (
    Anchor,
    AuditChain,
    ChainHead,
    StoredAuditEntry,
    canonical,
    extend,
)
from arbiter.domain.case import AuditEntry, Case, CaseState, Change, Continuation, RiskAssessment
from arbiter.domain.collection import CollectionLink
from arbiter.domain.collection_mail import OutgoingEmail
from arbiter.domain.document import MAX_PAGE_BYTES
from arbiter.domain.errors import (
    ConcurrentUpdate,
    Conflict,
    InvalidInput,
    InvalidRule,
    NotFound,
    SecretUnreadable,
    TransientError,
    WorkflowRefused,
)
from arbiter.domain.events import ArbiterEvent, CaseEvent
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.screening import Clearance
from arbiter.domain.sealed import SEALED_PREFIX, ballerine_secret_context, seal_once
from arbiter.domain.tenant import ApiKey, Tenant, UsageKey
from arbiter.domain.webhooks import RETRY_SCHEDULE_SECONDS
from arbiter.domain.workflow import WorkflowSummary, WorkflowVersion
from arbiter.egress import AllowList, Resolver, system_resolver
from arbiter.rules.ruleset import RuleSetSummary, RuleSetVersion
from arbiter.services.assessment import Assessor
from arbiter.services.authorization import FailureLimit, VerifiedKeys
from arbiter.services.checks import CheckRunner
from arbiter.services.continuations import carry_out
from arbiter.services.ports import (
    CaseDetail,
    CaseQuery,
    ClearanceStore,
    ExecutionStatus,
    Page,
    RuleSetRepository,
    WorkflowCatalog,
)

STATE_MACHINES = Path(__file__).resolve().parents[2] / "statemachines"


class InMemorySecretBox:
    """A SecretBox with the KMS adapter's rules and no AWS: what it seals holds no plaintext, opens only with the
    context it was sealed with, and refuses anything altered. One key per test process (like one KMS key per stack),
    so every instance opens what another sealed; `sealed` and `opened` count the calls."""

    _KEY = secrets.token_bytes(32)
    _SCHEME = f"{SEALED_PREFIX}fake:"

    def __init__(self) -> None:
        self.sealed = 0
        self.opened = 0

    def seal(self, plaintext: str, context: Mapping[str, str]) -> str:
        self.sealed += 1
        nonce = secrets.token_bytes(16)
        data = plaintext.encode()
        body = bytes(a ^ b for a, b in zip(data, self._stream(nonce, len(data)), strict=True))
        tag = self._tag(nonce, body, context)
        return self._SCHEME + base64.urlsafe_b64encode(nonce + tag + body).decode()

    def open(self, sealed: str, context: Mapping[str, str]) -> str:
        self.opened += 1
        if not sealed.startswith(self._SCHEME):
            raise SecretUnreadable("the value is not a sealed secret")
        raw = base64.urlsafe_b64decode(sealed[len(self._SCHEME) :])
        nonce, tag, body = raw[:16], raw[16:48], raw[48:]
        if not hmac.compare_digest(tag, self._tag(nonce, body, context)):
            raise SecretUnreadable(
                "the secret cannot be opened: sealed for another tenant or purpose, or altered"
            )
        return bytes(a ^ b for a, b in zip(body, self._stream(nonce, len(body)), strict=True)).decode()

    def _stream(self, nonce: bytes, size: int) -> bytes:
        return hashlib.shake_256(self._KEY + nonce).digest(size)

    def _tag(self, nonce: bytes, body: bytes, context: Mapping[str, str]) -> bytes:
        bound = json.dumps(sorted(context.items())).encode()
        return hmac.new(self._KEY, nonce + body + bound, "sha256").digest()


class InMemoryMailer:
    """Keeps the messages sent; set `refuse` to an exception to make every send raise it (SES refusing)."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.refuse: Exception | None = None

    def send(self, message: OutgoingEmail) -> str:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append(message)
        return f"message-{len(self.sent)}"


class InMemoryTenants:
    """Stores tenants as the DynamoDB repository does: a shared secret sealed on every write."""

    def __init__(self, box: Any = None) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.keys: dict[str, ApiKey] = {}
        #: Every read, as ("tenant", id) or ("key", hash): what a request costs in the real table.
        self.reads: list[tuple[str, str]] = []
        self.box = box or InMemorySecretBox()
        #: The webhook store a new tenant's (complete, empty) routes go to, as the table holds both.
        self.webhooks: Any = None

    def _sealed(self, tenant: Tenant) -> Tenant:
        stored = tenant.model_copy(deep=True)
        if stored.settings.webhook_shared_secret:
            stored.settings.webhook_shared_secret = seal_once(
                self.box, stored.settings.webhook_shared_secret, ballerine_secret_context(tenant.id)
            )
        return stored

    def add(self, tenant: Tenant) -> None:
        if tenant.id in self.tenants:
            raise Conflict(f"tenant {tenant.id} already exists")
        self.tenants[tenant.id] = self._sealed(tenant)
        if self.webhooks is not None:
            from arbiter.domain.webhooks import WebhookRoutes

            self.webhooks.keep_routes(tenant.id, WebhookRoutes())

    def update(self, tenant: Tenant) -> None:
        if tenant.id not in self.tenants:
            raise NotFound(f"tenant {tenant.id} not found", tenant_id=tenant.id)
        self.tenants[tenant.id] = self._sealed(tenant)

    def get(self, tenant_id: str) -> Tenant | None:
        self.reads.append(("tenant", tenant_id))
        tenant = self.tenants.get(tenant_id)
        return tenant.model_copy(deep=True) if tenant else None

    def add_api_key(self, key: ApiKey) -> None:
        if key.key_hash in self.keys:
            raise Conflict("this API key is already issued")
        self.keys[key.key_hash] = key.model_copy(deep=True)

    def api_keys(self, tenant_id: str) -> list[ApiKey]:
        return [k.model_copy(deep=True) for k in self.keys.values() if k.tenant_id == tenant_id]

    def revoke_api_key(self, tenant_id: str, key_id: str, at: dt.datetime) -> ApiKey:
        key = next((k for k in self.keys.values() if k.tenant_id == tenant_id and k.key_id == key_id), None)
        if key is None:
            raise NotFound(f"no API key {key_id!r}", key_id=key_id)
        if not key.revoked:
            self.keys[key.key_hash] = key.model_copy(update={"revoked": True, "revoked_at": at})
        return self.keys[key.key_hash].model_copy(deep=True)

    def record_key_use(self, key: ApiKey, day: dt.date) -> None:
        stored = self.keys.get(key.key_hash)
        if stored is not None and (stored.last_used_on is None or stored.last_used_on < day):
            self.keys[key.key_hash] = stored.model_copy(update={"last_used_on": day})

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        self.reads.append(("key", key_hash))
        found = self.keys.get(key_hash)
        return found.model_copy(deep=True) if found else None

    def all(self) -> Iterator[Tenant]:
        for tenant_id in sorted(self.tenants):
            yield self.tenants[tenant_id].model_copy(deep=True)


class InMemoryCollectionLinks:
    """Collection links by their token's hash, as the DynamoDB adapter keeps them."""

    def __init__(self) -> None:
        self.links: dict[str, CollectionLink] = {}
        self.saved: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, link: CollectionLink) -> None:
        if link.token_hash in self.links:
            raise Conflict("this collection token is already issued")
        self.links[link.token_hash] = link

    def update(self, link: CollectionLink) -> None:
        if link.token_hash not in self.links:
            raise NotFound(f"collection link {link.id} not found", link_id=link.id)
        self.links[link.token_hash] = link

    def by_token_hash(self, token_hash: str) -> CollectionLink | None:
        return self.links.get(token_hash)

    def for_case(self, tenant_id: str, case_id: str) -> list[CollectionLink]:
        found = [k for k in self.links.values() if (k.tenant_id, k.case_id) == (tenant_id, case_id)]
        return sorted(found, key=lambda k: (k.created_at, k.id))

    def answers(self, tenant_id: str, case_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.saved.get((tenant_id, case_id), {}))

    def save_answer(
        self, tenant_id: str, case_id: str, step_id: str, data: dict[str, Any], at: dt.datetime
    ) -> None:
        self.saved.setdefault((tenant_id, case_id), {})[step_id] = json.loads(json.dumps(data))

    def erase_answers(self, tenant_id: str, case_id: str) -> None:
        self.saved.pop((tenant_id, case_id), None)


class InMemoryAuthFailures:
    """Failed authentications per (source, window), as the DynamoDB counter keeps them (one item per window)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, dt.datetime], int] = {}
        self.expiries: dict[tuple[str, dt.datetime], dt.datetime] = {}
        #: Every read, in order: what a refused request costs.
        self.reads: list[tuple[str, dt.datetime]] = []

    def count(self, source: str, window: dt.datetime) -> int:
        self.reads.append((source, window))
        return self.counts.get((source, window), 0)

    def record(self, source: str, window: dt.datetime, *, expires_at: dt.datetime) -> int:
        self.counts[(source, window)] = self.counts.get((source, window), 0) + 1
        self.expiries.setdefault((source, window), expires_at)
        return self.counts[(source, window)]


class FakeUsagePlans:
    """Usage plans by tier name, and which tier each API Gateway key is in (a key is in at most one)."""

    def __init__(self, *tiers: str) -> None:
        self.plans: dict[str, set[str]] = {tier: set() for tier in tiers or ("standard", "high-volume")}
        self._ids = itertools.count(1)

    def tiers(self) -> list[str]:
        return sorted(self.plans)

    def _plan(self, tier: str) -> set[str]:
        if tier not in self.plans:
            raise InvalidInput(f"no tier {tier!r}; the tiers are: {', '.join(self.tiers())}", path="tier")
        return self.plans[tier]

    def issue_key(self, tenant_id: str, tier: str) -> UsageKey:
        key = UsageKey(tier=tier, key_id=f"k{next(self._ids)}", value=f"usage-{tenant_id}-{'x' * 20}")
        self._plan(tier).add(key.key_id)
        return key

    def move_key(self, key: UsageKey, tier: str) -> UsageKey:
        target = self._plan(tier)
        for members in self.plans.values():
            members.discard(key.key_id)
        target.add(key.key_id)
        return key.model_copy(update={"tier": tier})

    def tier_of(self, key_id: str) -> str | None:
        return next((tier for tier, members in self.plans.items() if key_id in members), None)


class InMemoryCases:
    """Cases, their audit trail, outbox and check results, with the DynamoDB repository's rules: a stale version is
    a ConcurrentUpdate, an audit entry already stored refuses the whole change, lists come in the order of the index
    the store would query, with cursors that only this list's next page accepts."""

    def __init__(self) -> None:
        self.cases: dict[tuple[str, str], Case] = {}
        self.audit: dict[tuple[str, str], list[AuditEntry]] = {}
        #: Each case's audit entries as stored, with their links (the order appended), its chain head and anchor.
        self.chains: dict[tuple[str, str], list[StoredAuditEntry]] = {}
        self.heads: dict[tuple[str, str], ChainHead] = {}
        self.anchors: dict[tuple[str, str], Anchor] = {}
        #: The chain length each case object handed out was read with (the store's save is conditional on it).
        self._read_heads: dict[int, int | None] = {}
        self.events: list[CaseEvent] = []
        #: The outbox's continuations, in the order they were stored.
        self.continuations: list[Continuation] = []
        #: What the table's stream does with a committed change's continuations (FakeDependencies wires it).
        self.on_commit: Callable[[list[Continuation]], None] | None = None
        self.checks: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        #: Which execution claimed each case's automated run (tenant, case, run number).
        self.runs: dict[tuple[str, str, int], str] = {}
        #: How many numbered pages were read (each a bounded read in the real store, whatever its number).
        self.numbered_reads = 0
        #: The monitored index (same table): written with the approving change, removed with an erasure.
        self.monitored: dict[tuple[str, str], MonitoredEntity] = {}
        #: Held while a save checks its condition and writes, and while a read copies: the store's conditional write
        #: is atomic, and document ingestion saves the pages of one case from several threads.
        self._writing = threading.RLock()

    def _store(self, case: Case) -> None:
        stored = case.model_copy(deep=True)
        self.cases[(case.tenant_id, case.id)] = stored

    def _head_length(self, tenant_id: str, case_id: str) -> int | None:
        head = self.heads.get((tenant_id, case_id))
        return head.entries if head else None

    def _remember_head(self, case: Case) -> None:
        key = id(case)
        if key not in self._read_heads:
            weakref.finalize(case, self._read_heads.pop, key, None)
        self._read_heads[key] = self._head_length(case.tenant_id, case.id)

    def _check_append_only(self, case: Case, change: Change) -> None:
        stored = {entry.id for entry in self.audit.get((case.tenant_id, case.id), [])}
        if any(entry.id in stored for entry in change.audit):
            raise Conflict("an audit entry of this change is already stored", case_id=case.id)

    def add(self, case: Case, change: Change) -> None:
        if (case.tenant_id, case.id) in self.cases:
            raise ConcurrentUpdate(f"case {case.id} exists", case_id=case.id)
        case.version = 1
        self._store(case)
        self.audit[(case.tenant_id, case.id)] = []
        self.append_audit(case.tenant_id, case.id, change.audit)
        self._remember_head(case)
        self.events += change.events
        self._committed(case, change)

    def save(self, case: Case, change: Change, *, expected_version: int) -> None:
        # The condition and the write at once, as the store's transaction (pages are saved from several threads).
        with self._writing:
            stored = self.cases.get((case.tenant_id, case.id))
            # As the store's condition: the version, and the audit chain's head the object was read with (a
            # clearance moves the head without a new version).
            read_head = self._read_heads.get(id(case))
            if (
                stored is None
                or stored.version != expected_version
                or read_head != self._head_length(case.tenant_id, case.id)
            ):
                raise ConcurrentUpdate(
                    "the case was changed by someone else; reload it and try again", case_id=case.id
                )
            self._check_append_only(case, change)
            case.version = expected_version + 1
            self._store(case)
            self.append_audit(case.tenant_id, case.id, change.audit)
            self._remember_head(case)
            self.events += change.events
        self._committed(case, change)

    def append_audit(self, tenant_id: str, case_id: str, entries: list[AuditEntry]) -> None:
        """Append `entries` to the case's trail and chain, moving its head (as the store's transaction does)."""
        key = (tenant_id, case_id)
        contents = [json.loads(canonical(e.model_dump(mode="json"))) for e in entries]
        links = extend(self.heads.get(key), tenant_id, case_id, contents)
        self.audit[key] += entries
        self.chains.setdefault(key, []).extend(
            StoredAuditEntry(content=content, seq=chain_link.seq, hash=chain_link.hash)
            for content, chain_link in zip(contents, links, strict=True)
        )
        if links:
            self.heads[key] = ChainHead(hash=links[-1].hash, entries=links[-1].seq + 1)

    def audit_chain(self, tenant_id: str, case_id: str) -> AuditChain:
        self._read(tenant_id, case_id)
        key = (tenant_id, case_id)
        return AuditChain(
            tenant_id=tenant_id,
            case_id=case_id,
            # The store reads them in key order: time, then id.
            records=sorted(
                (r.model_copy(deep=True) for r in self.chains.get(key, [])),
                key=lambda r: (dt.datetime.fromisoformat(r.content["at"]), r.content["id"]),
            ),
            head=self.heads.get(key),
            anchor=self.anchors.get(key),
        )

    def _committed(self, case: Case, change: Change) -> None:
        if change.monitored is not None:
            record = change.monitored
            before = self.monitored.get((record.tenant_id, record.key))
            # As the store's `if_not_exists(enabled, true)`: approving again never switches monitoring back on.
            self.monitored[(record.tenant_id, record.key)] = record.model_copy(
                update={"enabled": before.enabled if before else True}
            )
        if change.unmonitored is not None:
            self.monitored.pop((case.tenant_id, change.unmonitored), None)
        self.continuations += change.continuations
        if change.continuations and self.on_commit is not None:
            self.on_commit(list(change.continuations))

    def get(self, tenant_id: str, case_id: str) -> Case:
        return self._read(tenant_id, case_id)

    def _read(self, tenant_id: str, case_id: str) -> Case:
        # The other reads copy through here, not through `get`, which tests replace to stage races.
        with self._writing:  # the case and its chain's head as of one moment, not between a save's two writes
            stored = self.cases.get((tenant_id, case_id))
            if stored is None:
                raise NotFound(f"case {case_id} not found", case_id=case_id)
            copied = stored.model_copy(deep=True)
            self._remember_head(copied)
        return copied

    def detail(self, tenant_id: str, case_id: str) -> CaseDetail:
        case = self._read(tenant_id, case_id)
        return CaseDetail(
            case=case,
            # The store reads them in key order: time, then id.
            audit=sorted(self.audit[(tenant_id, case_id)], key=lambda e: (e.at, e.id)),
            checks=copy.deepcopy(self.checks.get((tenant_id, case_id), {})),
            children=self.find_by_ids(tenant_id, case.child_case_ids),
        )

    def find_by_ids(self, tenant_id: str, case_ids: list[str]) -> list[Case]:
        unique = dict.fromkeys(case_ids)
        return [self._read(tenant_id, cid) for cid in unique if (tenant_id, cid) in self.cases]

    def claim_run(self, tenant_id: str, case_id: str, run: int, execution: str) -> bool:
        return self.runs.setdefault((tenant_id, case_id, run), execution) == execution

    def save_checks(
        self, tenant_id: str, case_id: str, results: dict[str, dict[str, Any]], *, replace: bool = False
    ) -> None:
        if replace:
            self.checks.pop((tenant_id, case_id), None)
        self.checks.setdefault((tenant_id, case_id), {}).update(copy.deepcopy(results))

    def counts(self, tenant_id: str) -> dict[str, int]:
        totals = {s.value: 0 for s in CaseState}
        for (tid, _), case in self.cases.items():
            if tid == tenant_id:
                totals[case.state.value] += 1
        return totals

    def pending_second_review(self, tenant_id: str) -> int:
        return sum(
            1 for (tid, _), case in self.cases.items() if tid == tenant_id and case.proposal is not None
        )

    def _found(self, q: CaseQuery) -> list[Case]:
        return [c for (tid, _), c in self.cases.items() if tid == q.tenant_id and q.matches(c)]

    def query(self, q: CaseQuery) -> Page[Case]:
        if q.search_prefix is not None:
            # A look-up, as the store's: the first `limit` found in creation order, no further page.
            found = sorted(self._found(q), key=lambda c: c.created_at, reverse=q.newest_first)
            return Page(items=[self._read(c.tenant_id, c.id) for c in found[: q.limit]])
        partition, order = _index_of(q)
        found = sorted(self._found(q), key=order, reverse=q.newest_first)
        if q.cursor is not None:
            after = decode_cursor(q.cursor, partition)
            found = [c for c in found if (order(c) < after if q.newest_first else order(c) > after)]
        items = found[: q.limit]
        more = len(found) > q.limit
        return Page(
            items=[self._read(c.tenant_id, c.id) for c in items],
            cursor=encode_cursor(partition, order(items[-1])) if more else None,
        )

    def query_page(self, q: CaseQuery, number: int) -> list[Case]:
        if not q.by_state_only:
            raise ValueError("numbered pages filter by state only; use query() and its cursor for the rest")
        if number < 1:
            raise ValueError("pages are numbered from 1")
        self.numbered_reads += 1
        found = sorted(self._found(q), key=lambda c: (c.created_at, c.id), reverse=q.newest_first)
        return [self._read(c.tenant_id, c.id) for c in found[(number - 1) * q.limit : number * q.limit]]


def _index_of(q: CaseQuery) -> tuple[str, Callable[[Case], tuple[str, ...]]]:
    """The partition the DynamoDB store would read for `q` (its cursors belong to it) and that index's order."""

    def created(case: Case) -> str:
        return case.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")

    t = q.tenant_id
    one_state = q.states[0].value if len(q.states) == 1 else None
    if q.assignee and q.assignee != "unassigned":
        return f"{t}/assignee/{q.assignee}", lambda c: (c.state.value, created(c), c.id)
    if q.workflow_id:
        return f"{t}/workflow/{q.workflow_id}", lambda c: (created(c), c.id)
    if q.entity_id:
        return f"{t}/entity/{q.entity_id}", lambda c: (c.workflow_id, created(c), c.id)
    if one_state:
        return f"{t}/state/{one_state}", lambda c: (created(c), c.id)
    return f"{t}/cases", lambda c: (created(c), c.id)


def encode_cursor(partition: str, after: tuple[str, ...]) -> str:
    """A cursor that resumes after `after` in `partition` (a list of one tenant), as the stores' cursors do."""
    raw = json.dumps({"p": partition, "k": list(after)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, partition: str) -> tuple[str, ...]:
    """Where `cursor` resumes; InvalidInput (path `cursor`) for a cursor `partition` did not return."""
    decoded: Any = None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = decoded["p"] == partition and all(isinstance(part, str) for part in decoded["k"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidInput("the cursor does not belong to this query; start again without it", path="cursor")
    return tuple(decoded["k"])


class InMemoryClearanceStore:
    """Reviewers' clearances of screening matches, per (tenant, party key, list entry). Like the DynamoDB store, a
    clearance's audit entry goes on its case in the case store (`cases`, which FakeDependencies wires), and a case
    that does not exist is NotFound; `audit` keeps every entry written, in order."""

    def __init__(self, cases: InMemoryCases | None = None) -> None:
        self.items: dict[tuple[str, str, str], Clearance] = {}
        self.audit: list[AuditEntry] = []
        self.cases = cases

    def cleared_entries(self, tenant_id: str, party_keys: Sequence[str]) -> dict[str, set[str]]:
        cleared: dict[str, set[str]] = {}
        for t, party, entry in self.items:
            if t == tenant_id and party in party_keys:
                cleared.setdefault(party, set()).add(entry)
        return cleared

    def get(self, tenant_id: str, party_key: str, entry_id: str) -> Clearance | None:
        found = self.items.get((tenant_id, party_key, entry_id))
        return found.model_copy(deep=True) if found else None

    def add(self, clearance: Clearance, audit: AuditEntry, event: ArbiterEvent | None = None) -> bool:
        key = (clearance.tenant_id, clearance.party_key, clearance.entry_id)
        if key in self.items:
            return False
        self._on_case(clearance.tenant_id, clearance.case_id, audit, event)
        self.items[key] = clearance.model_copy(deep=True)
        return True

    def for_party(self, tenant_id: str, party_key: str) -> list[Clearance]:
        found = [c for (t, p, _), c in self.items.items() if (t, p) == (tenant_id, party_key)]
        return [c.model_copy(deep=True) for c in sorted(found, key=lambda c: c.entry_id)]

    def remove(
        self, clearance: Clearance, case_id: str, audit: AuditEntry, event: ArbiterEvent | None = None
    ) -> bool:
        key = (clearance.tenant_id, clearance.party_key, clearance.entry_id)
        if key not in self.items:
            return False
        self._on_case(clearance.tenant_id, case_id, audit, event)
        del self.items[key]
        return True

    def _on_case(
        self, tenant_id: str, case_id: str, audit: AuditEntry, event: ArbiterEvent | None = None
    ) -> None:
        """The audit entry (and its event) on its case, which must exist (the store's transaction checks it)."""
        if self.cases is not None:
            if (tenant_id, case_id) not in self.cases.cases:
                raise NotFound(f"case {case_id} not found", case_id=case_id)
            self.cases.append_audit(tenant_id, case_id, [audit])
            if isinstance(event, CaseEvent):
                self.cases.events.append(event)
        self.audit.append(audit)


class InMemoryVersions:
    """Versioned documents with the DynamoDB store's rules: numbered from 1 (or above a floor), immutable,
    published once (never behind a newer published version), listed by id a page at a time with cursors only this
    list accepts. Subclasses name the models, as the DynamoDB store's do."""

    VERSION: Any
    SUMMARY: Any
    INVALID: type[InvalidInput] = InvalidInput
    WHAT: str
    TOO_LARGE_PATH: str

    def __init__(self) -> None:
        self.versions_by_key: dict[tuple[str, str], list[Any]] = {}
        self.published: dict[tuple[str, str], int] = {}
        self.updated_at: dict[tuple[str, str], dt.datetime] = {}
        #: Events published with a publication (their envelopes), in order.
        self.events: list[dict[str, Any]] = []

    def add_version(
        self,
        tenant_id: str,
        draft: Any,
        *,
        actor: str | None,
        at: dt.datetime,
        after: int | None = None,
        floor: int = 0,
    ) -> Any:
        stored = self.versions_by_key.setdefault((tenant_id, draft.id), [])
        newest = stored[-1].version if stored else 0
        if after is not None and after != newest:
            raise Conflict(f"version {after + 1} of {draft.id} was just saved")
        version = self.VERSION(
            **draft.model_dump(),
            version=max(newest, floor) + 1,
            status="draft",
            created_at=at,
            created_by=actor,
        )
        size = len(version.model_dump_json().encode())
        if size > MAX_CONTENT_BYTES:
            if not stored:
                del self.versions_by_key[(tenant_id, draft.id)]
            raise self.INVALID(
                f"the {self.WHAT} is too large ({size // 1000} KB; at most 350 KB)", path=self.TOO_LARGE_PATH
            )
        stored.append(version)
        self.updated_at[(tenant_id, draft.id)] = at
        return version.model_copy(deep=True)

    def get_version(self, tenant_id: str, document_id: str, version: int) -> Any:
        stored = self.versions_by_key.get((tenant_id, document_id), [])
        found = next((v for v in stored if v.version == version), None)
        if found is None:
            raise NotFound(f"{self.WHAT} {document_id} has no version {version}")
        return found.model_copy(deep=True)

    def versions(self, tenant_id: str, document_id: str, *, limit: int = 100) -> list[Any]:
        stored = self.versions_by_key.get((tenant_id, document_id))
        if not stored:
            raise NotFound(f"no {self.WHAT} {document_id}")
        return [v.model_copy(deep=True) for v in reversed(stored)][:limit]

    def published_version(self, tenant_id: str, document_id: str) -> int | None:
        return self.published.get((tenant_id, document_id))

    def publish(
        self,
        tenant_id: str,
        document_id: str,
        version: int,
        *,
        actor: str | None,
        at: dt.datetime,
        reason: str | None = None,
        events: Sequence[Any] = (),
    ) -> None:
        current = self.get_version(tenant_id, document_id, version)
        key = (tenant_id, document_id)
        if current.status == "published":
            if current.published_at == at and self.published.get(key) == version:
                return  # this very publication, asked again
            raise Conflict(f"version {version} of {document_id} is already published")
        if self.published.get(key, 0) >= version:
            raise Conflict(f"version {version} of {document_id} is already published, or a newer version is")
        stored = self.versions_by_key[key]
        index = next(i for i, v in enumerate(stored) if v.version == version)
        update: dict[str, Any] = {"status": "published", "published_at": at, "published_by": actor}
        if reason is not None:
            update["publish_reason"] = reason
        stored[index] = current.model_copy(update=update)
        self.published[key] = version
        self.events += [event.envelope() for event in events]

    def list(self, tenant_id: str, *, cursor: str | None = None, limit: int = 50) -> Page[Any]:
        ids = sorted(r for t, r in self.versions_by_key if t == tenant_id)
        scope = f"{tenant_id}/{self.WHAT}"
        if cursor is not None:
            try:
                after = decode_cursor(cursor, scope)[0]
            except InvalidInput as exc:
                raise self.INVALID("cursor is not one this API returned", path="cursor") from exc
            ids = [r for r in ids if r > after]
        page = ids[:limit]
        items = [
            self.SUMMARY(
                id=r,
                name=self.versions_by_key[(tenant_id, r)][-1].name,
                latest_version=self.versions_by_key[(tenant_id, r)][-1].version,
                published_version=self.published.get((tenant_id, r)),
                updated_at=self.updated_at[(tenant_id, r)].isoformat(),
            )
            for r in page
        ]
        more = len(ids) > limit
        return Page(items=items, cursor=encode_cursor(scope, (page[-1],)) if more else None)


class InMemoryRuleSets(InMemoryVersions):
    """Rule set versions (`arbiter.services.ports.RuleSetRepository`)."""

    VERSION = RuleSetVersion
    SUMMARY = RuleSetSummary
    INVALID = InvalidRule
    WHAT = "rule set"
    TOO_LARGE_PATH = "rules"


class InMemoryWorkflowVersions(InMemoryVersions):
    """A tenant's own workflow versions (`arbiter.services.ports.WorkflowVersions`)."""

    VERSION = WorkflowVersion
    SUMMARY = WorkflowSummary
    WHAT = "workflow"
    TOO_LARGE_PATH = "plugins"


class FakeEngine:
    """Records what the services asked of the workflow engine, with the real engine's rules: an execution is
    named after its case (a second start starts nothing), a token is taken once. It can be made to fail for a
    while (`fail_starts`, `fail_completions`: Step Functions unreachable or throttling), to refuse starts for good
    (`refuse_starts`: no such state machine), and tokens can be made to have expired."""

    def __init__(self) -> None:
        self.started: list[tuple[str, str, dict[str, Any]]] = []
        self.completed: list[tuple[str, dict[str, Any]]] = []
        self.expired_tokens: set[str] = set()
        self.fail_starts = False
        self.fail_completions = 0  # how many SendTaskSuccess calls fail before they work again
        self.refuse_starts = False
        #: Executions by ARN and their status (`status`); a started one runs until a test ends it.
        self.executions: dict[str, ExecutionStatus] = {}

    def start(self, workflow_id: str, execution_name: str, payload: dict[str, Any]) -> str:
        if self.refuse_starts:
            raise WorkflowRefused(f"no state machine for {workflow_id}", code="StateMachineDoesNotExist")
        if self.fail_starts:
            raise TransientError("Step Functions is busy: ThrottlingException")
        arn = self.execution_arn(workflow_id, execution_name)
        if arn not in self.executions:
            self.started.append((workflow_id, execution_name, payload))
            self.executions[arn] = "running"
        return arn

    def status(self, execution_arn: str) -> ExecutionStatus:
        return self.executions.get(execution_arn, "missing")

    def execution_arn(self, workflow_id: str, execution_name: str) -> str:
        return f"arn:aws:states:us-east-1:123456789012:execution:arbiter-{workflow_id}:{execution_name}"

    def complete_task(self, task_token: str, output: dict[str, Any]) -> None:
        if self.fail_completions:
            self.fail_completions -= 1
            raise TransientError("Step Functions is busy: ThrottlingException")
        if task_token in self.expired_tokens or any(t == task_token for t, _ in self.completed):
            raise Conflict("the workflow is no longer waiting for this step")
        self.completed.append((task_token, output))

    def fail_task(self, task_token: str, error: str) -> None:
        """Recorded beside the completions, as `{"error": error}`."""
        self.complete_task(task_token, {"error": error})

    def path(self, execution_arn: str) -> list[dict[str, Any]]:
        return [{"state": "ManualReview", "status": "running"}]

    def definition(self, workflow_id: str) -> dict[str, Any]:
        """The workflow's ASL as a deployed stack holds it: substituted with function ARNs (the account id in them)."""
        text = (STATE_MACHINES / f"{workflow_id}.asl.json").read_text(encoding="utf-8")
        definition: dict[str, Any] = json.loads(
            re.sub(
                r"\$\{([A-Za-z]+Function)Arn\}",
                r"arn:aws:lambda:us-east-1:123456789012:function:arbiter-\1-Q1w2E3r4:live",
                text,
            )
        )
        return definition


class Clock:
    """A clock tests move by hand: each call is one millisecond after the previous."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._ticks = itertools.count()
        self._start = start or dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self._start + dt.timedelta(milliseconds=next(self._ticks))


class PassingChecks:
    """A check runner whose every configured plugin answers `ok` with nothing found (the plugins themselves are
    tested in tests/unit/plugins); records the contexts it was given."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    def __call__(
        self,
        context: dict[str, Any],
        plugins: list[dict[str, Any]],
        *,
        time_budget_seconds: float | None = None,
    ) -> dict[str, dict[str, Any]]:
        self.contexts.append(context)
        return {str(p.get("name") or p["plugin"]): {"status": "ok", "data": {}, "flags": []} for p in plugins}


class RecommendByName:
    """An assessor recommending by the entity's display name (`outcomes`), `approve` for anyone else; it sees the
    rules' context, so a test can read what the rules would have read (`contexts`)."""

    def __init__(self, **outcomes: str) -> None:
        self.outcomes = outcomes
        self.contexts: list[dict[str, Any]] = []

    def __call__(self, case: Case, context: dict[str, Any]) -> RiskAssessment:
        self.contexts.append(context)
        name = case.entity.display_name() or ""
        recommendation = next((o for n, o in self.outcomes.items() if n in name), "approve")
        return RiskAssessment(recommendation=recommendation, evaluated_at=dt.datetime.now(dt.UTC))


@dataclass
class FakeDependencies:
    """In-memory ports for every use case: what `arbiter.bootstrap.Dependencies` is in a function.

    It satisfies the services' protocols (`CaseDeps`, `DocumentDeps`, `AutomationDeps`, `WebhookDeps`,
    `AuthorizationDeps`); a test sets the ports its use case needs beyond the case store (documents, webhooks…)."""

    cases: InMemoryCases = field(default_factory=InMemoryCases)
    workflows: WorkflowCatalog = field(default_factory=BuiltinWorkflowCatalog)
    engine: FakeEngine = field(default_factory=FakeEngine)
    rule_sets: RuleSetRepository | None = None
    clearances: ClearanceStore | None = field(default_factory=lambda: InMemoryClearanceStore())
    tenants: InMemoryTenants = field(default_factory=InMemoryTenants)
    collection_links: InMemoryCollectionLinks = field(default_factory=InMemoryCollectionLinks)
    #: Opens what the repositories sealed (any InMemorySecretBox opens what another sealed).
    secret_box: InMemorySecretBox = field(default_factory=InMemorySecretBox)
    mailer: InMemoryMailer = field(default_factory=InMemoryMailer)
    #: Where collection links point.
    collection_site_url: str = "https://collect.example/"
    clock: Callable[[], dt.datetime] = field(default_factory=Clock)
    # the Decide step
    checks: CheckRunner = field(default_factory=PassingChecks)
    assessor: Assessor = field(default_factory=RecommendByName)
    # documents (tests/unit/documents/fakes.py); None: the use case must not touch them (so not typed as ports)
    store: Any = None
    hashes: Any = None
    fetcher: Any = None
    max_page_bytes: int = MAX_PAGE_BYTES
    # ongoing screening (tests/unit/monitoring_fakes.py)
    monitored: Any = None
    watchlists: Any = None
    fingerprints: Any = None
    rescreens: Any = None
    manifests: Any = None
    # webhooks (tests/unit/webhook_fakes.py)
    webhooks: Any = None
    scheduler: Any = None
    sender: Any = None
    allow: AllowList = field(default_factory=AllowList)
    resolve: Resolver = system_resolver
    schedule: tuple[int, ...] = RETRY_SCHEDULE_SECONDS
    rotation_overlap: dt.timedelta = dt.timedelta(hours=24)
    environment: str = "prod"
    # the authorizer
    auth_failures: InMemoryAuthFailures = field(default_factory=InMemoryAuthFailures)
    failure_limit: FailureLimit = field(default_factory=FailureLimit)
    verified_keys: VerifiedKeys = field(default_factory=VerifiedKeys)
    shared_usage_key: str = "shared-usage-key-of-the-standard-tier"

    #: Continuations the "stream" could not carry out yet (the engine failed); `redeliver` tries them again.
    undelivered: list[Continuation] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The stream: ContinueWorkflowsFunction carries out what a committed change asked of the workflow.
        self.cases.on_commit = self._stream
        # Clearances are audited on their case, in the same table.
        if isinstance(self.clearances, InMemoryClearanceStore) and self.clearances.cases is None:
            self.clearances.cases = self.cases

    def _stream(self, continuations: list[Continuation]) -> None:
        for continuation in continuations:
            try:
                carry_out(self, continuation)
            except Exception:
                self.undelivered.append(continuation)

    def collection_url(self, token: str) -> str:
        return f"{self.collection_site_url}#{token}"

    def redeliver(self) -> None:
        """The stream's retry: carry out what failed before, in order."""
        pending, self.undelivered = self.undelivered, []
        self._stream(pending)

    def now(self) -> dt.datetime:
        return self.clock()


def case_deps() -> FakeDependencies:
    """A fresh set of fakes."""
    return FakeDependencies()


def automation_deps(deps: FakeDependencies, assessor: Assessor | None = None) -> FakeDependencies:
    """`deps` ready for the Decide step: passing checks, `assessor` (default: approve everyone)."""
    deps.checks = PassingChecks()
    deps.assessor = assessor or RecommendByName()
    return deps
