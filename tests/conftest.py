"""Suite-wide fixtures. Tests never reach a real AWS account: credentials are fake and the region fixed.

AWS-backed tests share one local stack per test process (moto in server mode, provisioned from
template.yaml, handlers in process); each test gets its own tenant, so tests cannot see each other's data.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.ports import free_port
from tests.support.tenants import TenantFixture, make_tenant

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # moto's fake credentials
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


# Tests of the local stack's patches to moto's internals use moto's in-process mock, which resets the backends the
# suite's stack shares: they run in a process of their own (tests/unit/local/test_moto_patches.py), not here.
collect_ignore_glob = [] if os.environ.get("ARBITER_MOTO_PROCESS") else ["moto_process/*"]

#: Template parameters the suite changes: webhook retries a second apart instead of minutes and hours, and a
#: check's time in an automated run short enough for a test to outlast it (a slow vendor).
TEST_PARAMETERS = {"WebhookRetrySchedule": "0,1,1,1,1,1,1,1", "CheckTimeBudgetSeconds": "15"}


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    """The whole system, started once for this test process."""
    from arbiter_local.stack import LOCAL_PARAMETERS, LocalStack, StackConfig

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parameters = {**LOCAL_PARAMETERS, **TEST_PARAMETERS}
    config = StackConfig(api_port=free_port(), moto_port=free_port(), parameters=parameters)
    local = LocalStack(config, progress=lambda _: None)
    local.start()
    # A partner subscribed from the start: every event the session publishes is checked against its schema.
    local.partner = BusEvents(local)
    try:
        yield local
        validate_published_events(local.partner.drain())
    finally:
        local.stop()


@pytest.fixture
def tenant(stack: Any) -> TenantFixture:
    """A fresh tenant with its own API key, in the standard tier with a usage key of its own (as the operator's
    `arbiter-admin create-tenant` makes them), so that no test's requests count against another's limits."""
    return make_tenant(stack)


class BusEvents:
    """Every event published on the bus, as a partner's SQS queue subscribed with a rule would receive it."""

    def __init__(self, stack: Any) -> None:
        self._sqs = stack.client("sqs")
        events = stack.client("events")
        bus = stack.physical_id("EventBus")
        self._url = self._sqs.create_queue(QueueName=f"test-partner-{secrets.token_hex(4)}")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="test-partner-all", EventBusName=bus, EventPattern=json.dumps({"source": ["arbiter"]})
        )
        events.put_targets(Rule="test-partner-all", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
        self.received: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        """Everything received so far (EventBridge's full event: source, detail-type, detail)."""
        while True:
            messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return self.received
            for message in messages:
                self.received.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        """The events of one case, in the order they were published."""
        return [e for e in self.drain() if e["detail"].get("case_id") == case_id]


@pytest.fixture
def bus_events(stack: Any) -> BusEvents:
    """A partner's view of the bus, subscribed when the stack started (filter by case id)."""
    return stack.partner


def validate_published_events(received: list[dict[str, Any]]) -> None:
    """Each event's detail must match the schema of its detail-type (schemas/events)."""
    import jsonschema

    from arbiter.domain.event_schemas import catalog

    schemas = {schema["properties"]["type"]["const"]: schema for schema in catalog().values()}
    for event in received:
        assert event["detail-type"] in schemas, f"no schema for published event {event['detail-type']}"
        jsonschema.validate(event["detail"], schemas[event["detail-type"]])


# xdist's controller: every collected test must come back with a result. A test a worker collects but never runs
# (as schemathesis' generated tests in xdist's workers) would otherwise leave the run green and the test unrun.
_finished: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        _finished.add(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput") or not getattr(session.config.option, "numprocesses", None):
        return  # a worker, or a run in one process (pytest itself runs what it collects)
    collected = session.testscollected
    if exitstatus == 0 and collected and len(_finished) < collected:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"{collected - len(_finished)} of {collected} collected tests never ran in xdist's workers"
        if reporter is not None:
            reporter.write_line(f"ERROR: {message}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
