"""moto's DynamoDB queries read their partition, not a sorted copy of the whole table, and answer as before."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from arbiter_local.moto_queries import MotoQueries

TABLE = "queries-test"


def create(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gpk", "gsk")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByG",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for p in range(30):
        for s in range(10):
            client.put_item(
                TableName=TABLE,
                Item={
                    "pk": {"S": f"p{p:02d}"},
                    "sk": {"S": f"s{s:02d}"},
                    "gpk": {"S": f"g{(p * 10 + s) % 7}"},
                    "gsk": {"S": f"{s:02d}-{p:02d}"},
                },
            )


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p07"}}},
    {
        "KeyConditionExpression": "pk = :p AND sk > :s",
        "ExpressionAttributeValues": {":p": {"S": "p07"}, ":s": {"S": "s04"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nobody"}}},
    {
        "IndexName": "ByG",
        "KeyConditionExpression": "gpk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g3"}},
    },
    {
        "IndexName": "ByG",
        "KeyConditionExpression": "gpk = :g AND begins_with(gsk, :s)",
        "ExpressionAttributeValues": {":g": {"S": "g3"}, ":s": {"S": "04-"}},
        "Limit": 2,
    },
]


def answers(client: Any) -> list[Any]:
    """Every query's pages (following LastEvaluatedKey), and a scan."""
    out = []
    for query in QUERIES:
        pages, start = [], None
        while True:
            page = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
            pages.append(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        out.append(pages)
    out.append(client.scan(TableName=TABLE, Limit=50)["Items"])
    return out


@pytest.fixture
def sorts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times moto sorted the whole table (installed before the query path, which keeps it for scans)."""
    counted: list[int] = []
    sorted_items = Table.all_items

    def counting(table: Table) -> Any:
        counted.append(1)
        return sorted_items(table)

    monkeypatch.setattr(Table, "all_items", counting)
    return counted


def test_queries_answer_as_moto_does_without_sorting_the_table(sorts):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create(client)
        expected = answers(client)
        queries = MotoQueries()
        queries.install()
        try:
            sorts.clear()
            assert answers(client) == expected
            assert len(sorts) == 1  # the scan only
            assert len(client.query(TableName=TABLE, **QUERIES[0])["Items"]) == 10
        finally:
            queries.uninstall()
        assert answers(client) == expected  # moto's own path again
