"""A full re-screen: every monitored customer a list applies to, matched against the whole list, fanned out over the
full re-screen state machine (`statemachines/full-rescreen.asl.json`, a Step Functions distributed Map).

Three tasks, each a call of the ongoing screening function:

- `plan_rescreen` reads the keys (only the keys) of each tenant's monitored partition the list applies to, cuts them
  into shards of `shard_size` consecutive keys, and writes the manifest the Map reads (`monitoring/rescreens/<id>.json`).
- `screen_shard` (one child execution per shard) reads the shard's records, screens each enabled customer's parties
  against the whole list (the customer as the query, as the sanctions check does) and opens a monitoring case per hit
  the clearances do not clear, through the same path as a list update: the case id is derived from the tenant, the
  party and the entry, so a hit raised before (by an update, an earlier run, this shard run twice) opens nothing.
- `finish_rescreen` keeps the list's fingerprints with the current matcher version, so the next update is a delta,
  and sums the shards up (a shard that failed is counted and named, the others went on).

`start_rescreen` and `rescreen_status` are the admins' use cases (`POST /v1/admin/monitoring/rescreens`).
"""

from __future__ import annotations

import builtins
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.screening import MATCHER_VERSION
from arbiter.screening.delta import fingerprints
from arbiter.services.ongoing_screening import (
    OngoingScreeningDeps,
    WatchedList,
    open_monitoring_case,
    reverse_screen,
    tenants_of_list,
    watched_list,
)
from arbiter.services.ports import FullRescreens, RescreenManifests, RescreenRun, StoredFingerprints

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "FullRescreenDeps",
    "RescreenPlan",
    "RescreenSummary",
    "Shard",
    "ShardOutcome",
    "finish_rescreen",
    "plan_rescreen",
    "rescreen_status",
    "screen_shard",
    "start_rescreen",
]

log = Logger(child=True)

#: Customers per shard (one child execution): 1,000 take about 2 s of matching against a 1,000-entry list and well
#: under a minute against a million names (bench/ongoing_screening), far inside the function's 15 minutes.
DEFAULT_SHARD_SIZE = 1000


class FullRescreenDeps(OngoingScreeningDeps, Protocol):
    """What a full re-screen needs beyond a list update: where manifests go."""

    @property
    def manifests(self) -> RescreenManifests: ...


@dataclass(frozen=True)
class Shard:
    """A range of one tenant's monitored records: keys `first` to `last`, both included, `count` of them."""

    tenant_id: str
    first: str
    last: str
    count: int


@dataclass
class RescreenPlan:
    """What the plan cut: the manifest's key, the list version it was planned against, the shards' totals."""

    rescreen_id: str
    list: str
    etag: str
    manifest_key: str
    tenants: int = 0
    customers: int = 0
    shards: int = 0


@dataclass
class ShardOutcome:
    """What one shard did (the Map's result for it)."""

    tenant_id: str
    first: str
    last: str
    screened: int = 0
    hits: int = 0
    cleared: int = 0
    opened: int = 0


def plan_rescreen(
    deps: FullRescreenDeps, rescreen_id: str, key: str, *, shard_size: int = DEFAULT_SHARD_SIZE
) -> RescreenPlan:
    """Cut the monitored customers of every tenant `key` applies to into shards and store the manifest."""
    if shard_size < 1:
        raise InvalidInput("shard_size is at least 1", path="shard_size")
    watched = _watched(deps, key)
    loaded = deps.watchlists.load(key, format=watched.config.format, aliases_key=watched.config.aliases_key)
    shards: list[Shard] = []
    tenants = tenants_of_list(deps, watched)
    for tenant_id in tenants:
        cut: list[str] = []
        for record_key in deps.monitored.keys_of_tenant(tenant_id):
            cut.append(record_key)
            if len(cut) == shard_size:
                shards.append(Shard(tenant_id, cut[0], cut[-1], len(cut)))
                cut = []
        if cut:
            shards.append(Shard(tenant_id, cut[0], cut[-1], len(cut)))
    manifest_key = deps.manifests.put(rescreen_id, [asdict(s) for s in shards])
    plan = RescreenPlan(
        rescreen_id=rescreen_id,
        list=key,
        etag=loaded.etag,
        manifest_key=manifest_key,
        tenants=len(tenants),
        customers=sum(s.count for s in shards),
        shards=len(shards),
    )
    log.info("full re-screen planned", extra={"plan": asdict(plan)})
    return plan


def screen_shard(deps: FullRescreenDeps, key: str, shard: Shard) -> ShardOutcome:
    """Screen the shard's customers against the whole list; a monitoring case per hit nobody cleared, once."""
    watched = _watched(deps, key)
    loaded = deps.watchlists.load(key, format=watched.config.format, aliases_key=watched.config.aliases_key)
    outcome = ShardOutcome(shard.tenant_id, shard.first, shard.last)
    records = list(deps.monitored.in_range(shard.tenant_id, shard.first, shard.last))
    outcome.screened = sum(1 for r in records if r.enabled)
    hits = reverse_screen(records, loaded.watchlist, threshold=watched.config.threshold)
    outcome.hits = len(hits)
    cleared: dict[str, set[str]] = {}
    if hits and deps.clearances is not None:
        cleared = deps.clearances.cleared_entries(shard.tenant_id, [h.party.key for h in hits])
    everything = {"new": len(loaded.watchlist), "changed": 0}
    for hit in hits:
        if hit.match.entry.id in cleared.get(hit.party.key, ()):
            outcome.cleared += 1
            continue
        opened = open_monitoring_case(
            deps, shard.tenant_id, hit, loaded, watched, entry_change="rescreen", delta_counts=everything
        )
        if opened is not None:
            outcome.opened += 1
    return outcome


