"""The KMS SecretBox against the local stack's moto: sealed values hold no secret and open only in their context."""

from __future__ import annotations

import base64

import boto3
import pytest

from arbiter.adapters.kms import KmsSecretBox
from arbiter.domain.errors import InvalidInput, SecretUnreadable
from arbiter.domain.sealed import ballerine_secret_context, reveal, seal_once, webhook_secret_context
from tests.unit.fakes import InMemorySecretBox

SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="


class CountingKms:
    """The real client, counting the calls that reach KMS."""

    def __init__(self) -> None:
        self.kms = boto3.client("kms", region_name="us-east-1")
        self.calls: list[str] = []

    def encrypt(self, **request):
        self.calls.append("encrypt")
        return self.kms.encrypt(**request)

    def decrypt(self, **request):
        self.calls.append("decrypt")
        return self.kms.decrypt(**request)


@pytest.fixture
def kms(stack) -> CountingKms:
    return CountingKms()


@pytest.fixture
def box(stack, kms) -> KmsSecretBox:
    return KmsSecretBox(lambda: kms, stack.physical_id("SecretsKey"))


def test_a_sealed_secret_holds_no_plaintext_and_opens_in_its_context(box, kms) -> None:
    sealed = box.seal(SECRET, webhook_secret_context("acme"))
    assert sealed.startswith("kms:v1:")
    blob = base64.b64decode(sealed.removeprefix("kms:v1:"))
    assert SECRET.encode() not in blob
    assert SECRET not in sealed
    assert box.open(sealed, webhook_secret_context("acme")) == SECRET
    assert kms.calls == ["encrypt", "decrypt"]


@pytest.mark.parametrize(
    "context",
    [webhook_secret_context("globex"), ballerine_secret_context("acme"), {"tenant_id": "acme"}, {}],
    ids=["another tenant", "another purpose", "no purpose", "no context"],
)
def test_a_secret_copied_out_of_its_context_does_not_open(box, context) -> None:
    sealed = box.seal(SECRET, webhook_secret_context("acme"))
    with pytest.raises(SecretUnreadable, match="cannot be opened") as refused:
        box.open(sealed, context)
    assert SECRET not in str(refused.value)
    assert sealed not in str(refused.value)


def test_a_value_sealed_under_another_key_does_not_open_with_this_one(box, stack) -> None:
    other_key = boto3.client("kms", region_name="us-east-1").create_key(Description="another stack")[
        "KeyMetadata"
    ]
    other = KmsSecretBox(lambda: boto3.client("kms", region_name="us-east-1"), other_key["Arn"])
    sealed = other.seal(SECRET, webhook_secret_context("acme"))
    with pytest.raises(SecretUnreadable):
        box.open(sealed, webhook_secret_context("acme"))


@pytest.mark.parametrize(
    "value", ["kms:v1:not base64!", "kms:v1:" + base64.b64encode(b"garbage").decode(), SECRET]
)
def test_damaged_or_unsealed_values_are_refused(box, value) -> None:
    with pytest.raises(SecretUnreadable):
        box.open(value, webhook_secret_context("acme"))


def test_what_was_opened_is_kept_a_while_then_asked_again(stack, kms) -> None:
    now = [1000.0]
    box = KmsSecretBox(lambda: kms, stack.physical_id("SecretsKey"), cache_seconds=60, clock=lambda: now[0])
    sealed = box.seal(SECRET, webhook_secret_context("acme"))
    for _ in range(3):
        assert box.open(sealed, webhook_secret_context("acme")) == SECRET
    assert kms.calls == ["encrypt", "decrypt"]
    with pytest.raises(SecretUnreadable):  # the cache answers only the context it was opened with
        box.open(sealed, webhook_secret_context("globex"))
    now[0] += 61
    assert box.open(sealed, webhook_secret_context("acme")) == SECRET
    assert kms.calls == ["encrypt", "decrypt", "decrypt", "decrypt"]


def test_the_cache_stays_bounded(stack, kms) -> None:
    box = KmsSecretBox(lambda: kms, stack.physical_id("SecretsKey"), cache_size=2)
    sealed = [box.seal(f"secret-{i}", webhook_secret_context("acme")) for i in range(3)]
    for value in sealed:
        box.open(value, webhook_secret_context("acme"))
    box.open(sealed[0], webhook_secret_context("acme"))  # pushed out by the third: asked again
    assert kms.calls.count("decrypt") == 4


def test_no_client_is_built_until_a_secret_is_sealed_or_opened(stack) -> None:
    built = []
    box = KmsSecretBox(lambda: built.append(1) or boto3.client("kms", region_name="us-east-1"), "unused")
    assert reveal(box, "stored-before-sealing", webhook_secret_context("acme")) == "stored-before-sealing"
    assert built == []


def test_a_secret_over_kms_limit_is_refused_before_calling_it(box, kms) -> None:
    with pytest.raises(InvalidInput, match="at most 4096 bytes"):
        box.seal("x" * 4097, webhook_secret_context("acme"))
    assert kms.calls == []


def test_sealing_twice_keeps_the_first_seal(box, kms) -> None:
    sealed = seal_once(box, SECRET, webhook_secret_context("acme"))
    assert seal_once(box, sealed, webhook_secret_context("acme")) == sealed
    assert kms.calls == ["encrypt"]


def test_the_unit_tests_box_keeps_the_same_rules() -> None:
    fake = InMemorySecretBox()
    sealed = fake.seal(SECRET, webhook_secret_context("acme"))
    assert sealed.startswith("kms:v1:")
    assert SECRET not in sealed
    assert InMemorySecretBox().open(sealed, webhook_secret_context("acme")) == SECRET
    for wrong in (webhook_secret_context("globex"), ballerine_secret_context("acme")):
        with pytest.raises(SecretUnreadable):
            fake.open(sealed, wrong)
    altered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretUnreadable):
        fake.open(altered, webhook_secret_context("acme"))
