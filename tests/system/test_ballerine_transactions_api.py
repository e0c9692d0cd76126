"""Ballerine's transaction API on the local stack: the body Ballerine's own tests send (`TransactionCreateDto`),
decided by monitoring as its customer's (the beneficiary's when inbound, else the originator's) and answered
`201 {id, correlationId}` with the decision; the bulk route queued as a batch and answered per item (207 when an
item repeats an earlier one's correlationId); refusals in Ballerine's error body that store nothing."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from arbiter.api.ballerine_transactions import ALREADY_EXISTS, BALLERINE_TRANSACTION_EXAMPLE
from tests.support.tenants import make_tenant
from tests.system.test_transaction_batches_api import each_decided
from tests.system.test_transactions_api import BASE, customer_count, stored_items
from tests.waiting import wait_for

ROUTE = "/api/v1/external/transactions"


def ballerine_body(minutes: float = 0, **fields: Any) -> dict[str, Any]:
    """A transaction as Ballerine's tests make it (`getBaseTransactionData`: every optional part filled in, a
    business originator and a person beneficiary, tags as a JSON string), at BASE + `minutes`."""
    body = copy.deepcopy(BALLERINE_TRANSACTION_EXAMPLE)
    body.update(
        {
            "correlationId": str(uuid.uuid4()),
            "date": (BASE + dt.timedelta(minutes=minutes))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "amount": 182.32,
            "baseAmount": 182.32,
            "direction": "outbound",
            "originator": {
                "correlationId": "acme-4711",
                "businessData": {
                    "companyName": "Acme Payments GmbH",
                    "registrationNumber": "c5b9b3c4-5d4c-4b8e-8f0e-0c2f1f7d9a11",
                    "mccCode": 5732,
                    "businessType": "retail",
                },
            },
            "beneficiary": {
                "correlationId": "person-8812",
                "endUserData": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
            },
            "cardDetails": {
                "fingerprint": "a1B2c3D4e5F6g7H8",
                "issuedCountry": "Heard Island and McDonald Islands",
                "completed3ds": True,
                "type": "credit",
                "brand": "visa",
                "cardBin": 411111,
            },
            "product": {"name": "Laptop", "price": 182.32, "currency": "USD", "sku": "Laptop", "id": "p-1"},
            "tags": '["alpha","beta"]',
        }
    )
    body.update(fields)
    return body


def view(api: httpx.Client, transaction_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/transactions/{transaction_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_ballerines_body_is_decided_as_the_originators_and_answered_with_its_ids_and_decision(tenant):
    api = tenant.api()
    body = ballerine_body()
    response = api.post(ROUTE, json=body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["id"] == answer["correlationId"] == body["correlationId"]
    assert answer["decision"] in ("allow", "review", "block")
    assert answer["rule_set"]["id"] == "transaction-monitoring"
    stored = view(api, body["correlationId"])
    assert stored["customer"] == {"id": "acme-4711"}
    assert stored["direction"] == "outbound"
    assert stored["amount"] == "182.32"
    assert stored["currency"] == "USD"
    assert stored["type"] == "payment"
    assert stored["channel"] == "channel-1"
    assert stored["counterparty"] == {"name": "Ada Lovelace", "account": "person-8812", "country": None}
    assert stored["time"].startswith(body["date"][:19])
    # What monitoring does not read is kept as the integrator sent it.
    metadata = stored["metadata"]
    assert metadata["baseAmount"] == "182.32"
    assert metadata["baseCurrency"] == "USD"
    assert metadata["cardDetails"]["issuedCountry"] == "Heard Island and McDonald Islands"
    assert metadata["beneficiary"]["endUserData"]["email"] == "ada@example.com"
    assert metadata["tags"] == '["alpha","beta"]'
    assert metadata["payment"]["method"] == "credit_card"
    assert customer_count(tenant, "acme-4711") == 1
    assert customer_count(tenant, "person-8812") == 0


def test_an_inbound_transaction_is_the_beneficiarys_against_its_originator(tenant):
    api = tenant.api()
    body = ballerine_body(
        direction="INBOUND",
        originator={"correlationId": "payer-1", "bankCountry": "Iran", "endUserData": {"firstName": "Cyrus"}},
        beneficiary={"correlationId": "merchant-9", "businessData": {"companyName": "Shop"}},
    )
    assert api.post(ROUTE, json=body).status_code == 201
    stored = view(api, body["correlationId"])
    assert stored["customer"] == {"id": "merchant-9"}
    assert stored["direction"] == "inbound"
    assert stored["counterparty"] == {"name": "Cyrus", "account": "payer-1", "country": "IR"}


def test_a_large_transfer_to_a_high_risk_country_opens_an_alert(tenant, bus_events):
    api = tenant.api()
    body = ballerine_body(
        amount=15000,
        currency="EUR",
        type="transfer",
        beneficiary={
            "correlationId": "cp-ir",
            "bankCountry": "IR",
            "businessData": {"companyName": "Tehran Co"},
        },
    )
    answer = api.post(ROUTE, json=body).json()
    assert answer["decision"] in ("review", "block")
    assert answer["alert_id"]
    assert {"large-amount", "high-risk-country"} <= {hit["rule"] for hit in answer["hits"]}
    alert = api.get(f"/v1/transactions/{body['correlationId']}").json()["decision"]["alert_id"]
    assert alert == answer["alert_id"]


def test_the_same_correlation_id_is_one_transaction_and_another_body_under_it_a_409(tenant):
    api = tenant.api()
    body = ballerine_body()
    first = api.post(ROUTE, json=body)
    again = api.post(ROUTE, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    changed = api.post(ROUTE, json={**body, "amount": 999.99})
    assert changed.status_code == 409, changed.text
    assert changed.json()["statusCode"] == 409
    assert customer_count(tenant, "acme-4711") == 1


def test_empty_strings_are_absent_fields_and_unknown_fields_are_kept(tenant):
    api = tenant.api()
    body = ballerine_body(
        direction="",
        type="",
        description="",
        reference="",
        payment="",
        baseAmount="",
        baseCurrency="",
        status="completed",
        sender={"accountId": "x"},
    )
    body["beneficiary"]["bankCountry"] = ""
    response = api.post(ROUTE, json=body)
    assert response.status_code == 201, response.text
    stored = view(api, body["correlationId"])
    assert (stored["direction"], stored["type"], stored["channel"]) == ("outbound", "payment", None)
    assert stored["metadata"]["status"] == "completed"
    assert stored["metadata"]["sender"] == {"accountId": "x"}
    assert "description" not in stored["metadata"]
    assert "baseAmount" not in stored["metadata"]


def _without(field: str) -> dict[str, Any]:
    body = ballerine_body()
    del body[field]
    return body


FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (ballerine_body(amount="asdsad"), "amount"),
        (ballerine_body(amount=0), "amount"),
        (ballerine_body(currency="Dollars"), "currency"),
        (ballerine_body(date="yesterday"), "date"),
        (ballerine_body(date=FUTURE), "date"),
        (ballerine_body(correlationId=""), "correlationId"),
        (ballerine_body(direction="sideways"), "direction"),
        (_without("originator"), "originator"),
        (ballerine_body(beneficiary={"endUserData": {"firstName": "Ada"}}), "beneficiary.correlationId"),
        (
            ballerine_body(
                beneficiary={"correlationId": "b", "businessData": {"companyName": "B"}, "endUserData": {}}
            ),
            "beneficiary",
        ),
        (
            ballerine_body(beneficiary={"correlationId": "b", "bankCountry": "Atlantis"}),
            "beneficiary.bankCountry",
        ),
        (ballerine_body(additionalInfo={"notes": "x" * 17_000}), "body"),
    ],
    ids=[
        "amount-text",
        "amount-zero",
        "currency",
        "date-text",
        "date-future",
        "empty-id",
        "direction",
        "no-originator",
        "party-without-id",
        "party-both-kinds",
        "bank-country",
        "metadata-too-large",
    ],
)
def test_bad_input_is_a_422_in_ballerines_body_naming_the_field_and_nothing_is_stored(tenant, body, path):
    response = tenant.api().post(ROUTE, json=body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["statusCode"] == 422
    assert answer["path"] == ROUTE
    assert path in [error["path"] for error in answer["errors"]], answer
    assert stored_items(tenant) == []


def test_without_a_key_nothing_is_decided(tenant):
    response = httpx.post(f"{tenant.stack.api_url}{ROUTE}", json=ballerine_body())
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401
    assert stored_items(tenant) == []


def test_a_bulk_is_queued_answered_per_item_in_order_and_every_transaction_decided_once(tenant):
    api = tenant.api()
    bodies = [ballerine_body(minutes=n) for n in range(6)]
    repeat = {**bodies[1], "amount": 5}
    response = api.post(f"{ROUTE}/bulk", json=[*bodies[:3], repeat, *bodies[3:]])
    assert response.status_code == 207, response.text
    items = response.json()
    assert [item["status"] for item in items] == ["success"] * 3 + ["failed"] + ["success"] * 3
    assert items[3] == {
        "status": "failed",
        "error": ALREADY_EXISTS,
        "data": {"correlationId": repeat["correlationId"]},
    }
    batch = {item["data"]["batchId"] for item in items if item["status"] == "success"}
    assert len(batch) == 1
    for item, body in zip([*items[:3], *items[4:]], bodies, strict=True):
        assert item["data"]["id"] == item["data"]["correlationId"] == body["correlationId"]
    ids = [body["correlationId"] for body in bodies]
    views = wait_for(
        each_decided(api, ids), timeout=60, interval=0.2, what="every transaction of the bulk decided"
    )
    assert views[bodies[1]["correlationId"]]["amount"] == "182.32"  # the first of the two, not the repeat
    assert customer_count(tenant, "acme-4711") == 6
    status = api.get(f"/v1/transactions/batches/{batch.pop()}").json()
    assert (status["accepted"], status["scored"], status["done"]) == (6, 6, True)
    # Every item new: 201. Another tenant does not see them.
    fresh = api.post(f"{ROUTE}/bulk", json=[ballerine_body(minutes=10)])
    assert fresh.status_code == 201, fresh.text
    other = make_tenant(tenant.stack).api()
    assert other.get(f"/v1/transactions/{ids[0]}").status_code == 404


def test_an_empty_bulk_is_answered_with_no_items(tenant):
    response = tenant.api().post(f"{ROUTE}/bulk", json=[])
    assert response.status_code == 201, response.text
    assert response.json() == []


def test_a_bad_bulk_item_is_a_422_naming_it_by_its_place_and_nothing_is_queued(tenant):
    api = tenant.api()
    bodies = [ballerine_body(minutes=n) for n in range(4)]
    for change, path in (
        ({"amount": "asdsad"}, "[2].amount"),
        ({"date": FUTURE}, "[2].date"),
        ({"originator": None}, "[2].originator"),
    ):
        response = api.post(f"{ROUTE}/bulk", json=[*bodies[:2], {**bodies[2], **change}, bodies[3]])
        assert response.status_code == 422, response.text
        assert path in [error["path"] for error in response.json()["errors"]], response.text
    response = api.post(f"{ROUTE}/bulk", json={"transactions": bodies})
    assert response.status_code == 422, response.text
    over = api.post(f"{ROUTE}/bulk", json=[ballerine_body(minutes=n % 60) for n in range(1001)])
    assert over.status_code == 422, over.text
    assert stored_items(tenant) == []
    assert customer_count(tenant, "acme-4711") == 0


def listed(api: httpx.Client, **query: Any) -> list[dict[str, Any]]:
    response = api.get(ROUTE, params=query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_a_customers_transactions_are_listed_newest_first_as_ballerine_lists_them(tenant):
    api = tenant.api()
    bodies = [ballerine_body(minutes=-10 * n) for n in range(5)]  # bodies[0] is the newest
    bodies[1]["payment"] = {"method": "bank_transfer", "channel": "web"}
    for body in bodies:
        assert api.post(ROUTE, json=body).status_code == 201
    alone = api.post(
        "/v1/transactions",
        json={
            "id": "v1-tx",
            "customer": {"id": "acme-4711"},
            "amount": 50,
            "currency": "EUR",
            "direction": "inbound",
            "type": "card",
            "counterparty": {"name": "Corner Shop", "account": "DE02100100100006820101"},
            "time": (BASE - dt.timedelta(minutes=25)).isoformat(),
        },
    )
    assert alone.status_code == 200, alone.text
    ids = [body["correlationId"] for body in bodies]

    found = listed(api, counterpartyId="acme-4711")
    assert [t["id"] for t in found] == [*ids[:3], "v1-tx", *ids[3:]]
    first = found[0]
    assert first["transactionCorrelationId"] == ids[0]
    assert (first["transactionAmount"], first["transactionCurrency"]) == (182.32, "USD")
    assert (first["transactionBaseAmount"], first["transactionBaseCurrency"]) == (182.32, "USD")
    assert (first["transactionType"], first["transactionDirection"]) == ("payment", "outbound")
    assert first["paymentMethod"] == "credit_card"
    assert first["tags"] == '["alpha","beta"]'
    assert first["counterpartyOriginatorId"] == "acme-4711"
    assert first["counterpartyOriginator"]["business"] == {
        "correlationId": "acme-4711",
        "companyName": "Acme Payments GmbH",
    }
    assert first["counterpartyBeneficiary"] == {
        "correlationId": "person-8812",
        "business": None,
        "endUser": {"correlationId": "person-8812", "firstName": "Ada", "lastName": "Lovelace"},
    }
    assert first["decision"]["decision"] in ("allow", "review", "block")
    # Sent to /v1/transactions: the customer is the beneficiary of an inbound one, the counterparty its originator.
    v1 = found[3]
    assert (v1["counterpartyBeneficiaryId"], v1["counterpartyOriginatorId"]) == (
        "acme-4711",
        "DE02100100100006820101",
    )
    assert v1["counterpartyOriginator"]["business"]["companyName"] == "Corner Shop"
    assert v1["transactionBaseAmount"] is None

    assert [
        t["id"] for t in listed(api, counterpartyId="acme-4711", **{"page[number]": 2, "page[size]": 2})
    ] == [
        ids[2],
        "v1-tx",
    ]
    window = {"startDate": bodies[3]["date"], "endDate": bodies[1]["date"]}  # both ends included
    assert [t["id"] for t in listed(api, counterpartyId="acme-4711", **window)] == [
        ids[1],
        ids[2],
        "v1-tx",
        ids[3],
    ]
    recent = listed(
        api, counterpartyId="acme-4711", endDate=bodies[0]["date"], timeValue=15, timeUnit="minutes"
    )
    assert [t["id"] for t in recent] == ids[:2]
    assert [t["id"] for t in listed(api, counterpartyId="acme-4711", paymentMethod="bank_transfer")] == [
        ids[1]
    ]
    assert listed(api, counterpartyId="person-8812") == []  # listed under its customer only
    # Without a customer: the tenant's, newest first, over the last 30 days by default.
    everything = listed(api)
    assert [t["id"] for t in everything] == [*ids[:3], "v1-tx", *ids[3:]]
    assert listed(make_tenant(tenant.stack).api()) == []


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"orderBy": "status:asc"}, "orderBy"),
        ({"startDate": "yesterday"}, "startDate"),
        ({"startDate": "2026-12-02", "endDate": "2026-12-01"}, "startDate"),
        ({"timeValue": 3, "timeUnit": "fortnights"}, "timeUnit"),
        ({"page[number]": 11, "page[size]": 1000}, "page[number]"),
        ({"startDate": "2000-01-01"}, "startDate"),
        ({"endDate": "9999-12-31T23:59:59.999999Z"}, "endDate"),
        ({"endDate": "9999-12-31T23:00:00-05:00"}, "endDate"),
        ({"timeValue": 100_000, "timeUnit": "years"}, "timeValue"),
    ],
    ids=[
        "order",
        "start-date",
        "start-after-end",
        "time-unit",
        "too-deep",
        "tenant-range-over-366-days",
        "end-at-the-last-microsecond",
        "end-past-utc",
        "time-value-before-year-1",
    ],
)
def test_a_list_it_cannot_give_is_a_400_naming_the_parameter(tenant, query, path):
    response = tenant.api().get(ROUTE, params=query)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["statusCode"] == 400
    assert path in [error["path"] for error in answer["errors"]], answer


def alt_body(minutes: float = 0, **fields: Any) -> dict[str, Any]:
    """Ballerine's flat body (`TransactionCreateAltDto`, every required field), under `data`."""
    return {
        "data": {
            "tx_id": str(uuid.uuid4()),
            "tx_date_time": (BASE + dt.timedelta(minutes=minutes)).isoformat(),
            "tx_amount": 75.5,
            "tx_currency": "SGD",
            "tx_base_amount": 56.1,
            "tx_base_currency": "USD",
            "tx_reference_text": "order 991",
            "tx_direction": "inbound",
            "tx_mcc_code": "5411",
            "tx_payment_channel": "online",
            "tx_product": "Visa",
            "tx_type": "sale",
            "counterparty_id": "card-fp-77",
            "counterparty_institution_id": "411111",
            "counterparty_institution_name": "DBS",
            "counterparty_name": "Tan Ah Kow",
            "counterparty_type": "individual",
            "customer_id": "merchant-sg-1",
            "customer_name": "Kopi Place Pte Ltd",
            "customer_address": "1 Raffles Place",
            "customer_country": "SG",
            "customer_postcode": "048616",
            "customer_state": "",
            "customer_type": "merchant",
            **fields,
        }
    }


