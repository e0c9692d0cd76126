"""Collection links in DynamoDB: one item per link, keyed by its token's hash, expiring with the link."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.collection import CollectionLink
from arbiter.domain.errors import Conflict, NotFound

__all__ = ["DynamoCollectionLinks"]


class DynamoCollectionLinks:
    """Implements `arbiter.services.ports.CollectionLinkRepository`.

    The item's `expires_at` (epoch seconds) is the table's TTL attribute: DynamoDB deletes a link some time after
    it expired; until then the service refuses it by its time.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _item(self, link: CollectionLink) -> dict[str, Any]:
        return {
            "pk": keys.collection_link_pk(link.token_hash),
            "sk": keys.COLLECTION_LINK_SK,
            "tenant_pk": keys.case_collection_links_pk(link.tenant_id, link.case_id),
            "tenant_sk": f"{keys.timestamp(link.created_at)}#{link.id}",
            "expires_at": int(link.expires_at.timestamp()),
            "data": link.model_dump_json(),
        }

    def _put(self, link: CollectionLink, condition: str) -> None:
        self._client.put_item(
            TableName=self._table, Item=to_item(self._item(link)), ConditionExpression=condition
        )

    def add(self, link: CollectionLink) -> None:
        """Store a new link; Conflict if its token hash is stored already."""
        try:
            self._put(link, "attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict("this collection token is already issued") from exc
            raise

    def update(self, link: CollectionLink) -> None:
        """Replace a stored link; NotFound if there is none."""
        try:
            self._put(link, "attribute_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound(f"collection link {link.id} not found", link_id=link.id) from exc
            raise

    def by_token_hash(self, token_hash: str) -> CollectionLink | None:
        """The link whose token hashes to `token_hash`, or None."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.collection_link_pk(token_hash), "sk": keys.COLLECTION_LINK_SK}),
            ConsistentRead=True,  # a link revoked a moment ago is refused at once
        )
        item = response.get("Item")
        return CollectionLink.model_validate_json(from_item(item)["data"]) if item else None

    def for_case(self, tenant_id: str, case_id: str) -> list[CollectionLink]:
        """The case's links, oldest first (the ByTenant index)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByTenant",
            "KeyConditionExpression": "tenant_pk = :p",
            "ExpressionAttributeValues": to_item({":p": keys.case_collection_links_pk(tenant_id, case_id)}),
        }
        links: list[CollectionLink] = []
        while True:
            response = self._client.query(**request)
            links += [
                CollectionLink.model_validate_json(from_item(i)["data"]) for i in response.get("Items", [])
            ]
            if "LastEvaluatedKey" not in response:
                return links
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def answers(self, tenant_id: str, case_id: str) -> dict[str, Any]:
        """The case's saved step data, by step id."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": to_item({":p": keys.collected_pk(tenant_id, case_id)}),
            "ConsistentRead": True,  # the journey shows what was just saved
        }
        found: dict[str, Any] = {}
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                values = from_item(item)
                found[values["step_id"]] = json.loads(values["data"])
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def save_answer(
        self, tenant_id: str, case_id: str, step_id: str, data: dict[str, Any], at: dt.datetime
    ) -> None:
        """Store one step's data (as JSON: any number a schema allows round-trips), replacing that step's only."""
        item = {
            "pk": keys.collected_pk(tenant_id, case_id),
            "sk": f"STEP#{step_id}",
            "step_id": step_id,
            "saved_at": keys.timestamp(at),
            "data": json.dumps(data, separators=(",", ":")),
        }
        self._client.put_item(TableName=self._table, Item=to_item(item))

    def erase_answers(self, tenant_id: str, case_id: str) -> None:
        """Delete every step's data of the case, one record per step."""
        pk = keys.collected_pk(tenant_id, case_id)
        for step_id in self.answers(tenant_id, case_id):
            self._client.delete_item(TableName=self._table, Key=to_item({"pk": pk, "sk": f"STEP#{step_id}"}))
