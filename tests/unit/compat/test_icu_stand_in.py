"""normality (under rigour) must transliterate through the project's `icu` stand-in, the same everywhere."""

import normality
import pytest
from rigour.text.translit import ascii_text

import icu


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张伟", "zhang wei"),  # Han: one syllable per character, spaced like ICU
        ("Владимир Путин", "Vladimir Putin"),  # Cyrillic
        ("Αλέξης Τσίπρας", "Alexis Tsipras"),  # Greek
        ("やまだ", "yamada"),  # Kana words stay joined
        ("Ḥusayn Çelik", "Husayn Celik"),  # accents dropped
        ("محمد", "mhmd"),  # Arabic abjad: consonants
    ],
)
def test_ascii_text_covers_the_scripts_watchlists_use(text, expected):
    assert normality.ascii_text(text) == expected


def test_latinize_keeps_latin_accents_and_converts_other_scripts():
    assert normality.latinize_text("Çelik 张伟") == "Çelik zhang wei"


def test_rigour_uses_the_same_transliteration():
    assert ascii_text("Шевченко 李") == "Shevchenko li"


def test_unknown_transform_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="unsupported transliterator"):
        icu.Transliterator.createInstance("Latin-Katakana")
