"""A case's entity becomes one query per person and organisation to screen."""

from __future__ import annotations

from arbiter.domain.entity import Entity
from arbiter.screening import OrganisationQuery, PersonQuery, queries_for_entity


def test_a_business_is_screened_with_its_ubos_and_directors() -> None:
    entity = Entity.model_validate(
        {
            "type": "business",
            "business": {
                "name": "Acme Trading Ltd",
                "trading_name": "Acme",
                "registration_number": "HE123",
                "country_of_incorporation": "CY",
                "ubos": [{"first_name": "Ivan", "last_name": "Petrov", "date_of_birth": "1960-05-01"}],
                "directors": [{"full_name": "Anna Berg", "nationality": "SE"}, {"email": "x@example.com"}],
            },
        }
    )
    labelled = dict(queries_for_entity(entity))
    assert list(labelled) == ["subject", "ubos[0]", "directors[0]"]  # a director with no name is skipped
    assert labelled["subject"] == OrganisationQuery(
        names=("Acme Trading Ltd", "Acme"), country="CY", registration_number="HE123"
    )
    assert labelled["ubos[0]"] == PersonQuery(
        names=("Ivan Petrov",), birth_date="1960-05-01", name_parts=("Ivan", "Petrov")
    )
    assert labelled["directors[0]"] == PersonQuery(names=("Anna Berg",), nationality="SE")


def test_a_person_is_screened_alone() -> None:
    entity = Entity.model_validate({"type": "individual", "individual": {"full_name": "Ivan Petrov"}})
    assert queries_for_entity(entity) == [("subject", PersonQuery(names=("Ivan Petrov",)))]
