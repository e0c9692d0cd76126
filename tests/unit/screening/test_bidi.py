"""A name as a reader sees it on screen: embeddings, overrides and isolates resolved as UAX #9 resolves them."""

from __future__ import annotations

import pytest

from arbiter.screening.bidi import as_displayed

RLO, LRO, RLE, LRE, PDF = "\u202e", "\u202d", "\u202b", "\u202a", "\u202c"
RLI, LRI, FSI, PDI = "\u2067", "\u2066", "\u2068", "\u2069"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (f"{RLO}oahZ iuhgniM{PDF}", "Minghui Zhao"),  # one override across both fields
        (f"{RLO}oahZ", "Zhao"),  # never closed: it runs to the end of the line
        (f"Zhao {RLO}iuhgniM{PDF}", "Zhao Minghui"),  # the surname only
        (f"{RLO}oahZ {RLO}iuhgniM", "Minghui Zhao"),  # nested: each field its own override
        (
            f"{RLO}{LRO}Zhao{PDF} iuhgniM{PDF}",
            "Minghui Zhao",
        ),  # a left-to-right override inside a right-to-left one
        (f"{FSI}{RLO}oahZ{PDI} Minghui", "Zhao Minghui"),  # an isolate ends the override inside it
        (f"Ahmed 12 {RLO}34 iuhgniM", "Ahmed 12 Minghui 43"),  # digits are reversed like letters
        (f"{RLO}e\u0301tla\u0301d{PDF}", "da\u0301lte\u0301"),  # accents stay on their letters
    ],
)
def test_an_override_shows_letters_in_another_order(stored: str, shown: str) -> None:
    assert as_displayed(stored) == shown


@pytest.mark.parametrize(
    "stored",
    [
        f"{RLE}Zhao Minghui{PDF}",  # an embedding does not turn left-to-right letters around
        f"{RLI}Zhao Minghui{PDI}",
        f"{LRI}Zhao{PDI} {LRE}Minghui{PDF}",
        "Zhao\u200e Minghui\u200f",  # marks move neutrals, not letters
    ],
)
def test_embeddings_isolates_and_marks_leave_latin_letters_in_order(stored: str) -> None:
    assert as_displayed(stored) == "Zhao Minghui"


def test_right_to_left_words_are_given_in_reading_order() -> None:
    # Displayed right to left, an Arabic name is still read "محمد" then "علي": only the words' screen order changes.
    assert as_displayed("محمد\u200f علي").split() == ["علي", "محمد"]
    # Forced left to right, "دمحم" is displayed as stored and read from the right: "محمد".
    assert as_displayed(f"{LRO}دمحم{PDF}") == "محمد"


def test_a_name_without_controls_is_shown_as_stored() -> None:
    assert as_displayed("Zhao Minghui") == "Zhao Minghui"
    assert as_displayed("") == ""
    assert as_displayed(f"{RLO}{PDF}") == ""


def test_deeper_than_the_algorithm_allows_is_ignored_not_an_error() -> None:
    # UAX #9 stops at 125 levels: the overflowing controls are ignored, the text is still displayed.
    assert as_displayed(RLO * 200 + "oahZ" + PDF * 200) == "Zhao"
