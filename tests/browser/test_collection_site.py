"""The collection site as an applicant walks it on a phone: a KYB case started to collect, its link opened at 375 px,
validation errors first, every step filled in, a real PNG and a real PDF uploaded straight to S3, the review page,
submit; the case then leaves `collecting`. Also: the page at 1280 px, axe-core's audit, the bundle's size and the
first load's time (written to test-artifacts/collection/metrics.json), and the page a bad link opens. An owner
invited from the form completes their part in a browser of their own after the company submitted: the application
waits for them, says so, and then reaches the back office."""

from __future__ import annotations

import gzip
import json
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.cases import submitted_application
from tests.browser.conftest import ROOT
from tests.support.documents import pdf, png
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack

PHONE = {"width": 375, "height": 740}
ARTIFACTS = ROOT / "test-artifacts" / "collection"
AXE = ROOT / "collection" / "node_modules" / "axe-core" / "axe.min.js"


def collecting_business(tenant: Any) -> tuple[str, str]:
    """A KYB case waiting for its applicant: (case id, the link the integrator would send)."""
    entity = {"type": "business", "id": f"biz-{secrets.token_hex(4)}", "business": {"name": "Acme"}}
    started = tenant.api().post("/v1/cases", json={"workflow": "kyb", "entity": entity, "collect": True})
    assert started.status_code == 202, started.text
    return started.json()["id"], started.json()["collection"]["url"]


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def bundle_size(dist: Path) -> dict[str, int]:
    """Bytes of what a first visit downloads: the page, its scripts and styles (source maps are not fetched)."""
    files = [dist / "index.html", *(p for p in (dist / "assets").iterdir() if p.suffix in (".js", ".css"))]
    raw = sum(p.stat().st_size for p in files)
    compressed = sum(len(gzip.compress(p.read_bytes())) for p in files)
    return {"bytes": raw, "gzip_bytes": compressed}


def upload(page: Any, document_id: str, name: str, mime: str, data: bytes) -> None:
    page.get_by_test_id(f"file-{document_id}").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    expect(page.locator(f"#doc-{document_id.replace('.', '-')}")).to_contain_text("Uploaded")


def resubmit_new_id(page: Any, api: Any, case_id: str, name: str, *, timeout: float = 60) -> None:
    """The page at the ID slot asked for again: a new image uploaded, the review page showing only that step, the
    new version stored, the application submitted, and the case back with a reviewer."""
    heading = page.locator("h1")
    upload(page, "id_front", name, "image/png", png(900, 600))
    page.get_by_role("button", name="Save and continue").click()
    expect(heading).to_have_text("Check your answers")
    expect(page.locator("main")).not_to_contain_text("Home address")

    def new_version_in() -> bool:
        (document,) = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
        return document["version"] == 2 and all(p["status"] == "available" for p in document["pages"])

    wait_for(new_version_in, what="the new version of the ID stored")
    page.get_by_role("button", name="Submit application").click()
    expect(heading).to_have_text("Thank you")
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review",
        timeout=timeout,
        what="the case back with a reviewer",
    )


def field(page: Any, step: str, path: str) -> Any:
    return page.locator(f"#f-{step}-{path.replace('.', '-')}")


def fill_in(page: Any, step: str, values: dict[str, str]) -> None:
    """Type each value into the step's field of that path (a select when the field is one)."""
    for path, value in values.items():
        box = field(page, step, path)
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)


ADA = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10"}


