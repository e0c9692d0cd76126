"""Signing webhook deliveries: Standard Webhooks headers, or Ballerine's `X-HMAC-Signature`.

Standard Webhooks signs `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256 and sends
`v1,<base64>`; during a secret rotation every secret that still signs contributes one `v1,` signature,
separated by spaces, so receivers holding either the old or the new secret verify. Ballerine signs the exact
body bytes with the tenant's shared secret and sends the hex digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from standardwebhooks import Webhook

__all__ = ["ballerine_headers", "standard_headers", "standard_signature"]


def standard_signature(delivery_id: str, timestamp: dt.datetime, body: str, secrets: list[str]) -> str:
    """The `webhook-signature` header: one `v1,<base64 HMAC>` per secret, space-separated."""
    at = timestamp.astimezone(dt.UTC).replace(tzinfo=None)  # the library reads a naive time as UTC
    return " ".join(Webhook(secret).sign(delivery_id, at, body) for secret in secrets)


def standard_headers(
    delivery_id: str, timestamp: dt.datetime, body: str, secrets: list[str]
) -> dict[str, str]:
    """The headers of a Standard Webhooks delivery."""
    if not secrets:
        raise ValueError("a subscription without a signing secret cannot be delivered")
    return {
        "content-type": "application/json",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": standard_signature(delivery_id, timestamp, body, secrets),
    }


def ballerine_headers(body: bytes, shared_secret: str) -> dict[str, str]:
    """Ballerine's headers: `X-HMAC-Signature` = hex HMAC-SHA256 of the exact body with the shared secret.

    Ballerine also sends the secret itself in `X-Authorization`; Arbiter does not (docs/events.md says why).
    """
    signature = hmac.new(shared_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "x-hmac-signature": signature}
