"""Sanctions screening through the real workflows on the local stack: a watchlist generated here and stored in S3
as the tenant's own list, a listed UBO sending the KYB case to review with the match explained, and a reviewer's
clearance of a false positive holding on the next case of the same customer."""

from __future__ import annotations

import hashlib
import secrets

import pytest

from tests.support.cases import business, finished, publish_demo_rule_sets, start
from tests.support.tenants import make_tenant
from tests.unit.plugins.test_sanctions_plugin import generated_rows
from tests.unit.screening.generated_lists import write_targets_csv
from tests.waiting import wait_for


@pytest.fixture
def watchlist(tenant) -> bytes:
    """A generated list stored as the tenant's own, so no other test's cases screen against it."""
    body = write_targets_csv(generated_rows(seed=int(secrets.token_hex(2), 16)))
    tenant.stack.client("s3").put_object(
        Bucket=tenant.stack.physical_id("DocumentsBucket"),
        Key=f"watchlists/tenants/{tenant.id}/targets.simple.csv",
        Body=body,
    )
    return body


def _state(api, case_id: str) -> str:
    response = api.get(f"/v1/cases/{case_id}")
    return response.json()["state"] if response.status_code == 200 else ""


def _settled(api, case_id: str, timeout: float = 60) -> str:
    """Wait until the workflow has run its automated steps (the case left `processing`)."""
    return wait_for(
        lambda: (s := _state(api, case_id)) not in ("", "processing") and s,
        timeout=timeout,
        what=f"case {case_id} to leave processing",
    )


def test_a_kyb_case_whose_ubo_is_listed_goes_to_review_with_the_match_explained(tenant, stack, watchlist):
    api, reviewer = tenant.api(), tenant.reviewer("reviewer")
    screening = stack.runtime.by_logical_id("ScreeningFunction").name
    invoked_before = stack.runtime.invocation_count
    entity = {
        "type": "business",
        "id": f"biz-{secrets.token_hex(3)}",
        "business": {
            "name": "Harbour Lane Bakery GmbH",
            "country_of_incorporation": "DE",
            "ubos": [
                # Listed as "Viktor Sergeyevich Orlov", born 1962-04-17: here in the German romanisation.
                {"id": "p-1", "first_name": "Wiktor", "last_name": "Orlow", "date_of_birth": "1962-04-17",
                 "nationality": "RU", "ownership_percent": 60, "roles": ["ubo"]},
                {"id": "p-2", "first_name": "Greta", "last_name": "Sommerfeld", "date_of_birth": "1980-02-02",
                 "ownership_percent": 40, "roles": ["ubo"]},
            ],
        },
    }  # fmt: skip
    created = api.post("/v1/cases", json={"workflow": "kyb", "entity": entity})
    assert created.status_code == 202, created.text
    parent_id = created.json()["id"]

    # The owner's own KYC case is screened too, and a reviewer must look at it before the parent goes on.
    listed_child = f"{parent_id}-o0"
    assert _settled(api, listed_child) == "manual_review"
    child = reviewer.get(f"/v1/review/cases/{listed_child}").json()
    assert "sanctions_match" in [f["code"] for f in child["case"]["flags"]]
    assert child["checks"]["sanctions"]["status"] == "ok"
    for child_id in (listed_child, f"{parent_id}-o1"):
        if _settled(api, child_id) == "manual_review":
            decided = reviewer.post(
                f"/v1/review/cases/{child_id}/decision", json={"decision": "reject", "reason": "listed owner"}
            )
            assert decided.status_code == 200, decided.text

    assert _settled(api, parent_id) == "manual_review"
    detail = reviewer.get(f"/v1/review/cases/{parent_id}").json()
    flags = [f for f in detail["case"]["flags"] if f["code"] == "sanctions_match"]
    assert len(flags) == 1
    assert "business.ubos[0]" in flags[0]["message"]
    assert "L-ORLOV" in flags[0]["message"]
    result = detail["checks"]["sanctions"]
    assert result["status"] == "ok"
    assert [f["subject"] for f in result["flags"]] == ["business.ubos[0]"]
    owner = next(p for p in result["data"]["parties"] if p["subject"] == "business.ubos[0]")
    assert owner["party_key"] == f"{entity['id']}/owner/p-1"
    [match] = owner["matches"]
    explanation = match["explanation"]
    assert (match["entry"]["id"], explanation["query_name"], explanation["listed_name"]) == (
        "L-ORLOV",
        "Wiktor Orlow",
        "Viktor Sergeyevich Orlov",
    )
    assert {c["feature"]: c["outcome"] for c in explanation["contributions"]}["birth_date"] == "agree"
    # The list version is on the case: the hash of the bytes stored, the list's own date, where it was read.
    version = result["data"]["list"]
    assert version["sha256"] == hashlib.sha256(watchlist).hexdigest()
    assert version["date"] == "2026-11-02"
    assert version["key"] == f"watchlists/tenants/{tenant.id}/targets.simple.csv"
    others = [p for p in result["data"]["parties"] if p["subject"] != "business.ubos[0]"]
    assert [p["matches"] for p in others] == [[], []]  # the business and the other owner are clear
    # Every screening ran in the one function holding the list: the parent's check (the machine's RunScreening)
    # and each owner's (sent by WorkflowTasksFunction, which automates the owners' cases but holds no list).
    invoked = [r.function for r in stack.runtime.invocations_since(invoked_before)]
    assert invoked.count(screening) >= 3, invoked


