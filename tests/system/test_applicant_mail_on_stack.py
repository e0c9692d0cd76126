"""E-mail to applicants on the local stack: a link issued with e-mail on is in moto's SES (read through the
stack's /mail.json) with the link; a revision naming fields opens only the steps holding them, is e-mailed with
a new link, and resubmitting resumes the workflow."""

from __future__ import annotations

import itertools

import httpx

from arbiter_local.stack import DEMO_EMAIL_DOMAIN
from tests.support.documents import jpeg, post_upload
from tests.support.logs import EveryLog
from tests.waiting import wait_for

SENDER = f"applications@{DEMO_EMAIL_DOMAIN}"
PERSON = {
    "type": "individual",
    "id": "u-mail",
    "individual": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@lovelace.example"},
}
PERSONAL = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "date_of_birth": "1985-12-10",
    "nationality": "GB",
    "id_document_type": "passport",
}
HOME = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
_ADDRESSES = itertools.count(1)


def applicant(stack, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.api_url,
        headers={"Authorization": f"Bearer {token}"},
        transport=httpx.HTTPTransport(local_address=f"127.0.10.{next(_ADDRESSES)}"),
        timeout=30,
    )


def mail_to(stack, address: str) -> list[dict]:
    answer = httpx.get(f"{stack.api_url}/mail.json", timeout=10)
    assert answer.status_code == 200, answer.text
    return [m for m in answer.json() if address in m["to"]]


def collecting_case(api) -> str:
    started = api.post("/v1/cases", json={"workflow": "kyc", "entity": PERSON, "submit": False})
    assert started.status_code == 202, started.text
    return started.json()["id"]


