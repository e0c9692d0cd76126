"""The e-mails of the collection journey: a link issued, a revision requested, an application submitted.

Each is written in the journey's language (en, de, es) as plain text and as HTML, from the same few texts. What
the applicant typed or a reviewer wrote (a name, a reason) is escaped in the HTML. A message may carry a
collection link: it is never logged, and never stored (`OutgoingEmail.__repr__` leaves the bodies out).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "MAIL_LANGUAGES",
    "MailKind",
    "OutgoingEmail",
    "link_issued_email",
    "mask_address",
    "revision_requested_email",
    "submitted_email",
]

MailKind = Literal["link_issued", "revision_requested", "submitted"]
MAIL_LANGUAGES = ("en", "de", "es")


@dataclass(frozen=True)
class OutgoingEmail:
    """One message to one recipient, in plain text and HTML."""

    sender: str
    to: str
    subject: str
    text: str = field(repr=False)
    html: str = field(repr=False)
    kind: MailKind = "link_issued"


_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "link_subject": "Your application: continue online",
        "link_person_subject": "Your part of the application of {company}",
        "greeting": "Hello,",
        "greeting_named": "Hello {name},",
        "link_body": "please fill in the application at the link below. What you enter is saved step by step, "
        "so you can stop and come back with the same link.",
        "link_person_body": "{company} named you as an owner or director. Please fill in your own part "
        "(your details and your ID document) at the link below.",
        "open": "Open the application",
        "expires": "The link works until {expires} (UTC). Do not pass it on: it opens your application.",
        "revision_subject": "Your application: please check what we sent back",
        "revision_body": "we have reviewed your application and need a few changes before we can decide.",
        "reason": "What the reviewer wrote:",
        "asked": "What to change or upload again:",
        "revision_open": "Open the application to make the changes",
        "submitted_subject": "We received your application",
        "submitted_body": "thank you: your application was submitted on {at} (UTC). We will check it and "
        "contact you if we need anything else.",
        "resubmitted_body": "thank you: your changes were submitted on {at} (UTC). We will check them and "
        "contact you if we need anything else.",
        "footer": "You receive this e-mail because an application was started for you. If that was not you, "
        "ignore this message.",
    },
    "de": {
        "link_subject": "Ihr Antrag: online fortsetzen",
        "link_person_subject": "Ihr Teil des Antrags von {company}",
        "greeting": "Guten Tag,",
        "greeting_named": "Guten Tag {name},",
        "link_body": "bitte füllen Sie den Antrag über den folgenden Link aus. Ihre Angaben werden Schritt für "
        "Schritt gespeichert; Sie können jederzeit mit demselben Link weitermachen.",
        "link_person_body": "{company} hat Sie als Eigentümer oder Geschäftsführer angegeben. Bitte füllen Sie "
        "Ihren eigenen Teil (Ihre Angaben und Ihr Ausweisdokument) über den folgenden Link aus.",
        "open": "Antrag öffnen",
        "expires": "Der Link gilt bis {expires} (UTC). Geben Sie ihn nicht weiter: Er öffnet Ihren Antrag.",
        "revision_subject": "Ihr Antrag: bitte prüfen Sie unsere Rückfragen",
        "revision_body": "wir haben Ihren Antrag geprüft und benötigen einige Änderungen, bevor wir entscheiden "
        "können.",
        "reason": "Anmerkung der Prüferin oder des Prüfers:",
        "asked": "Was zu ändern oder erneut hochzuladen ist:",
        "revision_open": "Antrag öffnen und ändern",
        "submitted_subject": "Wir haben Ihren Antrag erhalten",
        "submitted_body": "vielen Dank: Ihr Antrag wurde am {at} (UTC) eingereicht. Wir prüfen ihn und melden "
        "uns, falls wir noch etwas benötigen.",
        "resubmitted_body": "vielen Dank: Ihre Änderungen wurden am {at} (UTC) eingereicht. Wir prüfen sie und "
        "melden uns, falls wir noch etwas benötigen.",
        "footer": "Sie erhalten diese E-Mail, weil für Sie ein Antrag begonnen wurde. Falls Sie das nicht "
        "waren, ignorieren Sie diese Nachricht.",
    },
    "es": {
        "link_subject": "Su solicitud: continúe en línea",
        "link_person_subject": "Su parte de la solicitud de {company}",
        "greeting": "Hola:",
        "greeting_named": "Hola, {name}:",
        "link_body": "complete la solicitud en el enlace siguiente. Lo que introduzca se guarda paso a paso; "
        "puede continuar más tarde con el mismo enlace.",
        "link_person_body": "{company} le ha indicado como titular o administrador. Complete su propia parte "
        "(sus datos y su documento de identidad) en el enlace siguiente.",
        "open": "Abrir la solicitud",
        "expires": "El enlace es válido hasta el {expires} (UTC). No lo comparta: abre su solicitud.",
        "revision_subject": "Su solicitud: revise lo que le hemos devuelto",
        "revision_body": "hemos revisado su solicitud y necesitamos algunos cambios antes de decidir.",
        "reason": "Lo que indica el revisor:",
        "asked": "Qué debe cambiar o volver a subir:",
        "revision_open": "Abrir la solicitud para hacer los cambios",
        "submitted_subject": "Hemos recibido su solicitud",
        "submitted_body": "gracias: su solicitud se envió el {at} (UTC). La revisaremos y le contactaremos si "
        "necesitamos algo más.",
        "resubmitted_body": "gracias: sus cambios se enviaron el {at} (UTC). Los revisaremos y le contactaremos "
        "si necesitamos algo más.",
        "footer": "Recibe este correo porque se inició una solicitud a su nombre. Si no fue usted, ignore este "
        "mensaje.",
    },
}


def _texts(language: str | None) -> dict[str, str]:
    return _TEXTS.get(language or "en", _TEXTS["en"])


def _when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def _compose(
    *,
    sender: str,
    to: str,
    kind: MailKind,
    subject: str,
    paragraphs: list[str],
    items: tuple[str, list[str]] | None = None,
    quote: tuple[str, str] | None = None,
    button: tuple[str, str] | None = None,
    after: str | None = None,
    footer: str,
) -> OutgoingEmail:
    """The plain text and the HTML of one message from its parts, each escaped once for HTML."""
    text: list[str] = [*paragraphs]
    body: list[str] = [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    if quote:
        text.append(quote[0] + "\n  " + quote[1].replace("\n", "\n  "))
        body += [f"<p>{html.escape(quote[0])}</p>", f"<blockquote>{html.escape(quote[1])}</blockquote>"]
    if items and items[1]:
        text.append("\n".join([items[0], *(f"- {item}" for item in items[1])]))
        listed = "".join(f"<li>{html.escape(item)}</li>" for item in items[1])
        body += [f"<p>{html.escape(items[0])}</p>", f"<ul>{listed}</ul>"]
    if button:
        label, url = button
        text += [f"{label}: {url}"]
        body += [f'<p><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>']
    if after:
        text.append(after)
        body.append(f"<p>{html.escape(after)}</p>")
    text.append(f"--\n{footer}")
    body.append(f'<p style="color:#555;font-size:small">{html.escape(footer)}</p>')
    page = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head>'
        f'<body style="font-family:sans-serif;line-height:1.5">{"".join(body)}</body></html>'
    )
    return OutgoingEmail(
        sender=sender, to=to, subject=subject, text="\n\n".join(text) + "\n", html=page, kind=kind
    )


def link_issued_email(
    *,
    sender: str,
    to: str,
    language: str | None,
    url: str,
    expires_at: dt.datetime,
    name: str | None = None,
    company: str | None = None,
    person: bool = False,
) -> OutgoingEmail:
    """A collection link sent to the applicant, or to one owner or director (`person`) for their own part."""
    t = _texts(language)
    company = company or "—"
    greeting = t["greeting_named"].format(name=name) if name else t["greeting"]
    return _compose(
        sender=sender,
        to=to,
        kind="link_issued",
        subject=t["link_person_subject"].format(company=company) if person else t["link_subject"],
        paragraphs=[greeting, t["link_person_body"].format(company=company) if person else t["link_body"]],
        button=(t["open"], url),
        after=t["expires"].format(expires=_when(expires_at)),
        footer=t["footer"],
    )


def revision_requested_email(
    *,
    sender: str,
    to: str,
    language: str | None,
    url: str | None,
    reason: str,
    asked: list[str],
    expires_at: dt.datetime | None = None,
) -> OutgoingEmail:
    """A reviewer sent the application back: their reason, what to change or upload again, and a link to do it."""
    t = _texts(language)
    return _compose(
        sender=sender,
        to=to,
        kind="revision_requested",
        subject=t["revision_subject"],
        paragraphs=[t["greeting"], t["revision_body"]],
        quote=(t["reason"], reason),
        items=(t["asked"], asked),
        button=(t["revision_open"], url) if url else None,
        after=t["expires"].format(expires=_when(expires_at)) if url and expires_at else None,
        footer=t["footer"],
    )


def submitted_email(
    *, sender: str, to: str, language: str | None, at: dt.datetime, resubmission: bool = False
) -> OutgoingEmail:
    """A confirmation that the application (or the changes a revision asked for) arrived."""
    t = _texts(language)
    body = t["resubmitted_body"] if resubmission else t["submitted_body"]
    return _compose(
        sender=sender,
        to=to,
        kind="submitted",
        subject=t["submitted_subject"],
        paragraphs=[t["greeting"], body.format(at=_when(at))],
        footer=t["footer"],
    )


def mask_address(address: str) -> str:
    """An address as the case's history keeps it: enough to recognise, not to read (`a•••@example.com`)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"
