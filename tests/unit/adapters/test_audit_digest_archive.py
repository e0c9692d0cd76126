"""The daily audit digest against the stack's moto: the day's heads found through ByAuditDay, each tenant's digest
written to the Object Lock bucket in compliance mode and recorded, an anchor on each case that the verifier checks,
digests chained day to day, and a repeated run writing nothing twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError

from arbiter.adapters.digest_archive import S3DigestArchive
from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.audit_digests import DynamoAuditHeadLog
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.items import to_item
from arbiter.domain.audit_chain import canonical, extend, verify
from arbiter.domain.case import SYSTEM, Actor, Case
from arbiter.services.audit_trail import write_daily_digests
from tests.builders import individual

REVIEWER = Actor(type="reviewer", id="r-1")


class Day:
    """A day no other test writes on (the case store's clock is set to it), so the digest sees only this test's
    cases."""

    def __init__(self, stack: Any) -> None:
        self.date = dt.date(1990, 1, 1) + dt.timedelta(days=random.randrange(3000))
        self.client = stack.client("dynamodb")
        self.table = stack.physical_id("ArbiterTable")
        self.s3 = stack.client("s3")
        self.bucket = stack.physical_id("AuditDigestBucket")
        self.log = DynamoAuditHeadLog(self.client, self.table)
        self.archive = S3DigestArchive(self.s3, self.bucket)

    def cases_on(self, date: dt.date) -> DynamoCaseRepository:
        noon = dt.datetime.combine(date, dt.time(12), tzinfo=dt.UTC)
        return DynamoCaseRepository(self.client, self.table, clock=lambda: noon)

    def open_case(self, tenant_id: str, date: dt.date | None = None) -> Case:
        at = dt.datetime.combine(date or self.date, dt.time(9), tzinfo=dt.UTC)
        case, change = Case.open(
            tenant_id=tenant_id,
            workflow_id="kyc",
            workflow_version=1,
            entity=individual("e-1"),
            actor=SYSTEM,
            at=at,
        )
        self.cases_on(date or self.date).add(case, change)
        return case

    def note(self, case: Case, date: dt.date, text: str) -> None:
        cases = self.cases_on(date)
        current = cases.get(case.tenant_id, case.id)
        at = dt.datetime.combine(date, dt.time(10), tzinfo=dt.UTC)
        cases.save(current, current.record_note(text, REVIEWER, at=at), expected_version=current.version)


@pytest.fixture
def day(stack: Any) -> Day:
    return Day(stack)


def tenant() -> str:
    return f"t-{secrets.token_hex(4)}"


def test_the_digest_of_a_day_is_written_object_locked_in_compliance_mode_and_recorded(day: Day) -> None:
    first, second = tenant(), tenant()
    cases = [day.open_case(first), day.open_case(first), day.open_case(second)]
    report = write_daily_digests(day.log, day.archive, day.date)
    assert (report.tenants, report.cases, report.already_written) == (2, 3, 0)
    record = next(r for r in report.digests if r.tenant_id == first)
    assert record.key == f"audit-digests/{first}/{day.date.isoformat()}.json"
    stored = day.s3.get_object(Bucket=day.bucket, Key=record.key, VersionId=record.version_id)
    body = stored["Body"].read()
    assert hashlib.sha256(body).hexdigest() == record.sha256
    assert stored["ObjectLockMode"] == "COMPLIANCE"
    locked = day.s3.head_object(Bucket=day.bucket, Key=record.key, VersionId=record.version_id)
    assert locked["ObjectLockMode"] == "COMPLIANCE"
    assert locked["ObjectLockRetainUntilDate"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    configuration = day.s3.get_object_lock_configuration(Bucket=day.bucket)["ObjectLockConfiguration"]
    retention = configuration["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("COMPLIANCE", 2555)
    document = json.loads(body)
    assert body == canonical(document)
    assert sorted(h["case_id"] for h in document["heads"]) == sorted(c.id for c in cases[:2])
    assert day.log.digest(first, day.date.isoformat()) == record


def test_a_locked_digest_cannot_be_deleted(day: Day) -> None:
    day.open_case(tenant())
    (record,) = write_daily_digests(day.log, day.archive, day.date).digests
    with pytest.raises(ClientError) as refused:
        day.s3.delete_object(Bucket=day.bucket, Key=record.key, VersionId=record.version_id)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_the_verifier_checks_a_case_against_the_head_its_digest_recorded(day: Day) -> None:
    t = tenant()
    case = day.open_case(t)
    (record,) = write_daily_digests(day.log, day.archive, day.date).digests
    later = day.date + dt.timedelta(days=1)
    day.note(case, later, "after the digest")
    cases = day.cases_on(later)
    result = verify(cases.audit_chain(t, case.id))
    assert result.valid
    assert result.anchored is not None
    assert result.anchored.model_dump() == {
        "date": day.date.isoformat(),
        "digest_key": record.key,
        "entries": 1,
    }


def test_a_chain_rewritten_with_its_head_after_the_digest_is_caught_by_the_anchor(day: Day) -> None:
    t = tenant()
    case = day.open_case(t)
    write_daily_digests(day.log, day.archive, day.date)
    cases = day.cases_on(day.date)
    # Rewrite the first entry and recompute its hash and the case's head, as someone with write access could.
    chain = cases.audit_chain(t, case.id)
    forged = {**chain.records[0].content, "reason": "rewritten"}
    (forged_link,) = extend(None, t, case.id, [forged])
    pk = keys.case_pk(t, case.id)
    audit_sk = day.client.query(
        TableName=day.table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :a)",
        ExpressionAttributeValues=to_item({":pk": pk, ":a": keys.AUDIT_PREFIX}),
    )["Items"][0]["sk"]["S"]
    day.client.update_item(
        TableName=day.table,
        Key=to_item({"pk": pk, "sk": audit_sk}),
        UpdateExpression="SET #d = :d, #h = :h",
        ExpressionAttributeNames={"#d": "data", "#h": "hash"},
        ExpressionAttributeValues=to_item(
            {":d": canonical(forged).decode(), ":h": bytes.fromhex(forged_link.hash)}
        ),
    )
    day.client.update_item(
        TableName=day.table,
        Key=to_item({"pk": pk, "sk": keys.CASE_SK}),
        UpdateExpression="SET chain_head = :h",
        ExpressionAttributeValues=to_item({":h": bytes.fromhex(forged_link.hash)}),
    )
    result = verify(cases.audit_chain(t, case.id))
    assert not result.valid
    assert result.broken_at is not None
    assert result.broken_at.reason == "anchor_mismatch"


def test_digests_chain_day_to_day_and_a_repeated_run_writes_nothing_twice(day: Day) -> None:
    t = tenant()
    case = day.open_case(t)
    (first,) = write_daily_digests(day.log, day.archive, day.date).digests
    again = write_daily_digests(day.log, day.archive, day.date)
    assert (again.already_written, again.digests) == (1, [])
    later = day.date + dt.timedelta(days=1)
    day.note(case, later, "the next day")
    (second,) = write_daily_digests(day.log, day.archive, later).digests
    assert second.previous_sha256 == first.sha256
    body = day.s3.get_object(Bucket=day.bucket, Key=second.key)["Body"].read()
    document = json.loads(body)
    assert document["previous"] == {"date": day.date.isoformat(), "sha256": first.sha256}
    assert document["heads"][0]["entries"] == 2


def test_a_day_with_no_changes_writes_no_digest(day: Day) -> None:
    report = write_daily_digests(day.log, day.archive, day.date)
    assert (report.tenants, report.cases, report.digests) == (0, 0, [])


class UnreachableArchive:
    """A bucket that refuses the put (S3 unreachable, or the function's role lacking s3:PutObject)."""

    def put_locked(self, key: str, body: bytes) -> str | None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "refused"}}, "PutObject")


def test_a_digest_the_bucket_refused_is_not_recorded_and_the_next_run_writes_it(day: Day) -> None:
    t = tenant()
    case = day.open_case(t)
    with pytest.raises(ClientError):
        write_daily_digests(day.log, UnreachableArchive(), day.date)
    assert day.log.digest(t, day.date.isoformat()) is None
    assert day.cases_on(day.date).audit_chain(t, case.id).anchor is None
    (record,) = write_daily_digests(day.log, day.archive, day.date).digests
    assert day.log.digest(t, day.date.isoformat()) == record
    assert day.cases_on(day.date).audit_chain(t, case.id).anchor is not None