def _kyc_case(api, entity_id: str) -> str:
    entity = {
        "type": "individual",
        "id": entity_id,
        "individual": {"first_name": "Viktor", "last_name": "Orlov", "date_of_birth": "1962-04-17"},
    }
    created = api.post("/v1/cases", json={"workflow": "kyc", "entity": entity})
    assert created.status_code == 202, created.text
    return created.json()["id"]


def test_a_cleared_false_positive_is_not_raised_again_for_that_customer(tenant, watchlist):
    api, reviewer = tenant.api(), tenant.reviewer("reviewer")
    customer = f"cust-{secrets.token_hex(3)}"
    first = _kyc_case(api, customer)
    assert _settled(api, first) == "manual_review"
    clear = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "Another Viktor Orlov: passport seen"}
    response = reviewer.post(f"/v1/review/cases/{first}/screening/clearances", json=clear)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] is True
    assert (body["clearance"]["party_key"], body["clearance"]["entry_id"]) == (customer, "L-ORLOV")
    assert body["clearance"]["list_sha256"] == hashlib.sha256(watchlist).hexdigest()
    assert (
        reviewer.post(f"/v1/review/cases/{first}/screening/clearances", json=clear).json()["created"] is False
    )
    audit = reviewer.get(f"/v1/review/cases/{first}").json()["audit"]
    cleared = [e for e in audit if e["action"] == "screening.match_cleared"]
    assert len(cleared) == 1
    assert cleared[0]["reason"] == clear["reason"]
    # The case still carries its critical flag: the kyc review policy wants a second reviewer to approve it.
    proposed = reviewer.post(
        f"/v1/review/cases/{first}/decision", json={"decision": "approve", "reason": "cleared"}
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["pending_second_review"] is True
    decided = tenant.reviewer("admin").post(f"/v1/review/cases/{first}/decision/confirm")
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "approved"

    second = _kyc_case(api, customer)
    _settled(api, second)
    detail = reviewer.get(f"/v1/review/cases/{second}").json()
    assert "sanctions_match" not in [f["code"] for f in detail["case"]["flags"]]
    result = detail["checks"]["sanctions"]
    assert result["flags"] == []
    [party] = result["data"]["parties"]
    assert [(m["entry"]["id"], m["suppressed"]) for m in party["matches"]] == [("L-ORLOV", True)]

    # Another customer with the same name is still raised: the clearance is for that customer only.
    third = _kyc_case(api, f"cust-{secrets.token_hex(3)}")
    assert _settled(api, third) == "manual_review"
    flags = reviewer.get(f"/v1/review/cases/{third}").json()["case"]["flags"]
    assert "sanctions_match" in [f["code"] for f in flags]


def test_clearing_is_refused_clearly(tenant, stack, watchlist):
    api = tenant.api()
    case_id = _kyc_case(api, f"cust-{secrets.token_hex(3)}")
    assert _settled(api, case_id) == "manual_review"
    url = f"/v1/review/cases/{case_id}/screening/clearances"
    clear = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "not him"}

    viewer = tenant.reviewer("viewer").post(url, json=clear)
    assert viewer.status_code == 403
    assert "needs the reviewer role" in viewer.json()["message"]

    reviewer = tenant.reviewer("reviewer")
    wrong_entry = reviewer.post(url, json={**clear, "entry_id": "L-ZHAO"})
    assert wrong_entry.status_code == 422
    assert wrong_entry.json()["path"] == "entry_id"
    no_reason = reviewer.post(url, json={**clear, "reason": ""})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text
    unknown = reviewer.post("/v1/review/cases/no-such-case/screening/clearances", json=clear)
    assert unknown.status_code == 404

    other = make_tenant(stack)
    assert other.reviewer("admin").post(url, json=clear).status_code == 404
    result = reviewer.get(f"/v1/review/cases/{case_id}").json()
    assert not [e for e in result["audit"] if e["action"] == "screening.match_cleared"]


