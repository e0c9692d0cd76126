"""`RescreenManifests` on S3: each full re-screen's shards, one JSON array per run under `monitoring/rescreens/` of the
documents bucket (outside `watchlists/`: writing one starts nothing), read by the state machine's distributed Map
(`ItemReader`, `s3:getObject`, `InputType: JSON`)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MANIFESTS_PREFIX", "S3RescreenManifests"]

MANIFESTS_PREFIX = "monitoring/rescreens/"


class S3RescreenManifests:
    """Implements `arbiter.services.ports.RescreenManifests` on one bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, rescreen_id: str, shards: list[dict[str, Any]]) -> str:
        """Store the run's shards; the manifest's key."""
        key = f"{MANIFESTS_PREFIX}{rescreen_id}.json"
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(shards, separators=(",", ":")).encode("utf-8"),
            ContentType="application/json",
        )
        return key
