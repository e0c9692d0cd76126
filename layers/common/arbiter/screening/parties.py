"""Who a case screens: the person, or the business with its UBOs and directors, each with a stable key.

A party's `key` is what a reviewer's clearance of a match is remembered under, so it must stay the same from one
case to the next for the same real party: the integrator's entity id for the case's subject, the person's own
id for a UBO or director when the integrator gives one, else a fingerprint of the normalised name and birth
date (a declared list of owners can be reordered without losing what was cleared). A UBO's key is the entity id
its own KYC case gets (`<business>/owner/<id>`), so a clearance made on either case holds on the other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from arbiter.domain.entity import Entity, RelatedPerson
from arbiter.screening.model import Query
from arbiter.screening.names import normalise_name
from arbiter.screening.queries import query_for_business, query_for_person

__all__ = ["PARTY_KINDS", "Party", "PartyKind", "screened_parties"]

PartyKind = Literal["subject", "ubos", "directors"]
PARTY_KINDS: tuple[PartyKind, ...] = ("subject", "ubos", "directors")


@dataclass(frozen=True, slots=True)
class Party:
    """One screened party: where it is in the entity, its clearance key, its name and its query."""

    subject: str  # a path into the entity: "individual", "business", "business.ubos[1]"
    key: str
    name: str
    query: Query


def screened_parties(entity: Entity, kinds: tuple[PartyKind, ...], *, case_id: str) -> list[Party]:
    """The parties of `entity` to screen, of the kinds asked for; those without a name are left out."""
    root = entity.id or f"case:{case_id}"
    parties: list[Party] = []
    if entity.business is None:
        person = entity.individual
        query = query_for_person(person) if person is not None and "subject" in kinds else None
        if person is not None and query is not None:
            parties.append(Party("individual", root, person.display_name().strip(), query))
        return parties
    business = entity.business
    if "subject" in kinds:
        parties.append(Party("business", root, business.name, query_for_business(business)))
    for kind, role in (("ubos", "owner"), ("directors", "director")):
        if kind not in kinds:
            continue
        for index, person in enumerate(getattr(business, kind)):
            query = query_for_person(person)
            if query is not None:
                key = f"{root}/{role}/{person.id or _fingerprint(person)}"
                parties.append(Party(f"business.{kind}[{index}]", key, person.display_name().strip(), query))
    return parties


def _fingerprint(person: RelatedPerson) -> str:
    """Stable across spelling order and case: sorted normalised tokens and the birth date."""
    tokens = sorted(normalise_name(person.display_name()).tokens)
    born = person.date_of_birth.isoformat() if person.date_of_birth else ""
    digest = hashlib.sha256(f"{' '.join(tokens)}|{born}".encode()).hexdigest()[:16]
    return f"n-{digest}"
