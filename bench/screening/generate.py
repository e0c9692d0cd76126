"""A seeded watchlist in the targets.simple.csv layout, and a labelled set of queries drawn from it.

Each entry is generated from its own random stream (seed, entry number), so the labelled set can rebuild any
entry's structure (given names, surname, native spelling, romanisation scheme) without keeping a million of
them in memory. See README.md for how each variant kind is produced.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from names_data import (
    ARABIC_FAMILY,
    ARABIC_GIVEN,
    CHINESE_GIVEN,
    CHINESE_SURNAMES,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    CYRILLIC_SCHEMES,
    HONORIFICS,
    LIST_SCHEMES,
    romanise_cyrillic,
)
from rapidfuzz.distance import OSA

HEADER = [
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "countries",
    "addresses",
    "identifiers",
    "sanctions",
    "phones",
    "emails",
    "program_ids",
    "dataset",
    "first_seen",
    "last_seen",
    "last_change",
    "topics",
]
LATIN_LOCALES = {
    "en_US": "us", "en_GB": "gb", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it",
    "pt_BR": "br", "tr_TR": "tr", "pl_PL": "pl", "nl_NL": "nl",
}  # fmt: skip
DATASETS = ("us_ofac_sdn", "eu_fsf", "gb_hmt_sanctions", "un_sc_sanctions", "wd_peps", "ru_rupep", "ch_seco")


@cache
def latin_pools(locale: str) -> tuple[list[str], list[float], list[str], list[float]]:
    """Faker's first and last names for a locale, with their frequency weights where Faker has them."""
    import importlib

    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    firsts = provider.first_names
    # Faker's Polish provider keeps its surnames apart (`unisex_last_names`); its `last_names` is the base
    # class's placeholder, ("Doe",), which would name every Polish entry "… Doe".
    lasts = getattr(provider, "unisex_last_names", None) or provider.last_names
    f_names = list(firsts)
    f_weights = [float(firsts[n]) for n in f_names] if isinstance(firsts, dict) else [1.0] * len(f_names)
    l_names = list(lasts)
    l_weights = [float(lasts[n]) for n in l_names] if isinstance(lasts, dict) else [1.0] * len(l_names)
    return f_names, f_weights, l_names, l_weights


@cache
def russian_pools() -> dict[str, list[str]]:
    """Faker's Russian names, in Cyrillic."""
    from faker.providers.person.ru_RU import Provider

    return {
        "first_m": list(Provider.first_names_male),
        "first_f": list(Provider.first_names_female),
        "middle_m": list(Provider.middle_names_male),
        "middle_f": list(Provider.middle_names_female),
        "last_m": list(Provider.last_names_male),
        "last_f": list(Provider.last_names_female),
    }


@dataclass
class Spec:
    """The structure behind one listed entry: enough to rebuild its names in any spelling."""

    number: int
    schema: str
    culture: str  # latin:<locale> | cyrillic | arabic | chinese | org
    given: list[str] = field(default_factory=list)  # list spelling
    surname: str = ""
    native_given: list[str] = field(default_factory=list)
    native_surname: str = ""
    scheme: str = ""  # Cyrillic scheme used by the list
    arabic: list[tuple[int, int]] = field(default_factory=list)  # (table index, spelling index) per part
    chinese: tuple[int, tuple[int, ...]] = (0, ())
    org_words: list[str] = field(default_factory=list)
    suffix: tuple[int, int] = (0, 0)
    birth_date: str = ""
    countries: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    @property
    def entry_id(self) -> str:
        return f"NK-{self.number:07d}"

    def caption(self) -> str:
        if self.culture == "org":
            return " ".join([*self.org_words, COMPANY_SUFFIXES[self.suffix[0]][self.suffix[1]]])
        if self.culture == "chinese":
            return f"{self.surname} {' '.join(self.given)}"  # surname first, as Chinese names are written
        return " ".join([*self.given, self.surname])


def _random_date(rng: random.Random, start: int = 1940, end: int = 2000) -> dt.date:
    return dt.date(rng.randint(start, end), rng.randint(1, 12), rng.randint(1, 28))


def make_spec(seed: int, number: int) -> Spec:
    """Rebuild entry `number` of the list generated with `seed`."""
    rng = random.Random(seed * 10_000_019 + number)
    roll = rng.random()
    if roll < 0.15:
        return _org_spec(rng, number)
    if roll < 0.55:
        spec = _latin_spec(rng, number)
    elif roll < 0.72:
        spec = _cyrillic_spec(rng, number)
    elif roll < 0.87:
        spec = _arabic_spec(rng, number)
    else:
        spec = _chinese_spec(rng, number)
    if rng.random() < 0.75:
        date = _random_date(rng)
        spec.birth_date = str(date.year) if rng.random() < 0.15 else date.isoformat()
    if rng.random() < 0.3:
        spec.countries = []
    return spec


