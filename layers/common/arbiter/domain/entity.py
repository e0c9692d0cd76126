"""Who a case is about: a person (KYC) or a business with its owners and directors (KYB).

Field names are snake_case in Arbiter's own API. Integrators often send more than we model (Ballerine bodies
carry arbitrary `additionalInfo`): every model keeps unknown fields (`extra="allow"`), so nothing sent is
dropped, while the fields below are typed and validated.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from arbiter.domain.countries import normalise_country

# Country names and other codes ("Germany", "DEU", "de") are accepted and stored as ISO 3166-1 alpha-2.
CountryCode = Annotated[
    str, BeforeValidator(normalise_country), Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$")
]


class _Open(BaseModel):
    """Base for models that keep the fields they do not know."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class Address(_Open):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: CountryCode | None = None


class Identifier(_Open):
    """A number issued to the entity: registration, VAT, tax id, LEI, passport, national id…"""

    type: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=128)
    country: CountryCode | None = None


class Person(_Open):
    """A natural person: the subject of a KYC case, or a UBO or director of a business."""

    first_name: str | None = Field(default=None, max_length=200)
    middle_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    full_name: str | None = Field(default=None, max_length=400)
    date_of_birth: dt.date | None = None
    nationality: CountryCode | None = None
    country_of_residence: CountryCode | None = None
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    address: Address | None = None
    identifiers: list[Identifier] = Field(default_factory=list)
    is_pep: bool | None = None

    def display_name(self) -> str:
        """The name to show and to screen: `full_name`, or the parts joined."""
        if self.full_name:
            return self.full_name
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class RelatedPerson(Person):
    """A person attached to a business: an ultimate beneficial owner, a director, or both."""

    roles: list[Literal["ubo", "director", "shareholder", "signatory"]] = Field(default_factory=list)
    ownership_percent: float | None = Field(default=None, ge=0, le=100)
    id: str | None = Field(default=None, max_length=128, description="The integrator's id for this person")


class Business(_Open):
    """A company or other legal person: the subject of a KYB case."""

    name: str = Field(min_length=1, max_length=400)
    trading_name: str | None = Field(default=None, max_length=400)
    registration_number: str | None = Field(default=None, max_length=128)
    country_of_incorporation: CountryCode | None = None
    date_of_incorporation: dt.date | None = None
    legal_form: str | None = Field(default=None, max_length=200)
    tax_id: str | None = Field(default=None, max_length=128)
    vat_number: str | None = Field(default=None, max_length=128)
    industry: str | None = Field(default=None, max_length=200)
    website: str | None = Field(default=None, max_length=2048)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    address: Address | None = None
    identifiers: list[Identifier] = Field(default_factory=list)
    ubos: list[RelatedPerson] = Field(default_factory=list)
    directors: list[RelatedPerson] = Field(default_factory=list)


class Entity(_Open):
    """The subject of a case: its type, the integrator's id for it, and its data."""

    type: Literal["individual", "business"]
    id: str | None = Field(default=None, max_length=256, description="The integrator's id for the entity")
    individual: Person | None = None
    business: Business | None = None

    @model_validator(mode="after")
    def _data_matches_type(self) -> Entity:
        if self.type == "business" and self.business is None:
            raise ValueError("a business entity needs `business`")
        if self.type == "individual" and self.individual is None:
            raise ValueError("an individual entity needs `individual`")
        if self.type == "individual" and self.business is not None:
            raise ValueError("an individual entity has no `business`")
        return self

    def display_name(self) -> str:
        """The entity's name as reviewers see it."""
        if self.business is not None:
            return self.business.name
        return self.individual.display_name() if self.individual else ""