def test_a_revoked_clearance_is_listed_no_more_and_the_match_is_raised_again(tenant, watchlist):
    api, reviewer, viewer = tenant.api(), tenant.reviewer("reviewer"), tenant.reviewer("viewer")
    customer = f"cust-{secrets.token_hex(3)}"
    first = _kyc_case(api, customer)
    assert _settled(api, first) == "manual_review"
    url = f"/v1/review/cases/{first}/screening/clearances"
    assert viewer.get(url).json() == {"items": []}
    clear = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "Another Viktor Orlov: passport seen"}
    assert reviewer.post(url, json=clear).status_code == 200

    # Listed on the case, and on the entity, for viewers too.
    listed = viewer.get(url)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["party_key"], item["entry_id"], item["applies_to"], item["case_id"]) == (
        customer,
        "L-ORLOV",
        ["individual"],
        first,
    )
    assert item["reason"] == clear["reason"]
    by_entity = viewer.get(f"/v1/review/entities/{customer}/screening/clearances")
    assert by_entity.status_code == 200, by_entity.text
    assert [(i["party_key"], i["entry_id"]) for i in by_entity.json()["items"]] == [(customer, "L-ORLOV")]
    proposed = reviewer.post(
        f"/v1/review/cases/{first}/decision", json={"decision": "approve", "reason": "cleared"}
    )
    assert proposed.json()["pending_second_review"] is True, proposed.text  # it carries a critical flag
    confirmed = tenant.reviewer("admin").post(f"/v1/review/cases/{first}/decision/confirm")
    assert confirmed.json()["state"] == "approved", confirmed.text

    # The next case of the customer holds the clearance; it is revoked from there.
    second = _kyc_case(api, customer)
    _settled(api, second)
    assert [
        i["entry_id"] for i in viewer.get(f"/v1/review/cases/{second}/screening/clearances").json()["items"]
    ] == ["L-ORLOV"]
    revoke = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "Passport was forged"}
    revoked = reviewer.post(f"/v1/review/cases/{second}/screening/clearances/revoke", json=revoke)
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["revoked"]["entry_id"], revoked.json()["revoked"]["case_id"]) == ("L-ORLOV", first)
    audit = reviewer.get(f"/v1/review/cases/{second}").json()["audit"]
    [entry] = [e for e in audit if e["action"] == "screening.clearance_revoked"]
    assert entry["reason"] == revoke["reason"]
    assert (entry["details"]["cleared_on_case"], entry["details"]["cleared_reason"]) == (
        first,
        clear["reason"],
    )
    assert viewer.get(url).json() == {"items": []}
    assert viewer.get(f"/v1/review/entities/{customer}/screening/clearances").json() == {"items": []}
    again = reviewer.post(f"/v1/review/cases/{second}/screening/clearances/revoke", json=revoke)
    assert again.status_code == 404
    assert again.json()["path"] == "entry_id"
    assert len([e for e in reviewer.get(f"/v1/review/cases/{second}").json()["audit"]
                if e["action"] == "screening.clearance_revoked"]) == 1  # fmt: skip

    # The customer's next case raises the match again.
    if _state(api, second) == "manual_review":
        assert (
            reviewer.post(
                f"/v1/review/cases/{second}/decision", json={"decision": "reject", "reason": "listed"}
            ).status_code
            == 200
        )
    third = _kyc_case(api, customer)
    assert _settled(api, third) == "manual_review"
    detail = reviewer.get(f"/v1/review/cases/{third}").json()
    assert "sanctions_match" in [f["code"] for f in detail["case"]["flags"]]
    [party] = detail["checks"]["sanctions"]["data"]["parties"]
    assert [(m["entry"]["id"], m["suppressed"]) for m in party["matches"]] == [("L-ORLOV", False)]