def _latin_spec(rng: random.Random, number: int) -> Spec:
    locale = rng.choice(list(LATIN_LOCALES))
    firsts, f_weights, lasts, l_weights = latin_pools(locale)
    given = rng.choices(firsts, weights=f_weights, k=2 if rng.random() < 0.3 else 1)
    surname = rng.choices(lasts, weights=l_weights, k=1)[0]
    spec = Spec(
        number, "Person", f"latin:{locale}", given=given, surname=surname, countries=[LATIN_LOCALES[locale]]
    )
    if rng.random() < 0.3:
        spec.aliases.append(f"{surname.upper()}, {' '.join(given)}")
    return spec


def _cyrillic_spec(rng: random.Random, number: int) -> Spec:
    pools = russian_pools()
    sex = rng.choice("mf")
    native_given = [rng.choice(pools[f"first_{sex}"]), rng.choice(pools[f"middle_{sex}"])]
    native_surname = rng.choice(pools[f"last_{sex}"])
    scheme = rng.choice(LIST_SCHEMES)
    spec = Spec(
        number, "Person", "cyrillic",
        given=[romanise_cyrillic(g, scheme) for g in native_given],
        surname=romanise_cyrillic(native_surname, scheme),
        native_given=native_given, native_surname=native_surname, scheme=scheme,
        countries=[rng.choice(("ru", "ru", "ru", "by", "kz"))],
    )  # fmt: skip
    if rng.random() < 0.4:
        other = next(s for s in LIST_SCHEMES if s != scheme)
        spec.aliases.append(" ".join(romanise_cyrillic(p, other) for p in (*native_given, native_surname)))
    return spec


def _arabic_spec(rng: random.Random, number: int) -> Spec:
    parts = [rng.randrange(len(ARABIC_GIVEN))]
    if rng.random() < 0.6:
        parts.append(rng.randrange(len(ARABIC_GIVEN)))  # the father's name
    family = rng.randrange(len(ARABIC_FAMILY))
    tables = [ARABIC_GIVEN] * len(parts) + [ARABIC_FAMILY]
    chosen = [(i, rng.randrange(1, len(t[i]))) for i, t in zip([*parts, family], tables, strict=True)]
    spellings = [t[i][s] for (i, s), t in zip(chosen, tables, strict=True)]
    spec = Spec(
        number, "Person", "arabic", given=spellings[:-1], surname=spellings[-1],
        native_given=[ARABIC_GIVEN[i][0] for i in parts], native_surname=ARABIC_FAMILY[family][0],
        arabic=chosen, countries=[rng.choice(("sa", "iq", "sy", "ye", "ae", "eg", "lb", "ly"))],
    )  # fmt: skip
    return spec


def _chinese_spec(rng: random.Random, number: int) -> Spec:
    surname = rng.randrange(len(CHINESE_SURNAMES))
    given = tuple(rng.randrange(len(CHINESE_GIVEN)) for _ in range(rng.choice((1, 2, 2))))
    spec = Spec(
        number, "Person", "chinese",
        given=["".join(CHINESE_GIVEN[g][1] for g in given).capitalize()],
        surname=CHINESE_SURNAMES[surname][1],
        native_given=["".join(CHINESE_GIVEN[g][0] for g in given)],
        native_surname=CHINESE_SURNAMES[surname][0],
        chinese=(surname, given), countries=[rng.choice(("cn", "cn", "hk", "tw"))],
    )  # fmt: skip
    if rng.random() < 0.3:
        spec.aliases.append(f"{spec.surname.upper()}, {spec.given[0]}")
    return spec


def _org_spec(rng: random.Random, number: int) -> Spec:
    _, _, lasts, l_weights = latin_pools(rng.choice(list(LATIN_LOCALES)))
    # A distinctive word (a family name, as in "Petrov Energy", or a coined one) and one or two generic words.
    distinctive = rng.choices(lasts, weights=l_weights, k=1)[0] if rng.random() < 0.6 else _coined(rng)
    words = [distinctive, *rng.sample(COMPANY_WORDS, rng.choice((1, 2, 2)))]
    suffix = rng.randrange(len(COMPANY_SUFFIXES))
    spec = Spec(
        number, "Company", "org", org_words=words, suffix=(suffix, 0),
        countries=[rng.choice(("ru", "ir", "cy", "ae", "cn", "kp", "sy", "tr", "hk", "pa"))],
    )  # fmt: skip
    if rng.random() < 0.2:
        spec.aliases.append(" ".join(words))
    return spec


