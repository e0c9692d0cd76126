"""The identifiers check: numbers validated for their kind and country with python-stdnum."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from arbiter.plugins.builtin import IdentifiersPlugin
from arbiter.plugins.builtin.identifiers import IdentifiersConfig


def run(
    business: dict[str, Any] | None = None, individual: dict[str, Any] | None = None, **config: Any
) -> Any:
    if individual is not None:
        entity = {"type": "individual", "individual": individual}
    else:
        entity = {"type": "business", "business": {"name": "Acme", **(business or {})}}
    return IdentifiersPlugin().run({"entity": entity}, IdentifiersConfig(**config))


def by_field(result: Any) -> dict[str, dict[str, Any]]:
    return {f"{i['subject']}.{i['field']}": i for i in result.data["identifiers"]}


def test_valid_numbers_report_their_scheme() -> None:
    result = run(
        {
            "country_of_incorporation": "Germany",
            "registration_number": "Aachen HRB 44123",
            "vat_number": "DE 136 695 976",
            "identifiers": [{"type": "LEI", "value": "213800D1EI4B9WTWWD28"}],
        }
    )
    found = by_field(result)
    assert result.status == "ok"
    assert result.flags == []
    assert found["business.registration_number"]["scheme"] == "de.handelsregisternummer"
    assert found["business.vat_number"]["scheme"] == "de.vat"
    assert found["business.identifiers[0]"]["scheme"] == "lei"
    assert all(i["valid"] is True for i in found.values())
    assert result.data["country"] == "DE"


def test_invalid_numbers_are_flagged_with_the_reason() -> None:
    result = run({"country_of_incorporation": "FR", "vat_number": "FR 40 303 265 046"})
    assert by_field(result)["business.vat_number"]["valid"] is False
    flag = result.flags[0]
    assert (flag.code, flag.severity, flag.subject) == ("identifier_invalid", "high", "business.vat_number")
    assert "fr.tva" in flag.message


def test_registration_numbers_use_the_countrys_named_schemes() -> None:
    result = run({"country_of_incorporation": "fra", "registration_number": "552 008 443"})
    assert by_field(result)["business.registration_number"]["scheme"] == "fr.siren"
    us = run({"country_of_incorporation": "US", "tax_id": "04-2103594"})
    assert by_field(us)["business.tax_id"]["scheme"] == "us.tin"


def test_a_type_naming_a_stdnum_module_is_that_scheme() -> None:
    result = run({"identifiers": [{"type": "SIRET", "value": "73282932000074", "country": "FR"}]})
    assert by_field(result)["business.identifiers[0]"]["scheme"] == "fr.siret"


def test_numbers_without_a_scheme_are_unverifiable_not_invalid() -> None:
    result = run({"country_of_incorporation": "GB", "registration_number": "01234567"})
    item = by_field(result)["business.registration_number"]
    assert item["valid"] is None
    assert item["reason"] == "no registration scheme is known for GB"
    assert [(f.code, f.severity) for f in result.flags] == [("identifier_unverifiable", "info")]


def test_nothing_to_check_is_skipped() -> None:
    assert run({}).status == "skipped"
    assert (
        run({"registration_number": "123"}).data["identifiers"][0]["reason"]
        == "no country to check it against"
    )


def test_vat_from_another_country_is_flagged() -> None:
    result = run({"country_of_incorporation": "DE", "vat_number": "FR40303265045"})
    assert by_field(result)["business.vat_number"]["valid"] is True
    assert [f.code for f in result.flags] == ["vat_country_mismatch"]


def test_required_fields_and_related_persons() -> None:
    result = run(
        {
            "country_of_incorporation": "DE",
            "ubos": [
                {
                    "first_name": "A",
                    "nationality": "US",
                    "identifiers": [{"type": "SSN", "value": "536-90-4399"}],
                }
            ],
        },
        required=["registration_number", "vat_number"],
    )
    assert [(f.code, f.subject) for f in result.flags] == [
        ("identifier_missing", "business.registration_number"),
        ("identifier_missing", "business.vat_number"),
    ]
    person = by_field(result)["business.ubos[0].identifiers[0]"]
    assert person["scheme"] == "us.ssn"
    assert person["number"] == "*******4399"
    assert run({"ubos": person and []}, include_related_persons=False).status == "skipped"


def test_individuals_personal_ids() -> None:
    result = run(
        individual={
            "first_name": "Jan",
            "nationality": "NL",
            "identifiers": [{"type": "national_id", "value": "111222333"}],
        }
    )
    assert by_field(result)["individual.identifiers[0]"]["scheme"] == "nl.bsn"


def test_extra_schemes_are_checked_when_saved() -> None:
    config = IdentifiersConfig(extra_schemes={"registration": {"NL": ["nl.btw"]}})
    result = IdentifiersPlugin().run(
        {
            "entity": {
                "type": "business",
                "business": {
                    "name": "X",
                    "country_of_incorporation": "NL",
                    "registration_number": "NL004495445B01",
                },
            }
        },
        config,
    )
    assert result.data["identifiers"][0]["scheme"] == "nl.btw"
    with pytest.raises(ValidationError, match=r"no module 'nl\.kvk'"):
        IdentifiersConfig(extra_schemes={"registration": {"NL": ["nl.kvk"]}})
