"""The contact check: emails by email-validator (no network), phones by phonenumbers against the country."""

from __future__ import annotations

from typing import Any

from arbiter.plugins.builtin import ContactPlugin
from arbiter.plugins.builtin.contact import ContactConfig


def run(entity: dict[str, Any], **config: Any) -> Any:
    return ContactPlugin().run({"entity": entity}, ContactConfig(**config))


def business(**fields: Any) -> dict[str, Any]:
    return {"type": "business", "business": {"name": "Acme", "country_of_incorporation": "DE", **fields}}


def test_valid_contacts_are_normalised() -> None:
    result = run(business(email="Info@ACME-GmbH.de", phone="030 901820"))
    assert result.status == "ok"
    assert result.flags == []
    assert result.data["emails"] == [
        {"subject": "business", "email": "info@acme-gmbh.de", "domain": "acme-gmbh.de", "valid": True}
    ]
    phone = result.data["phones"][0]
    assert (phone["phone"], phone["region"], phone["matches_country"], phone["type"]) == (
        "+4930901820",
        "DE",
        True,
        "fixed_line",
    )


def test_bad_emails_are_flagged() -> None:
    for email in ("no-at-sign", "a@@b.com", "x@localhost", "x@foo.test"):
        result = run(business(email=email))
        assert [f.code for f in result.flags] == ["email_invalid"], email
        assert result.data["emails"][0]["valid"] is False


def test_phones_from_another_country_or_invalid_are_flagged() -> None:
    result = run(
        business(
            phone="+44 20 7946 0958", ubos=[{"first_name": "A", "phone": "+49 123", "nationality": "DE"}]
        )
    )
    assert [(f.code, f.subject) for f in result.flags] == [
        ("phone_country_mismatch", "business.phone"),
        ("phone_invalid", "business.ubos[0].phone"),
    ]
    assert "from GB, not DE" in result.flags[0].message


def test_a_phone_without_country_code_and_country_cannot_be_read() -> None:
    result = run({"type": "individual", "individual": {"first_name": "A", "phone": "0301234567"}})
    assert [f.code for f in result.flags] == ["phone_invalid"]


def test_individuals_use_their_country() -> None:
    result = run(
        {
            "type": "individual",
            "individual": {"first_name": "A", "country_of_residence": "FR", "phone": "06 12 34 56 78"},
        }
    )
    assert result.flags == []
    assert result.data["phones"][0]["type"] == "mobile"


def test_missing_and_flagged_domains() -> None:
    result = run(business(email="founder@gmail.com"), require_phone=True, flagged_email_domains=["gmail.com"])
    assert [f.code for f in result.flags] == ["email_domain_flagged", "phone_missing"]
    assert run(business()).status == "skipped"
