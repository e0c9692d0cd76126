"""What an alert costs to write, on the DynamoDB adapter against the local stack's moto: the alert stored compressed
(an alert stored as plain JSON still reads), its events riding on the link of the transaction that opened or joined
it, or on its history entry for a reviewer's change, and items of their own only when they do not fit one KB; the
stream publisher finds them wherever they are."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.packing import unpack
from arbiter.domain.alert_history import AlertFilters
from arbiter.domain.events import AlertedHit, TransactionDecided
from arbiter.domain.principal import Principal
from arbiter.services.alerts import close_alert
from arbiter.services.outbox import outbox_events
from arbiter.services.transactions import decide_transaction
from tests.unit.monitoring.test_monitoring_races import NOW, alert_items, deps, key, tx

__all__ = ["deps", "key"]  # the fixtures, shared with the races' tests


def _partition(stack: Any, pk: str) -> list[dict[str, Any]]:
    response = stack.client("dynamodb").query(
        TableName=stack.physical_id("ArbiterTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )
    return response["Items"]


def _inserted(item: dict[str, Any]) -> dict[str, Any]:
    """The stream's record of `item` put new (binary attributes in base64, as the stream gives them)."""
    import base64

    image = {
        name: {"B": base64.b64encode(value["B"]).decode()} if "B" in value else value
        for name, value in item.items()
    }
    keys_only = {"pk": item["pk"], "sk": item["sk"]}
    return {"eventName": "INSERT", "dynamodb": {"Keys": keys_only, "NewImage": image, "SequenceNumber": "1"}}


def _published(stack: Any, pk: str) -> list[dict[str, Any]]:
    return [envelope for _, envelope in outbox_events([_inserted(i) for i in _partition(stack, pk)], unpack)]


def _burst(deps: Any, key: Principal) -> list[Any]:
    """Five transactions in the hour (allowed), then three more: each hits velocity-spike (a review)."""
    for n in range(5):
        decide_transaction(deps, key, tx(f"warm-{n}", "100", NOW - dt.timedelta(minutes=40 - n)))
    return [
        decide_transaction(deps, key, tx(f"burst-{n}", "100", NOW - dt.timedelta(minutes=20 - n)))
        for n in range(3)
    ]


def test_an_alerts_events_ride_on_its_transactions_links_and_the_alert_is_stored_compressed(stack, deps, key):
    decided = _burst(deps, key)
    alert_id = decided[0].alert_id
    assert alert_id is not None
    assert {d.alert_id for d in decided} == {alert_id}
    pk = keys.alert_pk(key.tenant_id, alert_id)
    items = _partition(stack, pk)
    assert not [i for i in items if i["sk"]["S"].startswith("EVENT#")]  # no outbox item of their own
    links = sorted((i for i in items if i["sk"]["S"].startswith("TX#")), key=lambda i: i["at"]["S"])
    assert [i["transaction_id"]["S"] for i in links] == [d.transaction.id for d in decided]
    assert all("event" in link and len(link["event"]["B"]) < 1024 for link in links)
    published = _published(stack, pk)
    assert [(e["type"], e["transaction_id"]) for e in published] == [
        ("transaction.decided", "tx-burst-0"),
        ("alert.opened", "tx-burst-0"),
        ("transaction.decided", "tx-burst-1"),
        ("alert.updated", "tx-burst-1"),
        ("transaction.decided", "tx-burst-2"),
        ("alert.updated", "tx-burst-2"),
    ]
    [stored] = [i for i in alert_items(stack, key.tenant_id) if i["sk"]["S"] == keys.ALERT_SK]
    assert "B" in stored["data"]  # compressed
    alert = deps.transactions.get_alert(key.tenant_id, alert_id)
    assert alert is not None
    assert alert.transaction_count == 3
    assert len(stored["data"]["B"]) < len(alert.model_dump_json())
    # An alert stored before, as plain JSON, still reads, and lists in the queue.
    client, table = stack.client("dynamodb"), stack.physical_id("ArbiterTable")
    client.put_item(TableName=table, Item={**stored, "data": {"S": alert.model_dump_json()}})
    assert deps.transactions.get_alert(key.tenant_id, alert_id) == alert
    assert deps.transactions.list_alerts(key.tenant_id, AlertFilters(), None, 10).items == [alert]


def test_a_reviewers_change_carries_its_events_on_the_alerts_history_entry(stack, deps, key):
    [first, *_] = _burst(deps, key)
    assert first.alert_id is not None
    reviewer = Principal(kind="reviewer", tenant_id=key.tenant_id, id="rev-1", roles=("reviewer",))
    close_alert(deps, reviewer, first.alert_id, resolution="false_positive", reason="a payroll run")
    pk = keys.alert_pk(key.tenant_id, first.alert_id)
    items = _partition(stack, pk)
    assert not [i for i in items if i["sk"]["S"].startswith("EVENT#")]
    [entry] = [i for i in items if i["sk"]["S"].startswith("AUDIT#")]
    assert "event" in entry
    closed = [e for e in _published(stack, pk) if e["type"] == "alert.closed"]
    assert [e["alert_id"] for e in closed] == [first.alert_id]


def test_events_that_do_not_fit_one_kb_get_items_of_their_own(stack, deps, key):
    [first, *_] = _burst(deps, key)
    alert = deps.transactions.get_alert(key.tenant_id, first.alert_id or "")
    assert alert is not None
    noisy = [
        TransactionDecided(
            tenant_id=key.tenant_id,
            time=NOW,
            alert_id=alert.id,
            transaction_id=f"tx-{n}",
            customer_id="cust-1",
            decision="review",
            score=float(n),
            severity="high",
            amount="1",
            currency="EUR",
            rule_set_id="transaction-monitoring",
            rule_set_version=1,
            hits=[  # values that do not compress: together, more than one KB
                AlertedHit(
                    rule=f"rule-{m}",
                    name="A rule",
                    severity="high",
                    score=1.0,
                    outcome="review",
                    values={"tx.metadata.ref": secrets.token_hex(24)},
                )
                for m in range(10)
            ],
        )
        for n in range(3)
    ]
    carrier: dict[str, Any] = {"pk": {"S": "p"}, "sk": {"S": "TX#x"}}
    own = deps.transactions._outbox(alert, noisy, carrier)
    assert "event" not in carrier
    assert [o["Put"]["Item"]["sk"]["S"].startswith("EVENT#") for o in own] == [True, True, True]
    light = noisy[:1]
    light[0] = light[0].model_copy(update={"hits": []})
    assert deps.transactions._outbox(alert, light, carrier) == []
    assert "event" in carrier
