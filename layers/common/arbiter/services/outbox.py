"""Publishing the events that case changes wrote to the outbox (the table's stream feeds this).

Events are written in the same transaction as the change they describe, so none is lost if a function stops
between saving and publishing; the stream delivers each at least once, and partners deduplicate on `id`.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

__all__ = ["EventPublisher", "outbox_events", "publish_outbox"]

EVENT_SK_PREFIX = "EVENT#"


class EventPublisher(Protocol):
    def publish(self, envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Publish; return the envelopes that could not be published."""


def outbox_events(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(stream sequence number, envelope) for every newly inserted outbox item among the stream records."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record.get("dynamodb", {}).get("NewImage", {})
        sort_key = image.get("sk", {}).get("S", "")
        if sort_key.startswith(EVENT_SK_PREFIX) and "data" in image:
            found.append((record["dynamodb"].get("SequenceNumber", ""), json.loads(image["data"]["S"])))
    return found


def publish_outbox(publisher: EventPublisher, records: list[dict[str, Any]]) -> list[str]:
    """Publish the outbox events in `records`; returns the sequence numbers to retry (partial batch failure)."""
    events = outbox_events(records)
    failed = publisher.publish([envelope for _, envelope in events])
    failed_ids = {envelope["id"] for envelope in failed}
    return [sequence for sequence, envelope in events if envelope["id"] in failed_ids]
