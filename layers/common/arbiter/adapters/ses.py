"""Sending e-mail with Amazon SES (the SESv2 API's `SendEmail`, a simple message in text and HTML)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from arbiter.domain.collection_mail import OutgoingEmail
from arbiter.domain.errors import MailRefused

__all__ = ["SesMailer"]


class SesMailer:
    """Sends one message per call from its sender (an address of a verified identity) to its one recipient.

    The client's standard retry mode retries throttling and SES's own errors; anything else (a sender not
    verified, a recipient refused in the sandbox, access denied, SES out of reach) is MailRefused naming SES's error
    code, and nothing of the message (SES's own text names addresses).
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def send(self, message: OutgoingEmail) -> str:
        """Send `message`; the message id SES gave it."""
        request: dict[str, Any] = {
            "FromEmailAddress": message.sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": message.text, "Charset": "UTF-8"},
                        "Html": {"Data": message.html, "Charset": "UTF-8"},
                    },
                }
            },
            "EmailTags": [{"Name": "kind", "Value": message.kind}],
        }
        try:
            return str(self._client.send_email(**request)["MessageId"])
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code") or "ClientError")
            raise MailRefused(f"SES did not take the message: {code}", code=code) from exc
        except BotoCoreError as exc:
            raise MailRefused(f"SES was not reached: {type(exc).__name__}", code=type(exc).__name__) from exc