def test_an_applicant_fills_in_uploads_reviews_and_submits_on_a_phone(open_browser, tenant, collection_site):
    case_id, url = collecting_business(tenant)
    browser = open_browser(PHONE)
    page = browser.page
    page.goto(url)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Company details")
    expect(heading).to_be_focused()  # the step's heading takes the focus
    timing = page.evaluate(
        """() => { const n = performance.getEntriesByType('navigation')[0];
                   return {dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: n.loadEventEnd,
                           first_step_ms: performance.now()} }"""
    )
    expect(page.get_by_text("Step 1 of 6")).to_be_visible()

    # Nothing filled in: the errors are listed in the live region and marked on each field.
    page.get_by_role("button", name="Save and continue").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Legal name: This field is required.")
    expect(alert).to_contain_text("Registration number: This field is required.")
    name = field(page, "company", "name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", "f-company-name-error")
    expect(page.locator("#f-company-name-error")).to_have_text("This field is required.")
    browser.screenshot("375-errors", ARTIFACTS)

    # The language follows the switch, journey texts and the site's own words alike.
    page.get_by_label("Language").select_option("de")
    expect(heading).to_have_text("Angaben zum Unternehmen")
    expect(page.get_by_role("button", name="Speichern und weiter")).to_be_visible()
    page.get_by_label("Sprache").select_option("en")
    expect(heading).to_have_text("Company details")

    name.fill("Acme Payments GmbH")
    field(page, "company", "registration_number").fill("HRB 123456")
    field(page, "company", "country_of_incorporation").select_option("DE")
    expect(name).not_to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save and continue").click()

    expect(heading).to_have_text("Registered address")
    expect(heading).to_be_focused()
    field(page, "address", "line1").fill("Unter den Linden 1")
    field(page, "address", "city").fill("Berlin")
    field(page, "address", "postal_code").fill("10117")
    field(page, "address", "country").select_option("DE")
    page.get_by_role("button", name="Save and continue").click()

    expect(heading).to_have_text("Owners and directors")
    page.get_by_role("button", name="Add Beneficial owners").click()
    fill_in(page, "ownership", {f"ubos.0.{k}": v for k, v in {**ADA, "ownership_percent": "60"}.items()})
    # A second owner below 25 %: no ID asked of them; then removed again.
    page.get_by_role("button", name="Add Beneficial owners").click()
    field(page, "ownership", "ubos.1.ownership_percent").fill("10")
    expect(page.get_by_test_id("file-id_front.1")).to_be_attached()
    expect(page.get_by_test_id("file-id_front.2")).to_have_count(0)
    page.get_by_role("button", name="Remove Beneficial owners 2").click()
    # Directors are required: saving without one names it, and the owner's ID that is missing.
    page.get_by_role("button", name="Save and continue").click()
    expect(alert).to_contain_text("Directors: Add at least 1.")
    expect(alert).to_contain_text("Owner's ID, front: Upload this document.")
    page.get_by_role("button", name="Add Directors").click()
    field(page, "ownership", "directors.0.first_name").fill("Grace")
    field(page, "ownership", "directors.0.last_name").fill("Hopper")
    upload(page, "id_front.1", "id-front.png", "image/png", png(640, 400))
    upload(page, "id_back.1", "id-back.pdf", "application/pdf", pdf(1))
    browser.screenshot("375-owners", ARTIFACTS)
    page.get_by_role("button", name="Save and continue").click()

    expect(heading).to_have_text("Contact")
    field(page, "contact", "name").fill("Ada Lovelace")
    field(page, "contact", "email").fill("not an address")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#f-contact-email-error")).to_have_text("Enter an e-mail address.")
    field(page, "contact", "email").fill("ada@acme.example")
    page.get_by_role("button", name="Save and continue").click()

    expect(heading).to_have_text("Company documents")
    # Incorporated in DE: the register extract is asked for too; the proof of address is optional.
    expect(page.locator("#doc-trade_register_extract")).to_be_visible()
    upload(page, "certificate_of_incorporation", "certificate.pdf", "application/pdf", pdf(2))
    upload(page, "trade_register_extract", "extract.png", "image/png", png(800, 1100))
    page.get_by_role("button", name="Save and continue").click()

    expect(heading).to_have_text("Check your answers")
    expect(page.get_by_text("Step 6 of 6")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Acme Payments GmbH")
    expect(page.locator("main")).to_contain_text("Beneficial owners 1 · Ownership (%)")
    assert serious_violations(page) == []
    browser.screenshot("375-review", ARTIFACTS)
    page.set_viewport_size({"width": 1280, "height": 900})
    browser.screenshot("1280-review", ARTIFACTS)

    # The pages are in S3 and checked before the applicant submits (as they would be by the time a person reads).
    api = tenant.api()

    def stored() -> bool:
        documents = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
        return len(documents) == 4 and all(p["status"] == "available" for d in documents for p in d["pages"])

    wait_for(stored, what="the four uploads stored and checked")
    page.get_by_role("button", name="Submit application").click()
    expect(heading).to_have_text("Thank you")
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] != "collecting", what="the case submitted"
    )

    # Coming back with the same link: the application is in, nothing more to fill in.
    page.goto(url)
    page.reload()
    expect(heading).to_have_text("Thank you")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    metrics = {"bundle": bundle_size(collection_site), "first_load": timing, "viewport": PHONE}
    (ARTIFACTS / "metrics.json").write_text(json.dumps(metrics, indent=2))
    assert metrics["bundle"]["gzip_bytes"] < 60_000  # a phone on a slow line gets the first step quickly


