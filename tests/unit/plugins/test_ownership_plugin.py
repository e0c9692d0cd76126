"""The ownership check on declared UBOs and directors."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter.plugins import CheckError
from arbiter.plugins.builtin import OwnershipPlugin
from arbiter.plugins.builtin.ownership import OwnershipConfig


def business(**fields: Any) -> dict[str, Any]:
    return {"entity": {"type": "business", "business": {"name": "Acme Ltd", **fields}}}


def codes(result: Any) -> list[tuple[str, str | None]]:
    return [(f.code, f.subject) for f in result.flags]


FULL = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-02-03", "nationality": "GB"}


def test_well_declared_ownership_raises_nothing() -> None:
    result = OwnershipPlugin().run(
        business(ubos=[{**FULL, "ownership_percent": 60}, {"first_name": "Bo", "ownership_percent": 40}]),
        OwnershipConfig(required_identification=["name"]),
    )
    assert result.status == "ok"
    assert result.flags == []
    assert result.data["declared_total_percent"] == 100
    assert [o["subject"] for o in result.data["significant_owners"]] == [
        "business.ubos[0]",
        "business.ubos[1]",
    ]


def test_owners_at_the_threshold_must_be_identified() -> None:
    result = OwnershipPlugin().run(
        business(ubos=[{"first_name": "Cy", "ownership_percent": 25}, {"ownership_percent": 24.9}]),
        OwnershipConfig(),
    )
    assert codes(result) == [("ubo_identification_missing", "business.ubos[0]")]
    assert "date of birth, nationality" in result.flags[0].message
    assert result.data["significant_owners"][0]["missing"] == ["date of birth", "nationality"]


def test_threshold_is_configurable() -> None:
    result = OwnershipPlugin().run(
        business(ubos=[{"ownership_percent": 12}]), OwnershipConfig(ubo_threshold_percent=10)
    )
    assert codes(result) == [("ubo_identification_missing", "business.ubos[0]")]
    assert "name" in result.flags[0].message


def test_total_over_100_and_missing_percentages_are_flagged() -> None:
    result = OwnershipPlugin().run(
        business(ubos=[{**FULL, "ownership_percent": 70}, {**FULL, "ownership_percent": 40}, {**FULL}]),
        OwnershipConfig(),
    )
    assert codes(result) == [
        ("ownership_percent_missing", "business.ubos[2]"),
        ("ownership_over_100", "business.ubos"),
    ]
    assert result.data["declared_total_percent"] == 110
    assert result.data["undeclared_percent"] == 0


def test_rounded_shares_are_tolerated() -> None:
    thirds = [{**FULL, "ownership_percent": 33.334}] * 3
    assert OwnershipPlugin().run(business(ubos=thirds), OwnershipConfig()).flags == []


def test_no_ubo_and_no_significant_owner() -> None:
    assert codes(OwnershipPlugin().run(business(), OwnershipConfig())) == [
        ("no_ubo_declared", "business.ubos")
    ]
    dispersed = OwnershipPlugin().run(business(ubos=[{**FULL, "ownership_percent": 10}]), OwnershipConfig())
    assert [(f.code, f.severity) for f in dispersed.flags] == [("no_significant_owner", "info")]


def test_peps_among_owners_and_directors() -> None:
    result = OwnershipPlugin().run(
        business(
            ubos=[{**FULL, "ownership_percent": 100, "is_pep": True}],
            directors=[{"full_name": "Dee", "is_pep": True}],
        ),
        OwnershipConfig(),
    )
    assert codes(result) == [("pep_ubo", "business.ubos[0]"), ("pep_director", "business.directors[0]")]
    assert result.data["peps"] == ["business.ubos[0]", "business.directors[0]"]
    quiet = OwnershipPlugin().run(business(directors=[{"is_pep": True}]), OwnershipConfig(flag_peps=False))
    assert codes(quiet) == [("no_ubo_declared", "business.ubos")]


def test_individuals_are_skipped_and_bad_entities_fail() -> None:
    individual = {"entity": {"type": "individual", "individual": {"first_name": "Ann"}}}
    assert OwnershipPlugin().run(individual, OwnershipConfig()).status == "skipped"
    with pytest.raises(CheckError, match="a business entity needs"):
        OwnershipPlugin().run({"entity": {"type": "business"}}, OwnershipConfig())