def _coined(rng: random.Random) -> str:
    syllables = (
        "ka",
        "ro",
        "tel",
        "vin",
        "sa",
        "mar",
        "ix",
        "no",
        "lux",
        "dor",
        "ze",
        "ta",
        "qu",
        "ber",
        "on",
    )
    return "".join(rng.choice(syllables) for _ in range(rng.choice((2, 3)))).capitalize()


def write_list(path: Path, seed: int, target_names: int) -> tuple[int, int, set[tuple[str, str]]]:
    """Write a targets.simple.csv of about `target_names` names.

    Returns (entries, names, listed pairs): the (given, surname) pairs of every Latin-script listed person,
    lower-cased, so that negatives can avoid them.
    """
    pairs: set[tuple[str, str]] = set()
    names = 0
    number = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        while names < target_names:
            spec = make_spec(seed, number)
            rng = random.Random(number)
            topics = "role.pep" if rng.random() < 0.25 else "sanction"
            row = {
                "id": spec.entry_id,
                "schema": spec.schema,
                "name": spec.caption(),
                "aliases": ";".join(spec.aliases),
                "birth_date": spec.birth_date,
                "countries": ";".join(spec.countries),
                "identifiers": f"REG-{number:07d}" if spec.schema == "Company" and rng.random() < 0.5 else "",
                "dataset": ";".join(rng.sample(DATASETS, rng.choice((1, 1, 2)))),
                "last_change": "2026-11-20T06:00:00",
                "topics": topics,
            }
            writer.writerow([row.get(column, "") for column in HEADER])
            names += 1 + len(spec.aliases)
            number += 1
            if spec.culture.startswith("latin:"):
                pairs.update((given.lower(), spec.surname.lower()) for given in spec.given)
    return number, names, pairs


# ---- the labelled set -------------------------------------------------------------------------------------

POSITIVE_KINDS = ("translit", "native", "reordered", "initials", "honorific", "typo", "company_suffix")
NEGATIVE_KINDS = ("namesake_dob", "other_given_name", "unlisted_common")


@dataclass
class Labelled:
    """One labelled query: its kind, whether it is the listed target, and the target (or near) entry id."""

    qid: str
    kind: str
    positive: bool
    target_id: str
    schema: str
    names: list[str]
    birth_date: str | None = None
    nationality: str | None = None
    registration_number: str | None = None


def _typo(rng: random.Random, token: str) -> str:
    i = rng.randrange(len(token))
    letters = "abcdefghijklmnopqrstuvwxyz"
    op = rng.choice(("substitute", "delete", "insert", "swap"))
    if op == "substitute":
        return token[:i] + rng.choice(letters.replace(token[i].lower(), "")) + token[i + 1 :]
    if op == "delete":
        return token[:i] + token[i + 1 :]
    if op == "insert":
        return token[:i] + rng.choice(letters) + token[i:]
    i = min(i, len(token) - 2)
    return token[:i] + token[i + 1] + token[i] + token[i + 2 :]


def _positive(rng: random.Random, spec: Spec, kind: str) -> list[str] | None:
    """The query name for a variant of a listed entry, or None when the kind does not apply to it."""
    person = spec.schema == "Person"
    if kind == "company_suffix":
        if person:
            return None
        group = COMPANY_SUFFIXES[spec.suffix[0]]
        other = rng.choice([*group[1:], None] if len(group) > 1 else [None])
        if other is None or rng.random() < 0.25:
            # Another country's legal form, or none at all.
            other = rng.choice([None, rng.choice(COMPANY_SUFFIXES)[0]])
        return [" ".join([*spec.org_words, *([other] if other else [])])]
    if not person:
        return None
    if kind == "translit":
        if spec.culture == "cyrillic":
            scheme = rng.choice([s for s in CYRILLIC_SCHEMES if s not in LIST_SCHEMES])
            return [" ".join(romanise_cyrillic(p, scheme) for p in (*spec.native_given, spec.native_surname))]
        if spec.culture == "arabic":
            tables = [ARABIC_GIVEN] * (len(spec.arabic) - 1) + [ARABIC_FAMILY]
            parts = []
            for (i, s), table in zip(spec.arabic, tables, strict=True):
                choices = [k for k in range(1, len(table[i])) if k != s]
                parts.append(table[i][rng.choice(choices)] if choices else table[i][s])
            if parts == [*spec.given, spec.surname]:
                return None  # every part has one spelling only
            return [" ".join(parts)]
        if spec.culture == "chinese":
            surname, given = spec.chinese
            wade = "-".join(CHINESE_GIVEN[g][2] for g in given).capitalize()
            return [f"{CHINESE_SURNAMES[surname][2]} {wade}"]
        return None
    if kind == "native":
        if spec.culture == "chinese":
            return [spec.native_surname + spec.native_given[0]]
        if spec.culture in ("cyrillic", "arabic"):
            order = [*spec.native_given, spec.native_surname]
            if spec.culture == "cyrillic" and rng.random() < 0.5:
                order = [spec.native_surname, *spec.native_given]  # the official Russian order
            return [" ".join(order)]
        return None
    tokens = spec.caption().split()
    if kind == "reordered":
        if len(tokens) < 2:
            return None
        if rng.random() < 0.5:
            return [f"{tokens[-1]}, {' '.join(tokens[:-1])}"]
        shuffled = tokens[:]
        while shuffled == tokens:
            rng.shuffle(shuffled)
        return [" ".join(shuffled)]
    if kind == "initials":
        if spec.culture == "chinese" or len(spec.given) == 0:
            return None
        given = [g[0] + "." if i == 0 or rng.random() < 0.5 else g for i, g in enumerate(spec.given)]
        return [" ".join([*given, spec.surname])]
    if kind == "honorific":
        return [f"{rng.choice(HONORIFICS)} {spec.caption()}"]
    if kind == "typo":
        candidates = [i for i, t in enumerate(tokens) if len(t) >= 4]
        if not candidates:
            return None
        i = rng.choice(candidates)
        tokens[i] = _typo(rng, tokens[i])
        return [" ".join(tokens)]
    raise ValueError(kind)


