"""Country names and codes normalise to ISO alpha-2, in the helper and on the entity model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from arbiter.domain import country_code
from arbiter.domain.entity import Business, Entity


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("de", "DE"),
        ("276", "DE"),
        ("  united   kingdom ", "GB"),
        ("UK", "GB"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Korea, Republic of", "KR"),
        ("Kosovo", "XK"),
    ],
)
def test_known_names_and_codes_become_alpha_2(value: str, expected: str) -> None:
    assert country_code(value) == expected


@pytest.mark.parametrize("value", ["Atlantis", "", "   ", "ZZ", None, "Germany GmbH"])
def test_unknown_values_stay_unknown(value: str | None) -> None:
    assert country_code(value) is None


def test_entity_accepts_country_names_and_stores_codes() -> None:
    entity = Entity.model_validate(
        {
            "type": "business",
            "business": {
                "name": "Acme",
                "country_of_incorporation": "Germany",
                "address": {"country": "fra"},
                "ubos": [{"first_name": "Ann", "nationality": "United Kingdom"}],
            },
        }
    )
    assert entity.business is not None
    assert entity.business.country_of_incorporation == "DE"
    assert entity.business.address is not None
    assert entity.business.address.country == "FR"
    assert entity.business.ubos[0].nationality == "GB"


def test_entity_still_rejects_unknown_countries_naming_the_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Business.model_validate({"name": "Acme", "country_of_incorporation": "Atlantis"})
    assert excinfo.value.errors()[0]["loc"] == ("country_of_incorporation",)
