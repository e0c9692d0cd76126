"""Monitoring backtest jobs in DynamoDB: one item per job (`TENANT#{t}#BACKTEST#{id}`, `BACKTEST`), its JSON in
`data` and its status beside it for the conditional writes; kept 30 days (the table's TTL)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.domain.errors import ConcurrentUpdate
from arbiter.services.transaction_backtest_jobs import JOB_RETENTION, BacktestJob, JobStatus

__all__ = ["DynamoBacktestJobs"]


class DynamoBacktestJobs:
    """Implements `arbiter.services.transaction_backtest_jobs.BacktestJobStore`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def _key(tenant_id: str, job_id: str) -> dict[str, Any]:
        return {"pk": {"S": keys.backtest_job_pk(tenant_id, job_id)}, "sk": {"S": keys.BACKTEST_JOB_SK}}

    def _item(self, job: BacktestJob) -> dict[str, Any]:
        expires = int((job.requested_at + JOB_RETENTION).timestamp())
        return {
            **self._key(job.tenant_id, job.id),
            "status": {"S": job.status},
            "data": {"S": job.model_dump_json()},
            "expires_at": {"N": str(expires)},
        }

    def create(self, job: BacktestJob) -> None:
        try:
            self._client.put_item(
                TableName=self._table, Item=self._item(job), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConcurrentUpdate(f"backtest {job.id} exists") from exc
            raise

    def get(self, tenant_id: str, job_id: str) -> BacktestJob | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(tenant_id, job_id), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        return BacktestJob.model_validate_json(response["Item"]["data"]["S"])

    def save(self, job: BacktestJob, expected: JobStatus) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self._item(job),
                ConditionExpression="#status = :expected",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":expected": {"S": expected}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, tenant_id: str, job_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=self._key(tenant_id, job_id))