def labelled_set(
    seed: int, entries: int, per_kind: int, listed_pairs: set[tuple[str, str]]
) -> Iterator[Labelled]:
    """`per_kind` labelled queries of every kind, drawn from the first `entries` entries of the list."""
    rng = random.Random(seed + 1)
    for kind in POSITIVE_KINDS:
        made = 0
        while made < per_kind:
            spec = make_spec(seed, rng.randrange(entries))
            names = _positive(rng, spec, kind)
            if names is None:
                continue
            made += 1
            birth = spec.birth_date if spec.birth_date and rng.random() < 0.7 else None
            nationality = spec.countries[0].upper() if spec.countries and rng.random() < 0.6 else None
            yield Labelled(
                f"{kind}-{made}", kind, True, spec.entry_id, spec.schema, names, birth, nationality
            )
    yield from _negatives(rng, seed, entries, per_kind, listed_pairs)


def _negatives(
    rng: random.Random, seed: int, entries: int, per_kind: int, listed_pairs: set[tuple[str, str]]
) -> Iterator[Labelled]:
    made = 0
    while made < per_kind:  # namesakes: the listed name, born years apart
        spec = make_spec(seed, rng.randrange(entries))
        if spec.schema != "Person" or len(spec.birth_date) != 10:
            continue
        listed = dt.date.fromisoformat(spec.birth_date)
        shift = rng.randint(3, 25) * rng.choice((-1, 1))
        birth = listed.replace(year=listed.year + shift).isoformat()
        made += 1
        nationality = spec.countries[0].upper() if spec.countries else None
        yield Labelled(
            f"namesake_dob-{made}",
            "namesake_dob",
            False,
            spec.entry_id,
            "Person",
            [spec.caption()],
            birth,
            nationality,
        )
    made = 0
    while made < per_kind:  # the same surname with another given name
        spec = make_spec(seed, rng.randrange(entries))
        if not spec.culture.startswith("latin:"):
            continue
        firsts, f_weights, _, _ = latin_pools(spec.culture.split(":")[1])
        other = rng.choices(firsts, weights=f_weights, k=1)[0]
        # "Another" given name: not a spelling of a listed one (different initial, three edits or more).
        if any(other[0] == g[0] or OSA.distance(other.lower(), g.lower()) < 3 for g in spec.given):
            continue
        if (other.lower(), spec.surname.lower()) in listed_pairs:
            continue
        made += 1
        birth = _random_date(rng).isoformat()
        yield Labelled(
            f"other_given_name-{made}",
            "other_given_name",
            False,
            spec.entry_id,
            "Person",
            [f"{other} {spec.surname}"],
            birth,
            spec.countries[0].upper() if spec.countries else None,
        )
    made = 0
    while made < per_kind:  # common names that are on no list
        locale = rng.choice(list(LATIN_LOCALES))
        firsts, f_weights, lasts, l_weights = latin_pools(locale)
        first = rng.choices(firsts, weights=f_weights, k=1)[0]
        last = rng.choices(lasts, weights=l_weights, k=1)[0]
        if (first.lower(), last.lower()) in listed_pairs:
            continue
        made += 1
        birth = _random_date(rng).isoformat()
        yield Labelled(
            f"unlisted_common-{made}",
            "unlisted_common",
            False,
            "",
            "Person",
            [f"{first} {last}"],
            birth,
            LATIN_LOCALES[locale].upper(),
        )
