"""Wade-Giles names rewritten in pinyin, and only those."""

from __future__ import annotations

import pytest

from arbiter.screening import ListEntry, PersonQuery, Watchlist, screen
from arbiter.screening.names import normalise_name
from arbiter.screening.wade_giles import looks_wade_giles, wade_giles_to_pinyin


@pytest.mark.parametrize(
    ("wade_giles", "pinyin"),
    [
        ("T'ang Chien-te", "tang jiande"),
        ("Tseng Wen-ch'iang", "zeng wenqiang"),
        ("Kao Lei-yü", "gao leiyu"),
        ("Chang Hsiao-ming", "zhang xiaoming"),
        ("Liang Pin-jung", "liang binrong"),
        ("Ts'ao Chih-ch'un", "cao zhichun"),
        ("Hsieh Hung-yung", "xie hongyong"),
        ("Mao Tse-tung", "mao zedong"),
        ("Ho Yü", "he yu"),
    ],
)
def test_wade_giles_names_become_pinyin(wade_giles: str, pinyin: str) -> None:
    assert looks_wade_giles(wade_giles)
    assert wade_giles_to_pinyin(wade_giles) == pinyin


@pytest.mark.parametrize(
    "name", ["Jean-Pierre Dupont", "Anne-Marie Li", "Zhang Xiaoming", "Li Na", "Li-Ann Smith", "Hong Kong"]
)
def test_other_names_are_left_alone(name: str) -> None:
    assert not looks_wade_giles(name)
    assert normalise_name(name).tokens == normalise_name(name.lower()).tokens


def test_a_wade_giles_query_finds_the_pinyin_listing() -> None:
    listed = Watchlist.from_entries(
        [
            ListEntry(id="T", schema="Person", caption="Tang Jiande", names=("Tang Jiande", "TANG, Jiande")),
            ListEntry(id="O", schema="Person", caption="Deng Chunde", names=("Deng Chunde",)),
        ]
    )
    matches = screen(PersonQuery(names=("T'ang Chien-te",)), listed)
    assert [m.entry.id for m in matches] == ["T"]
    assert (
        matches[0].explanation.query_name == "T'ang Chien-te"
    )  # the name as sent is what the reviewer reads


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("Huang Ching", "huang jing"),
        ("Chiang Hung", "jiang hong"),
        ("Tung Te", "dong te"),  # "te" is a pinyin syllable: left as written
        # Only the words pinyin cannot write are rewritten: "Chen" and "Kang" are pinyin syllables too.
        ("Chen Hung", "chen hong"),
        ("Yeh Kang", "ye kang"),
    ],
)
def test_unmarked_names_with_a_word_pinyin_cannot_write_are_rewritten(name: str, pinyin: str) -> None:
    assert looks_wade_giles(name)
    assert wade_giles_to_pinyin(name) == pinyin
