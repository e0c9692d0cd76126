"""`ListFingerprints` on S3: the entry fingerprints of the list version ongoing screening last matched, one gzipped
JSON object per list under `monitoring/fingerprints/` of the same bucket (outside `watchlists/`, whose uploads
notify the ongoing screening function: writing them starts nothing)."""

from __future__ import annotations

import gzip
import json
from typing import Any

from botocore.exceptions import ClientError

from arbiter.services.ports import StoredFingerprints

__all__ = ["FINGERPRINTS_PREFIX", "S3ListFingerprints"]

FINGERPRINTS_PREFIX = "monitoring/fingerprints/"


class S3ListFingerprints:
    """Implements `arbiter.services.ports.ListFingerprints` on one bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def get(self, list_key: str) -> StoredFingerprints | None:
        """What was kept for the list, if it was ever screened."""
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=_key(list_key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        data = json.loads(gzip.decompress(body))
        return StoredFingerprints(
            etag=data["etag"],
            sha256=data["sha256"],
            entries=data["entries"],
            matcher_version=data.get("matcher_version"),
        )

    def put(self, list_key: str, fingerprints: StoredFingerprints) -> None:
        """Keep them, replacing the previous version's."""
        data = {
            "etag": fingerprints.etag,
            "sha256": fingerprints.sha256,
            "matcher_version": fingerprints.matcher_version,
            "entries": fingerprints.entries,
        }
        body = gzip.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 6)
        self._client.put_object(
            Bucket=self._bucket,
            Key=_key(list_key),
            Body=body,
            ContentType="application/json",
            ContentEncoding="gzip",
        )


def _key(list_key: str) -> str:
    return f"{FINGERPRINTS_PREFIX}{list_key}.json.gz"
