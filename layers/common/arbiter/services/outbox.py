"""Publishing the events that case changes wrote to the outbox (the table's stream feeds this).

Events are written in the same transaction as the change they describe (on the change's audit entries' items,
or on outbox items of their own), so none is lost if a function stops between saving and publishing; the stream delivers each at least once, and partners deduplicate on `id`.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any, Protocol

__all__ = ["EventPublisher", "outbox_events", "publish_outbox"]

EVENT_SK_PREFIX = "EVENT#"
AUDIT_SK_PREFIX = "AUDIT#"


class EventPublisher(Protocol):
    def publish(self, envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Publish; return the envelopes that could not be published."""


def outbox_events(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(stream sequence number, envelope) for every event newly inserted among the stream records: an outbox
    item's (`EVENT#…`, its JSON in `data`) or the one an audit entry's item carries (`AUDIT#…`, compressed in
    `event`; the stream gives binary attributes in base64)."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record.get("dynamodb", {}).get("NewImage", {})
        sort_key = image.get("sk", {}).get("S", "")
        sequence = record["dynamodb"].get("SequenceNumber", "")
        if sort_key.startswith(EVENT_SK_PREFIX) and "data" in image:
            found.append((sequence, json.loads(image["data"]["S"])))
        elif sort_key.startswith(AUDIT_SK_PREFIX) and "event" in image:
            found.append((sequence, json.loads(zlib.decompress(base64.b64decode(image["event"]["B"])))))
    return found


def publish_outbox(publisher: EventPublisher, records: list[dict[str, Any]]) -> list[str]:
    """Publish the outbox events in `records`; returns the sequence numbers to retry (partial batch failure)."""
    events = outbox_events(records)
    failed = publisher.publish([envelope for _, envelope in events])
    failed_ids = {envelope["id"] for envelope in failed}
    return [sequence for sequence, envelope in events if envelope["id"] in failed_ids]
