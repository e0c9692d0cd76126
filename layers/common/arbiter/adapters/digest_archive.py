"""The audit digest bucket: versioned, under Object Lock in compliance mode with a default retention
(template.yaml `AuditDigestBucket`), so an object written here cannot be overwritten or deleted, by anyone, until
its retention ends.

Implements `arbiter.services.audit_trail.DigestArchive`.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

__all__ = ["S3DigestArchive"]


class S3DigestArchive:
    """One bucket; the client is injected (moto in tests and on the local stack)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put_locked(self, key: str, body: bytes) -> str | None:
        """Put the object; S3 applies the bucket's default retention (a put to a locked bucket must carry a
        checksum: Content-MD5 here). Its version id."""
        response = self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode(),  # noqa: S324 - S3's integrity check
        )
        version = response.get("VersionId")
        return str(version) if version else None