def test_listing_and_revoking_clearances_is_refused_clearly(tenant, stack, watchlist):
    api = tenant.api()
    customer = f"cust-{secrets.token_hex(3)}"
    case_id = _kyc_case(api, customer)
    assert _settled(api, case_id) == "manual_review"
    reviewer = tenant.reviewer("reviewer")
    clear = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "not him"}
    assert reviewer.post(f"/v1/review/cases/{case_id}/screening/clearances", json=clear).status_code == 200
    url = f"/v1/review/cases/{case_id}/screening/clearances/revoke"
    revoke = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "new evidence"}

    viewer = tenant.reviewer("viewer").post(url, json=revoke)
    assert viewer.status_code == 403
    assert "needs the reviewer role" in viewer.json()["message"]
    wrong_subject = reviewer.post(url, json={**revoke, "subject": "business.ubos[0]"})
    assert (wrong_subject.status_code, wrong_subject.json()["path"]) == (422, "subject")
    wrong_check = reviewer.post(url, json={**revoke, "check": "website"})
    assert (wrong_check.status_code, wrong_check.json()["path"]) == (422, "check")
    no_reason = reviewer.post(url, json={**revoke, "reason": " "})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text
    assert (
        reviewer.post("/v1/review/cases/no-such-case/screening/clearances/revoke", json=revoke).status_code
        == 404
    )
    assert reviewer.get("/v1/review/entities/no-such-entity/screening/clearances").status_code == 404

    other = make_tenant(stack).reviewer("admin")
    assert other.post(url, json=revoke).status_code == 404
    assert other.get(f"/v1/review/cases/{case_id}/screening/clearances").status_code == 404
    assert other.get(f"/v1/review/entities/{customer}/screening/clearances").status_code == 404
    # Nothing was revoked by any of these.
    [item] = reviewer.get(f"/v1/review/cases/{case_id}/screening/clearances").json()["items"]
    assert item["entry_id"] == "L-ORLOV"
    audit = reviewer.get(f"/v1/review/cases/{case_id}").json()["audit"]
    assert not [e for e in audit if e["action"] == "screening.clearance_revoked"]


