"""Publishing the events that case changes wrote to the outbox (the table's stream feeds this).

Events are written in the same transaction as the change they describe (on the change's audit item, on the link of
the transaction that opened or joined an alert, or on outbox items of their own), so none is lost if a function
stops between saving and publishing; the stream delivers each at least once, and partners deduplicate on `id`. An
item carrying events holds one (its JSON, zlib) or the change's list of them (compressed with the store's preset
dictionary: `inflate` reads both).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Collection
from typing import Any, Protocol

__all__ = ["EventPublisher", "outbox_events", "publish_outbox"]

EVENT_SK_PREFIX = "EVENT#"
AUDIT_SK_PREFIX = "AUDIT#"
#: The items that may carry events (`event`): a case's or an alert's audit items, an alert's transaction links.
CARRIER_SK_PREFIXES = (AUDIT_SK_PREFIX, "TX#")


logger = logging.getLogger("arbiter.outbox")


class EventPublisher(Protocol):
    def publish(self, envelopes: list[dict[str, Any]], routed: Collection[str] = ()) -> list[dict[str, Any]]:
        """Publish, the envelopes whose id is in `routed` marked for the webhooks function; return the envelopes
        that could not be published."""


def outbox_events(
    records: list[dict[str, Any]], inflate: Callable[[bytes], bytes]
) -> list[tuple[str, dict[str, Any]]]:
    """(stream sequence number, envelope) for every event newly inserted among the stream records: an outbox
    item's (`EVENT#…`, its JSON in `data`) or those an audit item or an alert's transaction link carries (`AUDIT#…`,
    `TX#…`, compressed in `event`: one envelope, or a list of a change's envelopes; the stream gives binary
    attributes in base64). `inflate`
    decompresses what the store compressed."""
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record.get("dynamodb", {}).get("NewImage", {})
        sort_key = image.get("sk", {}).get("S", "")
        sequence = record["dynamodb"].get("SequenceNumber", "")
        if sort_key.startswith(EVENT_SK_PREFIX) and "data" in image:
            found.append((sequence, json.loads(image["data"]["S"])))
        elif sort_key.startswith(CARRIER_SK_PREFIXES) and "event" in image:
            carried = json.loads(inflate(base64.b64decode(image["event"]["B"])))
            found += [
                (sequence, envelope) for envelope in (carried if isinstance(carried, list) else [carried])
            ]
    return found


def publish_outbox(
    publisher: EventPublisher,
    records: list[dict[str, Any]],
    routed: Callable[[list[dict[str, Any]]], Collection[str]] | None = None,
    *,
    inflate: Callable[[bytes], bytes],
) -> list[str]:
    """Publish the outbox events in `records`, those `routed` names marked for the webhooks function (all of them
    without it, or when the routes cannot be read: routing saves invocations, it must never lose an event);
    returns the sequence numbers to retry (partial batch failure: a record carrying several events is retried
    whole, its events published again, which at-least-once delivery allows)."""
    events = outbox_events(records, inflate)
    envelopes = [envelope for _, envelope in events]
    marked: Collection[str] = {e["id"] for e in envelopes}
    if routed is not None and envelopes:
        try:
            marked = routed(envelopes)
        except Exception:
            logger.warning(
                "webhook routes not read; every event of the batch goes to the webhooks", exc_info=True
            )
    failed = publisher.publish(envelopes, marked)
    failed_ids = {envelope["id"] for envelope in failed}
    return [sequence for sequence, envelope in events if envelope["id"] in failed_ids]
