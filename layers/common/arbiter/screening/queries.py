"""From a case's entity to the queries to screen: the person, or the business, its UBOs and its directors."""

from __future__ import annotations

from arbiter.domain.entity import Business, Entity, Person
from arbiter.screening.model import OrganisationQuery, PersonQuery, Query

__all__ = ["queries_for_entity", "query_for_business", "query_for_person"]


def query_for_person(person: Person) -> PersonQuery | None:
    """The screening query for a person, or None if the person has no name."""
    name = person.display_name().strip()
    if not name:
        return None
    parts = (
        ()
        if person.full_name
        else tuple(p for p in (person.first_name, person.middle_name, person.last_name) if p)
    )
    return PersonQuery(
        names=(name,),
        name_parts=parts if len(parts) > 1 else (),
        birth_date=person.date_of_birth.isoformat() if person.date_of_birth else None,
        nationality=person.nationality,
        country=person.country_of_residence or (person.address.country if person.address else None),
    )


def query_for_business(business: Business) -> OrganisationQuery:
    """The screening query for a business: its legal and trading names, country and registration number."""
    names = tuple(dict.fromkeys(n for n in (business.name, business.trading_name) if n))
    return OrganisationQuery(
        names=names,
        country=business.country_of_incorporation,
        registration_number=business.registration_number,
    )


def queries_for_entity(entity: Entity) -> list[tuple[str, Query]]:
    """Labelled queries for a case's entity: ("subject", …), ("ubos[0]", …), ("directors[1]", …)."""
    if entity.individual is not None and entity.business is None:
        query = query_for_person(entity.individual)
        return [("subject", query)] if query else []
    assert entity.business is not None
    labelled: list[tuple[str, Query]] = [("subject", query_for_business(entity.business))]
    for role, people in (("ubos", entity.business.ubos), ("directors", entity.business.directors)):
        for i, person in enumerate(people):
            query = query_for_person(person)
            if query is not None:
                labelled.append((f"{role}[{i}]", query))
    return labelled
