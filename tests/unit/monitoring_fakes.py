"""In-memory ports of ongoing screening, with the real adapters' rules: the monitored index lives in the case store
(written with approvals, as the DynamoDB table's items are), a switch is audited on its case or refused; lists are
real watchlists built from CSV bytes and versioned by their content, as S3 ETags are."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import NotFound
from arbiter.domain.monitored import MonitoredEntity
from arbiter.plugins.builtin.sanctions import ListFormat, LoadedWatchlist, WatchlistMissing
from arbiter.screening import load_watchlist
from arbiter.services.ports import RescreenRun, StoredFingerprints
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

    def keys_of_tenant(self, tenant_id: str) -> Iterator[str]:
        for record in self.of_tenant(tenant_id):
            yield record.key

    def in_range(self, tenant_id: str, first: str, last: str) -> Iterator[MonitoredEntity]:
        for record in self.of_tenant(tenant_id):
            if first <= record.key <= last:
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

    def load_first(
        self, keys: Sequence[str], *, format: ListFormat, aliases_key: str | None = None
    ) -> LoadedWatchlist:
        key = next((k for k in keys if k in self.objects), keys[-1])
        return self.load(key, format=format, aliases_key=aliases_key)


class InMemoryFingerprints:
    def __init__(self) -> None:
        self.stored: dict[str, StoredFingerprints] = {}

    def get(self, list_key: str) -> StoredFingerprints | None:
        return self.stored.get(list_key)

    def put(self, list_key: str, fingerprints: StoredFingerprints) -> None:
        self.stored[list_key] = fingerprints


class InMemoryManifests:
    def __init__(self) -> None:
        self.stored: dict[str, list[dict[str, Any]]] = {}

    def put(self, rescreen_id: str, shards: list[dict[str, Any]]) -> str:
        self.stored[rescreen_id] = shards
        return f"monitoring/rescreens/{rescreen_id}.json"


class InMemoryRescreens:
    """Runs started, by id; a run stays `running` until a test ends it (`end`)."""

    def __init__(self) -> None:
        self.runs: dict[str, RescreenRun] = {}

    def start(
        self, list_key: str, *, reason: str, etag: str | None = None, shard_size: int | None = None
    ) -> RescreenRun:
        run = RescreenRun(
            id=f"rescreen-{len(self.runs) + 1}",
            list=list_key,
            status="running",
            started_at=dt.datetime(2026, 12, 6, tzinfo=dt.UTC),
            etag=etag,
        )
        self.runs[run.id] = run
        return run

    def running(self, list_key: str) -> RescreenRun | None:
        return next((r for r in self.runs.values() if r.list == list_key and r.status == "running"), None)

    def get(self, rescreen_id: str) -> RescreenRun | None:
        return self.runs.get(rescreen_id)

    def end(self, rescreen_id: str, summary: dict[str, Any]) -> None:
        self.runs[rescreen_id] = replace(self.runs[rescreen_id], status="succeeded", summary=summary)


def monitoring_deps(deps: FakeDependencies | None = None) -> FakeDependencies:
    """`deps` (fresh by default) with the ports of ongoing screening."""
    deps = deps or FakeDependencies()
    deps.monitored = InMemoryMonitoredEntities(deps.cases)
    deps.watchlists = InMemoryWatchlists()
    deps.fingerprints = InMemoryFingerprints()
    deps.rescreens = None  # a list's first version is matched in the update itself
    deps.manifests = InMemoryManifests()
    return deps
