"""In-memory ports of ongoing screening, with the real adapters' rules: the monitored index lives in the case store
(written with approvals, as the DynamoDB table's items are), a switch is audited on its case or refused; lists are
real watchlists built from CSV bytes and versioned by their content, as S3 ETags are."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import NotFound
from arbiter.domain.monitored import MonitoredEntity
from arbiter.plugins.builtin.sanctions import ListFormat, LoadedWatchlist, WatchlistMissing
from arbiter.screening import load_watchlist
from arbiter.services.ports import StoredFingerprints
from tests.unit.fakes import FakeDependencies, InMemoryCases


class InMemoryMonitoredEntities:
    """Reads and switches the records the case store keeps (`InMemoryCases.monitored`)."""

    def __init__(self, cases: InMemoryCases) -> None:
        self.cases = cases

    def get(self, tenant_id: str, key: str) -> MonitoredEntity | None:
        return self.cases.monitored.get((tenant_id, key))

    def of_tenant(self, tenant_id: str) -> Iterator[MonitoredEntity]:
        for (t, _), record in sorted(self.cases.monitored.items()):
            if t == tenant_id:
                yield record

    def set_enabled(self, tenant_id: str, key: str, enabled: bool, audit: AuditEntry, case_id: str) -> bool:
        record = self.get(tenant_id, key)
        if record is None:
            raise NotFound(f"entity {key} is not monitored", entity_id=key)
        if record.enabled == enabled:
            return False
        if (tenant_id, case_id) not in self.cases.cases:
            raise NotFound(f"case {case_id} not found", case_id=case_id)
        self.cases.monitored[(tenant_id, key)] = record.model_copy(update={"enabled": enabled})
        self.cases.append_audit(tenant_id, case_id, [audit])  # the case's chain moves, as the store's does
        return True


class InMemoryWatchlists:
    """Lists stored by key as bytes; each version is loaded once, its ETag the MD5 of its bytes (as S3's)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.loads = 0

    def put(self, key: str, body: bytes) -> None:
        self.objects[key] = body

    def exists(self, key: str) -> bool:
        return key in self.objects

    def load(self, key: str, *, format: ListFormat, aliases_key: str | None = None) -> LoadedWatchlist:
        if key not in self.objects:
            raise WatchlistMissing(f"no watchlist is stored at {key}", key=key)
        body = self.objects[key]
        self.loads += 1
        etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
        return LoadedWatchlist(watchlist=load_watchlist(body, format=format), key=key, etag=etag)


class InMemoryFingerprints:
    def __init__(self) -> None:
        self.stored: dict[str, StoredFingerprints] = {}

    def get(self, list_key: str) -> StoredFingerprints | None:
        return self.stored.get(list_key)

    def put(self, list_key: str, fingerprints: StoredFingerprints) -> None:
        self.stored[list_key] = fingerprints


def monitoring_deps(deps: FakeDependencies | None = None) -> FakeDependencies:
    """`deps` (fresh by default) with the ports of ongoing screening."""
    deps = deps or FakeDependencies()
    deps.monitored = InMemoryMonitoredEntities(deps.cases)
    deps.watchlists = InMemoryWatchlists()
    deps.fingerprints = InMemoryFingerprints()
    return deps
