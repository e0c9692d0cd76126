"""Ownership: who owns and controls the business, and what is missing or odd about what was declared."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from arbiter.domain.entity import Business, RelatedPerson
from arbiter.plugins.contract import CaseContext, Flag, Plugin, PluginConfig, PluginResult, case_entity

IdentificationField = Literal["name", "date_of_birth", "nationality", "address", "identifiers"]
DEFAULT_IDENTIFICATION: tuple[IdentificationField, ...] = ("name", "date_of_birth", "nationality")


class OwnershipConfig(PluginConfig):
    ubo_threshold_percent: float = Field(default=25.0, gt=0, le=100)
    required_identification: list[IdentificationField] = Field(
        default_factory=lambda: list(DEFAULT_IDENTIFICATION)
    )
    #: Integrators round shares: totals up to 100 plus this are not flagged.
    total_tolerance_percent: float = Field(default=0.01, ge=0, le=5)
    flag_peps: bool = True


class OwnershipPlugin(Plugin[OwnershipConfig]):
    """UBOs at or above the threshold identified, ownership at most 100%, PEPs among owners and directors."""

    name = "ownership"
    version = "1.0.0"
    Config = OwnershipConfig
    description = "Checks the declared ultimate beneficial owners and directors of a business."

    def run(self, context: CaseContext, config: OwnershipConfig) -> PluginResult:
        business = case_entity(context).business
        if business is None:
            return PluginResult.skipped("ownership applies to businesses")
        owners = business.ubos
        total = round(sum(p.ownership_percent or 0 for p in owners), 4)
        significant = [
            (i, p)
            for i, p in enumerate(owners)
            if p.ownership_percent is not None and p.ownership_percent >= config.ubo_threshold_percent
        ]
        flags = [
            *_declaration_flags(owners, significant, total, config),
            *_identification_flags(significant, config),
        ]
        if config.flag_peps:
            flags.extend(_pep_flags(business))
        return PluginResult.ok(
            {
                "ubo_count": len(owners),
                "director_count": len(business.directors),
                "declared_total_percent": total,
                "undeclared_percent": max(0.0, round(100 - total, 4)),
                "threshold_percent": config.ubo_threshold_percent,
                "significant_owners": [
                    {
                        "subject": f"business.ubos[{i}]",
                        "name": p.display_name(),
                        "ownership_percent": p.ownership_percent,
                        "missing": _missing(p, config.required_identification),
                    }
                    for i, p in significant
                ],
                "peps": [f.subject for f in flags if f.code.startswith("pep_")],
            },
            flags,
        )


def _declaration_flags(
    owners: list[RelatedPerson],
    significant: list[tuple[int, RelatedPerson]],
    total: float,
    config: OwnershipConfig,
) -> list[Flag]:
    if not owners:
        return [
            Flag(
                code="no_ubo_declared",
                severity="high",
                message="No beneficial owner is declared.",
                subject="business.ubos",
            )
        ]
    flags = [
        Flag(
            code="ownership_percent_missing",
            severity="medium",
            subject=f"business.ubos[{i}]",
            message=f"{_label(p, i)} has no ownership percentage.",
        )
        for i, p in enumerate(owners)
        if p.ownership_percent is None
    ]
    if total > 100 + config.total_tolerance_percent:
        flags.append(
            Flag(
                code="ownership_over_100",
                severity="high",
                subject="business.ubos",
                message=f"Declared ownership adds up to {total:g}%, more than 100%.",
            )
        )
    if not significant and not flags:
        flags.append(
            Flag(
                code="no_significant_owner",
                severity="info",
                subject="business.ubos",
                message=f"No owner holds {config.ubo_threshold_percent:g}% or more: a senior managing "
                "official counts as the beneficial owner.",
            )
        )
    return flags


def _identification_flags(
    significant: list[tuple[int, RelatedPerson]], config: OwnershipConfig
) -> list[Flag]:
    flags = []
    for index, owner in significant:
        missing = _missing(owner, config.required_identification)
        if missing:
            flags.append(
                Flag(
                    code="ubo_identification_missing",
                    severity="high",
                    subject=f"business.ubos[{index}]",
                    message=f"{_label(owner, index)} owns {owner.ownership_percent:g}% "
                    f"but lacks {', '.join(missing)}.",
                )
            )
    return flags


def _pep_flags(business: Business) -> list[Flag]:
    flags = []
    for group, role, people in (
        ("ubos", "beneficial owner", business.ubos),
        ("directors", "director", business.directors),
    ):
        for index, person in enumerate(people):
            if person.is_pep:
                flags.append(
                    Flag(
                        code="pep_ubo" if group == "ubos" else "pep_director",
                        severity="high",
                        subject=f"business.{group}[{index}]",
                        message=f"{_label(person, index)} is a politically exposed {role}.",
                    )
                )
    return flags


def _missing(person: RelatedPerson, required: list[IdentificationField]) -> list[str]:
    present: dict[str, Any] = {
        "name": person.display_name(),
        "date_of_birth": person.date_of_birth,
        "nationality": person.nationality,
        "address": person.address,
        "identifiers": person.identifiers,
    }
    return [field.replace("_", " ") for field in required if not present[field]]


def _label(person: RelatedPerson, index: int) -> str:
    return person.display_name() or f"Person {index + 1}"
