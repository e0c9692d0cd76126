"""DynamoDB stream batches reach a function only through its FilterCriteria, as Lambda does."""

from __future__ import annotations

from pathlib import Path

from arbiter_local.moto_bridge import _filtered
from arbiter_local.runtime import FunctionSpec

OUTBOX_ONLY = '{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "EVENT#"}]}}}}'


def spec(*filters: str) -> FunctionSpec:
    return FunctionSpec(
        "Fn", "fn", "arn:fn", Path("."), "app.handler", {}, "python3.13", stream_filters=filters
    )


def record(event_name: str, sk: str) -> dict:
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": {"Keys": {"sk": {"S": sk}}}}


def test_only_matching_records_are_passed() -> None:
    batch = {"Records": [record("INSERT", "EVENT#1"), record("MODIFY", "EVENT#2"), record("INSERT", "CASE")]}
    assert _filtered(spec(OUTBOX_ONLY), batch) == {"Records": [record("INSERT", "EVENT#1")]}


def test_a_batch_with_nothing_matching_is_not_delivered() -> None:
    assert _filtered(spec(OUTBOX_ONLY), {"Records": [record("INSERT", "CASE")]}) is None


def test_without_filters_or_records_the_payload_is_untouched() -> None:
    batch = {"Records": [record("INSERT", "CASE")]}
    assert _filtered(spec(), batch) is batch
    assert _filtered(spec(OUTBOX_ONLY), {"detail": {}}) == {"detail": {}}
    assert _filtered(None, batch) is batch


def test_the_publisher_takes_audit_entries_only_when_they_carry_an_event() -> None:
    filters = _template_filters("PublishEventsFunction")
    carrying = record("INSERT", "AUDIT#1")
    carrying["dynamodb"]["NewImage"] = {"sk": {"S": "AUDIT#1"}, "event": {"B": "eJwDAAAAAAE="}}
    plain = record("INSERT", "AUDIT#2")
    plain["dynamodb"]["NewImage"] = {"sk": {"S": "AUDIT#2"}, "data": {"S": "{}"}}
    link = record("INSERT", "TX#tx-1")  # an alert's transaction carrying the alert's events
    link["dynamodb"]["NewImage"] = {"sk": {"S": "TX#tx-1"}, "event": {"B": "eJwDAAAAAAE="}}
    bare_link = record("INSERT", "TX#tx-2")
    bare_link["dynamodb"]["NewImage"] = {"sk": {"S": "TX#tx-2"}, "transaction_id": {"S": "tx-2"}}
    batch = {
        "Records": [carrying, plain, link, bare_link, record("INSERT", "EVENT#3"), record("INSERT", "CASE")]
    }
    assert _filtered(spec(*filters), batch) == {"Records": [carrying, link, record("INSERT", "EVENT#3")]}


def _template_filters(function: str) -> list[str]:
    """The FilterCriteria patterns template.yaml gives the function's stream source."""
    from arbiter_local.cfn import load_template

    resource = load_template(Path(__file__).parents[3] / "template.yaml").resources[function]
    (source,) = [e for e in resource["Properties"]["Events"].values() if e["Type"] == "DynamoDB"]
    return [f["Pattern"] for f in source["Properties"]["FilterCriteria"]["Filters"]]


def test_the_continuer_takes_continuation_items_and_audit_items_that_carry_continuations() -> None:
    filters = _template_filters("ContinueWorkflowsFunction")
    carrying = record("INSERT", "AUDIT#1")
    carrying["dynamodb"]["NewImage"] = {"sk": {"S": "AUDIT#1"}, "continuations": {"B": "eJwDAAAAAAE="}}
    event_only = record("INSERT", "AUDIT#2")
    event_only["dynamodb"]["NewImage"] = {"sk": {"S": "AUDIT#2"}, "event": {"B": "eJwDAAAAAAE="}}
    batch = {"Records": [carrying, event_only, record("INSERT", "CONT#3"), record("INSERT", "EVENT#4")]}
    assert _filtered(spec(*filters), batch) == {"Records": [carrying, record("INSERT", "CONT#3")]}
