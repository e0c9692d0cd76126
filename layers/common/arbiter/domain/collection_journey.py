"""A workflow's collection journey as data: the ordered steps an applicant fills in, each with a JSON Schema for its
data, UI hints, a condition (JSON Logic) for showing it, document slots, and texts in every language we serve.

The block is versioned with its workflow (a change is a new workflow version) and validated when the definition
loads: every step schema must be a valid JSON Schema (Draft 2020-12), every condition compile, every text exist
in each language; errors name the path of the problem (`collection.steps[1].schema.properties.name.type`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arbiter.domain.conditions import checked_condition, holds
from arbiter.domain.errors import InvalidInput
from arbiter.domain.json_schemas import check_schema, first_error

__all__ = [
    "LANGUAGES",
    "CollectionJourney",
    "CollectionStep",
    "DocumentSlot",
    "StepDataInvalid",
    "Texts",
    "check_step_data",
    "person_answer_key",
    "shows",
    "slot_document_id",
]

Language = Literal["en", "de", "es"]
#: The languages every text of a journey is written in; the first is the fallback.
LANGUAGES: tuple[Language, ...] = ("en", "de", "es")
_ID = r"^[a-z][a-z0-9_]{0,62}$"


class Texts(BaseModel):
    """One text in each language."""

    model_config = ConfigDict(extra="forbid")

    en: str = Field(min_length=1)
    de: str = Field(min_length=1)
    es: str = Field(min_length=1)

    def get(self, language: str | None) -> str:
        """The text in `language`, or in English when we do not serve that one."""
        return str(getattr(self, language)) if language in LANGUAGES else self.en


def shows(condition: dict[str, Any] | None, data: dict[str, Any]) -> bool:
    """True when a step's or slot's condition holds on the data collected so far (no condition: always)."""
    return holds(condition, data, "show_if")


def _check_condition(condition: dict[str, Any] | None) -> dict[str, Any] | None:
    return checked_condition(condition, "show_if")


class DocumentSlot(BaseModel):
    """A document the applicant uploads: once, or once per owner (`per_owner`), when its condition holds."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_ID)
    #: The document's `type` when declared through the documents API (e.g. `passport`, `proof_of_address`).
    document_type: str = Field(min_length=1, max_length=64)
    label: Texts
    required: bool = True
    per_owner: bool = False
    #: JSON Logic over the data collected so far; the slot shows only while it holds.
    show_if: dict[str, Any] | None = None

    @field_validator("show_if")
    @classmethod
    def _valid_condition(cls, condition: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_condition(condition)


class CollectionStep(BaseModel):
    """One step of the journey: the data it collects (`schema`), how to show it (`ui`), when (`show_if`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=_ID)
    title: Texts
    description: Texts | None = None
    #: The JSON Schema (Draft 2020-12) the step's data must satisfy; its `title`s are the fields' labels.
    data_schema: dict[str, Any] = Field(alias="schema")
    #: Hints for the collection site (widgets, order, placeholders), passed on as they are.
    ui: dict[str, Any] = Field(default_factory=dict)
    #: Labels of the schema's fields by JSON pointer-like dotted path (`address.city`), in each language.
    labels: dict[str, Texts] = Field(default_factory=dict)
    show_if: dict[str, Any] | None = None
    documents: list[DocumentSlot] = Field(default_factory=list)
    #: A step each person of the case (a UBO, a director) fills in for themselves, through a link sent to them;
    #: the case's applicant does not see it, and a person's link opens nothing else.
    person: bool = False

    @field_validator("show_if")
    @classmethod
    def _valid_condition(cls, condition: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_condition(condition)

    @field_validator("data_schema")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        return check_schema(schema)


class StepDataInvalid(InvalidInput):
    """A step's data does not satisfy its schema; `path` names the step and the field (`company.name`)."""


def check_step_data(step: CollectionStep, data: Any) -> None:
    """StepDataInvalid naming the first field (in document order) that breaks the step's schema."""
    found = first_error(step.data_schema, data)
    if found is None:
        return
    field, message = found
    path = f"{step.id}.{field}" if field else step.id
    raise StepDataInvalid(f"{path}: {message}", path=path)


def slot_document_id(slot_id: str, person_id: str | None) -> str:
    """The id a slot's document is declared under: the slot's, or for a person's step `<slot id>.<person id>`."""
    return slot_id if person_id is None else f"{slot_id}.{person_id}"


def person_answer_key(step_id: str, person_id: str) -> str:
    """Where one person's answer to a person step is kept beside the case's other answers."""
    return f"{step_id}:{person_id}"


class CollectionJourney(BaseModel):
    """The steps of a workflow's collection journey, in order."""

    model_config = ConfigDict(extra="forbid")

    steps: list[CollectionStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> CollectionJourney:
        seen: set[str] = set()
        for index, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"steps[{index}].id: {step.id!r} is used twice")
            seen.add(step.id)
            slots = [s.id for s in step.documents]
            if len(slots) != len(set(slots)):
                raise ValueError(f"steps[{index}].documents: a slot id is used twice")
        return self

    def step(self, step_id: str) -> CollectionStep:
        """The step with this id; InvalidInput naming it otherwise."""
        for step in self.steps:
            if step.id == step_id:
                return step
        known = ", ".join(s.id for s in self.steps)
        raise InvalidInput(f"no step {step_id!r}; the steps are: {known}", path="step_id")

    def for_person(self, person_id: str | None) -> CollectionJourney:
        """The steps one link opens: a person's link their person steps, the case's link all the others."""
        steps = [s for s in self.steps if s.person == (person_id is not None)]
        return CollectionJourney.model_construct(steps=steps)

    @staticmethod
    def answers_for(answers: dict[str, Any], person_id: str | None) -> dict[str, Any]:
        """The saved answers as one link sees them, by step id: a person's own, or the case's."""
        if person_id is None:
            return {key: data for key, data in answers.items() if ":" not in key}
        suffix = f":{person_id}"
        return {key[: -len(suffix)]: data for key, data in answers.items() if key.endswith(suffix)}

    def visible_steps(self, data: dict[str, Any]) -> list[CollectionStep]:
        """The steps whose condition holds on the data collected so far, in order."""
        return [s for s in self.steps if shows(s.show_if, data)]

    def resume_at(self, data: dict[str, Any]) -> str | None:
        """The first visible step not yet saved, or saved with data that no longer fits; None when every one is."""
        for step in self.visible_steps(data):
            if step.id not in data:
                return step.id
            try:
                check_step_data(step, data.get(step.id, {}))
            except StepDataInvalid:
                return step.id
        return None

    def check_complete(self, data: dict[str, Any]) -> None:
        """StepDataInvalid naming the first missing or invalid field of the first incomplete visible step."""
        for step in self.visible_steps(data):
            check_step_data(step, data.get(step.id, {}))

    def required_documents(
        self, data: dict[str, Any], person_id: str | None = None, own_links: Collection[str] = ()
    ) -> list[tuple[CollectionStep, str]]:
        """The documents the applicant must upload, as (step, document id): each required slot shown by a visible
        step, under the slot's id (a person's, `<slot id>.<person id>`), or once per owner it shows for
        (`<slot id>.<n>`, the n-th of the step's `ubos`)."""
        wanted: list[tuple[CollectionStep, str]] = []
        for step in self.visible_steps(data):
            owners = (data.get(step.id) or {}).get("ubos") or []
            for slot in step.documents:
                if not slot.required:
                    continue
                if not slot.per_owner:
                    if shows(slot.show_if, data):
                        wanted.append((step, slot_document_id(slot.id, person_id)))
                    continue
                for number, owner in enumerate(owners, start=1):
                    if isinstance(owner, dict) and owner.get("id") in own_links:
                        continue  # they upload their own ID through their own link
                    if shows(slot.show_if, {**data, "owner": owner}):
                        wanted.append((step, f"{slot.id}.{number}"))
        return wanted

    def revisable_fields(self, language: str | None = "en") -> list[tuple[str, str]]:
        """The fields a reviewer may send back to the applicant, as (`<step id>.<field>`, its label in `language`):
        each top-level field of the steps the applicant fills in, in the order the site shows them."""
        found: list[tuple[str, str]] = []
        for step in self.steps:
            if step.person:
                continue
            properties = step.data_schema.get("properties") or {}
            ordered = [n for n in step.ui.get("order") or [] if n in properties]
            for name in ordered + [n for n in properties if n not in ordered]:
                spec = properties[name] if isinstance(properties[name], dict) else {}
                text = step.labels[name].get(language) if name in step.labels else spec.get("title") or name
                found.append((f"{step.id}.{name}", f"{step.title.get(language)}: {text}"))
        return found

    def field_path(self, path: str) -> str | None:
        """The field `path` names, as `<step id>.<field>[.<sub field>…]`, when it is one of the journey's (a step
        the applicant fills in, a property of its schema; a JSON pointer `/company/name` is taken too, an array's
        items by number or not at all: `ownership.ubos.0.last_name`, `ownership.ubos`); None otherwise."""
        parts = [p for p in (path.strip("/").split("/") if path.startswith("/") else path.split(".")) if p]
        if len(parts) < 2:
            return None
        step = next((s for s in self.steps if s.id == parts[0] and not s.person), None)
        if step is None:
            return None
        schema: Any = step.data_schema
        for part in parts[1:]:
            if isinstance(schema, dict) and schema.get("type") == "array" and part.isdigit():
                schema = schema.get("items")
                continue
            properties = schema.get("properties") if isinstance(schema, dict) else None
            if not isinstance(properties, dict) or part not in properties:
                return None
            schema = properties[part]
        return ".".join(parts)

    def check_documents(
        self,
        data: dict[str, Any],
        uploaded: set[str],
        person_id: str | None = None,
        own_links: Collection[str] = (),
    ) -> None:
        """StepDataInvalid naming the first required document not uploaded (`<step>.documents.<document id>`); an
        owner in `own_links` (sent a link of their own) is asked none of their per-owner slots."""
        for step, document_id in self.required_documents(data, person_id, own_links):
            if document_id not in uploaded:
                path = f"{step.id}.documents.{document_id}"
                raise StepDataInvalid(f"{path}: the document is not uploaded", path=path)
