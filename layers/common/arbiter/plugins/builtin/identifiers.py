"""Registry and identifiers: registration numbers, VAT and tax ids checked for their country (python-stdnum).

python-stdnum knows the format and check digits of several hundred national numbers. Its country packages
name some of them in a uniform way (`vat`, `businessid`, `personalid`, `tin`); the table below adds the
well-known numbers it names otherwise (`fr.siren`, `us.ein`…). A number is valid when one scheme of its kind
and country accepts it; the result says which. Where no scheme exists the number is reported unverifiable
(an `info` flag), not invalid. Country names and codes are normalised with pycountry first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator
from stdnum import bic, iban, lei
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.util import get_cc_module, get_module_name

from arbiter.domain.countries import country_code
from arbiter.domain.entity import Business, Identifier, Person
from arbiter.plugins.contract import CaseContext, Flag, Plugin, PluginConfig, PluginResult, case_entity

Kind = Literal["vat", "registration", "tax", "personal", "lei", "iban", "bic"]
BusinessField = Literal["registration_number", "vat_number", "tax_id"]

# stdnum's uniform names per kind, tried first.
_UNIFORM: dict[str, tuple[str, ...]] = {
    "vat": ("vat",),
    "registration": ("businessid",),
    "tax": ("tin",),
    "personal": ("personalid",),
}
# Numbers stdnum knows under their own names, by kind and country.
_NAMED: dict[str, dict[str, tuple[str, ...]]] = {
    "registration": {
        "au": ("acn",),
        "br": ("cnpj",),
        "ch": ("uid",),
        "cn": ("uscc",),
        "dk": ("cvr",),
        "es": ("cif",),
        "fr": ("siren", "siret"),
        "il": ("hp",),
        "is": ("kennitala",),
        "it": ("iva",),
        "kr": ("brn",),
        "md": ("idno",),
        "no": ("orgnr",),
        "pl": ("regon",),
        "ro": ("onrc", "cui"),
        "ru": ("ogrn",),
        "se": ("orgnr",),
        "ua": ("edrpou",),
    },
    "tax": {
        "au": ("tfn", "abn"),
        "de": ("stnr", "idnr"),
        "es": ("nif",),
        "fr": ("nif",),
        "gb": ("utr",),
        "in": ("pan",),
        "it": ("codicefiscale",),
        "mx": ("rfc",),
        "us": ("ein", "tin"),
    },
    "personal": {
        "de": ("idnr",),
        "es": ("dni", "nie"),
        "fr": ("nir",),
        "in": ("aadhaar",),
        "it": ("codicefiscale",),
        "kr": ("rrn",),
        "nl": ("bsn",),
        "us": ("ssn",),
    },
}
_GLOBAL = {"lei": lei, "iban": iban, "bic": bic}
# How integrators name identifier types, reduced to lower-case letters and digits.
_TYPE_KINDS = {
    "vat": "vat",
    "vatnumber": "vat",
    "vatid": "vat",
    "vatin": "vat",
    "vatno": "vat",
    "registration": "registration",
    "registrationnumber": "registration",
    "companynumber": "registration",
    "companyregistration": "registration",
    "companyregistrationnumber": "registration",
    "crn": "registration",
    "businessid": "registration",
    "registrynumber": "registration",
    "tax": "tax",
    "taxid": "tax",
    "tin": "tax",
    "taxnumber": "tax",
    "taxidentificationnumber": "tax",
    "ein": "tax",
    "personalid": "personal",
    "nationalid": "personal",
    "personalnumber": "personal",
    "ssn": "personal",
    "lei": "lei",
    "iban": "iban",
    "bic": "bic",
    "swift": "bic",
}
# VAT prefixes that are not the ISO code of the country.
_VAT_PREFIXES = {"EL": "GR", "XI": "GB"}
_FIELD_KINDS: dict[str, str] = {"registration_number": "registration", "vat_number": "vat", "tax_id": "tax"}


class IdentifiersConfig(PluginConfig):
    #: Business fields whose absence is flagged.
    required: list[BusinessField] = Field(default_factory=list)
    #: Also check the identifiers of UBOs and directors.
    include_related_persons: bool = True
    #: More stdnum modules by kind and country, e.g. {"registration": {"NL": ["nl.btw"]}} (tried after ours).
    extra_schemes: dict[Kind, dict[str, list[str]]] = Field(default_factory=dict)

    @field_validator("extra_schemes")
    @classmethod
    def _modules_exist(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for kind, by_country in value.items():
            for country, modules in by_country.items():
                if country_code(country) is None:
                    raise ValueError(f"{kind}: {country!r} is not a country")
                for module in modules:
                    cc, _, name = module.partition(".")
                    if not name or get_cc_module(cc, name) is None:
                        raise ValueError(f"{kind}.{country}: python-stdnum has no module {module!r}")
        return value


@dataclass(frozen=True)
class _Number:
    subject: str
    field: str
    kind: str | None
    value: str
    country: str | None
    declared_type: str | None = None


class IdentifiersPlugin(Plugin[IdentifiersConfig]):
    """Checks each identifier of the case against the schemes of its kind and country."""

    name = "identifiers"
    version = "1.0.0"
    Config = IdentifiersConfig
    description = "Validates registration numbers, VAT and tax ids for their country (python-stdnum)."

    def run(self, context: CaseContext, config: IdentifiersConfig) -> PluginResult:
        entity = case_entity(context)
        numbers: list[_Number] = []
        flags: list[Flag] = []
        if entity.business is not None:
            numbers += _business_numbers(entity.business)
            flags += _missing_fields(entity.business, config.required)
            if config.include_related_persons:
                for group in ("ubos", "directors"):
                    for index, person in enumerate(getattr(entity.business, group)):
                        numbers += _person_numbers(person, f"business.{group}[{index}]")
        if entity.individual is not None:
            numbers += _person_numbers(entity.individual, "individual")
        home = _home_country(entity.business) if entity.business else None
        checked = []
        for number in numbers:
            outcome, found = _check(number, config, home)
            checked.append(outcome)
            flags += found
        if not any(c["valid"] is not None for c in checked) and not flags:
            return PluginResult.skipped(
                "no identifier could be checked" if checked else "the case has no identifiers",
                {"identifiers": checked},
            )
        return PluginResult.ok(
            {
                "country": home,
                "identifiers": checked,
                "valid": sum(c["valid"] is True for c in checked),
                "invalid": sum(c["valid"] is False for c in checked),
                "unverifiable": sum(c["valid"] is None for c in checked),
            },
            flags,
        )


def _home_country(business: Business) -> str | None:
    return business.country_of_incorporation or (business.address.country if business.address else None)


def _business_numbers(business: Business) -> list[_Number]:
    country = _home_country(business)
    numbers = [
        _Number("business", field, _FIELD_KINDS[field], value, country)
        for field in ("registration_number", "vat_number", "tax_id")
        if (value := getattr(business, field))
    ]
    return numbers + _listed(business.identifiers, "business", country)


def _person_numbers(person: Person, subject: str) -> list[_Number]:
    country = (
        person.nationality
        or person.country_of_residence
        or (person.address.country if person.address else None)
    )
    return _listed(person.identifiers, subject, country)


def _listed(identifiers: list[Identifier], subject: str, country: str | None) -> list[_Number]:
    return [
        _Number(
            subject,
            f"identifiers[{i}]",
            _kind_of(ident.type),
            ident.value,
            ident.country or country,
            ident.type,
        )
        for i, ident in enumerate(identifiers)
    ]


def _kind_of(declared: str) -> str | None:
    return _TYPE_KINDS.get(_type_key(declared))


def _type_key(declared: str) -> str:
    return re.sub(r"[^a-z0-9]", "", declared.lower())


def _missing_fields(business: Business, required: Sequence[str]) -> list[Flag]:
    return [
        Flag(
            code="identifier_missing",
            severity="medium",
            subject=f"business.{field}",
            message=f"The business has no {field.replace('_', ' ')}.",
        )
        for field in required
        if not getattr(business, field)
    ]


def _check(number: _Number, config: IdentifiersConfig, home: str | None) -> tuple[dict[str, Any], list[Flag]]:
    """One identifier's outcome for the result, and its flags."""
    where = f"{number.subject}.{number.field}"
    label = number.declared_type or number.field.replace("_", " ")
    country = number.country
    flags: list[Flag] = []
    if number.kind == "vat" and (prefixed := _vat_prefix_country(number.value)):
        country = prefixed
        if home and prefixed != home and number.subject == "business":
            flags.append(
                Flag(
                    code="vat_country_mismatch",
                    severity="medium",
                    subject=where,
                    message=f"The VAT number {number.value} is from {prefixed}; "
                    f"the business is incorporated in {home}.",
                )
            )
    out: dict[str, Any] = {
        "subject": number.subject,
        "field": number.field,
        "type": number.kind,
        "country": country,
        "number": _shown(number),
        "valid": None,
        "scheme": None,
        "scheme_name": None,
        "reason": None,
    }
    modules = _schemes(number, country, config)
    if not modules:
        out["reason"] = _why_unverifiable(number, country)
        message = f"The {label} {_shown(number)} could not be checked: {out['reason']}."
        flags.append(Flag(code="identifier_unverifiable", severity="info", subject=where, message=message))
        return out, flags
    errors = []
    for module in modules:
        try:
            module.validate(number.value)
        except NumberInvalid as e:
            errors.append(f"{_scheme_id(module)}: {e}")
            continue
        out.update(valid=True, scheme=_scheme_id(module), scheme_name=get_module_name(module))
        return out, flags
    out.update(valid=False, reason="; ".join(errors), scheme=_scheme_id(modules[0]))
    out["scheme_name"] = get_module_name(modules[0])
    message = f"The {label} {_shown(number)} is not valid ({errors[0]})"
    flags.append(Flag(code="identifier_invalid", severity="high", subject=where, message=message))
    return out, flags


