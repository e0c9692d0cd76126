"""The two backends every contract runs on: the in-memory fakes and the DynamoDB adapters on the stack's table.

`Ports` is typed with the protocols, so mypy holds both the fakes and the adapters to them."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.clearances import DynamoClearanceStore
from arbiter.adapters.dynamodb.collection_links import DynamoCollectionLinks
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.adapters.dynamodb.monitored import DynamoMonitoredEntities
from arbiter.adapters.dynamodb.packing import unpack
from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
from arbiter.adapters.dynamodb.tenants import DynamoTenantRepository
from arbiter.adapters.dynamodb.webhooks import DynamoWebhookRepository
from arbiter.adapters.dynamodb.workflow_versions import DynamoWorkflowVersions
from arbiter.services.ports import (
    CaseRepository,
    ClearanceStore,
    CollectionLinkRepository,
    MonitoredEntities,
    RuleSetRepository,
    TenantRepository,
    WorkflowVersions,
)
from arbiter.services.webhook_delivery import WebhookRepository
from tests.unit.fakes import (
    InMemoryCases,
    InMemoryClearanceStore,
    InMemoryCollectionLinks,
    InMemoryRuleSets,
    InMemorySecretBox,
    InMemoryTenants,
    InMemoryWorkflowVersions,
)
from tests.unit.monitoring_fakes import InMemoryMonitoredEntities
from tests.unit.webhook_fakes import InMemoryWebhooks

#: The backends each contract runs on.
BACKENDS = ["memory", "dynamodb"]


@dataclass
class Written:
    """What a store wrote beside a case: the ids of its outbox events and continuations, in the order written."""

    events: list[str]
    continuations: list[str]


@dataclass
class Ports:
    """The stores under contract, as the services see them."""

    cases: CaseRepository
    tenants: TenantRepository
    rule_sets: RuleSetRepository
    workflow_versions: WorkflowVersions
    clearances: ClearanceStore
    webhooks: WebhookRepository
    monitored: MonitoredEntities
    collection_links: CollectionLinkRepository


@dataclass
class Backend:
    """One implementation of the ports, and what only a test may look at."""

    name: str
    tenant_id: str
    ports: Ports
    #: What was written beside one case (tenant, case id).
    written: Callable[[str, str], Written]

    def other_tenant(self) -> str:
        """A new tenant id (nothing stored under it)."""
        return f"t-{secrets.token_hex(5)}"


def memory_backend() -> Backend:
    """The fakes the service tests use, sharing one case store (clearances are audited on its cases)."""
    cases = InMemoryCases()
    box = InMemorySecretBox()
    webhooks = InMemoryWebhooks(box)
    tenants = InMemoryTenants(box)
    tenants.webhooks = webhooks  # one table: a new tenant's webhook routes are written with it
    ports = Ports(
        cases=cases,
        tenants=tenants,
        rule_sets=InMemoryRuleSets(),
        workflow_versions=InMemoryWorkflowVersions(),
        clearances=InMemoryClearanceStore(cases),
        webhooks=webhooks,
        monitored=InMemoryMonitoredEntities(cases),
        collection_links=InMemoryCollectionLinks(),
    )

    def written(tenant_id: str, case_id: str) -> Written:
        return Written(
            events=[e.id for e in cases.events if (e.tenant_id, e.case_id) == (tenant_id, case_id)],
            continuations=[
                c.id for c in cases.continuations if (c.tenant_id, c.case_id) == (tenant_id, case_id)
            ],
        )

    return Backend("memory", f"t-{secrets.token_hex(5)}", ports, written)


def dynamodb_backend(stack: Any) -> Backend:
    """The DynamoDB adapters on the local stack's table (its moto), with a tenant of their own."""
    client = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    box = InMemorySecretBox()  # sealing is the KMS adapter's contract (tests/unit/adapters)
    ports = Ports(
        cases=DynamoCaseRepository(client, table),
        tenants=DynamoTenantRepository(client, table, secrets=box),
        rule_sets=DynamoRuleSetRepository(client, table),
        workflow_versions=DynamoWorkflowVersions(client, table),
        clearances=DynamoClearanceStore(client, table),
        webhooks=DynamoWebhookRepository(client, table, secrets=box),
        monitored=DynamoMonitoredEntities(client, table),
        collection_links=DynamoCollectionLinks(client, table),
    )

    def written(tenant_id: str, case_id: str) -> Written:
        response = client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.case_pk(tenant_id, case_id)}),
            ConsistentRead=True,
        )
        items = [from_item(i) for i in response["Items"]]
        # Events ride on a change's audit item (an envelope, or the change's list of them, compressed in `event`) or
        # have outbox items of their own, whose sort key ends with the id (`EVENT#{time}#{id}`); the key's order is
        # the order written.
        riding = []
        for item in items:
            if item["sk"].startswith(keys.AUDIT_PREFIX) and "event" in item:
                carried = json.loads(unpack(bytes(getattr(item["event"], "value", item["event"]))))
                riding += [e["id"] for e in (carried if isinstance(carried, list) else [carried])]
        return Written(
            events=riding
            + [i["sk"].rsplit("#", 1)[1] for i in items if i["sk"].startswith(keys.EVENT_PREFIX)],
            # Continuations ride on their change's audit item when they fit (`continuations`), else have items of
            # their own (`CONT#{time}#{id}`).
            continuations=[
                c["id"]
                for i in items
                if i["sk"].startswith(keys.AUDIT_PREFIX) and "continuations" in i
                for c in json.loads(unpack(bytes(getattr(i["continuations"], "value", i["continuations"]))))
            ]
            + [i["sk"].rsplit("#", 1)[1] for i in items if i["sk"].startswith(keys.CONTINUATION_PREFIX)],
        )

    return Backend("dynamodb", f"t-{secrets.token_hex(5)}", ports, written)