def test_a_link_issued_with_email_on_is_in_mocked_ses_with_the_link(tenant):
    api = tenant.api()
    case_id = collecting_case(api)
    off = api.post(f"/v1/cases/{case_id}/collection-links", json={"email": "off@lovelace.example"})
    assert off.status_code == 201, off.text
    assert "email" not in off.json() or off.json()["email"] is None  # no sender set: e-mail is off
    assert mail_to(tenant.stack, "off@lovelace.example") == []

    tenant.set_settings(collection_email={"sender": SENDER})
    bad = api.post(f"/v1/cases/{case_id}/collection-links", json={"email": "not an address"})
    assert bad.status_code == 422, bad.text
    assert "email" in bad.text
    created = api.post(
        f"/v1/cases/{case_id}/collection-links", json={"email": "grace@hopper.example", "language": "es"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "sent"
    (message,) = mail_to(tenant.stack, "grace@hopper.example")
    assert (message["from"], message["subject"]) == (SENDER, "Su solicitud: continúe en línea")
    assert f'href="{created.json()["url"]}"' in message["body"]
    page = httpx.get(f"{tenant.stack.api_url}/mail", timeout=10)
    assert page.status_code == 200
    assert "Su solicitud: continúe en línea" in page.text

    history = tenant.reviewer().get(f"/v1/review/cases/{case_id}").json()
    text = repr(history)
    assert "collection.email_sent" in text
    assert created.json()["token"] not in text


def submitted_for_review(tenant) -> tuple[str, httpx.Client]:
    api = tenant.api()
    case_id = collecting_case(api)
    token = api.post(f"/v1/cases/{case_id}/collection-links", json={"language": "de"}).json()["token"]
    person = applicant(tenant.stack, token)
    for step, data in (("personal_details", PERSONAL), ("address", HOME), ("id_documents", {})):
        saved = person.put(f"/v1/collection/steps/{step}", json=data)
        assert saved.status_code == 200, saved.text
    declared = person.post(
        "/v1/collection/documents", json={"id": "id_front", "type": "id_card", "content_type": "image/jpeg"}
    )
    assert post_upload(declared.json()["uploads"][0], jpeg(320, 200)).status_code in (200, 204)
    wait_for(lambda: person.get("/v1/collection/journey").json()["uploaded"] == ["id_front"], what="upload")
    submitted = person.post("/v1/collection/submit")
    assert submitted.status_code == 200, submitted.text
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="review")
    return case_id, person


def test_a_revision_naming_fields_opens_only_their_steps_and_is_emailed(tenant):
    tenant.set_settings(collection_email={"sender": SENDER})
    case_id, person = submitted_for_review(tenant)
    (confirmation,) = [m for m in mail_to(tenant.stack, "ada@lovelace.example") if "erhalten" in m["subject"]]
    assert confirmation["subject"] == "Wir haben Ihren Antrag erhalten"

    reviewer = tenant.reviewer()
    decision = f"/v1/review/cases/{case_id}/decision"
    unknown = reviewer.post(
        decision, json={"decision": "revision", "reason": "check", "fields": ["address.planet"]}
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["path"] == "fields[0]"
    asked = reviewer.post(
        decision,
        json={
            "decision": "revision",
            "reason": "Die Postleitzahl passt nicht",
            "fields": ["/address/postal_code"],
        },
    )
    assert asked.status_code == 200, asked.text

    journey = person.get("/v1/collection/journey").json()
    assert journey["revision"] == {
        "reason": "Die Postleitzahl passt nicht",
        "documents": [],
        "steps": ["address"],
        "fields": ["address.postal_code"],
    }
    revision_mail = [m for m in mail_to(tenant.stack, "ada@lovelace.example") if "Rückfragen" in m["subject"]]
    (message,) = revision_mail
    assert "Die Postleitzahl passt nicht" in message["body"]
    new_url = message["body"].split('href="', 1)[1].split('"', 1)[0]
    newcomer = applicant(tenant.stack, new_url.split("#", 1)[1])
    assert newcomer.get("/v1/collection/journey").json()["revision"]["steps"] == ["address"]

    changed = newcomer.put("/v1/collection/steps/address", json={**HOME, "postal_code": "SW1Y 4JJ"})
    assert changed.status_code == 200, changed.text
    resubmitted = newcomer.post("/v1/collection/submit")
    assert resubmitted.status_code == 200, resubmitted.text
    api = tenant.api()
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="back in review"
    )
    history = repr(reviewer.get(f"/v1/review/cases/{case_id}").json())
    assert "address.postal_code" in history


def test_a_revision_sent_as_ballerines_event_with_an_api_key_is_emailed_as_a_reviewers_is(tenant):
    tenant.set_settings(collection_email={"sender": SENDER}, allow_integrator_decisions=True)
    case_id, _person = submitted_for_review(tenant)
    sent = tenant.api().post(
        f"/api/v1/external/workflows/{case_id}/event",
        json={"name": "revision", "payload": {"reason": "Bitte den Ausweis erneut hochladen"}},
    )
    assert sent.status_code == 200, sent.text
    # (the stack's mailbox: other tests wrote to this address too)
    (message,) = [m for m in mail_to(tenant.stack, "ada@lovelace.example") if "Ausweis erneut" in m["body"]]
    assert "Rückfragen" in message["subject"]
    new_url = message["body"].split('href="', 1)[1].split('"', 1)[0]
    newcomer = applicant(tenant.stack, new_url.split("#", 1)[1])
    assert (
        newcomer.get("/v1/collection/journey").json()["revision"]["reason"]
        == "Bitte den Ausweis erneut hochladen"
    )
    history = repr(tenant.reviewer().get(f"/v1/review/cases/{case_id}").json())
    assert "revision_requested" in history
    assert "collection.email_sent" in history
    # Another event to the case sent back (a context merge) e-mails nothing more.
    merged = tenant.api().post(
        f"/api/v1/external/workflows/{case_id}/event", json={"name": "UPDATE_CONTEXT", "payload": {"x": 1}}
    )
    assert merged.status_code == 200, merged.text
    assert (
        len([m for m in mail_to(tenant.stack, "ada@lovelace.example") if "Ausweis erneut" in m["body"]]) == 1
    )


def test_a_message_ses_refuses_leaves_the_link_and_is_in_the_history_and_no_log_holds_the_link(tenant, capfd):
    api = tenant.api()
    case_id = collecting_case(api)
    tenant.set_settings(
        collection_email={"sender": "applications@unverified.example"}
    )  # not the stack's identity
    with EveryLog() as logs:
        created = api.post(f"/v1/cases/{case_id}/collection-links", json={"email": "ada@lovelace.example"})
        assert created.status_code == 201, created.text
        assert created.json()["email"] == "failed"
        token = created.json()["token"]
        assert applicant(tenant.stack, token).get("/v1/collection/case").status_code == 200  # the link works
        tenant.set_settings(collection_email={"sender": SENDER})
        sent = api.post(f"/v1/cases/{case_id}/collection-links", json={"email": "ada@lovelace.example"})
        assert sent.json()["email"] == "sent"
    logged = capfd.readouterr()
    everything = logs.text + logged.out + logged.err
    assert "collection e-mail not sent" in everything  # the refusal was logged…
    for link in (token, sent.json()["token"]):
        assert link[4:] not in everything  # …and neither link, sent or not
    audit = tenant.reviewer().get(f"/v1/review/cases/{case_id}").json()["audit"]
    failed = [e for e in audit if e["action"] == "collection.email_failed"]
    assert [(e["details"]["kind"], e["details"]["to"], e["details"]["error"]) for e in failed] == [
        ("link_issued", "a•••@lovelace.example", "MessageRejected")
    ]