def test_a_name_that_hides_how_it_reads_is_screened_as_read_and_sent_to_a_reviewer(tenant, watchlist):
    """With the demo rule sets published: a listed name behind an override or spelled out meets its entry like the
    plain name (a sanctions target is rejected, a PEP goes to review), and an obfuscated name that matches nothing
    still goes to a reviewer; an ordinary unlisted name is approved. The case keeps the name as received."""

    publish_demo_rule_sets(tenant)
    viewer = tenant.reviewer("viewer")

    def kyc(first: str, last: str, born: str, nationality: str) -> str:
        person = {"first_name": first, "last_name": last, "date_of_birth": born, "nationality": nationality}
        return start(
            tenant, {"type": "individual", "id": f"p-{secrets.token_hex(3)}", "individual": person}, "kyc"
        )

    started = {
        "rlo": kyc("\u202eoahZ", "iuhgniM\u202c", "1969-01-30", "CN"),
        "spaced": kyc("Z h a o", "M i n g h u i", "1969-01-30", "CN"),
        "plain": kyc("Zhao", "Minghui", "1969-01-30", "CN"),
        "pep_spaced": kyc("C l a i r e", "D u p o n t", "1958-11-20", "FR"),
        "hidden_unlisted": kyc("\u202eannA", "tdimhcS\u202c", "1990-03-03", "DE"),
        "unlisted": kyc("Anna", "Schmidt", "1990-03-03", "DE"),
        "kyb_director": start(
            tenant,
            business(
                f"b-{secrets.token_hex(3)}",
                directors=[
                    {"first_name": "Gr\u200beta", "last_name": "Sommer\u00adfeld", "roles": ["director"]}
                ],
            ),
        ),
    }
    cases = {name: finished(tenant, case_id) for name, case_id in started.items()}
    details = {name: viewer.get(f"/v1/review/cases/{case['id']}").json() for name, case in cases.items()}
    hits = {name: {h["rule_id"] for h in d["case"]["risk"]["hits"]} for name, d in details.items()}

    assert {name: case["state"] for name, case in cases.items()} == {
        "rlo": "rejected",  # the demo policy rejects a sanctions match, as for the plain name
        "spaced": "rejected",
        "plain": "rejected",
        "pep_spaced": "manual_review",
        "hidden_unlisted": "manual_review",  # nothing matched: the obfuscation alone sends it to a reviewer
        "unlisted": "approved",
        "kyb_director": "manual_review",
    }, hits
    assert {"sanctions-hit", "name-obfuscated"} <= hits["rlo"]
    assert {"sanctions-hit", "name-obfuscated"} <= hits["spaced"]
    assert "sanctions-hit" in hits["plain"]
    assert "name-obfuscated" not in hits["plain"]
    assert {"watchlist-match", "name-obfuscated"} <= hits["pep_spaced"]
    assert "name-obfuscated" in hits["hidden_unlisted"]
    assert "name-obfuscated" in hits["kyb_director"]
    assert "name-obfuscated" not in hits["unlisted"]

    for name, listed, read_as, visible in (
        ("rlo", "L-ZHAO", "invisible characters removed, display order", "<U+202E>oahZ iuhgniM<U+202C>"),
        ("spaced", "L-ZHAO", "letters joined", "Z h a o M i n g h u i"),
        ("pep_spaced", "L-DUPONT", "letters joined", "C l a i r e D u p o n t"),
    ):
        result = details[name]["checks"]["sanctions"]
        [party] = result["data"]["parties"]
        [match] = party["matches"]
        explanation = match["explanation"]
        assert match["entry"]["id"] == listed, name
        assert (explanation["received_visible"], explanation["read_as"]) == (visible, read_as), name
        assert explanation["received_name"] == party["name"]  # exactly as received, controls and all
        assert party["received"][0]["visible"] == visible
        flag = next(f for f in details[name]["case"]["flags"] if f["code"] == "name_obfuscated")
        assert visible in flag["message"]
        assert flag["severity"] == "critical"

    # Only screening reads the name otherwise: the case keeps what the integrator sent.
    rlo = tenant.api().get(f"/v1/cases/{started['rlo']}").json()
    assert (rlo["entity"]["individual"]["first_name"], rlo["entity"]["individual"]["last_name"]) == (
        "\u202eoahZ",
        "iuhgniM\u202c",
    )
    director = next(
        p for p in details["kyb_director"]["checks"]["sanctions"]["data"]["parties"]
        if p["subject"] == "business.directors[0]"
    )  # fmt: skip
    assert director["name"] == "Gr\u200beta Sommer\u00adfeld"
    assert director["received"][0]["visible"] == "Gr<U+200B>eta Sommer<U+00AD>feld"
