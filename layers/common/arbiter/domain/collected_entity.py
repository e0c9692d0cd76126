"""The entity a case's checks read, with what its applicant filled in through a collection link.

The journeys' steps are mapped by their ids onto the entity's shape (the one integrators send): for a business,
`company` (its fields), `address`, `ownership` (`ubos`, `directors`) and `contact` (`email`, `phone`, the
person's name as `contact_name`); for a person, `personal_details` (their fields), `address` and `contact`. A
step of another id stays in the answers only. What the applicant filled in replaces what the integrator sent,
field by field; what they left out is kept. What an invited owner or director filled in about themselves (their
person steps) goes onto the owner or director of the same `id`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from arbiter.domain.entity import Entity
from arbiter.domain.errors import InvalidInput

__all__ = ["entity_with_answers"]


def _people(people: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    return [{**person, "roles": [role]} for person in people]


def _contact(contact: dict[str, Any]) -> dict[str, Any]:
    fields = {
        "email": contact.get("email"),
        "phone": contact.get("phone"),
        "contact_name": contact.get("name"),
    }
    return {name: value for name, value in fields.items() if value}


def _business_patch(answers: dict[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = dict(answers.get("company") or {})
    if answers.get("address"):
        patch["address"] = answers["address"]
    ownership = answers.get("ownership") or {}
    if "ubos" in ownership:
        patch["ubos"] = _people(ownership["ubos"], "ubo")
    if "directors" in ownership:
        patch["directors"] = _people(ownership["directors"], "director")
    patch.update(_contact(answers.get("contact") or {}))
    return patch


def _person_patch(answers: dict[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = dict(answers.get("personal_details") or {})
    if answers.get("address"):
        patch["address"] = answers["address"]
    contact = _contact(answers.get("contact") or {})
    contact.pop("contact_name", None)
    return {**patch, **contact}


def _with_people(company: dict[str, Any], people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    for role in ("ubos", "directors"):
        if company.get(role):
            company[role] = [{**p, **people.get(str(p.get("id")), {})} for p in company[role]]
    return company


def entity_with_answers(
    entity: Entity, answers: dict[str, Any], people: dict[str, dict[str, Any]] | None = None
) -> Entity:
    """The entity with the applicant's answers on it, and each invited person's (`people`, by person id) on the
    owner or director they are; InvalidInput naming the entity's field when an answer does not fit it."""
    kind = "business" if entity.type == "business" else "individual"
    current = entity.model_dump(mode="json", exclude_none=True)
    patch = _business_patch(answers) if kind == "business" else _person_patch(answers)
    merged = {**current, kind: {**(current.get(kind) or {}), **patch}}
    if kind == "business" and people:
        merged[kind] = _with_people(merged[kind], people)
    try:
        return Entity.model_validate(merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = "entity." + ".".join(str(p) for p in error["loc"])
        raise InvalidInput(f"{path}: {error['msg']}", path=path) from exc
