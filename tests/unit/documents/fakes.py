"""In-memory fakes of the documents' ports: the bucket, the hash index and the remote-page fetcher."""

from __future__ import annotations

from typing import Any, BinaryIO

from arbiter.services.documents import PageUnavailable
from tests.unit.fakes import FakeDependencies


class InMemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.deleted: list[str] = []

    def upload_form(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        return {"url": "https://bucket.example/", "fields": {"key": key, "Content-Type": content_type}}

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data

    def put_file(self, key: str, body: BinaryIO, content_type: str) -> None:
        self.objects[key] = body.read()

    def size(self, key: str) -> int | None:
        return len(self.objects[key]) if key in self.objects else None

    def read(self, key: str, max_bytes: int) -> bytes | None:
        data = self.objects.get(key)
        return None if data is None else data[: max_bytes + 1]

    def keys_under(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)
            self.deleted.append(key)

    def download_url(
        self, key: str, *, expires_in: int, content_type: str | None = None, filename: str | None = None
    ) -> str:
        return f"https://bucket.example/{key}?expires={expires_in}"


class InMemoryHashes:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], set[str]] = {}

    def record(
        self, tenant_id: str, sha256: str, case_id: str, document_id: str, version: int, page: int
    ) -> list[str]:
        cases = self.entries.setdefault((tenant_id, sha256), set())
        cases.add(case_id)
        return sorted(c for c in cases if c != case_id)

    def forget(self, tenant_id: str, sha256: str, case_id: str) -> None:
        self.entries.get((tenant_id, sha256), set()).discard(case_id)


class FakeFetcher:
    """Answers from a dict of URL -> bytes; any other URL is unavailable."""

    def __init__(self, pages: dict[str, bytes] | None = None) -> None:
        self.pages = pages or {}
        self.fetched: list[str] = []

    def fetch(self, url: str, max_bytes: int) -> bytes:
        self.fetched.append(url)
        if url not in self.pages:
            raise PageUnavailable("ConnectFailed: could not connect")
        return self.pages[url]


def document_deps(fetcher: FakeFetcher | None = None) -> FakeDependencies:
    return FakeDependencies(store=InMemoryStore(), hashes=InMemoryHashes(), fetcher=fetcher or FakeFetcher())