def test_ballerines_flat_body_is_decided_as_ballerine_reads_it(tenant):
    api = tenant.api()
    body = alt_body()
    response = api.post(f"{ROUTE}/alt", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["id"] == response.json()["correlationId"] == body["data"]["tx_id"]
    stored = view(api, body["data"]["tx_id"])
    assert stored["customer"] == {"id": "merchant-sg-1"}
    assert stored["direction"] == "inbound"
    assert (stored["amount"], stored["currency"], stored["channel"]) == ("75.5", "SGD", "online")
    assert stored["counterparty"] == {"name": "Tan Ah Kow", "account": "card-fp-77", "country": None}
    assert stored["metadata"]["additionalInfo"]["tx_type"] == "sale"
    assert stored["metadata"]["additionalInfo"]["counterparty_institution_name"] == "DBS"
    assert stored["metadata"]["payment"] == {"channel": "online", "mccCode": "5411", "brandName": "Visa"}
    # As in Ballerine, a transaction that is not outbound is the customer's as its beneficiary.
    record = listed(api, counterpartyId="merchant-sg-1")[0]
    assert record["counterpartyBeneficiary"]["business"]["companyName"] == "Kopi Place Pte Ltd"
    assert record["counterpartyOriginator"]["endUser"] == {
        "correlationId": "card-fp-77",
        "firstName": "Tan Ah",
        "lastName": "Kow",
    }
    outbound = alt_body(tx_direction="OUTBOUND", tx_amount=12000, tx_currency="EUR")
    answer = api.post(f"{ROUTE}/alt", json=outbound).json()
    assert "large-amount" in {hit["rule"] for hit in answer["hits"]}
    assert view(api, outbound["data"]["tx_id"])["direction"] == "outbound"


def test_the_flat_bodys_bulk_and_its_refusals_name_the_field_as_sent(tenant):
    api = tenant.api()
    bodies = [alt_body(minutes=n) for n in range(3)]
    response = api.post(f"{ROUTE}/alt/bulk", json=[*bodies, bodies[0]])
    assert response.status_code == 207, response.text
    assert [item["status"] for item in response.json()] == ["success", "success", "success", "failed"]
    wait_for(
        each_decided(api, [b["data"]["tx_id"] for b in bodies]), timeout=60, what="the flat bulk decided"
    )
    for bad, path in (
        ({"tx_amount": "lots"}, "[1].data.tx_amount"),
        ({"tx_date_time": FUTURE}, "[1].data.tx_date_time"),
        ({"customer_id": ""}, "[1].data.customer_id"),
    ):
        again = [alt_body(minutes=n) for n in range(3)]
        again[1]["data"].update(bad)
        refused = api.post(f"{ROUTE}/alt/bulk", json=again)
        assert refused.status_code == 422, refused.text
        assert path in [error["path"] for error in refused.json()["errors"]], refused.text
        assert all(api.get(f"/v1/transactions/{b['data']['tx_id']}").status_code == 404 for b in again)
    future = api.post(f"{ROUTE}/alt", json=alt_body(tx_date_time=FUTURE))
    assert future.status_code == 422, future.text
    assert future.json()["errors"][0]["path"] == "data.tx_date_time"


def test_a_party_with_neither_business_nor_person_data_is_taken_by_its_id(tenant):
    api = tenant.api()
    body = ballerine_body(beneficiary={"correlationId": "bare-party"})
    assert api.post(ROUTE, json=body).status_code == 201
    assert view(api, body["correlationId"])["counterparty"] == {
        "name": None,
        "account": "bare-party",
        "country": None,
    }


def test_a_flat_body_that_cannot_be_kept_is_a_422_naming_its_data_and_nothing_is_stored(tenant):
    api = tenant.api()
    response = api.post(f"{ROUTE}/alt", json=alt_body(notes="x" * 17_000))
    assert response.status_code == 422, response.text
    assert [error["path"] for error in response.json()["errors"]] == ["data"]
    bulk = api.post(f"{ROUTE}/alt/bulk", json=[alt_body(), alt_body(notes="x" * 17_000)])
    assert bulk.status_code == 422, bulk.text
    assert [error["path"] for error in bulk.json()["errors"]] == ["[1].data"]
    assert stored_items(tenant) == []
