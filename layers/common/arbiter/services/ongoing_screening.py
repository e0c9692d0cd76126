"""Ongoing screening: a new version of a watchlist is matched against the customers the tenants monitor, delta first.

`screen_list_update` is what the bucket's notification runs for an object under `watchlists/`: it reads the list's
current version, compares its entries' fingerprints with those of the version matched before (arbiter.screening.delta),
and screens the monitored customers' parties against the new and changed entries only (a small list, indexed like
any other: the same matcher and threshold as the sanctions check, the customer as the query); with many customers,
only those an entry can be a match for, found by looking the entries up among the customers' names
(`reverse_screen`, `arbiter.screening.reverse`). A hit the entity's clearances do not clear opens a monitoring
case in manual review, its match explained as the sanctions check explains one, and publishes
`entity.monitoring_hit`. A hit's case id is derived from the tenant, the party and the
list entry: the same hit, on this version processed again or on the next one, never opens a second case. A list's
first version, or fingerprints kept by another matcher version, are handed to the full re-screen state machine
(arbiter.services.full_rescreen) instead, which opens cases through `open_monitoring_case` as an update does.

`monitoring` and `set_monitoring` are the reviewers' use cases: read whether a case's entity is monitored, and
switch it off or on (admins; audited on the case).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from aws_lambda_powertools import Logger

from arbiter.domain.case import AuditEntry, Case
from arbiter.domain.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound, TransientError
from arbiter.domain.monitored import MONITORING_WORKFLOW, MonitoredEntity, monitored_key
from arbiter.domain.principal import Principal
from arbiter.domain.screening import flag_code
from arbiter.domain.workflow import WorkflowDefinition
from arbiter.plugins.builtin.sanctions import (
    LoadedWatchlist,
    SanctionsConfig,
    WatchlistSource,
    match_flag,
    match_record,
)
from arbiter.plugins.contract import PluginResult
from arbiter.screening import MATCHER_VERSION, Match, Watchlist, screen
from arbiter.screening.delta import ListDelta, list_delta
from arbiter.screening.parties import PARTY_KINDS, Party, screened_parties
from arbiter.screening.reverse import index_party_names
from arbiter.services.cases import CaseDeps
from arbiter.services.checks import apply_check_results
from arbiter.services.ports import (
    FullRescreens,
    ListFingerprints,
    MonitoredEntities,
    StoredFingerprints,
    TenantDirectory,
)

__all__ = [
    "ListUpdateOutcome",
    "MonitoringHit",
    "OngoingScreeningDeps",
    "WatchedList",
    "choose_direction",
    "monitoring",
    "monitoring_case_id",
    "open_monitoring_case",
    "reverse_screen",
    "screen_list_update",
    "set_monitoring",
    "tenants_of_list",
    "watched_list",
]

log = Logger(child=True)

#: The check name a monitoring case's match is stored under: the back office, clearances and the approval guard
#: read it as they read the onboarding case's sanctions check.
CHECK_NAME = "sanctions"


class OngoingScreeningDeps(CaseDeps, Protocol):
    """What a list update needs beyond the case store: the monitored index, the lists, the fingerprints kept."""

    @property
    def monitored(self) -> MonitoredEntities: ...
    @property
    def tenants(self) -> TenantDirectory: ...
    @property
    def watchlists(self) -> WatchlistSource: ...
    @property
    def fingerprints(self) -> ListFingerprints: ...
    @property
    def rescreens(self) -> FullRescreens | None:
        """The full re-screen state machine (None: a list's first version is matched here, in full)."""


@dataclass(frozen=True)
class WatchedList:
    """A list key the workflows screen against: the default list (`tenant_id` None: every tenant without a list of
    its own, `own_list` being where a tenant's own list would be) or one tenant's own list."""

    key: str
    tenant_id: str | None
    own_list: str | None
    config: SanctionsConfig

    def own_list_of(self, tenant_id: str) -> str | None:
        return self.own_list.replace("{tenant_id}", tenant_id) if self.own_list else None


def watched_list(workflows: Iterable[WorkflowDefinition], key: str) -> WatchedList | None:
    """Which list `key` is for the workflows' sanctions checks, with the lowest threshold any of them screens it
    with; None for an object no workflow reads (an OFAC aliases file, a prebuilt copy, anything else)."""
    found: WatchedList | None = None
    for definition in workflows:
        for plugin in definition.plugins:
            if plugin.get("plugin") != "sanctions":
                continue
            config = SanctionsConfig.model_validate(plugin.get("config") or {})
            candidate: WatchedList | None = None
            if config.watchlist_key == key:
                candidate = WatchedList(key, None, config.tenant_watchlist_key, config)
            elif config.tenant_watchlist_key:
                pattern = re.escape(config.tenant_watchlist_key).replace(r"\{tenant_id\}", "([^/]+)")
                matched = re.fullmatch(pattern, key)
                if matched:
                    candidate = WatchedList(key, matched.group(1), None, config)
            if candidate is not None and (
                found is None or candidate.config.threshold < found.config.threshold
            ):
                found = candidate
    return found


@dataclass(frozen=True)
class MonitoringHit:
    """A monitored entity's party met a new or changed list entry."""

    monitored: MonitoredEntity
    party: Party
    match: Match


#: Below this many parties, every party is screened against the delta (the forward way): looking a thousand entries
#: up costs about what screening a thousand parties does (bench/ongoing_screening).
REVERSE_FROM_PARTIES = 2_000
#: Above this many delta entries per party, the forward way again (a list's first version, a full re-screen):
#: looking an entry up costs about what screening a party does, and a large list meets most customers anyway.
REVERSE_ENTRIES_PER_PARTY = 0.5

Direction = Literal["auto", "forward", "reverse"]


def choose_direction(parties: int, entries: int) -> Literal["forward", "reverse"]:
    """The cheaper way to match `entries` delta entries against `parties` parties (bench/ongoing_screening)."""
    if parties >= REVERSE_FROM_PARTIES and entries <= REVERSE_ENTRIES_PER_PARTY * parties:
        return "reverse"
    return "forward"


def reverse_screen(
    monitored: Iterable[MonitoredEntity],
    delta: Watchlist,
    *,
    threshold: float,
    direction: Direction = "auto",
) -> list[MonitoringHit]:
    """The hits of the monitored entities (those switched on) against the delta list, one per party and entry.

    Each party is screened as the query against the delta, as the sanctions check screens it. With many parties
    and a small delta (`choose_direction`), the parties' names are indexed first and the delta's entries looked up
    in them (`arbiter.screening.reverse`): only the parties an entry can be a match for are screened, and the hits
    are the same. A party listed under two entities (a business's owner, who also has a KYC case of their own) is
    one party (the same key): the hit goes to the entity that is the party itself."""
    parties = [
        (record, party)
        for record in monitored
        if record.enabled
        for party in screened_parties(record.subject, PARTY_KINDS, case_id=record.case_id)
    ]
    if direction == "auto":
        direction = choose_direction(len(parties), len(delta))
    candidates: set[int] | None = None
    if direction == "reverse" and parties:
        index = index_party_names(party.query for _, party in parties)
        for number in index.unscreenable:
            record, party = parties[number]
            log.warning("party %s of %s has no name to screen", party.subject, record.key)
        candidates = set(index.parties_for(delta, threshold=threshold).tolist())
    hits: dict[tuple[str, str], MonitoringHit] = {}
    for number, (record, party) in enumerate(parties):
        if candidates is not None and number not in candidates:
            continue  # no entry of the delta can be a match for this party
        try:
            matches = screen(party.query, delta, threshold=threshold)
        except InvalidInput:  # a name with nothing to screen: it cannot hold up every other customer
            log.warning("party %s of %s has no name to screen", party.subject, record.key)
            continue
        for match in matches:
            key = (party.key, match.entry.id)
            if key not in hits or party.key == record.key:
                hits[key] = MonitoringHit(record, party, match)
    return list(hits.values())


def monitoring_case_id(tenant_id: str, party_key: str, entry_id: str) -> str:
    """The id of the monitoring case of one hit: the same hit always names the same case."""
    digest = hashlib.sha256(f"{tenant_id}\x1f{party_key}\x1f{entry_id}".encode()).hexdigest()
    return f"mon_{digest[:32]}"


@dataclass
class ListUpdateOutcome:
    """What one list update did (logged by the function)."""

    key: str
    screened: bool = False
    reason: str = ""
    new: int = 0
    changed: int = 0
    removed: int = 0
    tenants: int = 0
    hits: int = 0
    cleared: int = 0
    opened: list[str] = field(default_factory=list)


def screen_list_update(deps: OngoingScreeningDeps, key: str) -> ListUpdateOutcome:
    """Match the new and changed entries of the list stored at `key` against the monitored customers it applies to,
    and open a monitoring case per hit nobody cleared. Nothing is done twice for one version of the list."""
    outcome = ListUpdateOutcome(key=key)
    watched = watched_list(deps.workflows.list(""), key)
    if watched is None:
        outcome.reason = "no workflow screens against this key"
        return outcome
    loaded = deps.watchlists.load(key, format=watched.config.format, aliases_key=watched.config.aliases_key)
    previous = deps.fingerprints.get(key)
    if previous is not None and previous.etag == loaded.etag and not _other_matcher(previous):
        outcome.reason = "this version was matched already"
        return outcome
    if deps.rescreens is not None and (previous is None or _other_matcher(previous)):
        outcome.reason = _start_full_rescreen(deps.rescreens, key, loaded.etag)
        return outcome
    delta = list_delta(previous.entries if previous else {}, loaded.watchlist)
    outcome.new, outcome.changed, outcome.removed = len(delta.new), len(delta.changed), len(delta.removed)
    if delta.size:
        against = delta.watchlist(loaded.watchlist)
        for tenant_id in tenants_of_list(deps, watched):
            outcome.tenants += 1
            _screen_tenant(deps, tenant_id, against, watched, loaded, delta, outcome)
    # Kept last: an update that fails half-way is matched again against the same fingerprints (no case twice).
    deps.fingerprints.put(
        key,
        StoredFingerprints(
            etag=loaded.etag,
            sha256=loaded.watchlist.version.sha256,
            entries=delta.fingerprints,
            matcher_version=MATCHER_VERSION,
        ),
    )
    outcome.screened = True
    return outcome


def _other_matcher(previous: StoredFingerprints) -> bool:
    """Whether the fingerprints were matched by another matcher version (those kept before versions were recorded
    count as the current one: an upgrade re-screens nothing in full unless asked)."""
    return previous.matcher_version is not None and previous.matcher_version != MATCHER_VERSION


def _start_full_rescreen(rescreens: FullRescreens, key: str, etag: str) -> str:
    """Hand the list to the full re-screen machine (no fingerprints to compare with, or another matcher's). A run
    under way for this version is this notification delivered again; one for an earlier version would not vouch
    for this one, so the update is retried (TransientError: Lambda's retries, then the alarmed queue)."""
    running = rescreens.running(key)
    if running is not None:
        if running.etag == etag:
            return f"full re-screen {running.id} of this version is under way"
        raise TransientError(
            f"a full re-screen of {key} is under way ({running.id}); version {etag} is matched after it",
            list=key,
        )
    run = rescreens.start(key, reason="list update", etag=etag)
    return f"full re-screen {run.id} started"


def tenants_of_list(deps: OngoingScreeningDeps, watched: WatchedList) -> list[str]:
    """The tenants the list applies to: its own tenant, or (the default list) every tenant without a list of its own."""
    if watched.tenant_id is not None:
        return [watched.tenant_id]
    found = []
    for tenant in deps.tenants.all():
        own = watched.own_list_of(tenant.id)
        if own is None or not deps.watchlists.exists(own):
            found.append(tenant.id)
    return found


def _screen_tenant(
    deps: OngoingScreeningDeps,
    tenant_id: str,
    against: Watchlist,
    watched: WatchedList,
    loaded: LoadedWatchlist,
    delta: ListDelta,
    outcome: ListUpdateOutcome,
) -> None:
    hits = reverse_screen(deps.monitored.of_tenant(tenant_id), against, threshold=watched.config.threshold)
    outcome.hits += len(hits)
    if not hits:
        return
    cleared: dict[str, set[str]] = {}
    if deps.clearances is not None:
        cleared = deps.clearances.cleared_entries(tenant_id, [h.party.key for h in hits])
    for hit in hits:
        if hit.match.entry.id in cleared.get(hit.party.key, ()):
            outcome.cleared += 1
            continue
        opened = open_monitoring_case(
            deps,
            tenant_id,
            hit,
            loaded,
            watched,
            entry_change=delta.change_of(hit.match.entry.id),
            delta_counts={"new": len(delta.new), "changed": len(delta.changed)},
        )
        if opened is not None:
            outcome.opened.append(opened.id)


def open_monitoring_case(
    deps: OngoingScreeningDeps,
    tenant_id: str,
    hit: MonitoringHit,
    loaded: LoadedWatchlist,
    watched: WatchedList,
    *,
    entry_change: str,
    delta_counts: dict[str, int],
) -> Case | None:
    """The monitoring case of `hit`, in manual review with the match as its sanctions result; None when the hit's
    case exists already (this version processed twice, or the same hit on an earlier version or run).

    `entry_change` says how the entry came to be matched (`new`, `changed`, or `rescreen`: a full re-screen) and
    `delta_counts` how many entries were new and changed (`{"new": …, "changed": …}`)."""
    record, party, match = hit.monitored, hit.party, hit.match
    case_id = monitoring_case_id(tenant_id, party.key, match.entry.id)
    try:
        deps.cases.get(tenant_id, case_id)
        return None
    except NotFound:
        pass
    try:
        entity = deps.cases.get(tenant_id, record.case_id).entity
    except NotFound:  # the onboarding case is gone: what the index kept of the entity is what there is
        entity = record.subject
    at = deps.now()
    definition = deps.workflows.get(tenant_id, MONITORING_WORKFLOW)
    list_version = {**loaded.version(), "delta": delta_counts}
    result = PluginResult.ok(
        {
            "list": list_version,
            "threshold": watched.config.threshold,
            "screened": 1,
            "alerts": 1,
            "suppressed": 0,
            "obfuscated_names": 0,
            "parties": [
                {
                    "subject": party.subject,
                    "party_key": party.key,
                    "name": party.name,
                    "matches": [match_record(match)],
                }
            ],
        },
        [match_flag(party, match)],
    ).to_json()
    case, change = Case.open_for_monitoring(
        tenant_id=tenant_id,
        case_id=case_id,
        workflow_version=definition.version,
        entity=entity,
        onboarding_case_id=record.case_id,
        hit={
            "subject": party.subject,
            "party_key": party.key,
            "entry_id": match.entry.id,
            "listed_name": match.explanation.listed_name,
            "code": flag_code(match.entry.topics),
            "score": match.score,
            "entry_change": entry_change,
            "list": {
                "key": loaded.key,
                "etag": loaded.etag,
                "sha256": loaded.watchlist.version.sha256,
                "entries": len(loaded.watchlist),
                "changed_entries": delta_counts.get("new", 0) + delta_counts.get("changed", 0),
            },
        },
        at=at,
    )
    change += apply_check_results(case, {CHECK_NAME: result}, at)
    change += case.await_review(None, at=at)
    deps.cases.save_checks(tenant_id, case_id, {CHECK_NAME: result})
    try:
        deps.cases.add(case, change)
    except (ConcurrentUpdate, Conflict):
        log.info("monitoring case %s was opened by another run", case_id)
        return None
    return case


# ---------------------------------------------------------------------- reviewers: switching monitoring


def monitoring(deps: OngoingScreeningDeps, principal: Principal, case_id: str) -> MonitoredEntity:
    """Whether the case's entity is monitored (NotFound when it never was: it was not approved). Any role."""
    principal.require("viewer", "reading an entity's monitoring")
    case = deps.cases.get(principal.tenant_id, case_id)
    record = deps.monitored.get(principal.tenant_id, monitored_key(case.entity, case.id))
    if record is None:
        raise NotFound(
            f"the entity of case {case_id} is not monitored (it has no approved case)", case_id=case_id
        )
    return record


def set_monitoring(
    deps: OngoingScreeningDeps, principal: Principal, case_id: str, *, enabled: bool, reason: str
) -> MonitoredEntity:
    """Switch ongoing screening of the case's entity off or on (admins), with an audit entry on the case."""
    principal.require("admin", "switching an entity's monitoring")
    record = monitoring(deps, principal, case_id)
    entry = AuditEntry(
        at=deps.now(),
        actor=principal.actor,
        action="monitoring.enabled" if enabled else "monitoring.disabled",
        reason=reason,
        details={"entity_key": record.key},
    )
    deps.monitored.set_enabled(principal.tenant_id, record.key, enabled, entry, case_id)
    return record.model_copy(update={"enabled": enabled})
