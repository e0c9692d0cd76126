"""The SecretBox port on AWS KMS: each secret encrypted directly under the stack's key (template: SecretsKey).

Direct `Encrypt`/`Decrypt` rather than envelope encryption: the secrets are a few dozen bytes (KMS takes up to
4 KB), so a data key would add a local cipher, its library and a second ciphertext to store for nothing; KMS keeps
every version of a rotated key, so old ciphertexts keep opening; and who may decrypt is the key policy's to say,
logged by CloudTrail for each call. The encryption context (tenant and purpose) is authenticated with the
ciphertext: a value copied into another tenant's record does not decrypt.

A warm function opens the same few secrets for every delivery, so what it opened is kept in memory for a few
minutes (a bounded map from ciphertext and context to the secret): one Decrypt per secret per container and
period instead of one per attempt. The KMS client is built on first use, so a function that only reads records
(authenticating an API key reads the tenant) never loads it.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from arbiter.domain.errors import InvalidInput, SecretUnreadable
from arbiter.domain.sealed import SEALED_PREFIX

__all__ = ["KmsSecretBox"]

#: The most KMS Encrypt takes in one call.
MAX_SECRET_BYTES = 4096
#: Errors that mean this ciphertext will not open here, however often it is tried (throttling is retried by the SDK).
_UNREADABLE = {
    "InvalidCiphertextException",
    "IncorrectKeyException",
    "AccessDeniedException",
    "DisabledException",
    "KMSInvalidStateException",
    "NotFoundException",
}


class KmsSecretBox:
    """Implements `arbiter.domain.sealed.SecretBox` with one KMS key."""

    def __init__(
        self,
        client: Callable[[], Any],
        key_id: str,
        *,
        cache_seconds: float = 300,
        cache_size: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make_client = client
        self._client: Any = None
        self._key_id = key_id
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._opened: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, str]] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def seal(self, plaintext: str, context: Mapping[str, str]) -> str:
        """`kms:v1:` and the base64 of KMS's ciphertext blob (which names the key)."""
        data = plaintext.encode("utf-8")
        if len(data) > MAX_SECRET_BYTES:
            raise InvalidInput(f"a secret has at most {MAX_SECRET_BYTES} bytes")
        blob = self.client.encrypt(KeyId=self._key_id, Plaintext=data, EncryptionContext=dict(context))
        return SEALED_PREFIX + base64.b64encode(blob["CiphertextBlob"]).decode("ascii")

    def open(self, sealed: str, context: Mapping[str, str]) -> str:
        """Decrypt with the same context, under this key only; SecretUnreadable otherwise."""
        if not sealed.startswith(SEALED_PREFIX):
            raise SecretUnreadable("the value is not a sealed secret")
        cache_key = (sealed, tuple(sorted(context.items())))
        now = self._clock()
        with self._lock:
            kept = self._opened.get(cache_key)
            if kept is not None and kept[0] > now:
                return kept[1]
        try:
            blob = base64.b64decode(sealed[len(SEALED_PREFIX) :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SecretUnreadable("the sealed secret is damaged") from exc
        try:
            response = self.client.decrypt(
                CiphertextBlob=blob, EncryptionContext=dict(context), KeyId=self._key_id
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in _UNREADABLE:
                raise SecretUnreadable(
                    f"the secret cannot be opened ({code}): sealed for another tenant or purpose, altered, "
                    "or its key is disabled or not allowed to this function"
                ) from exc
            raise
        plaintext: str = response["Plaintext"].decode("utf-8")
        with self._lock:
            if len(self._opened) >= self._cache_size:
                self._opened.pop(next(iter(self._opened)))  # the oldest
            self._opened[cache_key] = (now + self._cache_seconds, plaintext)
        return plaintext
