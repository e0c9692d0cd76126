"""Versioned documents in DynamoDB (rule sets, workflows): immutable content per version, one summary item each.

Saving a draft writes the next version and moves the summary's `latest_version` in one transaction
(conditional on the version the writer read, so two saves at once cannot take the same number); publishing
marks the version published (only once) and points the summary's `published_version` at it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.versions import VersionSummary
from arbiter.services.ports import Page

__all__ = ["DynamoVersionedStore"]

#: DynamoDB items stop at 400 KB; a version stays well below so the other attributes fit.
MAX_CONTENT_BYTES = 350_000
#: How long the events of a publication stay beside the document (the outbox the stream publishes).
EVENT_RETENTION = dt.timedelta(days=30)


class Draft(Protocol):
    id: str
    name: str

    def model_dump(self) -> dict[str, Any]: ...


D = TypeVar("D", bound=Draft)
V = TypeVar("V")
S = TypeVar("S", bound=VersionSummary)


class DynamoVersionedStore(Generic[D, V, S]):
    """Versions of one kind of document; a subclass names the kind (`KIND`, also the summary item's sort key and
    the ByTenant index's kind), its version and summary models, the error for bad input, and the field a too
    large document is blamed on."""

    KIND: ClassVar[str]
    VERSION: ClassVar[type[Any]]
    SUMMARY: ClassVar[type[Any]]
    INVALID: ClassVar[type[InvalidInput]] = InvalidInput
    WHAT: ClassVar[str]
    TOO_LARGE_PATH: ClassVar[str]
    #: The summary item's attribute holding the document's id.
    ID_ATTRIBUTE: ClassVar[str]

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _pk(self, tenant_id: str, document_id: str) -> str:
        return keys.versioned_pk(tenant_id, self.KIND, document_id)

    def _summary(self, tenant_id: str, rule_set_id: str, consistent: bool = False) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": self._pk(tenant_id, rule_set_id), "sk": self.KIND}),
            ConsistentRead=consistent,
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def add_version(
        self,
        tenant_id: str,
        draft: D,
        *,
        actor: str | None,
        at: dt.datetime,
        after: int | None = None,
        floor: int = 0,
    ) -> V:
        """Store `draft` as the next version (a draft); Conflict if another save took that number first. Given
        `after`, the version is `after + 1` and the save a Conflict unless the newest stored version is `after`.
        `floor`: numbering starts above it (a tenant's own version of a built-in workflow follows the built-in)."""
        if after is None:
            summary = self._summary(tenant_id, draft.id, consistent=True)
            stored = int(summary["latest_version"]) if summary else 0
        else:
            stored = after
        version = self.VERSION(
            **draft.model_dump(),
            version=max(stored, floor) + 1,
            status="draft",
            created_at=at,
            created_by=actor,
        )
        content = version.model_dump_json()
        if len(content.encode()) > MAX_CONTENT_BYTES:
            raise self.INVALID(
                f"the {self.WHAT} is too large ({len(content) // 1000} KB; at most 350 KB)",
                path=self.TOO_LARGE_PATH,
            )
        pk = self._pk(tenant_id, draft.id)
        summary_update: dict[str, Any] = {
            "Update": {
                "TableName": self._table,
                "Key": to_item({"pk": pk, "sk": self.KIND}),
                "UpdateExpression": f"SET latest_version = :v, #name = :name, {self.ID_ATTRIBUTE} = :id, "
                "tenant_pk = :tpk, tenant_sk = :id, updated_at = :at",
                "ExpressionAttributeNames": {"#name": "name"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":v": version.version,
                        ":name": draft.name,
                        ":id": draft.id,
                        ":tpk": keys.tenant_index_pk(tenant_id, self.KIND),
                        ":at": at.isoformat(),
                        **({":prev": stored} if stored else {}),
                    }
                ),
                "ConditionExpression": "latest_version = :prev" if stored else "attribute_not_exists(pk)",
            }
        }
        put_version = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": pk,
                        "sk": keys.version_sk(version.version),
                        "version": version.version,
                        "status": "draft",
                        "data": content,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        saved = f"version {version.version} of {draft.id} was just saved"
        # The SDK retries a call whose answer timed out: if the first attempt was applied, it is our version.
        self._transact([summary_update, put_version], saved, done=lambda: self._stored_as(tenant_id, version))
        return version  # type: ignore[no-any-return]

    def get_version(self, tenant_id: str, document_id: str, version: int) -> V:
        """One version, or NotFound (also for another tenant's)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": self._pk(tenant_id, document_id), "sk": keys.version_sk(version)}),
        )
        item = response.get("Item")
        if not item:
            raise NotFound(
                f"{self.WHAT} {document_id} has no version {version}", **{self.ID_ATTRIBUTE: document_id}
            )
        return self._version(from_item(item))

    def versions(self, tenant_id: str, document_id: str, *, limit: int = 100) -> list[V]:
        """The newest versions first; NotFound if there is none."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(
                {":pk": self._pk(tenant_id, document_id), ":prefix": keys.VERSION_PREFIX}
            ),
            ScanIndexForward=False,
            Limit=limit,
        )
        items = [self._version(from_item(item)) for item in response.get("Items", [])]
        if not items:
            raise NotFound(f"no {self.WHAT} {document_id}", **{self.ID_ATTRIBUTE: document_id})
        return items

    def published_version(self, tenant_id: str, document_id: str) -> int | None:
        """The version new cases pin, or None if none is published."""
        summary = self._summary(tenant_id, document_id)
        value = summary.get("published_version") if summary else None
        return int(value) if value is not None else None

    def publish(
        self,
        tenant_id: str,
        document_id: str,
        version: int,
        *,
        actor: str | None,
        at: dt.datetime,
        reason: str | None = None,
        events: Sequence[ArbiterEvent] = (),
    ) -> None:
        """Mark the version published (by `actor`, at `at`, for `reason`) and make it current, with `events` in the
        outbox of the same transaction; Conflict if it already is, or a newer one is."""
        current: Any = self.get_version(tenant_id, document_id, version)
        if current.status == "published":
            if self._published_as(tenant_id, document_id, version, at):
                return  # this very publication, asked again
            raise Conflict(
                f"version {version} of {document_id} is already published", **{self.ID_ATTRIBUTE: document_id}
            )
        pk = self._pk(tenant_id, document_id)
        update: dict[str, Any] = {"status": "published", "published_at": at, "published_by": actor}
        if reason is not None:
            update["publish_reason"] = reason
        published = current.model_copy(update=update)
        self._transact(
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"pk": pk, "sk": keys.version_sk(version)}),
                        "UpdateExpression": "SET #status = :published, #data = :data",
                        "ExpressionAttributeNames": {"#status": "status", "#data": "data"},
                        "ExpressionAttributeValues": to_item(
                            {
                                ":published": "published",
                                ":draft": "draft",
                                ":data": published.model_dump_json(),
                            }
                        ),
                        "ConditionExpression": "#status = :draft",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"pk": pk, "sk": self.KIND}),
                        "UpdateExpression": "SET published_version = :v, published_at = :at",
                        "ExpressionAttributeValues": to_item({":v": version, ":at": at.isoformat()}),
                        "ConditionExpression": "attribute_exists(pk) AND "
                        "(attribute_not_exists(published_version) OR published_version < :v)",
                    }
                },
                *(self._outbox(pk, event) for event in events),
            ],
            f"version {version} of {document_id} is already published, or a newer version is",
            done=lambda: self._published_as(tenant_id, document_id, version, at),
        )

    def _outbox(self, pk: str, event: ArbiterEvent) -> dict[str, Any]:
        """An outbox item (the table's stream publishes it on the bus), kept a while as the document's event log."""
        expires = int((event.time + EVENT_RETENTION).timestamp())
        item = {
            "pk": pk,
            "sk": f"{keys.EVENT_PREFIX}{keys.timestamp(event.time)}#{event.id}",
            "detail_type": event.type,
            "data": json.dumps(event.envelope()),
            "expires_at": expires,
        }
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def list(self, tenant_id: str, *, cursor: str | None = None, limit: int = 50) -> Page[S]:
        """The tenant's documents (summaries) by id, one page at a time (a Query on ByTenant)."""
        partition = keys.tenant_index_pk(tenant_id, self.KIND)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByTenant",
            "KeyConditionExpression": "tenant_pk = :tpk",
            "ExpressionAttributeValues": to_item({":tpk": partition}),
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = self._start_key(cursor, partition)
        response = self._client.query(**request)
        items = [
            self.SUMMARY(
                id=item["tenant_sk"],  # the document's id (a key attribute: the index projects it)
                name=item["name"],
                latest_version=int(item["latest_version"]),
                published_version=_int_or_none(item.get("published_version")),
                updated_at=item.get("updated_at"),
            )
            for item in (from_item(raw) for raw in response.get("Items", []))
        ]
        last = response.get("LastEvaluatedKey")
        return Page(items=items, cursor=json.dumps(last) if last else None)

    def _transact(
        self, operations: Sequence[dict[str, Any]], conflict: str, done: Callable[[], bool] | None = None
    ) -> None:
        """Write all or nothing; Conflict if a condition fails, unless `done` says the write is already ours."""
        try:
            self._client.transact_write_items(TransactItems=list(operations))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            if done is not None and done():
                return
            raise Conflict(conflict) from exc

    def _stored_as(self, tenant_id: str, version: Any) -> bool:
        """Whether the stored version is exactly this one (same content, same save time)."""
        try:
            stored: Any = self.get_version(tenant_id, version.id, version.version)
        except NotFound:
            return False
        return bool(stored.created_at == version.created_at and stored.content() == version.content())

    def _published_as(self, tenant_id: str, document_id: str, version: int, at: dt.datetime) -> bool:
        """Whether this very publication (same time) is the one stored."""
        stored: Any = self.get_version(tenant_id, document_id, version)
        return bool(stored.published_at == at and self.published_version(tenant_id, document_id) == version)

    def _version(self, item: dict[str, Any]) -> V:
        return self.VERSION.model_validate_json(item["data"])  # type: ignore[no-any-return]

    def _start_key(self, cursor: str, partition: str) -> dict[str, Any]:
        """The ExclusiveStartKey a cursor of this list stands for; INVALID for anything else (DynamoDB would refuse
        another shape, and a key of another tenant's list must never be a place to start)."""
        try:
            key = json.loads(cursor)
        except ValueError:
            key = None
        valid = (
            isinstance(key, dict)
            and set(key) == _CURSOR_ATTRIBUTES
            and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
            and key["tenant_pk"]["S"] == partition
        )
        if not valid:
            raise self.INVALID("cursor is not one this API returned", path="cursor")
        return key  # type: ignore[no-any-return]


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


#: The attributes of a ByTenant page's last key (the table's key and the index's), as DynamoDB returns it.
_CURSOR_ATTRIBUTES = {"pk", "sk", "tenant_pk", "tenant_sk"}
