"""What the table holds of secrets, read raw from moto's DynamoDB: ciphertext only, and deliveries still verify.

Webhook signing secrets and a tenant's Ballerine shared secret are sealed with the stack's KMS key (the tenant as
encryption context); records written before sealing are still read, and sealed when next written. An API key's
record never holds the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.tenant import hash_api_key
from tests.support.tenants import make_tenant, tenant_repository
from tests.support.webhooks import Receiver, subscribe


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(**kwargs: Any) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def raw_item(stack: Any, pk: str, sk: str) -> dict[str, Any]:
    """The item exactly as stored."""
    response = stack.client("dynamodb").get_item(
        TableName=stack.physical_id("ArbiterTable"), Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True
    )
    return from_item(response["Item"])


def put_raw(stack: Any, item: dict[str, Any]) -> None:
    stack.client("dynamodb").put_item(TableName=stack.physical_id("ArbiterTable"), Item=to_item(item))


def webhook_item(stack: Any, tenant_id: str, webhook_id: str) -> dict[str, Any]:
    return raw_item(stack, keys.webhook_pk(tenant_id, webhook_id), keys.WEBHOOK_SK)


def tenant_item(stack: Any, tenant_id: str) -> dict[str, Any]:
    return raw_item(stack, keys.tenant_pk(tenant_id), keys.TENANT_SK)


def test_a_webhook_secret_is_sealed_in_the_table_and_deliveries_still_verify(
    tenant, stack, receivers
) -> None:
    receiver = receivers()
    created = subscribe(tenant, receiver.url)
    secret = created["secret"]
    item = webhook_item(stack, tenant.id, created["id"])
    assert secret not in json.dumps(item)
    assert secret.removeprefix("whsec_") not in json.dumps(item)
    (stored,) = json.loads(item["data"])["secrets"]
    assert stored["value"].startswith("kms:v1:")

    receiver.secret = secret
    sent = tenant.api().post(f"/v1/webhooks/{created['id']}/test").json()
    assert sent["attempt"]["success"] is True, sent
    assert (len(receiver.verified), receiver.rejected) == (1, [])

    rotated = tenant.api().post(f"/v1/webhooks/{created['id']}/rotate-secret", json={}).json()
    item = webhook_item(stack, tenant.id, created["id"])
    assert rotated["secret"] not in json.dumps(item)
    assert all(s["value"].startswith("kms:v1:") for s in json.loads(item["data"])["secrets"])


def test_a_tenants_shared_secret_is_sealed_and_ballerine_webhooks_still_verify(
    tenant, stack, receivers
) -> None:
    tenant.set_settings(webhook_shared_secret="ballerine-shared-secret-at-rest")
    assert "ballerine-shared-secret-at-rest" not in json.dumps(tenant_item(stack, tenant.id))
    sealed = json.loads(tenant_item(stack, tenant.id)["data"])["settings"]["webhook_shared_secret"]
    assert sealed.startswith("kms:v1:")

    receiver = receivers()
    created = subscribe(tenant, receiver.url, ("workflow.completed",), format="ballerine")
    sent = tenant.api().post(f"/v1/webhooks/{created['id']}/test").json()
    assert sent["attempt"]["success"] is True, sent
    (request,) = receiver.requests
    expected = hmac.new(b"ballerine-shared-secret-at-rest", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-hmac-signature"] == expected


def test_secrets_stored_before_sealing_still_sign_and_are_sealed_when_next_written(
    tenant, stack, receivers
) -> None:
    receiver = receivers()
    created = subscribe(tenant, receiver.url)
    legacy = "whsec_bGVnYWN5LXNlY3JldC1zdG9yZWQtaW4tY2xlYXItMDE="
    item = webhook_item(stack, tenant.id, created["id"])
    data = json.loads(item["data"])
    data["secrets"][0]["value"] = legacy  # as an older release stored it
    put_raw(stack, {**item, "data": json.dumps(data)})

    receiver.secret = legacy
    assert tenant.api().post(f"/v1/webhooks/{created['id']}/test").json()["attempt"]["success"] is True
    assert receiver.rejected == []

    assert (
        tenant.api().patch(f"/v1/webhooks/{created['id']}", json={"description": "resealed"}).status_code
        == 200
    )
    item = webhook_item(stack, tenant.id, created["id"])
    assert legacy not in json.dumps(item)
    assert json.loads(item["data"])["secrets"][0]["value"].startswith("kms:v1:")
    assert tenant.api().post(f"/v1/webhooks/{created['id']}/test").json()["attempt"]["success"] is True
    assert (len(receiver.verified), receiver.rejected) == (2, [])

    shared = tenant_item(stack, tenant.id)
    data = json.loads(shared["data"])
    data["settings"]["webhook_shared_secret"] = "legacy-shared-secret"
    put_raw(stack, {**shared, "data": json.dumps(data)})
    tenant.set_settings(allow_multiple_active_cases=True)  # any write of the tenant seals it
    assert "legacy-shared-secret" not in json.dumps(tenant_item(stack, tenant.id))


def test_a_sealed_secret_copied_into_another_tenants_webhook_does_not_sign(tenant, stack, receivers) -> None:

    other = make_tenant(stack)
    receiver = receivers()
    theirs = subscribe(other, receiver.url)
    ours = subscribe(tenant, receiver.url)
    stolen = json.loads(webhook_item(stack, other.id, theirs["id"])["data"])["secrets"]
    item = webhook_item(stack, tenant.id, ours["id"])
    put_raw(stack, {**item, "data": json.dumps({**json.loads(item["data"]), "secrets": stolen})})

    sent = tenant.api().post(f"/v1/webhooks/{ours['id']}/test").json()
    assert sent["attempt"]["success"] is False
    assert sent["attempt"]["error"].startswith(
        "not signed: the secret cannot be opened (InvalidCiphertextException)"
    )
    assert receiver.requests == []


def test_no_repository_stores_a_secret_in_clear(tenant, stack) -> None:
    from arbiter.adapters.dynamodb import DynamoTenantRepository

    without_key = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    stored = tenant_repository(stack).get(tenant.id)
    stored.settings.webhook_shared_secret = "never-in-clear"
    with pytest.raises(ValueError, match="needs a SecretBox"):
        without_key.update(stored)
    assert "never-in-clear" not in json.dumps(tenant_item(stack, tenant.id))


def test_an_api_keys_record_holds_neither_the_key_nor_enough_of_it_to_guess(tenant, stack) -> None:
    item = raw_item(stack, keys.api_key_pk(hash_api_key(tenant.api_key)), keys.API_KEY_SK)
    assert tenant.api_key not in json.dumps(item)
    assert json.loads(item["data"])["prefix"] == "arb_"

    demo = raw_item(stack, keys.api_key_pk(hash_api_key("secret")), keys.API_KEY_SK)  # the local demo's key
    assert json.loads(demo["data"])["prefix"] == "se"
    assert "secret" not in json.dumps(demo)


def test_the_local_stack_provisions_the_templates_key_with_its_alias_and_rotation(stack) -> None:
    kms = stack.client("kms")
    key_id = stack.physical_id("SecretsKey")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/arbiter-secrets"] == key_id
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} >= {"OnlyTheWebhooksFunctionOpensSecrets"}
    assert stack.health()["outputs"]["SecretsKeyArn"].endswith(key_id)
