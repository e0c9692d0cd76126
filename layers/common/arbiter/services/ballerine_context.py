"""Reading a Ballerine run's context: its entity and documents as Arbiter's entity and documents.

Ballerine integrations send loosely typed data (camelCase fields, string versions, numbers where strings are
expected, free-form `additionalInfo`), and Ballerine reads every optional field the same way whether it is
absent, `null` or an empty string: "not given". So does this mapping, for the entity's data, the documents, their
pages, issuer and properties. Everything that was sent is kept in the case context (what `GET …/context` returns);
Arbiter's typed entity takes what it can read, and a value it cannot read is left out of it, never a reason to
refuse the run.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from arbiter.domain.entity import Address, Business, Entity, Identifier, Person, RelatedPerson
from arbiter.domain.errors import InvalidInput
from arbiter.services.cases import DocumentInput, PageInput

__all__ = ["documents_from_context", "entity_from_context", "strip_inline_data"]


def _text(value: Any) -> str | None:
    """A value as text; absent, null, blank, an object or a list: None (not given)."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first(data: dict[str, Any], *names: str) -> Any:
    """The first of the fields that is given (Ballerine's aliases: `phone` or `phoneNumber`…)."""
    return next((data[n] for n in names if _text(data.get(n)) is not None), None)


def _country(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    text = text.upper()
    if re.fullmatch(r"[A-Z]{2}", text):
        return text
    import pycountry  # imported here: only Ballerine bodies with long country names need it

    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def _date(value: Any) -> dt.date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _percent(value: Any) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        return None
    return number if 0 <= number <= 100 else None


def _address(value: Any) -> Address | None:
    if isinstance(value, str) and value.strip():
        return Address(line1=value.strip())
    if not isinstance(value, dict):
        return None
    address = Address(
        line1=_text(_first(value, "street", "line1", "streetAddress")),
        line2=_text(value.get("line2")),
        city=_text(value.get("city")),
        region=_text(_first(value, "state", "region")),
        postal_code=_text(_first(value, "postcode", "postalCode", "zip")),
        country=_country(value.get("country")),
    )
    return address if address.model_dump(exclude_none=True) else None


def _person(data: dict[str, Any], role: str | None = None) -> Person:
    national_id = _text(data.get("nationalId"))
    fields: dict[str, Any] = {
        "first_name": _text(_first(data, "firstName", "first_name")),
        "middle_name": _text(data.get("middleName")),
        "last_name": _text(_first(data, "lastName", "last_name")),
        "full_name": _text(_first(data, "fullName", "name")),
        "date_of_birth": _date(_first(data, "dateOfBirth", "dob")),
        "nationality": _country(data.get("nationality")),
        "country_of_residence": _country(data.get("country")),
        "email": _text(data.get("email")),
        "phone": _text(_first(data, "phone", "phoneNumber")),
        "address": _address(data.get("address")),
        "is_pep": data.get("isPep") if isinstance(data.get("isPep"), bool) else None,
        "identifiers": [Identifier(type="national_id", value=national_id)] if national_id else None,
    }
    if role is not None:
        fields["ownership_percent"] = _percent(_first(data, "ownershipPercentage", "ownership"))
        fields["id"] = _text(_first(data, "id", "ballerineEntityId"))
        fields["roles"] = [role]
        return RelatedPerson(**{k: v for k, v in fields.items() if v is not None})
    return Person(**{k: v for k, v in fields.items() if v is not None})


def _related(items: Any, role: str) -> list[RelatedPerson]:
    people = [
        _person(item, role) for item in (items if isinstance(items, list) else []) if isinstance(item, dict)
    ]
    return [p for p in people if isinstance(p, RelatedPerson)]


def _website(data: dict[str, Any], info: dict[str, Any]) -> str | None:
    """The website, where Ballerine looks for it too (`additionalInfo.companyWebsite`, the store's main one)."""
    store = _object(_object(info.get("store")).get("website"))
    return _text(
        _first(data, "website", "companyWebsite")
        or _first(info, "companyWebsite")
        or store.get("mainWebsite")
    )


def _business(data: dict[str, Any]) -> Business:
    info = _object(data.get("additionalInfo"))
    return Business(
        name=_text(_first(data, "companyName", "name")) or "(unnamed business)",
        registration_number=_text(data.get("registrationNumber")),
        country_of_incorporation=_country(_first(data, "countryOfIncorporation", "country")),
        date_of_incorporation=_date(data.get("dateOfIncorporation")),
        legal_form=_text(_first(data, "legalForm", "businessType")),
        tax_id=_text(data.get("taxIdentificationNumber")),
        vat_number=_text(data.get("vatNumber")),
        industry=_text(data.get("industry")),
        website=_website(data, info),
        email=_text(data.get("email")),
        phone=_text(_first(data, "phoneNumber", "phone")),
        address=_address(data.get("address")),
        ubos=_related(info.get("ubos") or data.get("ubos"), "ubo"),
        directors=_related(info.get("directors") or data.get("directors"), "director"),
    )


def _entity_type(raw: dict[str, Any], data: dict[str, Any]) -> str:
    """`business` or `individual`: as sent, or, when the type is not given, what the data is about."""
    kind = (_text(raw.get("type")) or "").lower()
    if not kind:
        if _text(data.get("companyName")):
            return "business"
        if _text(data.get("firstName")) or _text(data.get("lastName")):
            return "individual"
    if kind == "business":
        return "business"
    if kind in ("individual", "end_user", "enduser", "person"):
        return "individual"
    raise InvalidInput("context.entity.type must be business or individual", path="context.entity.type")


def entity_from_context(context: dict[str, Any]) -> Entity:
    """Arbiter's entity from Ballerine's `context.entity` ({id or ballerineEntityId, type, data})."""
    raw = context.get("entity")
    if not isinstance(raw, dict):
        raise InvalidInput("context.entity is required", path="context.entity")
    data = _object(raw.get("data"))
    kind = _entity_type(raw, data)
    entity_id = _text(_first(raw, "id", "ballerineEntityId") or data.get("ballerineEntityId"))
    try:
        if kind == "business":
            return Entity(type="business", id=entity_id, business=_business(data))
        return Entity(type="individual", id=entity_id, individual=_person(data))
    except ValidationError as exc:
        raise _invalid(exc, "context.entity.data") from exc


def documents_from_context(context: dict[str, Any]) -> list[DocumentInput]:
    """Ballerine's documents, read loosely: a document without a type is kept as type `unknown`; a page's empty
    `data` or `uri` is not given (Ballerine's examples send `"data": ""` beside the page's URI)."""
    documents = []
    items = context.get("documents")
    for d, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        pages = []
        raw_pages = item.get("pages")
        for p, page in enumerate(raw_pages if isinstance(raw_pages, list) else []):
            if not isinstance(page, dict):
                continue
            try:
                pages.append(
                    PageInput(
                        uri=_text(page.get("uri")),
                        provider=_text(page.get("provider")),
                        data=page["data"] if _text(page.get("data")) else None,
                        file_id=_text(page.get("ballerineFileId")),
                        type=_text(page.get("type")),
                        metadata=_object(page.get("metadata")),
                    )
                )
            except ValidationError as exc:
                raise _invalid(exc, f"context.documents[{d}].pages[{p}]") from exc
        try:
            documents.append(
                DocumentInput(
                    id=_text(item.get("id")),
                    type=_text(item.get("type")) or "unknown",
                    category=_text(item.get("category")),
                    issuer=_object(item.get("issuer")),
                    properties=_object(item.get("properties")),
                    pages=pages,
                )
            )
        except ValidationError as exc:
            raise _invalid(exc, f"context.documents[{d}]") from exc
    return documents


def _invalid(exc: ValidationError, prefix: str) -> InvalidInput:
    """The first problem pydantic found, as InvalidInput naming the field under `prefix`."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()) if not isinstance(part, int))
    path = f"{prefix}.{where}" if where else prefix
    return InvalidInput(f"{path}: {error.get('msg', 'invalid')}", path=path)


def strip_inline_data(context: dict[str, Any]) -> dict[str, Any]:
    """The context to keep on the case: inline page data replaced by a marker (the bytes go to S3)."""
    kept = dict(context)
    items = context.get("documents")
    if not isinstance(items, list):
        return kept
    documents = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("pages"), list):
            item = {
                **item,
                "pages": [
                    {**p, "data": "(stored)"} if isinstance(p, dict) and _text(p.get("data")) else p
                    for p in item["pages"]
                ],
            }
        documents.append(item)
    kept["documents"] = documents
    return kept