def test_the_journey_resumes_at_the_first_step_not_saved(open_browser, stack, tenant, collection_site):
    import httpx

    _case_id, url = collecting_business(tenant)
    token = url.split("#")[1]
    saved = httpx.put(
        f"{stack.api_url}/v1/collection/steps/company",
        json={"name": "Acme", "registration_number": "1", "country_of_incorporation": "GB"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert saved.status_code == 200, saved.text
    page = open_browser(PHONE).page
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Registered address")
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    page.get_by_role("button", name="Back").click()
    expect(field(page, "company", "name")).to_have_value("Acme")


@pytest.mark.parametrize("fragment", ["#clk_" + "a" * 43, "", "#not-a-token"])
def test_a_bad_link_opens_a_page_saying_so(open_browser, stack, collection_site, fragment):
    browser = open_browser(PHONE)
    browser.expect_http_errors(401)
    browser.open(f"/collect/{fragment}")
    expect(browser.page.get_by_role("heading", level=1)).to_have_text("This link has expired or is not valid")
    expect(browser.page.get_by_text("Ask the company that sent it to you for a new link.")).to_be_visible()


def test_a_revision_opens_only_the_document_sent_back_with_the_reason(
    open_browser, stack, tenant, collection_site
):
    api = tenant.api()
    case_id, url = submitted_application(stack, tenant)
    sent_back = tenant.reviewer().post(
        f"/v1/review/cases/{case_id}/decision",
        json={
            "decision": "revision",
            "reason": "The photo of your ID is blurred",
            "documents": [{"document_id": "id_front", "decision": "revision", "reason": "glare"}],
        },
    )
    assert sent_back.status_code == 200, sent_back.text

    browser = open_browser(PHONE)
    page = browser.page
    page.goto(url)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("ID documents")  # the one step holding what was sent back
    expect(page.get_by_role("note")).to_contain_text("The photo of your ID is blurred")
    expect(page.get_by_text("Step 1 of 2")).to_be_visible()
    expect(page.locator("#doc-id_front")).to_contain_text("Not uploaded")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("ID document, front: Upload this document.")
    browser.screenshot("375-revision", ARTIFACTS)
    resubmit_new_id(page, api, case_id, "id-again.png")

    # The back-and-forth, in the back office's timeline of the case.
    reviewer = open_browser()
    reviewer.open(f"/cases/{case_id}")
    reviewer.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    timeline = reviewer.page.locator("#timeline")
    expect(timeline).to_contain_text("Collection link issued")
    expect(timeline.get_by_text("Collection submitted")).to_have_count(2)
    expect(timeline).to_contain_text("The photo of your ID is blurred")
    reviewer.screenshot("1280-timeline", ARTIFACTS)


def test_an_owners_link_opens_their_own_step_and_leaves_the_case_to_its_applicant(
    open_browser, tenant, collection_site
):
    api = tenant.api()
    entity = {
        "type": "business",
        "id": f"biz-{secrets.token_hex(4)}",
        "business": {"name": "Acme", "ubos": [{"id": "ubo-1", "first_name": "Ada", "last_name": "Lovelace"}]},
    }
    started = api.post("/v1/cases", json={"workflow": "kyb", "entity": entity, "submit": False})
    assert started.status_code == 202, started.text
    case_id = started.json()["id"]
    link = api.post(f"/v1/cases/{case_id}/collection-links", json={"person_id": "ubo-1", "language": "es"})
    assert link.status_code == 201, link.text

    page = open_browser(PHONE).page
    page.goto(link.json()["url"])
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Su identidad")  # the link's language
    expect(page.get_by_text("Paso 1 de 2")).to_be_visible()
    field(page, "owner_identity", "first_name").fill("Ada")
    field(page, "owner_identity", "last_name").fill("Lovelace")
    field(page, "owner_identity", "date_of_birth").fill("1985-12-10")
    field(page, "owner_identity", "nationality").select_option("GB")
    expect(page.locator("#doc-selfie-ubo-1")).to_contain_text("opcional")
    page.get_by_test_id("file-id_front.ubo-1").set_input_files(
        {"name": "id.pdf", "mimeType": "application/pdf", "buffer": pdf(1)}
    )
    expect(page.locator("#doc-id_front-ubo-1")).to_contain_text("Subido")
    page.get_by_role("button", name="Guardar y continuar").click()
    expect(heading).to_have_text("Revise sus datos")
    wait_for(
        lambda: (
            [d["id"] for d in api.get(f"/v1/cases/{case_id}/documents").json()["items"]] == ["id_front.ubo-1"]
            and all(
                p["status"] == "available"
                for p in api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"]
            )
        ),
        what="the owner's ID stored",
    )
    page.get_by_role("button", name="Enviar solicitud").click()
    expect(heading).to_have_text("Gracias")
    assert (
        api.get(f"/v1/cases/{case_id}").json()["state"] == "collecting"
    )  # the company's applicant submits it


def test_the_applicant_invites_an_owner_who_fills_in_their_part_in_another_browser(
    open_browser, tenant, collection_site
):
    case_id, url = collecting_business(tenant)
    company = open_browser(PHONE)
    page = company.page
    page.goto(url)
    fill_in(
        page,
        "company",
        {"name": "Acme Ltd", "registration_number": "01234567", "country_of_incorporation": "GB"},
    )
    page.get_by_role("button", name="Save and continue").click()
    fill_in(
        page, "address", {"line1": "1 High St", "city": "London", "postal_code": "EC1A 1AA", "country": "GB"}
    )
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Owners and directors")
    page.get_by_role("button", name="Add Beneficial owners").click()
    fill_in(page, "ownership", {f"ubos.0.{k}": v for k, v in {**ADA, "ownership_percent": "60"}.items()})
    expect(page.get_by_test_id("file-id_front.1")).to_be_visible()  # an owner of 60 %: their ID is asked
    page.get_by_role("button", name="Add Directors").click()
    field(page, "ownership", "directors.0.first_name").fill("Grace")
    field(page, "ownership", "directors.0.last_name").fill("Hopper")
    page.get_by_role("button", name="Invite them to fill in their own part").first.click()
    their_link = page.locator("#invite-ubos-0")
    expect(their_link).to_have_value(re.compile(r"/collect/#clk_"))
    # Invited, she uploads her own ID through her own link: the applicant is asked for it no more.
    expect(page.get_by_test_id("file-id_front.1")).to_have_count(0)
    owner_url = their_link.input_value()
    company.screenshot("375-invitation", ARTIFACTS)

    page.get_by_role("button", name="Save and continue").click()
    field(page, "contact", "name").fill("Grace Hopper")
    field(page, "contact", "email").fill("grace@acme.example")
    page.get_by_role("button", name="Save and continue").click()
    upload(page, "certificate_of_incorporation", "certificate.pdf", "application/pdf", pdf(1))
    page.get_by_role("button", name="Save and continue").click()
    api = tenant.api()

    def stored(count: int) -> bool:
        documents = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
        return len(documents) == count and all(
            p["status"] == "available" for d in documents for p in d["pages"]
        )

    wait_for(lambda: stored(1), what="the certificate stored")
    # The company submits first: the application is taken and waits for the owner it invited.
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your application is waiting")
    expect(page.get_by_test_id("waiting")).to_contain_text("waits for Ada Lovelace to finish their own part")
    company.screenshot("375-waiting", ARTIFACTS)
    assert serious_violations(page) == []
    assert api.get(f"/v1/cases/{case_id}").json()["state"] == "awaiting_people"
    page.reload()  # coming back with the link says the same
    expect(page.get_by_test_id("waiting")).to_contain_text("Ada Lovelace")
    # Her first link lost: the applicant sends her a new one from the waiting page, and she opens that.
    page.get_by_role("button", name="Send Ada Lovelace a new link").click()
    new_link = page.get_by_label("Their own link (send it to them)")
    expect(new_link).to_have_value(re.compile(r"/collect/#clk_"))
    assert new_link.input_value() != owner_url
    owner_url = new_link.input_value()

    owner = open_browser(PHONE)  # the owner's own browser
    owner.page.goto(owner_url)
    heading = owner.page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Your identity")
    person_id = owner.page.evaluate(
        "() => document.querySelector('[data-testid^=file-id_front]').dataset.testid"
    )
    field(owner.page, "owner_identity", "first_name").fill("Ada")
    field(owner.page, "owner_identity", "last_name").fill("King")
    field(owner.page, "owner_identity", "date_of_birth").fill("1985-12-10")
    field(owner.page, "owner_identity", "nationality").select_option("FR")
    upload(owner.page, person_id.removeprefix("file-"), "id.png", "image/png", png(500, 320))
    owner.page.get_by_role("button", name="Save and continue").click()
    owner.page.get_by_role("button", name="Submit application").click()
    expect(heading).to_have_text("Thank you")

    # Her part was the last: the case runs its checks and reaches the back office (her own KYC case in review).
    parent = wait_for(
        lambda: (c := api.get(f"/v1/cases/{case_id}").json())["child_case_ids"] and c, what="the owner's case"
    )
    (child_id,) = parent["child_case_ids"]
    wait_for(
        lambda: api.get(f"/v1/cases/{child_id}").json()["state"] == "manual_review", what="owner in review"
    )
    reviewer = open_browser()
    reviewer.open(f"/cases/{case_id}")
    reviewer.sign_in(create_reviewer(tenant.stack, tenant.id, "viewer"))
    invited = reviewer.page.locator("#awaited-people")
    expect(invited).to_contain_text("Ada Lovelace")
    expect(invited).to_contain_text("Submitted")
    timeline = reviewer.page.locator("#timeline")
    expect(timeline).to_contain_text("waiting for Ada Lovelace")
    expect(timeline).to_contain_text("Ada Lovelace finished their part")
    case = api.get(f"/v1/cases/{case_id}").json()
    (ada,) = case["entity"]["business"]["ubos"]
    # the form's owner, with what she said about herself
    assert (ada["first_name"], ada["last_name"], ada["nationality"], ada["ownership_percent"]) == (
        "Ada",
        "King",
        "FR",
        60,
    )