@dataclass
class RescreenSummary:
    """The run's totals (the execution's output), and the same per tenant (`by_tenant`): a run of the default list
    spans tenants, and each tenant's admins see their own figures only."""

    list: str
    shards: int = 0
    failed_shards: builtins.list[dict[str, Any]] = field(default_factory=builtins.list)
    screened: int = 0
    hits: int = 0
    cleared: int = 0
    opened: int = 0
    fingerprints_kept: bool = False
    by_tenant: dict[str, dict[str, int]] = field(default_factory=dict)


#: The totals a shard adds to its run's (and its tenant's).
_COUNTED = ("screened", "hits", "cleared", "opened")


def finish_rescreen(
    deps: FullRescreenDeps, key: str, planned_etag: str, shards: list[dict[str, Any]]
) -> RescreenSummary:
    """Keep the list's fingerprints with the current matcher version (the next update is then a delta) and sum up
    the shards' results. A version stored since the plan is not vouched for: its own update matches it."""
    summary = RescreenSummary(list=key, shards=len(shards))
    for result in shards:
        tenant_id = str(result.get("tenant_id") or result.get("shard", {}).get("tenant_id", ""))
        own = summary.by_tenant.setdefault(tenant_id, dict.fromkeys((*_COUNTED, "failed_shards"), 0))
        if result.get("failed"):
            summary.failed_shards.append(result)
            own["failed_shards"] += 1
            continue
        for name in _COUNTED:
            setattr(summary, name, getattr(summary, name) + int(result.get(name, 0)))
            own[name] += int(result.get(name, 0))
    watched = _watched(deps, key)
    loaded = deps.watchlists.load(key, format=watched.config.format, aliases_key=watched.config.aliases_key)
    if loaded.etag == planned_etag:
        deps.fingerprints.put(
            key,
            StoredFingerprints(
                etag=loaded.etag,
                sha256=loaded.watchlist.version.sha256,
                entries=fingerprints(loaded.watchlist),
                matcher_version=MATCHER_VERSION,
            ),
        )
        summary.fingerprints_kept = True
    else:
        log.warning("list %s changed during its full re-screen: its fingerprints are left as they were", key)
    log.info("full re-screen finished", extra={"summary": asdict(summary)})
    return summary


def _watched(deps: OngoingScreeningDeps, key: str) -> WatchedList:
    watched = watched_list(deps.workflows.list(""), key)
    if watched is None:
        raise InvalidInput(f"{key} is not a list any workflow screens against", path="list")
    return watched


# ---------------------------------------------------------------------- admins


class RescreenDeps(Protocol):
    """What the admins' use cases need: the workflows (which keys are lists) and the machine."""

    @property
    def workflows(self) -> Any: ...
    @property
    def rescreens(self) -> FullRescreens: ...


def _applying_to(deps: RescreenDeps, principal: Principal, key: str) -> WatchedList:
    """The list at `key`, if it is one the principal's tenant is screened against (its own, or the default list)."""
    watched = watched_list(deps.workflows.list(""), key)
    if watched is None or watched.tenant_id not in (None, principal.tenant_id):
        raise InvalidInput(f"{key} is not a list your workflows screen against", path="list")
    return watched


def start_rescreen(
    deps: RescreenDeps, principal: Principal, key: str, *, shard_size: int | None = None
) -> RescreenRun:
    """Start a full re-screen of the list (admins); Conflict if one runs for it already."""
    principal.require("admin", "starting a full re-screen")
    _applying_to(deps, principal, key)
    running = deps.rescreens.running(key)
    if running is not None:
        raise Conflict(
            f"a full re-screen of {key} is under way ({running.id})", rescreen_id=running.id, list=key
        )
    run = deps.rescreens.start(key, reason=f"requested by {principal.actor.id}", shard_size=shard_size)
    log.info("full re-screen started", extra={"rescreen_id": run.id, "list": key})
    return run


def rescreen_status(deps: RescreenDeps, principal: Principal, rescreen_id: str) -> RescreenRun:
    """A full re-screen's status and, once it ended, its totals as far as the principal's tenant goes (admins of a
    tenant the list applies to): the other tenants' figures and failed shards are theirs."""
    principal.require("admin", "reading a full re-screen")
    run = deps.rescreens.get(rescreen_id)
    if run is None:
        raise NotFound(f"full re-screen {rescreen_id} not found", rescreen_id=rescreen_id)
    try:
        _applying_to(deps, principal, run.list)
    except InvalidInput as exc:
        raise NotFound(f"full re-screen {rescreen_id} not found", rescreen_id=rescreen_id) from exc
    if run.summary is None:
        return run
    tenant_id = principal.tenant_id
    own = (run.summary.get("by_tenant") or {}).get(tenant_id) or {}
    summary = {
        "shards": run.summary.get("shards"),
        "fingerprints_kept": run.summary.get("fingerprints_kept"),
        "failed_shards": [
            s
            for s in run.summary.get("failed_shards") or []
            if s.get("shard", {}).get("tenant_id") == tenant_id
        ],
        **{name: int(own.get(name, 0)) for name in _COUNTED},
    }
    return replace(run, summary=summary)
