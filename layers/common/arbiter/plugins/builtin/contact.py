"""Contact details: email addresses (email-validator) and phone numbers (phonenumbers) of the case.

Emails are checked for syntax and the form of their domain; `check_deliverability` also asks DNS whether the
domain takes mail (off by default: it needs the network and slows the check). Phone numbers must be valid
numbers and belong to the country of the person or business they were given for.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import Field

from arbiter.domain.entity import Business, Entity, Person
from arbiter.plugins.contract import CaseContext, Flag, Plugin, PluginConfig, PluginResult, case_entity

_PHONE_TYPES = {
    value: name.lower()
    for name, value in vars(phonenumbers.PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}


class ContactConfig(PluginConfig):
    check_deliverability: bool = False
    #: Also check the contacts of UBOs and directors.
    include_related_persons: bool = True
    #: Flag a missing email or phone on the case's subject (the business or the individual).
    require_email: bool = False
    require_phone: bool = False
    #: Email domains to flag (free mail for a business, disposable mail services…), lower case.
    flagged_email_domains: list[str] = Field(default_factory=list)


class ContactPlugin(Plugin[ContactConfig]):
    """Checks every email and phone number of the entity."""

    name = "contact"
    version = "1.0.0"
    Config = ContactConfig
    description = "Validates emails (email-validator) and phone numbers (phonenumbers) against the country."

    def run(self, context: CaseContext, config: ContactConfig) -> PluginResult:
        entity = case_entity(context)
        subjects = _subjects(entity, config.include_related_persons)
        emails: list[dict[str, Any]] = []
        phones: list[dict[str, Any]] = []
        flags: list[Flag] = []
        for index, (subject, holder, country) in enumerate(subjects):
            main = index == 0
            if holder.email:
                outcome, found = _check_email(subject, holder.email, config)
                emails.append(outcome)
                flags += found
            elif main and config.require_email:
                flags.append(
                    Flag(code="email_missing", severity="medium", subject=subject, message="No email.")
                )
            if holder.phone:
                outcome, found = _check_phone(subject, holder.phone, country)
                phones.append(outcome)
                flags += found
            elif main and config.require_phone:
                flags.append(
                    Flag(code="phone_missing", severity="medium", subject=subject, message="No phone.")
                )
        if not emails and not phones and not flags:
            return PluginResult.skipped("the case has no email or phone number")
        return PluginResult.ok({"emails": emails, "phones": phones}, flags)


def _subjects(entity: Entity, related: bool) -> list[tuple[str, Business | Person, str | None]]:
    """(path, holder, country) for each party with contact details; the case's own subject first."""
    if entity.business is not None:
        business = entity.business
        home = business.country_of_incorporation or (business.address.country if business.address else None)
        found: list[tuple[str, Business | Person, str | None]] = [("business", business, home)]
        if related:
            for group in ("ubos", "directors"):
                for index, person in enumerate(getattr(business, group)):
                    found.append((f"business.{group}[{index}]", person, _person_country(person)))
        return found
    assert entity.individual is not None
    return [("individual", entity.individual, _person_country(entity.individual))]


def _person_country(person: Person) -> str | None:
    if person.address and person.address.country:
        return person.address.country
    return person.country_of_residence or person.nationality


def _check_email(subject: str, email: str, config: ContactConfig) -> tuple[dict[str, Any], list[Flag]]:
    try:
        checked = validate_email(email, check_deliverability=config.check_deliverability)
    except EmailNotValidError as e:
        flag = Flag(
            code="email_invalid",
            severity="medium",
            subject=f"{subject}.email",
            message=f"The email {email} is not valid: {e}",
        )
        return {"subject": subject, "email": email, "valid": False, "reason": str(e)}, [flag]
    outcome = {"subject": subject, "email": checked.normalized, "domain": checked.ascii_domain, "valid": True}
    flags = []
    if checked.ascii_domain.lower() in {d.lower() for d in config.flagged_email_domains}:
        flags.append(
            Flag(
                code="email_domain_flagged",
                severity="low",
                subject=f"{subject}.email",
                message=f"The email domain {checked.ascii_domain} is on the flagged list.",
            )
        )
    return outcome, flags


def _check_phone(subject: str, phone: str, country: str | None) -> tuple[dict[str, Any], list[Flag]]:
    where = f"{subject}.phone"
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException as e:
        flag = Flag(
            code="phone_invalid",
            severity="medium",
            subject=where,
            message=f"The phone number {phone} cannot be read: {e}",
        )
        return {"subject": subject, "phone": phone, "valid": False, "reason": str(e)}, [flag]
    valid = phonenumbers.is_valid_number(number)
    region = phonenumbers.region_code_for_number(number)
    outcome = {
        "subject": subject,
        "phone": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        "valid": valid,
        "region": region,
        "type": _PHONE_TYPES.get(phonenumbers.number_type(number), "unknown"),
        "matches_country": None
        if country is None
        else phonenumbers.is_valid_number_for_region(number, country),
    }
    if not valid:
        return outcome, [
            Flag(
                code="phone_invalid",
                severity="medium",
                subject=where,
                message=f"The phone number {phone} is not a valid number.",
            )
        ]
    if outcome["matches_country"] is False:
        return outcome, [
            Flag(
                code="phone_country_mismatch",
                severity="medium",
                subject=where,
                message=f"The phone number {phone} is from {region or 'another region'}, not {country}.",
            )
        ]
    return outcome, []
