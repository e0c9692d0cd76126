"""`WatchlistSource` on S3: lists read by key and kept loaded per object version (ETag) for the container's life.

Each screening asks S3 only for the object's metadata (HeadObject; `load_first` asks for a tenant's own list and
the default at once); the list is downloaded and indexed again only
when its ETag changed, i.e. when an operator uploaded a new version. One lock per key keeps concurrent checks of
a warm container from loading the same list twice; at most `max_lists` lists stay loaded, least recently used
dropped first.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from arbiter.domain.errors import InvalidInput
from arbiter.plugins.builtin.sanctions import (
    ListFormat,
    LoadedWatchlist,
    WatchlistMissing,
    WatchlistUnavailable,
)
from arbiter.screening import Watchlist, WatchlistFormatError, load_watchlist

__all__ = ["S3WatchlistSource"]

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
_REFUSED_CODES = frozenset({"403", "AccessDenied", "AllAccessDisabled"})


class S3WatchlistSource:
    """Implements `arbiter.plugins.builtin.sanctions.WatchlistSource` on one bucket."""

    def __init__(self, client: Any, bucket: str, *, max_lists: int = 4) -> None:
        self._client = client
        self._bucket = bucket
        self._max_lists = max_lists
        self._loaded: OrderedDict[str, tuple[str, LoadedWatchlist]] = OrderedDict()
        self._guard = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        #: How many times a list was downloaded and indexed (what the cache saves; read by tests).
        self.loads = 0

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        try:
            self._head(key)
        except WatchlistMissing:
            return False
        return True

    def load(self, key: str, *, format: ListFormat, aliases_key: str | None = None) -> LoadedWatchlist:
        """The list stored at `key` now, loaded once per version."""
        return self._load(key, self._head(key), format=format, aliases_key=aliases_key)

    def load_first(
        self, keys: Sequence[str], *, format: ListFormat, aliases_key: str | None = None
    ) -> LoadedWatchlist:
        """The list at the first of `keys` stored now, loaded once per version. The keys' metadata is asked for
        at once (a tenant's own list and the default: one HeadObject's wait instead of two, then none again)."""
        if len(keys) == 1:
            return self.load(keys[0], format=format, aliases_key=aliases_key)
        with ThreadPoolExecutor(max_workers=len(keys), thread_name_prefix="watchlist-head") as pool:
            heads = list(pool.map(self._head_or_error, keys))
        missing: Exception | None = None
        for key, head in zip(keys, heads, strict=True):
            if isinstance(head, WatchlistMissing):
                missing = head
                continue
            if isinstance(head, Exception):  # whether an earlier list is stored is unknown: not the next one
                raise head
            return self._load(key, head, format=format, aliases_key=aliases_key)
        assert missing is not None  # every key was asked and none is stored
        raise missing

    def _head_or_error(self, key: str) -> dict[str, Any] | Exception:
        try:
            return self._head(key)
        except (WatchlistMissing, WatchlistUnavailable) as e:
            return e

    def _load(
        self, key: str, head: dict[str, Any], *, format: ListFormat, aliases_key: str | None
    ) -> LoadedWatchlist:
        aliases_head = self._head(aliases_key) if aliases_key else None
        etag = head["ETag"].strip('"') + (f"+{aliases_head['ETag'].strip(chr(34))}" if aliases_head else "")
        cache_key = f"{format}|{key}|{aliases_key or ''}"
        with self._lock_for(cache_key):
            cached = self._cached(cache_key, etag)
            if cached is not None:
                return cached
            loaded = LoadedWatchlist(
                watchlist=self._read(key, format, aliases_key),
                key=key,
                etag=etag,
                last_modified=head.get("LastModified"),
            )
            self.loads += 1
            with self._guard:
                self._loaded[cache_key] = (etag, loaded)
                self._loaded.move_to_end(cache_key)
                while len(self._loaded) > self._max_lists:
                    self._loaded.popitem(last=False)
            return loaded

    def _cached(self, cache_key: str, etag: str) -> LoadedWatchlist | None:
        with self._guard:
            hit = self._loaded.get(cache_key)
            if hit is None or hit[0] != etag:
                return None
            self._loaded.move_to_end(cache_key)
            return hit[1]

    def _lock_for(self, cache_key: str) -> threading.Lock:
        with self._guard:
            return self._key_locks.setdefault(cache_key, threading.Lock())

    def _read(self, key: str, format: ListFormat, aliases_key: str | None) -> Watchlist:
        body = self._get(key)
        where = f"s3://{self._bucket}/{key}"
        try:
            if format == "prebuilt":
                return Watchlist.load(body)
            aliases = self._get(aliases_key) if aliases_key else None
            return load_watchlist(body, format=format, aliases=aliases)
        except (WatchlistFormatError, InvalidInput) as e:
            raise WatchlistMissing(f"the watchlist {where} cannot be read: {e.message}", key=key) from e

    def _head(self, key: str) -> dict[str, Any]:
        try:
            head = self._client.head_object(Bucket=self._bucket, Key=key)
        except (ClientError, BotoCoreError) as e:
            raise self._error(key, e) from e
        return {"ETag": head["ETag"], "LastModified": _aware(head.get("LastModified"))}

    def _get(self, key: str) -> bytes:
        try:
            return bytes(self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        except (ClientError, BotoCoreError) as e:
            raise self._error(key, e) from e

    def _error(self, key: str, error: Exception) -> Exception:
        where = f"s3://{self._bucket}/{key}"
        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _MISSING_CODES:
                return WatchlistMissing(f"no watchlist is stored at {where}", key=key)
            if code in _REFUSED_CODES:
                return WatchlistMissing(f"reading the watchlist {where} is not allowed ({code})", key=key)
            return WatchlistUnavailable(f"the watchlist {where} could not be read: {code}", key=key)
        return WatchlistUnavailable(f"the watchlist {where} could not be read: {error}", key=key)


def _aware(value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
