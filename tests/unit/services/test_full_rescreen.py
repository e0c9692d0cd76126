"""A full re-screen on fakes: the plan cuts each tenant's monitored keys into shards (an empty tenant gives none, a
tenant with its own list is not in the default list's run); a shard screens its customers against the whole list and
opens a monitoring case per hit nobody cleared, once, skipping customers switched off; the finish keeps the list's
fingerprints with the matcher's version so that the next update is a delta. A list update hands a first version, or
fingerprints of another matcher version, to the machine; admins start and follow runs."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, TransientError
from arbiter.screening import MATCHER_VERSION
from arbiter.services import full_rescreen, ongoing_screening
from arbiter.services.full_rescreen import Shard
from arbiter.services.ports import StoredFingerprints
from tests.builders import clearance, clearance_audit, individual, reviewer, tenant
from tests.unit.monitoring_fakes import InMemoryRescreens, monitoring_deps
from tests.unit.screening.generated_lists import write_targets_csv
from tests.unit.services.test_ongoing_screening import (
    BASE,
    DEFAULT_LIST,
    LOVELACE,
    approved,
    monitoring_cases,
    own_list,
    row,
)

TURING = row("P-TURING", "Alan Turing", "1912-06-23")


@pytest.fixture
def deps():
    deps = monitoring_deps()
    for tenant_id in ("acme", "globex", "initech"):
        deps.tenants.add(tenant(tenant_id))
    deps.watchlists.put(DEFAULT_LIST, write_targets_csv([*BASE, LOVELACE]))
    return deps


def shards_of(deps, rescreen_id: str) -> list[Shard]:
    return [Shard(**s) for s in deps.manifests.stored[rescreen_id]]


def run_in_full(deps, key: str = DEFAULT_LIST, rescreen_id: str = "run-1", shard_size: int = 2):
    """Plan, every shard, finish: what the state machine does."""
    plan = full_rescreen.plan_rescreen(deps, rescreen_id, key, shard_size=shard_size)
    results = [asdict(full_rescreen.screen_shard(deps, key, s)) for s in shards_of(deps, rescreen_id)]
    return plan, results, full_rescreen.finish_rescreen(deps, key, plan.etag, results)


def test_the_plan_cuts_each_tenants_keys_into_shards_of_the_given_size(deps):
    for n in range(5):
        approved(deps, individual(f"e-{n}"), tenant_id="acme")
    approved(deps, individual("g-1"), tenant_id="globex")  # initech monitors nobody: no shard

    plan = full_rescreen.plan_rescreen(deps, "run-1", DEFAULT_LIST, shard_size=2)

    assert (plan.tenants, plan.customers, plan.shards) == (3, 6, 4)
    assert plan.manifest_key == "monitoring/rescreens/run-1.json"
    assert shards_of(deps, "run-1") == [
        Shard("acme", "e-0", "e-1", 2),
        Shard("acme", "e-2", "e-3", 2),
        Shard("acme", "e-4", "e-4", 1),
        Shard("globex", "g-1", "g-1", 1),
    ]


def test_the_default_lists_plan_leaves_out_a_tenant_with_its_own_list(deps):
    approved(deps, individual("e-1"), tenant_id="acme")
    approved(deps, individual("e-1"), tenant_id="globex")
    deps.watchlists.put(own_list("globex"), write_targets_csv(BASE))

    plan = full_rescreen.plan_rescreen(deps, "run-1", DEFAULT_LIST, shard_size=10)

    assert plan.tenants == 2  # acme and initech
    assert [s.tenant_id for s in shards_of(deps, "run-1")] == ["acme"]
    own = full_rescreen.plan_rescreen(deps, "run-2", own_list("globex"), shard_size=10)
    assert [s.tenant_id for s in shards_of(deps, "run-2")] == ["globex"]
    with pytest.raises(InvalidInput) as caught:
        full_rescreen.plan_rescreen(deps, "run-3", "watchlists/default/alt.csv")
    assert caught.value.path == "list"
    assert own.tenants == 1


def test_a_shard_opens_a_case_per_uncleared_hit_and_skips_customers_switched_off(deps):
    approved(deps, individual("e-1"), tenant_id="acme")  # Ada Lovelace, listed
    cleared_case = approved(deps, individual("e-1"), tenant_id="globex")
    deps.clearances.add(
        clearance(cleared_case, party_key="e-1", entry_id="P-ADA", tenant_id="globex"), clearance_audit()
    )
    off = approved(deps, individual("e-1"), tenant_id="initech")
    ongoing_screening.set_monitoring(
        deps, reviewer("admin", tenant_id="initech"), off, enabled=False, reason="offboarded"
    )

    _, results, summary = run_in_full(deps)

    assert [(r["tenant_id"], r["screened"], r["hits"], r["cleared"], r["opened"]) for r in results] == [
        ("acme", 1, 1, 0, 1),
        ("globex", 1, 1, 1, 0),
        ("initech", 0, 0, 0, 0),
    ]
    assert (summary.screened, summary.hits, summary.cleared, summary.opened) == (2, 2, 1, 1)
    [case] = monitoring_cases(deps, "acme")
    assert monitoring_cases(deps, "globex") == monitoring_cases(deps, "initech") == []
    assert case.id == ongoing_screening.monitoring_case_id("acme", "e-1", "P-ADA")
    [hit] = [e for e in deps.cases.events if e.type == "entity.monitoring_hit"]
    assert (hit.entry_change, hit.list.changed_entries) == ("rescreen", 2)


def test_a_shard_run_twice_or_a_hit_raised_before_opens_nothing_more(deps):
    approved(deps, individual("e-1"))
    deps.watchlists.put(DEFAULT_LIST, write_targets_csv(BASE))
    ongoing_screening.screen_list_update(deps, DEFAULT_LIST)
    deps.watchlists.put(DEFAULT_LIST, write_targets_csv([*BASE, LOVELACE]))
    assert len(ongoing_screening.screen_list_update(deps, DEFAULT_LIST).opened) == 1  # the delta raised it

    _, first, _ = run_in_full(deps)
    [shard] = shards_of(deps, "run-1")
    again = full_rescreen.screen_shard(deps, DEFAULT_LIST, shard)  # a retried child execution

    assert (first[0]["hits"], first[0]["opened"]) == (1, 0)
    assert (again.hits, again.opened) == (1, 0)
    assert len(monitoring_cases(deps)) == 1


def test_the_finish_keeps_fingerprints_with_the_matcher_version_so_the_next_update_is_a_delta(deps):
    approved(deps, individual("e-1"))
    _, _, summary = run_in_full(deps)
    assert summary.fingerprints_kept
    kept = deps.fingerprints.stored[DEFAULT_LIST]
    assert kept.matcher_version == MATCHER_VERSION
    assert set(kept.entries) == {"P-ORLOV", "P-ADA"}

    deps.watchlists.put(DEFAULT_LIST, write_targets_csv([*BASE, LOVELACE, TURING]))
    update = ongoing_screening.screen_list_update(deps, DEFAULT_LIST)
    assert (update.new, update.changed, update.hits) == (1, 0, 0)


def test_the_finish_counts_failed_shards_and_vouches_for_no_version_stored_since_the_plan(deps):
    approved(deps, individual("e-1"))
    plan = full_rescreen.plan_rescreen(deps, "run-1", DEFAULT_LIST)
    failed = {
        "failed": True,
        "shard": deps.manifests.stored["run-1"][0],
        "error": "ValidationError",
        "cause": "…",
    }
    deps.watchlists.put(DEFAULT_LIST, write_targets_csv([*BASE, LOVELACE, TURING]))  # a new version meanwhile

    summary = full_rescreen.finish_rescreen(deps, DEFAULT_LIST, plan.etag, [failed])

    assert (summary.shards, summary.failed_shards, summary.opened) == (1, [failed], 0)
    assert not summary.fingerprints_kept
    assert DEFAULT_LIST not in deps.fingerprints.stored


def test_a_first_version_or_another_matchers_fingerprints_start_a_full_rescreen(deps):
    deps.rescreens = InMemoryRescreens()
    approved(deps, individual("e-1"))

    first = ongoing_screening.screen_list_update(deps, DEFAULT_LIST)
    assert (first.screened, first.reason) == (False, "full re-screen rescreen-1 started")
    assert monitoring_cases(deps) == []  # the machine screens it, not the update
    again = ongoing_screening.screen_list_update(deps, DEFAULT_LIST)  # the notification delivered again
    assert again.reason == "full re-screen rescreen-1 of this version is under way"
    deps.watchlists.put(DEFAULT_LIST, write_targets_csv([*BASE, LOVELACE, TURING]))
    with pytest.raises(TransientError, match="under way"):  # retried by Lambda until the run ends
        ongoing_screening.screen_list_update(deps, DEFAULT_LIST)
    deps.rescreens.end("rescreen-1", {})

    loaded = deps.watchlists.load(DEFAULT_LIST, format="auto")
    kept = StoredFingerprints(etag=loaded.etag, sha256="x", entries={}, matcher_version=MATCHER_VERSION - 1)
    deps.fingerprints.put(DEFAULT_LIST, kept)
    assert (
        ongoing_screening.screen_list_update(deps, DEFAULT_LIST).reason == "full re-screen rescreen-2 started"
    )

    # Fingerprints kept before matcher versions were recorded count as current: a delta, no full run.
    deps.fingerprints.put(DEFAULT_LIST, StoredFingerprints(etag="old", sha256="x", entries={}))
    deps.rescreens.end("rescreen-2", {})
    delta = ongoing_screening.screen_list_update(deps, DEFAULT_LIST)
    assert delta.screened
    assert delta.new == 3
    assert len(deps.rescreens.runs) == 2


def test_admins_start_a_rescreen_of_a_list_their_tenant_is_screened_against_one_at_a_time(deps):
    deps.rescreens = InMemoryRescreens()
    with pytest.raises(NotAllowed):
        full_rescreen.start_rescreen(deps, reviewer("reviewer"), DEFAULT_LIST)
    for key in ("watchlists/default/alt.csv", own_list("globex")):
        with pytest.raises(InvalidInput) as caught:
            full_rescreen.start_rescreen(deps, reviewer("admin"), key)
        assert caught.value.path == "list"

    run = full_rescreen.start_rescreen(deps, reviewer("admin"), DEFAULT_LIST)
    with pytest.raises(Conflict, match=run.id):
        full_rescreen.start_rescreen(deps, reviewer("admin", tenant_id="globex"), DEFAULT_LIST)
    mine = full_rescreen.start_rescreen(deps, reviewer("admin"), own_list("acme"))

    assert full_rescreen.rescreen_status(deps, reviewer("admin"), run.id) == run  # running: no totals yet
    assert deps.rescreens.get(run.id).etag is None  # an admin's run answers no list update
    with pytest.raises(NotFound):  # another tenant's own list's run is not theirs to see
        full_rescreen.rescreen_status(deps, reviewer("admin", tenant_id="globex"), mine.id)
    with pytest.raises(NotFound):
        full_rescreen.rescreen_status(deps, reviewer("admin"), "rescreen-404")


def test_an_admin_reads_a_runs_totals_for_their_own_tenant_only(deps):
    deps.rescreens = InMemoryRescreens()
    approved(deps, individual("e-1"), tenant_id="acme")  # Ada Lovelace, listed
    approved(deps, individual("e-1"), tenant_id="globex")
    plan = full_rescreen.plan_rescreen(deps, "run-1", DEFAULT_LIST, shard_size=10)
    acme, globex = shards_of(deps, "run-1")
    failed = {"failed": True, "shard": asdict(globex), "error": "ValidationError", "cause": "globex's record"}
    results = [asdict(full_rescreen.screen_shard(deps, DEFAULT_LIST, acme)), failed]
    summary = full_rescreen.finish_rescreen(deps, DEFAULT_LIST, plan.etag, results)
    assert summary.by_tenant == {
        "acme": {"screened": 1, "hits": 1, "cleared": 0, "opened": 1, "failed_shards": 0},
        "globex": {"screened": 0, "hits": 0, "cleared": 0, "opened": 0, "failed_shards": 1},
    }
    run = full_rescreen.start_rescreen(deps, reviewer("admin"), DEFAULT_LIST)
    deps.rescreens.end(run.id, asdict(summary))

    mine = full_rescreen.rescreen_status(deps, reviewer("admin"), run.id).summary
    theirs = full_rescreen.rescreen_status(deps, reviewer("admin", tenant_id="globex"), run.id).summary
    nobodys = full_rescreen.rescreen_status(deps, reviewer("admin", tenant_id="initech"), run.id).summary

    assert mine == {
        "shards": 2,
        "fingerprints_kept": True,
        "failed_shards": [],
        "screened": 1,
        "hits": 1,
        "cleared": 0,
        "opened": 1,
    }
    assert (theirs["failed_shards"], theirs["opened"]) == ([failed], 0)
    assert (nobodys["failed_shards"], nobodys["screened"], nobodys["shards"]) == ([], 0, 2)
