"""Publishing Arbiter's events on the EventBridge bus (source `arbiter`)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SOURCE", "EventBusPublisher"]

SOURCE = "arbiter"
_BATCH = 10  # PutEvents takes at most 10 entries


class EventBusPublisher:
    """Puts event envelopes on the bus; returns the ones EventBridge did not accept."""

    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Publish each envelope as one event (detail-type = its `type`); the failed ones come back."""
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
                        "Resources": [f"arbiter:case/{envelope.get('case_id')}"]
                        if envelope.get("case_id")
                        else [],
                    }
                    for envelope in batch
                ]
            )
            if response.get("FailedEntryCount"):
                failed += [e for e, r in zip(batch, response["Entries"], strict=True) if r.get("ErrorCode")]
        return failed
