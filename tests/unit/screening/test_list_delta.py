"""A list's delta: the entries new or changed since the fingerprints of the version matched before, and those
removed; the delta as a list of its own, screened like any other."""

from __future__ import annotations

from arbiter.screening import PersonQuery, load_watchlist, screen
from arbiter.screening.delta import entry_fingerprint, fingerprints, list_delta
from tests.unit.screening.generated_lists import write_targets_csv


def row(entry_id: str, name: str, born: str = "", aliases: str = "", topics: str = "sanction") -> list[str]:
    return [entry_id, "Person", name, aliases, born, "ru", "", "", "", "", "", "", "test", "", "", "", topics]


BEFORE = [
    row("P-1", "Viktor Sergeyevich Orlov", "1962-04-17"),
    row("P-2", "Leila Nasser Haddad", "1971-01-01", topics="role.pep"),
    row("P-3", "Zhao Minghui", "1980-05-05"),
]


def test_new_changed_and_removed_entries_are_told_apart_and_the_unchanged_ones_left_out():
    previous = fingerprints(load_watchlist(write_targets_csv(BEFORE)))
    after = [
        BEFORE[0],  # unchanged
        row(
            "P-2", "Leila Nasser Haddad", "1971-01-01", aliases="Layla Haddad", topics="role.pep"
        ),  # an alias
        row("P-4", "Marta Ivanovna Kovaleva", "1990-09-09"),  # new
    ]  # P-3 removed
    delta = list_delta(previous, load_watchlist(write_targets_csv(after)))

    assert delta.new == {"P-4"}
    assert delta.changed == {"P-2"}
    assert delta.removed == ("P-3",)
    assert delta.size == 2
    assert delta.change_of("P-4") == "new"
    assert delta.change_of("P-2") == "changed"
    assert set(delta.fingerprints) == {"P-1", "P-2", "P-4"}
    assert delta.fingerprints["P-1"] == previous["P-1"]


def test_a_topic_or_a_birth_date_changing_changes_the_fingerprint_and_nothing_else_does():
    listed = load_watchlist(write_targets_csv(BEFORE)).entry(0)
    again = load_watchlist(write_targets_csv(BEFORE)).entry(0)
    redated = load_watchlist(write_targets_csv([row("P-1", "Viktor Sergeyevich Orlov", "1962-04-18")])).entry(
        0
    )
    assert entry_fingerprint(listed) == entry_fingerprint(again)
    assert entry_fingerprint(listed) != entry_fingerprint(redated)


def test_without_earlier_fingerprints_every_entry_is_new_and_the_list_is_its_own_delta():
    watchlist = load_watchlist(write_targets_csv(BEFORE))
    delta = list_delta({}, watchlist)
    assert delta.watchlist(watchlist) is watchlist
    assert delta.new == {"P-1", "P-2", "P-3"}
    assert not delta.changed
    assert delta.removed == ()


def test_the_same_version_again_has_an_empty_delta():
    watchlist = load_watchlist(write_targets_csv(BEFORE))
    delta = list_delta(fingerprints(watchlist), watchlist)
    assert delta.size == 0
    assert delta.removed == ()


def test_the_delta_is_a_list_of_its_own_entries_only_screened_as_any_list():
    previous = fingerprints(load_watchlist(write_targets_csv(BEFORE)))
    source = load_watchlist(write_targets_csv([*BEFORE, row("P-4", "Marta Kovaleva")]))
    delta = list_delta(previous, source)
    against = delta.watchlist(source)

    assert len(against) == 1
    assert against.version.sha256 == source.version.sha256
    found = screen(PersonQuery(names=("Marta Kovaleva",)), against)
    assert [m.entry.id for m in found] == ["P-4"]
    # An entry that did not change is not in it: its customers were screened against it already.
    assert screen(PersonQuery(names=("Viktor Orlov",), birth_date="1962-04-17"), against) == []
