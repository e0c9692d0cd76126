"""An applicant's answers become the entity the checks read, field by field, by the journeys' step ids."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.collected_entity import entity_with_answers
from arbiter.domain.errors import InvalidInput
from tests.builders import business, individual

KYB_ANSWERS = {
    "company": {
        "name": "Acme Payments GmbH",
        "registration_number": "HRB 999",
        "country_of_incorporation": "AT",
    },
    "address": {"line1": "Ring 1", "city": "Wien", "postal_code": "1010", "country": "AT"},
    "ownership": {
        "ubos": [
            {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "date_of_birth": "1985-12-10",
                "ownership_percent": 60,
            }
        ],
        "directors": [{"first_name": "Grace", "last_name": "Hopper"}],
    },
    "contact": {"name": "Ada Lovelace", "email": "ada@acme.example", "phone": "+43 1 234567"},
    "documents": {},
}


def test_a_businesss_answers_replace_what_was_sent_and_keep_the_rest():
    sent = business(website="https://acme.example", legal_form="GmbH")
    entity = entity_with_answers(sent, KYB_ANSWERS)
    company = entity.business
    assert company is not None
    assert (company.registration_number, company.country_of_incorporation) == ("HRB 999", "AT")
    assert (company.website, company.legal_form) == ("https://acme.example", "GmbH")  # not asked: kept
    assert company.address is not None
    assert (company.address.city, company.address.country) == ("Wien", "AT")
    assert [(u.last_name, u.ownership_percent, u.roles, u.date_of_birth) for u in company.ubos] == [
        ("Lovelace", 60, ["ubo"], dt.date(1985, 12, 10))
    ]
    assert [(d.last_name, d.roles) for d in company.directors] == [("Hopper", ["director"])]
    assert (company.email, company.phone) == ("ada@acme.example", "+43 1 234567")
    assert company.model_extra == {"contact_name": "Ada Lovelace"}
    assert entity.id == sent.id


def test_a_persons_answers_fill_in_their_details_and_address():
    answers = {
        "personal_details": {
            "first_name": "Ada",
            "last_name": "King",
            "date_of_birth": "1985-12-10",
            "nationality": "GB",
            "id_document_type": "passport",
        },
        "address": {
            "line1": "12 St James's Square",
            "city": "London",
            "postal_code": "SW1Y 4JH",
            "country": "GB",
        },
    }
    entity = entity_with_answers(individual(), answers)
    person = entity.individual
    assert person is not None
    assert (person.last_name, person.nationality, person.date_of_birth) == (
        "King",
        "GB",
        dt.date(1985, 12, 10),
    )
    assert person.address is not None
    assert person.address.postal_code == "SW1Y 4JH"
    assert person.model_extra == {"id_document_type": "passport"}


def test_an_answer_that_does_not_fit_the_entity_names_its_field():
    with pytest.raises(InvalidInput) as caught:
        entity_with_answers(business(), {"ownership": {"ubos": [{"date_of_birth": "10/12/1985"}]}})
    assert caught.value.path == "entity.business.ubos.0.date_of_birth"


def test_what_an_invited_owner_filled_in_goes_onto_that_owner():
    answers = {
        "ownership": {
            "ubos": [{"id": "ubo-1", "first_name": "Ada", "ownership_percent": 30}],
            "directors": [],
        }
    }
    people = {"ubo-1": {"last_name": "King", "nationality": "GB", "date_of_birth": "1985-12-10"}}
    company = entity_with_answers(business(), answers, people).business
    assert company is not None
    (owner,) = company.ubos
    assert (owner.first_name, owner.last_name, owner.nationality, owner.ownership_percent) == (
        "Ada",
        "King",
        "GB",
        30,
    )
