"""The documents bucket: presigned uploads and downloads, reads within a limit, deletion of every version.

Implements `arbiter.services.documents.DocumentStore`. Keys are chosen by the services (`document_keys`), never
taken from a request.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from botocore.exceptions import ClientError

__all__ = ["S3DocumentStore"]

_MISSING = ("404", "NoSuchKey", "NotFound")


class S3DocumentStore:
    """One bucket; the client is injected (moto in tests and on the local stack)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def upload_form(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """A presigned POST whose policy fixes the key and the content type and bounds the size."""
        return dict(
            self._client.generate_presigned_post(
                Bucket=self._bucket,
                Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
                ExpiresIn=expires_in,
            )
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store bytes (encrypted at rest by the bucket's default encryption)."""
        self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def put_file(self, key: str, body: BinaryIO, content_type: str) -> None:
        """Store a file's contents from its current position, streamed (it is not read into memory whole)."""
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def size(self, key: str) -> int | None:
        """The object's size, or None when there is no such object."""
        try:
            return int(self._client.head_object(Bucket=self._bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _MISSING:
                return None
            raise

    def read(self, key: str, max_bytes: int) -> bytes | None:
        """At most `max_bytes + 1` bytes of the object (so a caller sees it is too large), or None."""
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{max_bytes}")
        except ClientError as exc:
            if exc.response["Error"]["Code"] in (*_MISSING, "InvalidRange"):
                return None
            raise
        return bytes(response["Body"].read(max_bytes + 1))

    def keys_under(self, prefix: str) -> list[str]:
        """The keys of the objects under `prefix` (current or not: a versioned bucket keeps both)."""
        keys: set[str] = set()
        paginator = self._client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            keys.update(item["Key"] for item in page.get("Versions", []) + page.get("DeleteMarkers", []))
        return sorted(keys)

    def delete(self, keys: list[str]) -> None:
        """Delete every version of each key (the bucket is versioned: a plain delete would only hide them)."""
        for key in keys:
            versions: list[dict[str, str]] = []
            paginator = self._client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=key):
                for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    if item["Key"] == key:
                        versions.append({"Key": key, "VersionId": item["VersionId"]})
            if not versions:
                versions = [{"Key": key}]
            for start in range(0, len(versions), 1000):
                self._client.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": versions[start : start + 1000], "Quiet": True}
                )

    def download_url(
        self, key: str, *, expires_in: int, content_type: str | None = None, filename: str | None = None
    ) -> str:
        """A presigned GET, valid `expires_in` seconds, shown inline by browsers (saved as `filename` if given)."""
        params: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"' if filename else "inline",
        }
        if content_type:
            params["ResponseContentType"] = content_type
        return str(self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))
