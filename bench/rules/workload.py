"""The bench's KYB rule set (standard JSON Logic only, so every engine runs the same rules) and contexts."""

from __future__ import annotations

import random
from typing import Any

HIGH_RISK = ["IR", "KP", "MM"]
GREY = ["DZ", "AO", "BG", "CM", "HR", "HT", "KE", "LB", "MC", "NG", "ZA", "SY", "VE", "VN", "YE"]
COUNTRIES = ["GB", "FR", "DE", "US", "NL", "ES", "IT", "IE", "SE", "PL", *GREY[:5], "IR", "KP"]
B = "entity.business"


def _v(path: str) -> dict[str, Any]:
    return {"var": path}


FLAGS = {"merge": [_v("checks.identifiers.flags"), _v("checks.ownership.flags"), _v("checks.contact.flags")]}
OWNERSHIP_SUM = {"reduce": [_v(f"{B}.ubos"), {"+": [_v("accumulator"), _v("current.ownership_percent")]}, 0]}

#: 24 rules: country lists, UBOs with some/all/none, reduce over ownership, missing_some, string in, arithmetic.
RULES: list[dict[str, Any]] = [
    {"in": [_v(f"{B}.country_of_incorporation"), HIGH_RISK]},
    {"in": [_v(f"{B}.address.country"), [*HIGH_RISK, "CU", "SY", "RU", "BY"]]},
    {"in": [_v(f"{B}.country_of_incorporation"), GREY]},
    {"some": [_v(f"{B}.ubos"), {"in": [_v("nationality"), HIGH_RISK]}]},
    {"some": [_v(f"{B}.ubos"), {"or": [{"in": [_v("nationality"), GREY]}, {"in": [_v("country_of_residence"), GREY]}]}]},
    {"some": [_v(f"{B}.ubos"), {"==": [_v("is_pep"), True]}]},
    {"some": [_v(f"{B}.directors"), {"==": [_v("is_pep"), True]}]},
    {"all": [_v(f"{B}.ubos"), {"!": {"missing": ["nationality", "date_of_birth"]}}]},
    {"none": [_v(f"{B}.ubos"), {">=": [_v("ownership_percent"), 25]}]},
    {"<": [OWNERSHIP_SUM, 75]},
    {">": [OWNERSHIP_SUM, 100.5]},
    {"!": _v(f"{B}.ubos")},
    {"missing_some": [2, [f"{B}.registration_number", f"{B}.date_of_incorporation", f"{B}.country_of_incorporation"]]},
    {"missing": [f"{B}.name", f"{B}.address.country"]},
    {"in": ["@gmail.", {"cat": [_v(f"{B}.email")]}]},
    {"in": ["holding", {"cat": [_v(f"{B}.industry")]}]},
    {"in": [_v(f"{B}.industry"), ["gambling", "crypto", "arms", "adult entertainment"]]},
    {">": [{"-": [_v("checks.ownership.data.director_count"), _v("checks.ownership.data.ubo_count")]}, 5]},
    {">": [{"*": [_v("context.expected_monthly_volume"), 12]}, 5000000]},
    {">": [{"/": [_v("context.expected_monthly_volume"), {"max": [_v("context.employees"), 1]}]}, 50000]},
    {"<": [{"-": [2026, {"substr": [_v(f"{B}.date_of_incorporation"), 0, 4]}]}, 1]},
    {"some": [FLAGS, {"in": [_v("severity"), ["high", "critical"]]}]},
    {"some": [_v("children"), {"!=": [_v("decision"), "approved"]}]},
    {"and": [
        {"!": {"missing": [f"{B}.name", f"{B}.country_of_incorporation", f"{B}.registration_number"]}},
        {"some": [_v(f"{B}.ubos"), {">=": [_v("ownership_percent"), 25]}]},
        {"none": [_v("children"), {"!=": [_v("decision"), "approved"]}]},
        {"if": [{"==": [_v("metadata.channel"), "partner"]}, True, {"<=": [_v("context.expected_monthly_volume"), 250000]}]},
    ]},
]  # fmt: skip


def _person(rng: random.Random) -> dict[str, Any]:
    person: dict[str, Any] = {
        "first_name": rng.choice(["Ann", "Bob", "Chen", "Dara", "Eve"]),
        "last_name": rng.choice(["Smith", "Jones", "Okafor", "Ivanova"]),
        "ownership_percent": rng.choice([10, 25, 30, 50, 51, 60, 100, 12.5, None]),
        "nationality": rng.choice(COUNTRIES),
        "is_pep": rng.random() < 0.05,
    }
    if rng.random() < 0.85:
        person["date_of_birth"] = f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    if rng.random() < 0.7:
        person["country_of_residence"] = rng.choice(COUNTRIES)
    return {k: v for k, v in person.items() if v is not None}


def _flags(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"code": rng.choice(["email_missing", "ubo_identification_missing", "phone_invalid"]),
         "severity": rng.choice(["info", "medium", "high"])}
        for _ in range(rng.choice([0, 0, 1, 2]))
    ]  # fmt: skip


def context(rng: random.Random) -> dict[str, Any]:
    """One KYB case's rule context, shaped like arbiter.services.assessment.rule_context builds it."""
    business: dict[str, Any] = {
        "name": rng.choice(["Acme Ltd", "Globex GmbH", "Initech SAS", "Umbrella BV"]),
        "country_of_incorporation": rng.choice(COUNTRIES),
        "address": {"line1": "1 Main St", "city": "Town", "country": rng.choice(COUNTRIES)},
        "industry": rng.choice(["software", "retail", "gambling", "holding company", "crypto", "logistics"]),
        "email": rng.choice(["ops@acme.test", "founder@gmail.com", "info@globex.test"]),
        "ubos": [_person(rng) for _ in range(rng.choice([0, 1, 1, 2, 3, 4]))],
        "directors": [_person(rng) for _ in range(rng.choice([1, 1, 2, 3, 8]))],
    }
    if rng.random() < 0.9:
        business["registration_number"] = str(rng.randint(10_000_000, 99_999_999))
    if rng.random() < 0.85:
        business["date_of_incorporation"] = f"{rng.randint(1990, 2026)}-0{rng.randint(1, 9)}-15"
    return {
        "case": {"id": "case_x", "workflow_id": "kyb", "source": "api"},
        "entity": {"type": "business", "id": "e", "business": business},
        "checks": {
            "identifiers": {"status": "ok", "data": {}, "flags": _flags(rng), "error": None},
            "ownership": {
                "status": "ok",
                "data": {"ubo_count": len(business["ubos"]), "director_count": len(business["directors"])},
                "flags": _flags(rng),
                "error": None,
            },
            "contact": {"status": "ok", "data": {}, "flags": _flags(rng), "error": None},
        },
        "children": [
            {"case_id": f"c{i}", "state": s, "decision": s if s in ("approved", "rejected") else None}
            for i, s in enumerate(rng.choice([[], ["approved"], ["approved", "approved"], ["rejected"], ["manual_review"]]))
        ],
        "documents": [],
        "flags": [],
        "metadata": {"channel": rng.choice(["web", "partner"])},
        "context": {
            "expected_monthly_volume": rng.choice([1000, 25000, "50000", 400000, 2_000_000]),
            "employees": rng.choice([0, 1, 5, 40, "12"]),
        },
    }  # fmt: skip


def contexts(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [context(rng) for _ in range(count)]
