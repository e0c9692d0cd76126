"""Publishing Arbiter's events on the EventBridge bus (source `arbiter`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

__all__ = ["SOURCE", "WEBHOOKS_RESOURCE", "EventBusPublisher"]

SOURCE = "arbiter"
#: In `resources` of an event some webhook subscription of its tenant may want: the webhooks function's rule
#: (template.yaml: WebhooksFunction, DecisionEvents) matches only these.
WEBHOOKS_RESOURCE = "arbiter:webhooks"
_BATCH = 10  # PutEvents takes at most 10 entries


class EventBusPublisher:
    """Puts event envelopes on the bus; returns the ones EventBridge did not accept."""

    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, envelopes: list[dict[str, Any]], routed: Collection[str] = ()) -> list[dict[str, Any]]:
        """Publish each envelope as one event (detail-type = its `type`), those whose id is in `routed` marked for
        the webhooks function; the failed ones come back."""
        failed: list[dict[str, Any]] = []
        for start in range(0, len(envelopes), _BATCH):
            batch = envelopes[start : start + _BATCH]
            response = self._client.put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": envelope["type"],
                        "Detail": json.dumps(envelope),
                        "EventBusName": self._bus,
                        "Resources": _resources(envelope, routed),
                    }
                    for envelope in batch
                ]
            )
            if response.get("FailedEntryCount"):
                failed += [e for e, r in zip(batch, response["Entries"], strict=True) if r.get("ErrorCode")]
        return failed


def _resources(envelope: dict[str, Any], routed: Collection[str]) -> list[str]:
    case = [f"arbiter:case/{envelope['case_id']}"] if envelope.get("case_id") else []
    return case + ([WEBHOOKS_RESOURCE] if envelope["id"] in routed else [])
