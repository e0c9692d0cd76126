"""The local stack's mailbox: the e-mail the functions sent through SES, as moto's SES keeps it.

moto accepts every message from a verified identity and delivers none; it keeps them in its SES backend's
`sent_messages` (SESv2's `SendEmail` stores a simple message's HTML part, else its text). The moto server runs in
this process, so the mailbox reads that list directly: `GET /mail` shows the messages, newest first, and
`GET /mail.json` gives them as JSON (what the system tests read).
"""

from __future__ import annotations

import html
from typing import Any

from arbiter_local.provision import ACCOUNT_ID, REGION

__all__ = ["mailbox_page", "sent_mail"]


def sent_mail() -> list[dict[str, Any]]:
    """Every message moto's SES accepted since the stack started, newest first."""
    from moto.ses.models import ses_backends

    backend = ses_backends[ACCOUNT_ID][REGION]
    messages = []
    for message in reversed(list(backend.sent_messages)):
        destinations = getattr(message, "destinations", {}) or {}
        to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)
        messages.append(
            {
                "id": message.id,
                "from": getattr(message, "source", None),
                "to": to,
                "subject": getattr(message, "subject", None),
                "body": getattr(message, "body", None) or getattr(message, "raw_data", None),
            }
        )
    return messages


def mailbox_page(messages: list[dict[str, Any]]) -> str:
    """The messages as a page: each one's header, and its body in a sandboxed frame (no script, no navigation)."""
    items = "".join(
        "<article>"
        f"<h2>{html.escape(str(m['subject'] or '(no subject)'))}</h2>"
        f"<p>From {html.escape(str(m['from']))} to {html.escape(', '.join(m['to']))}</p>"
        f'<iframe sandbox title="{html.escape(str(m["subject"]))}" srcdoc="{html.escape(str(m["body"] or ""))}">'
        "</iframe></article>"
        for m in messages
    )
    empty = "<p>No message has been sent yet.</p>" if not messages else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mail sent (local)</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#1f2933}"
        "article{border-top:1px solid #ccd;padding:1rem 0}iframe{width:100%;height:22rem;border:1px solid #ccd}"
        "</style></head><body><h1>Mail sent by the local stack</h1>"
        f"<p>{len(messages)} message(s), newest first, as moto's SES received them "
        '(<a href="/mail.json">JSON</a>). Nothing leaves this machine.</p>'
        f"{empty}{items}</body></html>"
    )
