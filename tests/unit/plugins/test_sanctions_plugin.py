"""The sanctions check on a case: parties screened, matches explained and flagged, clearances remembered.

Watchlists are generated here: listed people written in one romanisation, queried in another, in their own
script or reordered; namesakes born years apart; close names that are someone else.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

from arbiter.plugins import PluginRegistry, run_checks, validate_configs
from arbiter.plugins.builtin.sanctions import (
    LoadedWatchlist,
    SanctionsConfig,
    SanctionsPlugin,
    WatchlistMissing,
    flag_code,
)
from arbiter.screening import load_watchlist
from tests.unit.screening.generated_lists import HEADER, write_targets_csv

LISTED = [
    # id, schema, caption, aliases, birth date, countries, identifiers, topics
    ("L-ORLOV", "Person", "Viktor Sergeyevich Orlov", "", "1962-04-17", "ru", "", "sanction"),
    ("L-KHAN", "Person", "Abdul Rahman Al-Hashimi", "", "1971-02-03", "iq", "", "sanction"),
    ("L-ZHAO", "Person", "Zhao Minghui", "", "1969-01-30", "cn", "", "sanction"),
    ("L-DUPONT", "Person", "Claire Dupont", "", "1958-11-20", "fr", "", "role.pep"),
    ("L-NORTH", "Company", "Northwind Maritime Holdings Ltd", "", "", "cy", "HE 402117", "sanction"),
]
FILLER_GIVEN = ["Marek", "Ilse", "Tomasz", "Greta", "Anselm", "Wiebke", "Yusuf", "Ingrid", "Rafael", "Oksana"]
FILLER_FAMILY = ["Wojcik", "Lindqvist", "Brandt", "Kovacs", "Antonescu", "Haraldsen", "Demir", "Moretti"]


def generated_rows(seed: int = 11) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for entry_id, schema, caption, aliases, born, countries, identifiers, topics in LISTED:
        rows.append(
            [
                entry_id,
                schema,
                caption,
                aliases,
                born,
                countries,
                "",
                identifiers,
                "",
                "",
                "",
                "",
                "test_list",
                "",
                "",
                "2026-11-02T10:00:00",
                topics,
            ]
        )
    for i in range(200):
        name = f"{rng.choice(FILLER_GIVEN)} {rng.choice(FILLER_FAMILY)}"
        born = f"{rng.randint(1940, 1995)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        rows.append(
            [f"F-{i}", "Person", name, "", born, "", "", "", "", "", "", "", "test_list", "", "", "", ""]
        )
    assert len(HEADER) == len(rows[0])
    return rows


class InMemoryWatchlists:
    """A `WatchlistSource` over bytes by key (the S3 adapter has its own tests on moto)."""

    def __init__(self, lists: dict[str, bytes]) -> None:
        self.lists = lists
        self.loaded: list[str] = []

    def exists(self, key: str) -> bool:
        return key in self.lists

    def load(self, key: str, *, format: str, aliases_key: str | None = None) -> LoadedWatchlist:
        if key not in self.lists:
            raise WatchlistMissing(f"no watchlist is stored at {key}", key=key)
        self.loaded.append(key)
        return LoadedWatchlist(load_watchlist(self.lists[key]), key=key, etag="etag-1")

    def load_first(
        self, keys: Sequence[str], *, format: str, aliases_key: str | None = None
    ) -> LoadedWatchlist:
        key = next((k for k in keys if k in self.lists), keys[-1])
        return self.load(key, format=format, aliases_key=aliases_key)


class InMemoryClearances:
    def __init__(self, cleared: dict[str, set[str]] | None = None) -> None:
        self.cleared = cleared or {}
        self.asked: list[Sequence[str]] = []

    def cleared_entries(self, tenant_id: str, party_keys: Sequence[str]) -> dict[str, set[str]]:
        self.asked.append(list(party_keys))
        return {k: v for k, v in self.cleared.items() if k in party_keys}


DEFAULT_KEY = "watchlists/default/targets.simple.csv"


def plugin(clearances: InMemoryClearances | None = None, **lists: bytes) -> SanctionsPlugin:
    source = InMemoryWatchlists({DEFAULT_KEY: write_targets_csv(generated_rows()), **lists})
    return SanctionsPlugin(source, clearances or InMemoryClearances())


def kyb_context(
    ubos: list[dict[str, Any]], directors: list[dict[str, Any]] | None = None, **business
) -> dict:
    return {
        "case_id": "case-1",
        "tenant_id": "acme",
        "entity": {
            "type": "business",
            "id": "biz-1",
            "business": {
                "name": "Plain Bakery GmbH",
                "country_of_incorporation": "DE",
                "ubos": ubos,
                "directors": directors or [],
                **business,
            },
        },
        "documents": [],
        "metadata": {},
    }


def kyc_context(**person) -> dict:
    return {
        "case_id": "case-2",
        "tenant_id": "acme",
        "entity": {"type": "individual", "id": "user-9", "individual": person},
        "documents": [],
        "metadata": {},
    }


def run(p: SanctionsPlugin, context: dict, **config: Any):
    return p.run(context, SanctionsConfig.model_validate(config))


@pytest.mark.parametrize(
    ("ubo", "listed"),
    [
        # Another romanisation of the same Russian name, without the patronymic.
        ({"first_name": "Wiktor", "last_name": "Orlow", "date_of_birth": "1962-04-17"}, "L-ORLOV"),
        # The native script.
        ({"full_name": "Виктор Сергеевич Орлов", "nationality": "RU"}, "L-ORLOV"),
        # Surname first, as registries write it.
        ({"full_name": "ORLOV Viktor Sergeyevich", "date_of_birth": "1962-04-17"}, "L-ORLOV"),
        ({"full_name": "赵明辉"}, "L-ZHAO"),
        ({"full_name": "Abdul Rahman Al Hashimi", "nationality": "IQ"}, "L-KHAN"),
    ],
)
def test_a_listed_ubo_is_flagged_with_the_match_explained(ubo, listed):
    result = run(plugin(), kyb_context([{**ubo, "ownership_percent": 40}]))
    assert result.status == "ok"
    [flag] = result.flags
    assert (flag.code, flag.severity, flag.subject) == ("sanctions_match", "critical", "business.ubos[0]")
    assert listed in flag.message
    party = next(p for p in result.data["parties"] if p["subject"] == "business.ubos[0]")
    [match] = party["matches"]
    assert match["entry"]["id"] == listed
    assert match["suppressed"] is False
    explanation = match["explanation"]
    assert explanation["listed_name"] in match["entry"]["names"]
    assert explanation["token_pairs"], "the explanation says which tokens met"
    assert explanation["contributions"][0]["feature"] == "name"
    assert result.data["alerts"] == 1


def test_the_list_version_is_recorded():
    result = run(plugin(), kyb_context([]))
    version = result.data["list"]
    assert len(version["sha256"]) == 64
    assert version["date"] == "2026-11-02"  # the newest last_change in the file
    assert (version["key"], version["etag"], version["format"]) == (DEFAULT_KEY, "etag-1", "opensanctions")
    assert version["entries"] == len(generated_rows())


@pytest.mark.parametrize(
    "ubo",
    [
        # A namesake born twenty years later.
        {"first_name": "Viktor", "last_name": "Orlov", "date_of_birth": "1984-06-01"},
        # Same surname, another given name.
        {"first_name": "Natalia", "last_name": "Orlova", "date_of_birth": "1962-04-17"},
        # A close spelling that is another family.
        {"first_name": "Claire", "last_name": "Dupuis"},
        # An unlisted, common name.
        {"first_name": "Anna", "last_name": "Schmidt", "date_of_birth": "1990-03-03"},
    ],
)
def test_namesakes_and_close_names_are_not_flagged(ubo):
    result = run(plugin(), kyb_context([{**ubo, "ownership_percent": 50}]))
    assert result.status == "ok"
    assert result.flags == []
    assert result.data["alerts"] == 0


def test_the_business_and_its_directors_are_screened_too():
    context = kyb_context(
        [],
        directors=[{"first_name": "Claire", "last_name": "Dupont", "date_of_birth": "1958-11-20"}],
        name="Northwind Maritime Holdings Limited",
        registration_number="HE402117",
    )
    result = run(plugin(), context)
    flags = {(f.subject, f.code) for f in result.flags}
    assert flags == {("business", "sanctions_match"), ("business.directors[0]", "pep_match")}
    assert [p["subject"] for p in result.data["parties"]] == ["business", "business.directors[0]"]


def test_only_the_configured_parties_are_screened():
    context = kyb_context(
        [{"first_name": "Viktor", "last_name": "Orlov", "ownership_percent": 60}],
        directors=[{"first_name": "Claire", "last_name": "Dupont"}],
    )
    result = run(plugin(), context, parties=["subject", "directors"])
    assert [p["subject"] for p in result.data["parties"]] == ["business", "business.directors[0]"]
    assert {f.subject for f in result.flags} == {"business.directors[0]"}


def test_a_cleared_match_comes_back_suppressed_and_unflagged():
    context = kyc_context(first_name="Viktor", last_name="Orlov", date_of_birth="1962-04-17")
    clearances = InMemoryClearances({"user-9": {"L-ORLOV"}, "someone-else": {"L-ZHAO"}})
    result = run(plugin(clearances), context)
    assert result.flags == []
    [party] = result.data["parties"]
    assert party["party_key"] == "user-9"
    assert [(m["entry"]["id"], m["suppressed"]) for m in party["matches"]] == [("L-ORLOV", True)]
    assert (result.data["alerts"], result.data["suppressed"]) == (0, 1)
    assert clearances.asked == [["user-9"]]


def test_a_clearance_holds_for_that_list_entry_only():
    rows = generated_rows()
    twin = list(rows[0])
    twin[0] = "L-ORLOV-2"  # the same person listed a second time, by another programme
    source = {DEFAULT_KEY: write_targets_csv([*rows, twin])}
    result = run(
        plugin(InMemoryClearances({"user-9": {"L-ORLOV"}}), **source), kyc_context(full_name="Viktor Orlov")
    )
    assert [f.code for f in result.flags] == ["sanctions_match"]
    assert "L-ORLOV-2" in result.flags[0].message
    matches = {m["entry"]["id"]: m["suppressed"] for m in result.data["parties"][0]["matches"]}
    assert matches == {"L-ORLOV": True, "L-ORLOV-2": False}


def test_ubos_keep_their_clearance_key_when_reordered():
    orlov = {
        "first_name": "Viktor",
        "last_name": "Orlov",
        "date_of_birth": "1962-04-17",
        "ownership_percent": 30,
    }
    other = {"first_name": "Greta", "last_name": "Brandt", "ownership_percent": 30}
    first = run(plugin(), kyb_context([orlov, other]))
    second = run(plugin(), kyb_context([other, orlov]))
    keys_first = {p["name"]: p["party_key"] for p in first.data["parties"]}
    keys_second = {p["name"]: p["party_key"] for p in second.data["parties"]}
    assert keys_first == keys_second
    assert keys_first["Viktor Orlov"].startswith("biz-1/owner/")
    with_id = run(plugin(), kyb_context([{**orlov, "id": "p-77"}]))
    # The id its own KYC case gets (workflow_steps._open_owner_case): a clearance there holds here.
    assert with_id.data["parties"][1]["party_key"] == "biz-1/owner/p-77"


def test_a_tenants_own_list_is_used_when_one_is_stored():
    own = write_targets_csv(
        [["T-1", "Person", "Greta Brandt", "", "", "", "", "", "", "", "", "", "own", "", "", "", ""]]
    )
    tenant_key = "watchlists/tenants/acme/targets.simple.csv"
    p = plugin(**{tenant_key: own})
    config = {"tenant_watchlist_key": "watchlists/tenants/{tenant_id}/targets.simple.csv"}
    result = run(p, kyc_context(first_name="Greta", last_name="Brandt"), **config)
    assert result.data["list"]["key"] == tenant_key
    assert [m["entry"]["id"] for m in result.data["parties"][0]["matches"]] == ["T-1"]
    other_tenant = {**kyc_context(first_name="Greta", last_name="Brandt"), "tenant_id": "globex"}
    assert run(p, other_tenant, **config).data["list"]["key"] == DEFAULT_KEY


def test_nothing_to_screen_is_skipped():
    result = run(plugin(), kyb_context([]), parties=["ubos"])
    assert result.status == "skipped"
    assert result.data["reason"] == "no party with a name to screen"


def test_a_missing_list_fails_the_check_and_the_runner_flags_it():
    p = SanctionsPlugin(InMemoryWatchlists({}), InMemoryClearances())
    results = run_checks(
        kyc_context(full_name="Viktor Orlov"),
        [{"plugin": "sanctions"}],
        registry=PluginRegistry([p]),
        secrets=None,
        sleep=lambda _s: None,
    )
    result = results["sanctions"]
    assert result.status == "error"
    assert "no watchlist is stored at watchlists/default/targets.simple.csv" in result.error
    assert [f.code for f in result.flags] == ["check_failed"]


def test_without_a_watchlists_bucket_the_check_says_what_to_set():
    from arbiter.plugins.builtin import builtin_registry

    results = run_checks(
        kyc_context(full_name="Viktor Orlov"),
        [{"plugin": "sanctions"}],
        registry=builtin_registry(egress=None, invoker=None),
        secrets=None,
        sleep=lambda _s: None,
    )
    assert "WATCHLISTS_BUCKET" in results["sanctions"].error


def test_each_match_is_kept_small_enough_for_the_case_record():
    rows = generated_rows()
    for i in range(30):  # thirty entries under the same name
        rows.append([f"DUP-{i}", "Person", "Viktor Orlov", ";".join(f"Alias {j}" for j in range(20)), "", "", "",
                     "", "", "", "", "", "test_list", "", "", "", "sanction"])  # fmt: skip
    result = run(plugin(**{DEFAULT_KEY: write_targets_csv(rows)}), kyc_context(full_name="Viktor Orlov"))
    [party] = result.data["parties"]
    assert len(party["matches"]) == 5
    assert len(result.flags) == 5
    assert all(len(m["entry"]["names"]) <= 8 for m in party["matches"])


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"threshold": 0}, "plugins[0].config.threshold"),
        ({"parties": []}, "plugins[0].config.parties"),
        ({"parties": ["ubos", "ubos"]}, "plugins[0].config.parties"),
        ({"parties": ["shareholders"]}, "plugins[0].config.parties[0]"),
        ({"watchlist_key": "/abs/list.csv"}, "plugins[0].config.watchlist_key"),
        ({"watchlist_key": "lists/../secret.csv"}, "plugins[0].config.watchlist_key"),
        ({"watchlist_key": "lists/{tenant_id}.csv"}, "plugins[0].config.watchlist_key"),
        ({"tenant_watchlist_key": "watchlists/tenant.csv"}, "plugins[0].config.tenant_watchlist_key"),
        ({"tenant_watchlist_key": "watchlists/{tenant}/x.csv"}, "plugins[0].config.tenant_watchlist_key"),
        ({"format": "xlsx"}, "plugins[0].config.format"),
        ({"threshhold": 0.9}, "plugins[0].config.threshhold"),
    ],
)
def test_a_bad_config_is_refused_when_the_workflow_is_saved(config, path):
    from arbiter.plugins import InvalidPluginConfig

    with pytest.raises(InvalidPluginConfig) as excinfo:
        validate_configs([{"plugin": "sanctions", "config": config}], PluginRegistry([plugin()]))
    assert excinfo.value.path == path


def test_flag_codes_follow_the_listed_topics():
    assert flag_code(("sanction",)) == "sanctions_match"
    assert flag_code(("sanction.linked", "role.pep")) == "sanctions_match"
    assert flag_code(("role.pep",)) == "pep_match"
    assert flag_code(("role.rca",)) == "pep_match"
    assert flag_code(("crime",)) == "watchlist_match"
    assert flag_code(()) == "sanctions_match"  # a list without topics (OFAC's own file) is a sanctions list


def test_a_list_date_comes_from_the_object_when_the_file_has_none():
    rows = [[*r[:15], "", r[16]] for r in generated_rows()]  # no last_change anywhere
    loaded = LoadedWatchlist(
        load_watchlist(write_targets_csv(rows)),
        key="k",
        etag="e",
        last_modified=dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC),
    )
    assert loaded.version()["date"] == "2026-11-28"


def test_config_defaults_screen_every_party_at_080():
    config = SanctionsConfig()
    assert (config.threshold, config.parties, config.watchlist_key) == (
        0.8,
        ["subject", "ubos", "directors"],
        DEFAULT_KEY,
    )
    with pytest.raises(ValidationError):
        SanctionsConfig(max_matches_per_party=0)


# The two names observed to pass screening: an override showing "Zhao Minghui", and the name spelled out.
RLO_NAME = {"first_name": "\u202eoahZ", "last_name": "iuhgniM\u202c"}
SPACED_NAME = {"first_name": "Z h a o", "last_name": "M i n g h u i"}


@pytest.mark.parametrize(
    ("person", "read_as", "visible", "signs"),
    [
        (RLO_NAME, "invisible characters removed, display order", "<U+202E>oahZ iuhgniM<U+202C>",
         ["invisible_characters", "reordered"]),
        (SPACED_NAME, "letters joined", "Z h a o M i n g h u i", ["spelled_out"]),
        # Blocked through the reading with a space, met as well by the name stored without the filler (the list's
        # two words joined), which is the first reading.
        ({"first_name": "Zhao\u3164Minghui"}, "invisible characters removed", "Zhao<U+3164>Minghui",
         ["invisible_characters"]),
        ({"first_name": "Z\u200bh\u200ba\u200bo", "last_name": "Minghui"}, "invisible characters removed",
         "Z<U+200B>h<U+200B>a<U+200B>o Minghui", ["invisible_characters"]),
    ],
)  # fmt: skip
def test_a_name_that_hides_how_it_reads_is_matched_and_flagged(person, read_as, visible, signs):
    result = run(plugin(), kyc_context(**person))
    assert result.status == "ok"
    assert sorted(f.code for f in result.flags) == ["name_obfuscated", "sanctions_match"]
    obfuscated = next(f for f in result.flags if f.code == "name_obfuscated")
    assert (obfuscated.severity, obfuscated.subject) == ("critical", "individual")
    assert visible in obfuscated.message
    [party] = result.data["parties"]
    received_name = " ".join(v for v in (person.get("first_name"), person.get("last_name")) if v)
    assert party["name"] == received_name  # kept exactly as received
    [received] = party["received"]
    assert (received["name"], received["visible"], received["signs"]) == (received_name, visible, signs)
    [match] = party["matches"]
    assert match["entry"]["id"] == "L-ZHAO"
    explanation = match["explanation"]
    assert (explanation["received_name"], explanation["received_visible"]) == (received_name, visible)
    assert explanation["read_as"] == read_as
    assert sorted(explanation["query_name"].replace(" ", "").lower()) == sorted("zhaominghui")  # as read
    assert result.data["obfuscated_names"] == 1
    # No flag message carries a control character that would turn the back office's text around.
    assert all(ch not in f.message for f in result.flags for ch in "\u202e\u202c\u200b\u3164")


def test_an_obfuscated_name_is_flagged_even_when_nothing_matches():
    result = run(
        plugin(), kyc_context(first_name="\u202eannA", last_name="tdimhcS\u202c", date_of_birth="1990-03-03")
    )
    [flag] = result.flags
    assert (flag.code, flag.severity) == ("name_obfuscated", "critical")
    assert (
        "'<U+202E>annA tdimhcS<U+202C>' carries invisible characters (U+202E RIGHT-TO-LEFT OVERRIDE"
        in flag.message
    )
    assert "'Schmidt Anna' (invisible characters removed, display order)" in flag.message
    assert result.data["alerts"] == 0
    assert result.data["parties"][0]["matches"] == []


def test_owners_directors_and_the_business_are_checked_for_obfuscated_names():
    context = kyb_context(
        [{**SPACED_NAME, "ownership_percent": 60}, {"first_name": "Greta", "last_name": "Sommerfeld"}],
        directors=[{"full_name": "Anna\u200b Schmidt"}],
        name="North\u00adwind Maritime Holdings Ltd",
    )
    result = run(plugin(), context)
    flags = sorted((f.subject, f.code) for f in result.flags)
    assert flags == [
        ("business", "name_obfuscated"),
        ("business", "sanctions_match"),
        ("business.directors[0]", "name_obfuscated"),
        ("business.ubos[0]", "name_obfuscated"),
        ("business.ubos[0]", "sanctions_match"),
    ]
    parties = {p["subject"]: p for p in result.data["parties"]}
    assert "received" not in parties["business.ubos[1]"]  # an ordinary name: the record is as before
    assert result.data["obfuscated_names"] == 3


@pytest.mark.parametrize(
    "person",
    [
        {"first_name": "J. R. R.", "last_name": "Tolkien"},
        {"first_name": "A.", "last_name": "Darwish"},
        {"first_name": "Zhao", "last_name": "Minghui"},
    ],
)
def test_initials_and_plain_names_raise_no_obfuscation_flag(person):
    result = run(plugin(), kyc_context(**person))
    assert "name_obfuscated" not in [f.code for f in result.flags]
    assert "received" not in result.data["parties"][0]
    assert result.data["obfuscated_names"] == 0
    for match in result.data["parties"][0]["matches"]:
        assert "received_name" not in match["explanation"]


def test_the_plain_name_still_matches():
    result = run(plugin(), kyc_context(first_name="Zhao", last_name="Minghui"))
    assert [(f.code, f.subject) for f in result.flags] == [("sanctions_match", "individual")]
    assert result.data["parties"][0]["matches"][0]["explanation"]["query_name"] == "Zhao Minghui"


def test_a_persian_name_written_with_its_non_joiner_is_not_flagged():
    result = run(plugin(), kyc_context(first_name="علی", last_name="حسن\u200cزاده"))  # noqa: RUF001 - Persian
    assert result.flags == []
    [received] = result.data["parties"][0]["received"]  # shown, since it carries one, but not a sign
    assert (received["invisible"], received["signs"]) == (["U+200C ZERO WIDTH NON-JOINER"], [])
