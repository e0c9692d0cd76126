"""The SES mailer against the local stack's moto: a message from the identity provisioned from template.yaml is
accepted with both its parts, one from an address of no verified identity is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.adapters.ses import SesMailer
from arbiter.domain.collection_mail import link_issued_email
from arbiter.domain.errors import MailRefused
from arbiter_local.mailbox import sent_mail
from arbiter_local.stack import DEMO_EMAIL_DOMAIN

URL = "http://127.0.0.1/collect/#clk_" + "c" * 43


def message(sender: str):
    return link_issued_email(
        sender=sender,
        to="ada@example.com",
        language="de",
        url=URL,
        expires_at=dt.datetime(2026, 12, 13, tzinfo=dt.UTC),
    )


def test_the_stacks_identity_is_verified_and_a_message_from_it_is_kept(stack):
    identities = stack.client("sesv2").list_email_identities()["EmailIdentities"]
    assert DEMO_EMAIL_DOMAIN in [i["IdentityName"] for i in identities]
    message_id = SesMailer(stack.client("sesv2")).send(message(f"applications@{DEMO_EMAIL_DOMAIN}"))
    (kept,) = [m for m in sent_mail() if m["id"] == message_id]
    assert (kept["from"], kept["to"], kept["subject"]) == (
        f"applications@{DEMO_EMAIL_DOMAIN}",
        ["ada@example.com"],
        "Ihr Antrag: online fortsetzen",
    )
    assert f'href="{URL}"' in kept["body"]  # moto keeps the HTML part of a message with both


def test_a_sender_of_no_verified_identity_is_refused(stack):
    with pytest.raises(MailRefused) as refused:
        SesMailer(stack.client("sesv2")).send(message("someone@unverified.example"))
    assert refused.value.context == {"code": "MessageRejected"}
    assert "unverified.example" not in str(refused.value)  # SES's own text names the address; ours does not
