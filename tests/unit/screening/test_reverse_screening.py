"""Ongoing screening in the other direction: the parties' names indexed, a list update's entries looked up in them, only
the parties an entry can be a match for screened. The hits must be exactly those of screening every party: checked on
a population generated as the screening bench generates its labelled queries (other spellings, native scripts,
reordered names, initials, honorifics, typos, other company forms, namesakes born years apart), as people, as
businesses and as their owners and directors, beside customers drawn at random."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pytest

from arbiter.domain.entity import Entity
from arbiter.domain.monitored import MonitoredEntity
from arbiter.screening import PersonQuery, Watchlist, load_watchlist
from arbiter.screening.parties import PARTY_KINDS, screened_parties
from arbiter.screening.reverse import index_party_names
from arbiter.services.ongoing_screening import REVERSE_FROM_PARTIES, choose_direction, reverse_screen

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "screening"))
from generate import labelled_set, make_spec, write_list

LIST_SEED = 20261206
CUSTOMER_SEED = 4242
AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
THRESHOLD = 0.80


def _person(names: list[str], birth: str | None, nationality: str | None) -> dict:
    found: dict = {"full_name": names[0]}
    if birth and len(birth) == 10:
        found["date_of_birth"] = birth
    if nationality:
        found["nationality"] = nationality
    return found


def _record(number: int, data: dict, enabled: bool = True) -> MonitoredEntity:
    entity = Entity.model_validate({"id": f"c-{number}", **data})
    record = MonitoredEntity.approved("acme", f"case-{number}", "kyc", entity, AT)
    return record if enabled else record.model_copy(update={"enabled": False})


def population(delta_entries: int, random_customers: int) -> list[MonitoredEntity]:
    """Customers naming the delta's entries in every way the bench knows, as people, businesses and owners, and
    customers drawn at random (a few namesakes of listed people among them)."""
    rng = random.Random(7)
    records: list[MonitoredEntity] = []
    owners: list[dict] = []
    for labelled in labelled_set(LIST_SEED, delta_entries, 12, set()):
        number = len(records)
        if labelled.schema == "Person":
            person = _person(labelled.names, labelled.birth_date, labelled.nationality)
            if rng.random() < 0.3:
                owners.append(person)  # named as a business's owner or director instead
                continue
            records.append(_record(number, {"type": "individual", "individual": person}))
        else:
            business = {"name": labelled.names[0], "country_of_incorporation": labelled.nationality or "CY"}
            records.append(_record(number, {"type": "business", "business": business}))
    for n in range(random_customers):
        spec = make_spec(CUSTOMER_SEED, n)
        number = len(records)
        country = (spec.countries or ["de"])[0].upper()
        if spec.culture == "org":
            business: dict = {"name": spec.caption(), "country_of_incorporation": country}
            # Owners and directors: the delta's people named in a business, else the customer's own.
            if owners:
                business["ubos"] = [{**owners.pop(), "ownership_percent": 40, "roles": ["ubo"]}]
            if owners:
                business["directors"] = [{**owners.pop(), "roles": ["director"]}]
            records.append(_record(number, {"type": "business", "business": business}))
        else:
            person = _person([spec.caption()], spec.birth_date or None, country)
            records.append(_record(number, {"type": "individual", "individual": person}))
    return records


@pytest.fixture(scope="module")
def delta(tmp_path_factory) -> Watchlist:
    path = tmp_path_factory.mktemp("delta") / "delta.csv"
    write_list(path, LIST_SEED, 400)
    return load_watchlist(path)


@pytest.fixture(scope="module")
def customers(delta: Watchlist) -> list[MonitoredEntity]:
    return population(len(delta), 1200)


def _hits(hits) -> list[tuple]:
    return sorted(
        (h.monitored.key, h.party.key, h.party.subject, h.match.entry.id, h.match.score, h.match.explanation)
        for h in hits
    )


@pytest.mark.parametrize("threshold", [THRESHOLD, 0.7])
def test_looking_the_delta_up_among_the_parties_raises_exactly_the_hits_of_screening_every_party(
    delta, customers, threshold
):
    forward = reverse_screen(customers, delta, threshold=threshold, direction="forward")
    reverse = reverse_screen(customers, delta, threshold=threshold, direction="reverse")
    assert _hits(reverse) == _hits(forward)
    # The population is worth the comparison: many hits, on people, businesses and their owners and directors,
    # met through native scripts as well as typos.
    assert len(forward) > 60
    subjects = {h.party.subject.split("[")[0] for h in forward}
    assert subjects >= {"individual", "business", "business.ubos", "business.directors"}
    assert any(not h.party.name.isascii() for h in forward)
    assert any(pair[3] == "fuzzy" for h in forward for pair in h.match.explanation.token_pairs)


def test_only_a_few_parties_are_screened_again(delta, customers):
    parties = [
        party.query
        for record in customers
        for party in screened_parties(record.subject, PARTY_KINDS, case_id=record.case_id)
    ]
    index = index_party_names(parties)
    candidates = index.parties_for(delta, threshold=THRESHOLD)
    hit_parties = {
        (h.monitored.key, h.party.key)
        for h in reverse_screen(customers, delta, threshold=THRESHOLD, direction="forward")
    }
    assert len(hit_parties) <= len(candidates) < len(parties) / 3


def test_an_empty_delta_raises_nothing_either_way(customers):
    empty = Watchlist.from_entries([])
    assert reverse_screen(customers, empty, threshold=THRESHOLD, direction="reverse") == []
    assert reverse_screen(customers, empty, threshold=THRESHOLD, direction="forward") == []


def test_customers_with_no_name_to_screen_are_left_out_and_the_others_screened(delta, customers):
    nameless = [
        _record(90_001, {"type": "individual", "individual": {"first_name": "?", "last_name": "!"}}),
        _record(90_002, {"type": "business", "business": {"name": "--"}}),
    ]
    mixed = nameless + customers[:300]
    reverse = reverse_screen(mixed, delta, threshold=THRESHOLD, direction="reverse")
    assert _hits(reverse) == _hits(reverse_screen(mixed, delta, threshold=THRESHOLD, direction="forward"))
    assert reverse
    assert not {h.monitored.key for h in reverse} & {"c-90001", "c-90002"}
    index = index_party_names([None, PersonQuery(names=("?!",)), PersonQuery(names=("Ada Lovelace",))])
    assert index.unscreenable == (0, 1)


def test_a_party_under_two_entities_is_one_hit_on_the_entity_that_is_the_party(delta, customers):
    hit = next(
        h for h in reverse_screen(customers, delta, threshold=THRESHOLD) if h.party.subject == "individual"
    )
    person = hit.monitored.subject.individual.model_dump(exclude_none=True)
    owner = {**person, "id": "p-1", "ownership_percent": 60, "roles": ["ubo"]}
    business = {"name": "Quiet Harbour Trading Ltd", "country_of_incorporation": "GB", "ubos": [owner]}
    kyb = MonitoredEntity.approved(
        "acme",
        "case-kyb",
        "kyb",
        Entity.model_validate({"type": "business", "id": "b-1", "business": business}),
        AT,
    )
    own = MonitoredEntity.approved(
        "acme",
        "case-own",
        "kyc",
        Entity.model_validate({"type": "individual", "id": "b-1/owner/p-1", "individual": person}),
        AT,
    )
    for order in ([kyb, own], [own, kyb]):
        for direction in ("forward", "reverse"):
            found = [
                h
                for h in reverse_screen(order, delta, threshold=THRESHOLD, direction=direction)
                if h.match.entry.id == hit.match.entry.id
            ]
            assert [(h.monitored.case_id, h.party.key) for h in found] == [("case-own", "b-1/owner/p-1")]


def test_monitoring_switched_off_is_skipped_either_way(delta, customers):
    hit = next(h for h in reverse_screen(customers, delta, threshold=THRESHOLD))
    off = hit.monitored.model_copy(update={"enabled": False})
    for direction in ("forward", "reverse"):
        assert reverse_screen([off], delta, threshold=THRESHOLD, direction=direction) == []


def test_the_direction_is_chosen_by_size():
    assert choose_direction(REVERSE_FROM_PARTIES - 1, 10) == "forward"  # few customers: screen them all
    assert choose_direction(100_000, 1_000) == "reverse"  # a list update against many customers
    assert choose_direction(100_000, 80_000) == "forward"  # a list's first version, a full re-screen
