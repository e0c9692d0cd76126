"""The demo watchlist: a small OpenSanctions `targets.simple.csv`, generated, that the local stack screens against.

A few named targets to try (a KYB case whose UBO is one of them lands in manual review with the match explained),
and a few hundred generated people and companies around them so that screening has namesakes to tell apart.
Nothing here is a real listing.
"""

from __future__ import annotations

import csv
import io
import random

__all__ = ["DEMO_TARGETS", "DEMO_WATCHLIST_KEY", "demo_watchlist_csv"]

DEMO_WATCHLIST_KEY = "watchlists/default/targets.simple.csv"

_HEADER = [
    "id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers", "sanctions",
    "phones", "emails", "program_ids", "dataset", "first_seen", "last_seen", "last_change", "topics",
]  # fmt: skip

#: (id, schema, name, aliases, birth date, countries, identifiers, dataset, topics)
DEMO_TARGETS = [
    ("demo-orlov", "Person", "Viktor Sergeyevich Orlov", "Виктор Сергеевич Орлов;ORLOV, Viktor", "1962-04-17",
     "ru", "", "demo_sanctions", "sanction"),
    ("demo-haddad", "Person", "Leila Nasser Haddad", "ليلى ناصر حداد", "1975-09-02", "lb", "", "demo_peps",
     "role.pep"),
    ("demo-zhao", "Person", "Zhao Minghui", "赵明辉", "1969-01-30", "cn", "", "demo_sanctions", "sanction"),
    ("demo-northwind", "Company", "Northwind Maritime Holdings Ltd", "Northwind Maritime Holdings Limited", "",
     "cy", "HE 402117", "demo_sanctions", "sanction"),
]  # fmt: skip

_GIVEN = ["Marek", "Ilse", "Tomasz", "Greta", "Anselm", "Wiebke", "Dmitri", "Yusuf", "Ingrid", "Rafael", "Oksana",
          "Bertil", "Soren", "Amira", "Kenji", "Lucia", "Henrik", "Milena", "Farid", "Elsa"]  # fmt: skip
_FAMILY = ["Wojcik", "Lindqvist", "Brandt", "Kovacs", "Antonescu", "Haraldsen", "Petrov", "Demir", "Moretti",
           "Vasquez", "Horvath", "Nakamura", "Ferreira", "Kaminski", "Eriksen", "Salazar", "Aziz", "Dimitrov"]  # fmt: skip
_COMPANY_WORDS = ["Baltic", "Meridian", "Oakridge", "Solvent", "Kestrel", "Aurora", "Granite", "Helios"]
_COMPANY_KINDS = ["Trading", "Shipping", "Logistics", "Energy", "Minerals", "Capital"]
_LEGAL_FORMS = ["Ltd", "LLC", "GmbH", "S.A.", "OOO", "FZE"]
_COUNTRIES = ["ru", "by", "ir", "sy", "kp", "ve", "cy", "ae", "tr", "cn", "de", "gb"]


def demo_watchlist_csv(*, people: int = 240, companies: int = 60, seed: int = 20261130) -> bytes:
    """The demo list as CSV bytes: the named targets, then generated people and companies (same seed, same list)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography
    rows: list[list[str]] = []
    for entry_id, schema, name, aliases, born, countries, identifiers, dataset, topics in DEMO_TARGETS:
        rows.append(_row(entry_id, schema, name, aliases, born, countries, identifiers, dataset, topics))
    for i in range(people):
        name = f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}"
        born = f"{rng.randint(1940, 1995)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        topics = "role.pep" if rng.random() < 0.3 else "sanction"
        dataset = "demo_peps" if topics == "role.pep" else "demo_sanctions"
        rows.append(_row(f"demo-p{i}", "Person", name, "", born, rng.choice(_COUNTRIES), "", dataset, topics))
    for i in range(companies):
        name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)} {rng.choice(_LEGAL_FORMS)}"
        rows.append(
            _row(
                f"demo-c{i}",
                "Company",
                name,
                "",
                "",
                rng.choice(_COUNTRIES),
                "",
                "demo_sanctions",
                "sanction",
            )
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _row(
    entry_id: str,
    schema: str,
    name: str,
    aliases: str,
    born: str,
    countries: str,
    identifiers: str,
    dataset: str,
    topics: str,
) -> list[str]:
    return [entry_id, schema, name, aliases, born, countries, "", identifiers, "", "", "", "", dataset, "",
            "", "2026-11-30T00:00:00", topics]  # fmt: skip