def _why_unverifiable(number: _Number, country: str | None) -> str:
    if country is None and number.kind not in _GLOBAL:
        return "no country to check it against"
    if number.kind is None:
        return f"no scheme is known for this type in {country}"
    return f"no {number.kind} scheme is known for {country}"


def _shown(number: _Number) -> str:
    """Personal numbers show their last four characters only: results are read more widely than entities."""
    if number.kind != "personal" or len(number.value) <= 4:
        return number.value
    return "*" * (len(number.value) - 4) + number.value[-4:]


def _schemes(number: _Number, country: str | None, config: IdentifiersConfig) -> list[Any]:
    if number.kind in _GLOBAL:
        return [_GLOBAL[number.kind]]
    if country is None:
        return []
    cc = country.lower()
    if number.kind is None:
        # A type that names one of stdnum's modules for the country ("SIREN" in FR) is that scheme.
        named = get_cc_module(cc, _type_key(number.declared_type or "")) if number.declared_type else None
        return [named] if named is not None and hasattr(named, "validate") else []
    names = [*_UNIFORM.get(number.kind, ()), *_NAMED.get(number.kind, {}).get(cc, ())]
    modules = [m for name in names if (m := get_cc_module(cc, name)) is not None]
    for dotted in config.extra_schemes.get(number.kind, {}).get(country, []):  # type: ignore[call-overload]
        extra_cc, _, extra_name = dotted.partition(".")
        if (extra := get_cc_module(extra_cc, extra_name)) is not None:  # checked when the config was read
            modules.append(extra)
    if number.kind == "tax" and not modules and (vat := get_cc_module(cc, "vat")) is not None:
        modules.append(vat)  # many countries use the VAT number as the company's tax id
    unique: dict[str, Any] = {}
    for module in modules:
        unique.setdefault(_scheme_id(module), module)
    return list(unique.values())


def _vat_prefix_country(value: str) -> str | None:
    prefix = re.sub(r"[^A-Za-z0-9]", "", value)[:2].upper()
    if len(prefix) != 2 or not prefix.isalpha():
        return None
    return _VAT_PREFIXES.get(prefix) or country_code(prefix)


def _scheme_id(module: Any) -> str:
    name: str = module.__name__
    return name.removeprefix("stdnum.").replace("_.", ".")
