"""Names as received: invisible characters removed and shown, display order, spelled-out letters joined, and
initials, joiners and direction marks that are spelling left alone."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from arbiter.screening.received import AS_RECEIVED, read_name, show_invisible

# Every format character Python's Unicode database knows: bidi controls, zero-width space and joiners, word
# joiner, invisible operators, BOM, soft hyphen, Mongolian vowel separator, interlinear annotations, tags…
FORMAT_CHARACTERS = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
# Default-ignorable letters and marks that are not Cf, and the Braille blank: they show nothing or a blank too.
BLANKS = [
    "\u034f",
    "\u115f",
    "\u1160",
    "\u17b4",
    "\u180b",
    "\u2800",
    "\u3164",
    "\ufe0f",
    "\uffa0",
    "\U000e0100",
]


def texts(name) -> list[str]:
    return [r.text for r in name.readings]


def test_every_format_character_class_is_listed() -> None:
    codes = {f"{ord(c):04X}" for c in FORMAT_CHARACTERS}
    examples = {
        "202A",
        "202E",
        "2066",
        "2069",
        "200B",
        "200C",
        "200D",
        "200E",
        "2060",
        "FEFF",
        "00AD",
        "180E",
    }
    assert examples <= codes
    assert "E0041" in codes  # tag characters


@pytest.mark.parametrize("ch", FORMAT_CHARACTERS + BLANKS, ids=lambda c: f"U+{ord(c):04X}")
def test_an_invisible_character_is_removed_shown_and_flagged(ch: str) -> None:
    name = read_name(f"Zh{ch}ao Minghui")
    assert texts(name)[0] == "Zhao Minghui"  # what screening compares first: the name as stored, without it
    assert name.invisible == (f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}",)
    assert name.visible == f"Zh<U+{ord(ch):04X}>ao Minghui"
    assert "invisible_characters" in name.signs
    assert name.obfuscated
    assert name.received == f"Zh{ch}ao Minghui"


@pytest.mark.parametrize("ch", ["\u200b", "\u2060", "\u3164", "\u2800", "\ufeff"])
def test_an_invisible_character_between_words_is_also_read_as_a_space(ch: str) -> None:
    # "Zhao<ZWSP>Minghui" shows as one word or two blank-separated ones: both are screened.
    name = read_name(f"Zhao{ch}Minghui")
    assert texts(name) == ["ZhaoMinghui", "Zhao Minghui"]
    assert name.readings[1].read_as == "invisible characters read as spaces"


def test_a_right_to_left_override_is_read_as_stored_and_as_displayed() -> None:
    name = read_name("\u202eoahZ iuhgniM\u202c", ("\u202eoahZ", "iuhgniM\u202c"))
    assert texts(name)[:2] == ["oahZ iuhgniM", "Minghui Zhao"]
    assert name.readings[1].read_as == "invisible characters removed, display order"
    assert name.signs == ("invisible_characters", "reordered")
    assert name.invisible == ("U+202E RIGHT-TO-LEFT OVERRIDE", "U+202C POP DIRECTIONAL FORMATTING")
    assert name.visible == "<U+202E>oahZ iuhgniM<U+202C>"


def test_each_field_is_also_displayed_on_its_own() -> None:
    # A back office showing the fields apart shows "Zhao" and "Minghui": that reading is screened too.
    name = read_name("\u202eoahZ\u202c \u202eiuhgniM", ("\u202eoahZ\u202c", "\u202eiuhgniM"))
    assert "Zhao Minghui" in texts(name)


def test_an_embedding_around_latin_letters_reorders_nothing_but_is_still_flagged() -> None:
    name = read_name("\u202bZhao Minghui\u202c")
    assert texts(name) == ["Zhao Minghui"]
    assert name.signs == ("invisible_characters",)


@pytest.mark.parametrize(
    ("received", "parts", "joined"),
    [
        ("Z h a o M i n g h u i", ("Z h a o", "M i n g h u i"), "Zhao Minghui"),
        (
            "Z h a o M i n g h u i",
            (),
            "Zhao Minghui",
        ),  # one field: a capital after a small letter starts a word
        ("Z H A O M I N G H U I", ("Z H A O", "M I N G H U I"), "ZHAO MINGHUI"),  # capitals: the fields tell
        ("M.I.N.G.H.U.I Zhao", (), "MINGHUI Zhao"),
        ("M. I. N. G. H. U. I. Zhao", (), "MINGHUI Zhao"),
        ("Zhao M i n g h u i", ("Zhao", "M i n g h u i"), "Zhao Minghui"),
        ("A B C", (), "ABC"),  # a name of single letters only
    ],
)
def test_spelled_out_letters_are_joined_and_flagged(
    received: str, parts: tuple[str, ...], joined: str
) -> None:
    name = read_name(received, parts)
    assert texts(name) == [received, joined]  # the name as received is still screened: recall never drops
    assert name.readings[0].read_as == AS_RECEIVED
    assert name.readings[1].read_as == "letters joined"
    assert name.signs == ("spelled_out",)


@pytest.mark.parametrize(
    "received", ["A. Darwish", "G. Doe", "J. M. Smith", "John F. Kennedy", "Ortega y Gasset"]
)
def test_initials_are_left_as_they_are(received: str) -> None:
    name = read_name(received)
    assert texts(name) == [received]
    assert not name.obfuscated
    assert name.invisible == ()


@pytest.mark.parametrize("received", ["J. R. R. Tolkien", "J R R Tolkien", "A.B.C. Mensah"])
def test_three_initials_are_also_read_joined_but_not_flagged(received: str) -> None:
    # Three capitals could be initials or a short name spelled out: both are screened, and nothing is flagged.
    name = read_name(received)
    assert texts(name)[0] == received
    assert len(name.readings) == 2
    assert not name.obfuscated


@pytest.mark.parametrize(
    "received",
    [
        "حسن\u200cزاده",  # noqa: RUF001 - Persian: the non-joiner belongs to the spelling of the surname
        "श्री\u200dमती",  # Devanagari: the joiner shapes a conjunct
        "محمد\u200f علي",  # a right-to-left mark in an Arabic name moves no letter
        "王 小 明",  # Han characters spaced out are syllables, not letters spelled out
    ],
)
def test_characters_that_are_spelling_are_not_flagged(received: str) -> None:
    name = read_name(received)
    assert not name.obfuscated
    assert texts(name)[0] == received.replace("\u200c", "").replace("\u200d", "").replace("\u200f", "")


def test_a_joiner_between_latin_letters_is_flagged() -> None:
    assert read_name("Zh\u200cao Minghui").signs == ("invisible_characters",)


def test_an_ordinary_name_is_read_as_received_only() -> None:
    name = read_name("Zhao Minghui", ("Zhao", "Minghui"))
    assert [(r.text, r.read_as) for r in name.readings] == [("Zhao Minghui", AS_RECEIVED)]
    assert not name.obfuscated
    assert name.visible == "Zhao Minghui"
    assert name.to_dict()["readings"] == [{"name": "Zhao Minghui", "read_as": AS_RECEIVED}]


def test_parts_that_do_not_make_the_name_are_ignored() -> None:
    assert texts(read_name("Z h a o", ("Something", "Else"))) == ["Z h a o", "Zhao"]


def test_show_invisible_marks_each_invisible_character() -> None:
    assert show_invisible("\u202eoahZ\u200b\u202c") == "<U+202E>oahZ<U+200B><U+202C>"
    assert show_invisible("Zhao Minghui") == "Zhao Minghui"
    assert (
        show_invisible("Zhao\u00a0Minghui") == "Zhao\u00a0Minghui"
    )  # a no-break space is a space, not hidden


@pytest.mark.parametrize(
    "received", ["Ferrari S.p.A.", "Acme S.à r.l.", "Cooper Southern L.L.C.", "Baz s.r.o.", "Bar G.m.b.H."]
)
def test_a_legal_form_in_dotted_letters_is_no_sign_of_obfuscation(received: str) -> None:
    assert not read_name(received, organisation=True).obfuscated


@pytest.mark.parametrize("received", ["N o r t h w i n d Maritime Ltd", "A B C Ltd"])
def test_an_organisation_spelled_out_is_flagged(received: str) -> None:
    assert read_name(received, organisation=True).signs == ("spelled_out",)


def test_a_person_named_with_small_single_letters_is_flagged() -> None:
    # Initials are capitals: "S. p. A." is no person's initials.
    assert read_name("S. p. A. Rossi").signs == ("spelled_out",)
