"""Watchlists generated for the screening tests: names, their romanisations and native spellings."""

from __future__ import annotations

import csv
import io
import random

HEADER = [
    "id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers", "sanctions",
    "phones", "emails", "program_ids", "dataset", "first_seen", "last_seen", "last_change", "topics",
]  # fmt: skip

# People whose list spelling is a romanisation of the native one (which the list does not carry).
LISTED_PEOPLE = [
    ("P-PUTIN", "Vladimir Vladimirovich Putin", "Владимир Владимирович Путин", "1952-10-07", "ru"),
    ("P-SHEV", "Taras Hryhorovych Shevchenko", "Тарас Григорович Шевченко", "1961-03-09", "ua"),
    ("P-MBS", "Mohammed bin Salman Al Saud", "محمد بن سلمان آل سعود", "1985-08-31", "sa"),
    ("P-WANG", "Wang Xiaoming", "王小明", "1970-05-01", "cn"),
    ("P-SMITH", "John Michael Smith", None, "1966-02-14", "gb"),
    ("P-GARCIA", "Maria Fernanda Garcia Lopez", None, "1979", "es"),
]
LISTED_COMPANIES = [
    ("C-ACME", "Acme Petroleum Trading Limited", "cy", "HE 123456"),
    ("C-ROM", "Romashka Energy OOO", "ru", "1027700132195"),
]
FILLER_GIVEN = [
    "Peter",
    "Anna",
    "Lukas",
    "Sofia",
    "Ahmed",
    "Olga",
    "Pierre",
    "Ivan",
    "Li",
    "Chen",
    "Noor",
    "Carlos",
]
FILLER_FAMILY = [
    "Novak",
    "Berg",
    "Rossi",
    "Haddad",
    "Kowalski",
    "Dubois",
    "Petrenko",
    "Tanaka",
    "Okafor",
    "Silva",
]


def _rows(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for entry_id, name, _, birth, country in LISTED_PEOPLE:
        datasets = "eu_fsf;us_ofac_sdn"
        rows.append([entry_id, "Person", name, "", birth, country, "", "", "", "", "", "", datasets,
                     "", "", "2026-11-01T00:00:00", "sanction"])  # fmt: skip
    for entry_id, name, country, reg in LISTED_COMPANIES:
        rows.append([entry_id, "Company", name, "", "", country, "", reg, "", "", "", "", "eu_fsf", "", "",
                     "2026-10-01", "sanction"])  # fmt: skip
    # A namesake of John Michael Smith born twenty years later, and filler people to block through.
    rows.append(["P-SMITH2", "Person", "John Michael Smith", "", "1986-07-01", "us", "", "", "", "", "", "",
                 "wd_peps", "", "", "2026-09-01", "role.pep"])  # fmt: skip
    for i in range(300):
        name = f"{rng.choice(FILLER_GIVEN)} {rng.choice(FILLER_FAMILY)}"
        birth = f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        rows.append([f"F-{i}", "Person", name, "", birth, "", "", "", "", "", "", "", "x", "", "", "", ""])
    return rows


def write_targets_csv(rows: list[list[str]]) -> bytes:
    """Rows as a targets.simple.csv file, quoted as csv quotes them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def targets_rows(seed: int) -> list[list[str]]:
    """The generated list's rows."""
    return _rows(seed)
