"""Monitoring backtests over HTTP on the local stack: transactions decided through the API, a stricter version
saved by an admin (not published), and the backtest reporting the decisions it changes, the alerts it would open,
and every transaction reproduced by its own version; refused to non-admins, bounded, nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arbiter.services.transactions import default_scenarios
from tests.system.test_transactions_api import BASE, body, decide, stored_items
from tests.waiting import wait_for


def stricter(threshold: int) -> dict[str, Any]:
    draft = default_scenarios().model_dump(mode="json")
    for rule in draft["rules"]:
        if rule["id"] == "large-amount":
            rule["condition"] = {">=": [{"var": "tx.amount"}, threshold]}
            rule["outcome"] = "review"
            rule["score"] = 60
    return draft


def test_a_backtest_of_a_stricter_version_reports_the_decisions_it_changes(tenant):
    api = tenant.api()
    amounts = [120, 2500, 40, 3100, 900, 2600, 80, 12000]
    decided = [
        decide(api, body(n, amount, minutes=10 * n, customer={"id": f"bt-{n % 3}"}))
        for n, amount in enumerate(amounts)
    ]
    # One late: decided last, timed before the others.
    decided.append(decide(api, body("late", 2700, minutes=-30, customer={"id": "bt-0"})))
    assert [d["decision"] for d in decided].count("allow") == 8
    admin = tenant.reviewer("admin")
    saved = admin.post("/v1/admin/rule-sets", json=stricter(2000))
    assert saved.status_code == 201, saved.text
    version = saved.json()["version"]
    assert version == decided[0]["rule_set"]["version"] + 1
    items_before = len(stored_items(tenant))

    window = {
        "start": (BASE - dt.timedelta(hours=1)).isoformat(),
        "end": (BASE + dt.timedelta(hours=3)).isoformat(),
    }
    response = admin.post("/v1/admin/transactions/backtest", json={"version": version, **window})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["transactions"] == 9
    assert result["reproduced"] == 9
    assert result["before"] == {"allow": 8, "review": 1, "block": 0}
    assert result["changed"] == 4
    assert result["changes"] == {"allow→review": 4}
    assert {c["id"] for c in result["changed_transactions"]} == {"tx-1", "tx-3", "tx-5", "tx-late"}
    assert all("large-amount" in c["hits"] for c in result["changed_transactions"])
    # One large-amount alert per customer: bt-0 (tx-3, then tx-late), bt-1 (tx-1, then tx-7), bt-2 (tx-5).
    large = {a["customer_id"]: a for a in result["alerts"] if a["scenario"] == "large-amount"}
    assert set(large) == {"bt-0", "bt-1", "bt-2"}
    assert large["bt-0"]["transactions"] == 2
    assert len(stored_items(tenant)) == items_before  # nothing written

    # The same as a draft (not saved) gives the same answer.
    draft = admin.post("/v1/admin/transactions/backtest", json={"rule_set": stricter(2000), **window})
    assert draft.status_code == 200, draft.text
    assert draft.json()["changes"] == result["changes"]

    assert (
        tenant.reviewer("senior")
        .post("/v1/admin/transactions/backtest", json={"version": version, **window})
        .status_code
        == 403
    )
    refused = admin.post(
        "/v1/admin/transactions/backtest",
        json={"version": version, "start": window["end"], "end": window["start"]},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["path"] == "end"


def test_a_backtest_run_as_a_job_ends_with_the_answer_the_request_gets(tenant):
    """The job's state machine runs for real: its execution is named after the job, enters its one task and
    succeeds; the job's result is the backtest answered in a request; refusals come before anything is stored."""
    api = tenant.api()
    for n, amount in enumerate([150, 2400, 60, 3300, 700]):
        decide(api, body(f"job-{n}", amount, minutes=10 * n, customer={"id": f"job-{n % 2}"}))
    admin = tenant.reviewer("admin")
    saved = admin.post("/v1/admin/rule-sets", json=stricter(2000))
    assert saved.status_code == 201, saved.text
    request = {
        "version": saved.json()["version"],
        "start": (BASE - dt.timedelta(hours=1)).isoformat(),
        "end": (BASE + dt.timedelta(hours=3)).isoformat(),
    }
    answered = admin.post("/v1/admin/transactions/backtest", json=request)
    assert answered.status_code == 200, answered.text

    started = admin.post("/v1/admin/transactions/backtests", json=request)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] == "queued"
    assert started.headers["location"] == f"/v1/admin/transactions/backtests/{job['id']}"
    wait_for(
        lambda: admin.get(started.headers["location"]).json()["status"] in ("succeeded", "failed"),
        what="the backtest job's end",
    )
    ended = admin.get(started.headers["location"]).json()
    assert ended["status"] == "succeeded", ended
    assert ended["result"] == answered.json()
    assert ended["result"]["changes"] == {"allow→review": 2}
    assert ended["started_at"] <= ended["finished_at"]

    stack = tenant.stack
    sfn = stack.client("stepfunctions")
    machine = stack.physical_id("TransactionBacktestsStateMachine")
    execution = machine.replace(":stateMachine:", ":execution:") + f":{job['id']}"
    wait_for(lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED", what="end")
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in sfn.get_execution_history(executionArn=execution)["events"]
        if e["type"].endswith("StateEntered")
    ]
    assert entered == ["RunBacktest"]

    # Only admins, only their tenant's jobs; a bad request is refused before a job exists.
    senior = tenant.reviewer("senior")
    assert senior.post("/v1/admin/transactions/backtests", json=request).status_code == 403
    assert senior.get(started.headers["location"]).status_code == 403
    assert admin.get("/v1/admin/transactions/backtests/btj_000000000000000000000000").status_code == 404
    jobs = jobs_stored(tenant)
    assert jobs == 1
    refused = admin.post(
        "/v1/admin/transactions/backtests", json={**request, "start": request["end"], "end": request["start"]}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["path"] == "end"
    unsaved = admin.post("/v1/admin/transactions/backtests", json={**request, "version": 99})
    assert unsaved.status_code == 404, unsaved.text
    assert jobs_stored(tenant) == jobs


def jobs_stored(tenant: Any) -> int:
    pages = tenant.stack.client("dynamodb").get_paginator("scan")
    return sum(
        len(page["Items"])
        for page in pages.paginate(
            TableName=tenant.stack.physical_id("ArbiterTable"),
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": f"TENANT#{tenant.id}#BACKTEST#"}},
        )
    )


def test_a_backtest_finds_the_transactions_of_a_batch_with_those_sent_alone(tenant):
    """Transactions scored from a batch are listed under their days by the scoring function (no index entry each):
    a backtest over the range finds them beside a transaction sent alone, each once."""
    api = tenant.api()
    alone = decide(api, body("alone", 300, minutes=5, customer={"id": "mixed-1"}))
    batch = [
        body(f"b{n}", 2500 + n, minutes=10 + 10 * n, customer={"id": f"mixed-{n % 2}"}) for n in range(6)
    ]
    accepted = api.post("/v1/transactions/batch", json={"transactions": batch})
    assert accepted.status_code == 202, accepted.text
    batch_id = accepted.json()["batch_id"]

    def finished() -> dict[str, Any] | None:
        status = api.get(f"/v1/transactions/batches/{batch_id}").json()
        return status if status["done"] else None

    status = wait_for(finished, what="the batch scored")
    assert (status["scored"], status["failed"]) == (6, 0)
    admin = tenant.reviewer("admin")
    saved = admin.post("/v1/admin/rule-sets", json=stricter(2000))
    assert saved.status_code == 201, saved.text
    window = {
        "start": (BASE - dt.timedelta(hours=1)).isoformat(),
        "end": (BASE + dt.timedelta(hours=3)).isoformat(),
    }
    response = admin.post(
        "/v1/admin/transactions/backtest", json={"version": saved.json()["version"], **window}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["transactions"] == 7  # the six of the batch and the one sent alone, each once
    assert result["reproduced"] == 7
    assert alone["decision"] == "allow"
    assert {c["id"] for c in result["changed_transactions"]} == {f"tx-b{n}" for n in range(6)}
