"""The collection journey's e-mails: written in the journey's language, as text and as HTML, with what a person
typed escaped, and the link out of the message's repr (what a log line would show)."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.collection_mail import (
    link_issued_email,
    mask_address,
    revision_requested_email,
    submitted_email,
)

URL = "https://collect.example/#clk_" + "a" * 43
UNTIL = dt.datetime(2026, 12, 13, 9, 30, tzinfo=dt.UTC)

EXPECTED = {
    "en": ("Your application: continue online", "Open the application", "We received your application"),
    "de": ("Ihr Antrag: online fortsetzen", "Antrag öffnen", "Wir haben Ihren Antrag erhalten"),
    "es": ("Su solicitud: continúe en línea", "Abrir la solicitud", "Hemos recibido su solicitud"),
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_each_message_is_written_in_the_journeys_language_as_text_and_html(language):
    subject, button, confirmation = EXPECTED[language]
    link = link_issued_email(
        sender="applications@bank.example", to="ada@example.com", language=language, url=URL, expires_at=UNTIL
    )
    assert (link.subject, link.sender, link.to, link.kind) == (
        subject,
        "applications@bank.example",
        "ada@example.com",
        "link_issued",
    )
    assert f"{button}: {URL}" in link.text
    assert f'<a href="{URL}">{button}</a>' in link.html
    assert "2026-12-13 09:30" in link.text
    done = submitted_email(sender="a@bank.example", to="ada@example.com", language=language, at=UNTIL)
    assert done.subject == confirmation
    assert "2026-12-13 09:30" in done.text
    assert URL not in done.text


def test_a_language_we_do_not_write_falls_back_to_english():
    message = submitted_email(sender="a@bank.example", to="b@example.com", language="fr", at=UNTIL)
    assert message.subject == "We received your application"


def test_an_owners_link_names_the_company_and_greets_them_by_name():
    message = link_issued_email(
        sender="a@bank.example",
        to="ada@example.com",
        language="de",
        url=URL,
        expires_at=UNTIL,
        name="Ada Lovelace",
        company="Acme Payments GmbH",
        person=True,
    )
    assert message.subject == "Ihr Teil des Antrags von Acme Payments GmbH"
    assert message.text.startswith("Guten Tag Ada Lovelace,")
    assert "Acme Payments GmbH hat Sie als Eigentümer" in message.text


def test_a_revision_quotes_the_reason_lists_what_is_asked_and_escapes_both_in_html():
    message = revision_requested_email(
        sender="a@bank.example",
        to="ada@example.com",
        language="es",
        url=URL,
        reason='The photo is <b>blurred</b> & "dark"',
        asked=["ID front", "Company: <name>"],
        expires_at=UNTIL,
    )
    assert message.subject == "Su solicitud: revise lo que le hemos devuelto"
    assert 'The photo is <b>blurred</b> & "dark"' in message.text
    assert "- ID front\n- Company: <name>" in message.text
    assert "The photo is &lt;b&gt;blurred&lt;/b&gt; &amp; &quot;dark&quot;" in message.html
    assert "<li>Company: &lt;name&gt;</li>" in message.html
    assert "<b>" not in message.html
    assert URL in message.html


def test_the_link_is_not_in_a_messages_repr():
    message = link_issued_email(
        sender="a@bank.example", to="ada@example.com", language="en", url=URL, expires_at=UNTIL
    )
    assert "clk_" not in repr(message)
    assert "ada@example.com" in repr(message)


def test_an_address_is_masked_for_the_history():
    assert mask_address("ada.lovelace@example.com") == "a•••@example.com"
    assert mask_address("nonsense") == "•••"
