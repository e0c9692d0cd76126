"""Collection journeys as data: the shipped ones load, a broken one is refused naming the path, conditions decide
what shows, step data is checked against its schema naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from arbiter.domain.collection_journey import CollectionJourney, StepDataInvalid, check_step_data
from arbiter.workflows import builtin_workflows


def kyb() -> CollectionJourney:
    journey = builtin_workflows()["kyb"].collection
    assert journey is not None
    return journey


def kyc() -> CollectionJourney:
    journey = builtin_workflows()["kyc"].collection
    assert journey is not None
    return journey


COMPANY = {
    "name": "Acme Payments GmbH",
    "registration_number": "HRB 123456",
    "country_of_incorporation": "DE",
}
ADDRESS = {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}
OWNER = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "ownership_percent": 60}
DIRECTOR = {"first_name": "Grace", "last_name": "Hopper"}
COMPLETE_KYB: dict[str, Any] = {
    "company": COMPANY,
    "address": ADDRESS,
    "ownership": {"ubos": [OWNER], "directors": [DIRECTOR]},
    "contact": {"name": "Ada Lovelace", "email": "ada@acme.example"},
    "documents": {},
}


def test_the_shipped_journeys_have_their_steps_and_texts_in_every_language():
    assert [s.id for s in kyb().steps] == [
        "company",
        "address",
        "ownership",
        "contact",
        "documents",
        "owner_identity",
    ]
    # the owners' own step is theirs (a link sent to one of them); the company's applicant walks the others
    assert [s.id for s in kyb().for_person("ubo-1").steps] == ["owner_identity"]
    assert "owner_identity" not in [s.id for s in kyb().for_person(None).steps]
    assert [s.id for s in kyc().steps] == ["personal_details", "address", "id_documents"]
    assert kyb().step("company").title.get("de") == "Angaben zum Unternehmen"
    assert kyb().step("company").title.get("fr") == "Company details"  # a language we do not serve: English


def test_step_data_is_checked_naming_the_step_and_field():
    company = kyb().step("company")
    check_step_data(company, COMPANY)
    cases = [
        ({**COMPANY, "name": ""}, "company.name"),
        ({k: v for k, v in COMPANY.items() if k != "registration_number"}, "company.registration_number"),
        ({**COMPANY, "country_of_incorporation": "Germany"}, "company.country_of_incorporation"),
        ({**COMPANY, "extra": 1}, "company"),
    ]
    for data, path in cases:
        with pytest.raises(StepDataInvalid) as caught:
            check_step_data(company, data)
        assert caught.value.path == path, (data, caught.value.message)
    ownership = kyb().step("ownership")
    bad_owner = {"ubos": [OWNER, {**OWNER, "ownership_percent": 140}], "directors": [DIRECTOR]}
    with pytest.raises(StepDataInvalid) as caught:
        check_step_data(ownership, bad_owner)
    assert caught.value.path == "ownership.ubos.1.ownership_percent"
    with pytest.raises(StepDataInvalid) as caught:
        check_step_data(kyb().step("contact"), {"name": "Ada", "email": "not an address"})
    assert caught.value.path == "contact.email"


def test_conditions_show_slots_and_the_journey_resumes_at_the_first_incomplete_step():
    documents = kyb().step("documents")
    register = next(s for s in documents.documents if s.id == "trade_register_extract")
    from arbiter.domain.collection_journey import shows

    assert shows(register.show_if, {"company": COMPANY})
    assert not shows(register.show_if, {"company": {**COMPANY, "country_of_incorporation": "ES"}})
    owner_id = next(s for s in kyb().step("ownership").documents if s.id == "id_front")
    assert shows(owner_id.show_if, {"owner": OWNER})
    assert not shows(owner_id.show_if, {"owner": {**OWNER, "ownership_percent": 10}})

    company = kyb().for_person(None)  # as the case's applicant walks it (the owners' own step is theirs)
    assert company.resume_at({}) == "company"
    assert company.resume_at({"company": COMPANY, "address": ADDRESS}) == "ownership"
    assert company.resume_at(COMPLETE_KYB) is None
    company.check_complete(COMPLETE_KYB)
    with pytest.raises(StepDataInvalid) as caught:
        company.check_complete({**COMPLETE_KYB, "contact": {"name": "Ada"}})
    assert caught.value.path == "contact.email"


def broken(mutate: Any) -> str:
    block = copy.deepcopy(kyb().model_dump(by_alias=True, exclude_none=True))
    mutate(block)
    with pytest.raises(ValidationError) as caught:
        CollectionJourney.model_validate(block)
    error = caught.value.errors()[0]
    return ".".join(str(p) for p in error["loc"]) + ": " + error["msg"]


def test_a_broken_journey_is_refused_naming_the_path():
    def bad_schema(block: dict[str, Any]) -> None:
        block["steps"][0]["schema"]["properties"]["name"]["type"] = "text"

    def bad_condition(block: dict[str, Any]) -> None:
        block["steps"][4]["documents"][1]["show_if"] = {"no_such_operator": [1]}

    def missing_text(block: dict[str, Any]) -> None:
        del block["steps"][1]["title"]["es"]

    def twice(block: dict[str, Any]) -> None:
        block["steps"][1]["id"] = "company"

    assert broken(bad_schema).startswith("steps.0.schema: ")
    assert "properties.name.type" in broken(bad_schema)
    assert broken(bad_condition).startswith("steps.4.documents.1.show_if: ")
    assert broken(missing_text).startswith("steps.1.title.es: ")
    assert "steps[1].id: 'company' is used twice" in broken(twice)


def test_a_revision_names_the_fields_the_applicant_fills_in_by_path_or_pointer():
    journey = builtin_workflows()["kyb"].collection
    assert journey is not None
    assert journey.field_path("company.name") == "company.name"
    assert journey.field_path("/ownership/ubos/0/last_name") == "ownership.ubos.0.last_name"
    assert journey.field_path("ownership.ubos") == "ownership.ubos"
    for unknown in ("company", "company.planet", "owner_identity.first_name", "nowhere.name", ""):
        assert journey.field_path(unknown) is None, unknown
    fields = dict(journey.revisable_fields("de"))
    assert "owner_identity.first_name" not in fields  # an owner's own step is theirs, not the applicant's
    assert fields["contact.email"].startswith("Kontakt: ")
    assert list(fields)[:2] == ["company.name", "company.registration_number"]
