"""A full re-screen on the local stack: two tenants' approved customers (screened at onboarding against lists of their
own, which are then withdrawn: the default list now applies to them) are re-screened against the default list through
the admin route. The full re-screen state machine plans the shards, its distributed Map screens each in a child
execution, and the finish keeps the list's fingerprints: one monitoring case per listed customer, a second run opens
nothing, and a shard whose record breaks screening is caught and reported while the others finish."""

from __future__ import annotations

import gzip
import json
import secrets
from typing import Any

from tests.support.tenants import make_tenant
from tests.system.test_monitoring_on_list_updates import _approved_customer as _approved_kyc
from tests.system.test_monitoring_on_list_updates import _monitoring_queue, _row
from tests.unit.screening.generated_lists import write_targets_csv
from tests.waiting import wait_for

DEFAULT_LIST = "watchlists/default/targets.simple.csv"
#: On the stack's demo default list (arbiter_local.demo_watchlist): (first name, last name, born, entry id).
LISTED = {
    "a": ("Minghui", "Zhao", "1969-01-30", "demo-zhao"),
    "b": ("Viktor Sergeyevich", "Orlov", "1962-04-17", "demo-orlov"),
}


def _approved_customer(tenant, first: str, last: str, born: str) -> str:
    return _approved_kyc(tenant, f"rs-{secrets.token_hex(3)}", first, last, born=born, nationality=None)


def _own_list_then_withdrawn(tenant, first: str, last: str, born: str) -> str:
    """An approved customer screened against the tenant's own list (which does not name them); the list is then
    deleted, so the default list (which does) is the tenant's from now on. The customer's onboarding case id."""
    s3, bucket = tenant.stack.client("s3"), tenant.stack.physical_id("DocumentsBucket")
    own = f"watchlists/tenants/{tenant.id}/targets.simple.csv"
    s3.put_object(
        Bucket=bucket, Key=own, Body=write_targets_csv([_row("T-1", "Quentin Ashdown", "1950-01-01")])
    )
    case_id = _approved_customer(tenant, first, last, born)
    s3.delete_object(Bucket=bucket, Key=own)
    return case_id


def _start(admin, body: dict[str, Any]) -> dict[str, Any]:
    """Start a run, once the one under way for the list (a list update's: the stack's seeded default list, a list
    withdrawn and stored again) has ended: 409 until then."""

    def started() -> dict[str, Any] | None:
        response = admin.post("/v1/admin/monitoring/rescreens", json=body)
        if response.status_code == 409:
            return None
        assert response.status_code == 202, response.text
        assert response.headers["Location"].endswith(response.json()["id"])
        return dict(response.json())

    return wait_for(started, timeout=120, interval=0.5, what="no other full re-screen of the list under way")


def _finished(admin, rescreen_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        response = admin.get(f"/v1/admin/monitoring/rescreens/{rescreen_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        return body if body["status"] != "running" else None

    return wait_for(ended, timeout=240, interval=0.5, what=f"full re-screen {rescreen_id} to end")


def _states_entered(stack, execution_arn: str) -> list[str]:
    history = stack.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)
    return [
        e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e
    ]


def test_a_full_rescreen_over_two_tenants_opens_each_hit_once_and_survives_a_failing_shard(stack, tenant):
    other = make_tenant(stack)
    onboarding = {
        "a": _own_list_then_withdrawn(tenant, *LISTED["a"][:3]),
        "b": _own_list_then_withdrawn(other, *LISTED["b"][:3]),
    }
    # A record the index holds but screening cannot read (a write from an older release, say): its shard fails.
    table, dynamodb = stack.physical_id("ArbiterTable"), stack.client("dynamodb")
    broken = {"pk": {"S": f"TENANT#{other.id}#MONITORED"}, "sk": {"S": "zz-broken"}, "data": {"S": "{}"}}
    dynamodb.put_item(TableName=table, Item=broken)
    admin = tenant.reviewer("admin")
    try:
        refused = admin.post("/v1/admin/monitoring/rescreens", json={"list": "watchlists/x.csv"})
        assert refused.status_code == 422, refused.text
        assert "list" in refused.text
        run = _start(admin, {"list": DEFAULT_LIST, "shard_size": 1})  # a shard per customer
        first = _finished(admin, run["id"])
    finally:
        dynamodb.delete_item(TableName=table, Key={"pk": broken["pk"], "sk": broken["sk"]})

    assert first["status"] == "succeeded", first
    # Each tenant's admin sees the run's figures for its own tenant only: the failing shard is the other tenant's.
    assert (first["screened"], first["hits"], first["opened"], first["failed_shards"]) == (1, 1, 1, [])
    theirs = _finished(other.reviewer("admin"), run["id"])
    assert (theirs["screened"], theirs["hits"], theirs["opened"]) == (1, 1, 1)
    [failed] = theirs["failed_shards"]
    assert failed["shard"] == {"tenant_id": other.id, "first": "zz-broken", "last": "zz-broken", "count": 1}
    assert failed["error"] == "ValidationError"
    assert first["fingerprints_kept"] is True
    machine = stack.physical_id("FullRescreenStateMachine")
    execution_arn = machine.replace(":stateMachine:", ":execution:") + f":{run['id']}"
    assert _states_entered(stack, execution_arn) == ["Plan", "ScreenShards", "Finish"]
    history = stack.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)
    map_events = [e["type"] for e in history["events"] if e["type"].startswith("Map")]
    assert map_events == [
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
    ]
    # The Map: one child execution per shard, each succeeded (the failing shard's task was caught in it). moto keeps
    # the children's own histories out of reach (ListExecutions by map run fails), so their counts are read.
    sfn = stack.client("stepfunctions")
    [map_run] = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])["executionCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"]) == (first["shards"], first["shards"], 0)
    # Each tenant's listed customer: one monitoring case, linked to the onboarding case, matched in full.
    for key, fixture in (("a", tenant), ("b", other)):
        viewer = fixture.reviewer("viewer")
        [item] = _monitoring_queue(viewer)
        assert item["onboarding_case_id"] == onboarding[key]
        detail = viewer.get(f"/v1/review/cases/{item['id']}").json()
        [party] = detail["checks"]["sanctions"]["data"]["parties"]
        assert [m["entry"]["id"] for m in party["matches"]] == [LISTED[key][3]]
    s3 = stack.client("s3")
    bucket = stack.physical_id("DocumentsBucket")
    kept = s3.get_object(Bucket=bucket, Key=f"monitoring/fingerprints/{DEFAULT_LIST}.json.gz")["Body"].read()
    assert json.loads(gzip.decompress(kept))["matcher_version"] == 1
    shards = json.loads(
        s3.get_object(Bucket=bucket, Key=f"monitoring/rescreens/{run['id']}.json")["Body"].read()
    )
    assert {"tenant_id": other.id, "first": "zz-broken", "last": "zz-broken", "count": 1} in shards

    # A second run finds every hit raised already: nothing more is opened.
    second = _start(other.reviewer("admin"), {"list": DEFAULT_LIST, "shard_size": 50})
    for fixture in (tenant, other):
        ended = _finished(fixture.reviewer("admin"), second["id"])
        assert (ended["status"], ended["hits"], ended["opened"], ended["failed_shards"]) == (
            "succeeded",
            1,
            0,
            [],
        )
    for fixture in (tenant, other):
        assert len(_monitoring_queue(fixture.reviewer("viewer"))) == 1
