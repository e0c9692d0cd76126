"""Screening against a generated list: variants that must be found, near misses that must not be raised."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import InvalidInput
from arbiter.screening import OrganisationQuery, PersonQuery, Watchlist, screen
from tests.unit.screening.generated_lists import LISTED_PEOPLE


def raised(matches) -> list[str]:
    return [m.entry.id for m in matches if not m.suppressed]


@pytest.mark.parametrize(("entry_id", "native"), [(p[0], p[2]) for p in LISTED_PEOPLE if p[2]])
def test_native_script_finds_the_romanised_listing(watchlist: Watchlist, entry_id: str, native: str) -> None:
    assert entry_id in raised(screen(PersonQuery(names=(native,)), watchlist))


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("Putin, Vladimir", "P-PUTIN"),  # reordered, patronymic left out
        ("Wladimir Putin", "P-PUTIN"),  # German spelling
        ("Schewtschenko Taras", "P-SHEV"),  # German romanisation, reordered
        ("Muhammad ibn Salman Al Saud", "P-MBS"),  # another spelling of each part
        ("Hsiao-ming Wang", "P-WANG"),  # Wade-Giles, given name first
        ("Jonh Michael Smith", "P-SMITH"),  # one-letter typo
        ("Dr. Maria Fernanda Garcia Lopez", "P-GARCIA"),  # honorific
        ("J. M. Smith", "P-SMITH"),  # initials
    ],
)
def test_variants_of_a_listed_name_are_found(watchlist: Watchlist, query: str, entry_id: str) -> None:
    assert entry_id in raised(screen(PersonQuery(names=(query,)), watchlist))


def test_birth_date_separates_namesakes(watchlist: Watchlist) -> None:
    matches = screen(PersonQuery(names=("John Michael Smith",), birth_date="1966-02-14"), watchlist)
    assert raised(matches) == ["P-SMITH"]  # the namesake born in 1986 is not raised
    contribution = {c.feature: c for c in matches[0].explanation.contributions}["birth_date"]
    assert contribution.outcome == "agree"
    assert contribution.delta > 0


def test_a_namesake_born_years_apart_is_not_raised(watchlist: Watchlist) -> None:
    assert raised(screen(PersonQuery(names=("Vladimir Putin",), birth_date="1990-01-01"), watchlist)) == []


@pytest.mark.parametrize("query", ["Vladimir Petrenko", "Maria Novak", "Taras Bulba", "Ivan Putilov"])
def test_close_non_matches_are_not_raised(watchlist: Watchlist, query: str) -> None:
    assert raised(screen(PersonQuery(names=(query,), birth_date="1955-01-01"), watchlist)) == []


def test_country_disagreement_lowers_the_score(watchlist: Watchlist) -> None:
    same = screen(PersonQuery(names=("Wang Xiaoming",), nationality="CN"), watchlist)
    other = screen(PersonQuery(names=("Wang Xiaoming",), nationality="BR"), watchlist, threshold=0.5)
    assert same[0].score > other[0].score
    verdict = {c.feature: c.outcome for c in other[0].explanation.contributions}
    assert verdict["country"] == "disagree"


def test_explanation_says_which_names_and_tokens_met(watchlist: Watchlist) -> None:
    (match,) = screen(PersonQuery(names=("Поддубный Иван", "Путин Владимир")), watchlist)
    explanation = match.explanation
    assert explanation.query_name == "Путин Владимир"
    assert explanation.listed_name == "Vladimir Vladimirovich Putin"
    assert {(q, r) for q, r, _, _ in explanation.token_pairs} == {
        ("putin", "putin"),
        ("vladimir", "vladimir"),
    }
    assert explanation.unmatched_listed_tokens == ("vladimirovich",)
    assert match.to_dict()["entry"]["topics"] == ["sanction"]
    assert match.entry.datasets == ("eu_fsf", "us_ofac_sdn")


def test_cleared_entries_come_back_suppressed(watchlist: Watchlist) -> None:
    query = PersonQuery(names=("John Michael Smith",))
    matches = screen(query, watchlist, cleared={"P-SMITH2"})
    by_id = {m.entry.id: m.suppressed for m in matches}
    assert by_id == {"P-SMITH": False, "P-SMITH2": True}


def test_threshold_is_configurable(watchlist: Watchlist) -> None:
    query = PersonQuery(names=("V. Putin",))
    low = screen(query, watchlist, threshold=0.6)
    high = screen(query, watchlist, threshold=0.99)
    assert "P-PUTIN" in raised(low)
    assert high == []


@pytest.mark.parametrize(
    "name", ["ACME PETROLEUM TRADING LTD", "Acme Petroleum Trading LLC", "Acme Petroleum Trading"]
)
def test_company_suffix_changes_still_match(watchlist: Watchlist, name: str) -> None:
    assert raised(screen(OrganisationQuery(names=(name,)), watchlist)) == ["C-ACME"]


def test_organisations_are_not_screened_against_people(watchlist: Watchlist) -> None:
    assert screen(OrganisationQuery(names=("John Michael Smith",)), watchlist) == []


def test_registration_number_raises_the_score(watchlist: Watchlist) -> None:
    name = ("Romaschka Energie",)  # German spelling: the name alone scores below 1
    plain = screen(OrganisationQuery(names=name), watchlist, threshold=0.5)
    with_number = screen(
        OrganisationQuery(names=name, registration_number="1027 7001 32195"), watchlist, threshold=0.5
    )
    assert plain[0].score < 1.0
    assert with_number[0].score > plain[0].score
    verdict = {c.feature: c.outcome for c in with_number[0].explanation.contributions}
    assert verdict["registration_number"] == "agree"


def test_a_query_without_a_name_is_refused(watchlist: Watchlist) -> None:
    with pytest.raises(InvalidInput) as error:
        screen(PersonQuery(names=("  ", "-")), watchlist)
    assert error.value.path == "names"


def test_threshold_out_of_range_is_refused(watchlist: Watchlist) -> None:
    with pytest.raises(InvalidInput):
        screen(PersonQuery(names=("John Smith",)), watchlist, threshold=1.5)


def _list_of(*rows: tuple[str, str, str]) -> Watchlist:
    """A small list of people: (id, name, birth date)."""
    from arbiter.screening import ListEntry

    return Watchlist.from_entries(
        ListEntry(id=i, schema="Person", caption=n, names=(n,), birth_dates=(b,) if b else ())
        for i, n, b in rows
    )


def test_only_the_best_supported_entry_is_raised_among_namesakes() -> None:
    # One person per entry: the listing whose birth date agrees is the one; its namesakes are not raised.
    listed = _list_of(
        ("A", "Rachid Al Kahtani", "1964-09-01"),
        ("B", "Rashid Khaled Al-Qahtani", ""),
        ("C", "Rashid Al-Qahtani", "1999-03-04"),
    )
    query = PersonQuery(names=("Rashid Al-Qahtani",), birth_date="1964-09-01")
    assert raised(screen(query, listed)) == ["A"]
    everything = screen(query, listed, margin=None)
    assert raised(everything) == ["A", "B"]  # C is born 35 years later: under the threshold either way
    assert everything[0].score <= 1.0  # the evidence ranks, the reported score stays in [0, 1]


def test_namesakes_with_nothing_to_tell_them_apart_are_all_raised() -> None:
    listed = _list_of(("A", "Layla Issa", "1943-08-04"), ("B", "Layla Issa", ""), ("C", "Greta Brandt", ""))
    assert sorted(raised(screen(PersonQuery(names=("Layla Issa",)), listed))) == ["A", "B"]


def test_a_cleared_entry_does_not_hide_the_next_best() -> None:
    listed = _list_of(("A", "Viktor Orlov", "1962-04-17"), ("B", "Viktor Sergeyevich Orlov", ""))
    query = PersonQuery(names=("Viktor Orlov",), birth_date="1962-04-17")
    assert raised(screen(query, listed)) == ["A"]
    matches = screen(query, listed, cleared={"A"})
    assert [(m.entry.id, m.suppressed) for m in matches] == [("A", True), ("B", False)]


def test_another_listed_given_name_costs_more_than_a_patronymic() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    exact = compare_names(form("Rashid Al-Qahtani"), form("Rashid Al-Qahtani")).score
    other_given = compare_names(form("Rashid Al-Qahtani"), form("Rashid Khaled Al-Qahtani")).score
    patronymic = compare_names(form("Vladimir Putin"), form("Vladimir Vladimirovich Putin")).score
    assert exact == 1.0
    assert other_given < 0.92  # the joined "al"+"qahtani" must not inflate the aligned share
    assert patronymic >= 0.85


def test_the_namesake_born_when_the_query_says_is_scored_however_many_share_the_name() -> None:
    namesakes = [(f"N{i:03d}", "Eliza Doe", "") for i in range(120)]
    listed = _list_of(*namesakes, ("T", "Eliza Doe", "1982-08-28"), ("U", "Edward Doe", "1982-03-01"))
    query = PersonQuery(names=("E. Doe",), birth_date="1982-08-28")
    assert raised(screen(query, listed, candidates=10)) == ["T"]
    assert listed.rows_born_in((1981, 1982, 1983)).tolist() == [120, 121]


def test_an_initial_stands_for_a_long_given_name_as_well_as_a_short_one() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    short = compare_names(form("D. Wright"), form("Daniel Wright")).score
    long = compare_names(form("D. Wright"), form("Danielle Wright")).score
    assert short == long >= 0.85
    # The initial must still agree: another letter is another name.
    assert compare_names(form("D. Wright"), form("Kevin Wright")).score < short


def test_an_initial_finds_its_listing_among_many_of_the_same_surname() -> None:
    # 150 listed "… Doe" with common given names: the one whose given name starts with the initial is scored.
    others = [(f"N{i:03d}", f"{given} Doe", "") for i, given in enumerate(["Anna", "Jan", "Ewa"] * 50)]
    listed = _list_of(*others, ("T", "Grzegorz Doe", ""))
    assert raised(screen(PersonQuery(names=("G. Doe",)), listed, candidates=10)) == ["T"]


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Youssef Othman Cherif", "Yousef Osman Sharif"),  # French "ch" for shin, "th" or "s" for tha
        ("عثمان الخطيب", "Osman Al-Khatib"),  # tha written "s" in the listed romanisation
        ("حمزة الزهراني", "Hamza Al-Zahrani"),  # ta marbuta romanised "h" by ICU
        ("Tariq Al-Qahtani", "Tarik Al Kahtani"),  # qaf written "q" or "k"
    ],
)
def test_arabic_names_meet_across_romanisations(query: str, listed: str) -> None:
    entries = _list_of(("T", listed, ""), ("X", "Greta Brandt", ""))
    assert raised(screen(PersonQuery(names=(query,)), entries)) == ["T"]


def test_short_chinese_syllables_do_not_meet_by_their_metaphone() -> None:
    # "gao guang" and "guo qiang" share a metaphone but are different names; the exact listing ranks first.
    names = [(f"N{i:03d}", "Guo Qiang", "") for i in range(60)]
    listed = _list_of(*names, ("T", "Gao Guang", ""))
    assert raised(screen(PersonQuery(names=("高光",)), listed, candidates=10)) == ["T"]


def test_two_sound_metaphones_are_no_evidence() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    # "jian" and "jing" share the metaphone "JN": not the same syllable.
    pairs = compare_names(form("Tian Jian"), form("Tian Jing")).pairs
    assert [p.how for p in pairs if p.query == "jian"] != ["phonetic"]
    # A longer metaphone still carries a romanisation across ("Mokhammed" / "Mohammed").
    assert compare_names(form("Mokhammed Ali"), form("Mohammed Ali")).score >= 0.9


def test_pinyin_words_do_not_meet_by_their_metaphone() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form
    from arbiter.screening.wade_giles import is_pinyin

    assert is_pinyin("jinghai")
    assert is_pinyin("zheng")
    assert not is_pinyin("mohammed")
    for query, listed in (("Zeng Jinghai", "Zeng Jing"), ("Zhang Guo", "Zheng Guo")):
        assert compare_names(form(query), form(listed)).score < 0.8, (query, listed)


def test_a_leading_sheikh_is_a_title_but_a_lone_one_is_a_name() -> None:
    from arbiter.screening.names import normalise_name as form

    assert form("Sheikh Youssef Al Kubaysi").tokens == ("youssef", "al", "kubaysi")
    assert form("Sheikh Hasina").tokens == ("sheikh", "hasina")
    assert form("Ahmed Sheikh").tokens == ("ahmed", "sheikh")


def test_a_name_the_listing_lacks_costs_more_than_one_it_adds() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    # Asked with a given name the listing lacks: more often another person than a listing that left it out.
    assert compare_names(form("Majed Tariq Al Baghdadi"), form("Tariq Al-Baghdadi")).score < 0.8
    assert compare_names(form("Tariq Al Baghdadi"), form("Majed Tariq Al-Baghdadi")).score >= 0.8


def test_a_listing_in_another_spelling_is_scored_however_many_are_listed_as_asked() -> None:
    # Sixty "Majid Al Zahrani" listed as asked: the "Majed Al-Zahrani" born when the query says is still scored,
    # and its birth date makes it the one raised.
    namesakes = [(f"N{i:03d}", "Majid Al Zahrani", "") for i in range(60)]
    listed = _list_of(*namesakes, ("T", "Majed Al-Zahrani", "1957-10-07"))
    query = PersonQuery(names=("Majid Al Zahrani",), birth_date="1957-10-07")
    assert raised(screen(query, listed, candidates=10)) == ["T"]


def test_a_generic_word_left_in_a_company_name_costs_no_more_than_one_listed() -> None:
    from arbiter.screening import ListEntry

    listed = Watchlist.from_entries(
        [
            ListEntry(
                id="K",
                schema="Company",
                caption="Briggs Capital Sovereign Co., Ltd.",
                names=("Briggs Capital Sovereign Co., Ltd.",),
            )
        ]
    )
    assert raised(screen(OrganisationQuery(names=("Briggs Capital Sovereign Company Limited",)), listed)) == [
        "K"
    ]


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Saeed Maryam Al-Zahrani", "Said Mariam Al Zahrani"),  # ee / i
        ("Tung Kuang", "Dong Guang"),  # Wade-Giles read from "Tung": "Kuang" may be "Guang"
        ("Hanbiken Şaka", "Hanbiken Şama"),  # pinyin letter for letter, but not a Chinese name
        ("Guo Guuang", "Guo Guang"),  # a typo pinyin cannot write
    ],
)
def test_spellings_and_typos_that_are_not_another_chinese_name_still_meet(query: str, listed: str) -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    assert compare_names(form(query), form(listed)).score >= 0.85


def test_a_wade_giles_name_without_apostrophes_meets_either_consonant_and_nothing_else() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    assert compare_names(form("Kao Ching"), form("Gao Jing")).score >= 0.9
    assert compare_names(form("Jen Ching"), form("Ren Qing")).score >= 0.9  # ch'ing written without its mark
    assert compare_names(form("Jen Ching"), form("Ren Jin")).score < 0.5


def test_the_listing_in_the_order_asked_outranks_the_same_words_in_another_order() -> None:
    # In an Arabic name the second word is the father's: "Yusuf Mustafa" is Yusuf son of Mustafa.
    listed = _list_of(("A", "Mustafa Yousef Al Zahrani", ""), ("B", "Yusuf Mustafa Al-Zahrani", ""))
    assert raised(screen(PersonQuery(names=("Moustafa Yusuf Al-Zahrani",)), listed)) == ["A"]
    # A name turned around as lists write it ("SURNAME, Given") is no other order.
    assert raised(screen(PersonQuery(names=("Al-Zahrani, Mustafa Yousef",)), listed)) == ["A"]


def test_a_birth_date_agreeing_to_the_day_outranks_a_tighter_name_fit() -> None:
    listed = _list_of(
        ("T", "Maria Cecília Costela", "1947-12-07"), ("U", "Maysa Costela", ""), ("V", "Dom Costela", "")
    )
    query = PersonQuery(names=("M. Costela",), birth_date="1947-12-07")
    assert raised(screen(query, listed)) == ["T"]
    # Without a birth date, an initial fits every listed given name it starts alike, short or long.
    assert sorted(raised(screen(PersonQuery(names=("M. Costela",)), listed))) == ["U"]
    assert sorted(raised(screen(PersonQuery(names=("D. Costela",)), listed))) == ["V"]


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("حسن", "Hussein"),  # حسن (Hasan) writes no long vowel; "Hussein"'s "ei" is the ي of حسين
        ("حسين", "Hasan"),  # حسين writes a ي that "Hasan" has no vowel for
        ("سليمان", "Salman"),  # Sulayman and Salman share the skeleton "slmn"
        ("سلمان", "Sulayman"),
    ],
)
def test_arabic_script_long_vowels_keep_two_names_apart(query: str, listed: str) -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    assert compare_names(form(query), form(listed)).score == 0.0


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("حسين", "Husayn"),
        ("سليمان", "Sleiman"),
        ("مصطفى", "Moustafa"),  # French "ou" for a short u
        ("عائشة", "Ayesha"),
        ("يوسف", "Yusuf"),
        ("نور", "Noor"),
        ("سعيد", "Saeed"),
        ("عيسى", "Eisa"),
        ("الكبيسي", "Al Kubaysi"),
    ],
)
def test_arabic_script_meets_the_romanisations_that_write_its_long_vowels(query: str, listed: str) -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    assert compare_names(form(query), form(listed)).score >= 0.84


def test_a_word_that_is_one_letter_in_the_skeleton_does_not_vanish_into_a_joined_neighbour() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    # "Layla" is "l" in the skeleton: joined to "Sleiman" it would read as the article of "slmn".
    assert compare_names(form("سليمان التميمي"), form("Layla Sleiman Al Tamimi")).score < 0.8
    assert compare_names(form("سليمان التميمي"), form("Sleiman Al Tamimi")).score >= 0.85
    # A particle still joins ("عبد الرحمن" / "Abdelrahman").
    assert compare_names(form("عبد الرحمن"), form("Abdelrahman")).score >= 0.85


def test_a_typo_in_a_chinese_name_is_no_other_pinyin_name() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    # "Yng" is no pinyin: a typo, compared letter by letter, not folded into "Jing".
    assert compare_names(form("Zhu Yng"), form("Zhu Jing")).score < 0.8
    # "Yang" and "Jiang", "Zhu" and "Zhou" are two surnames, though the given name has a typo.
    assert compare_names(form("Yang Xiaoewn"), form("Jiang Xiaowen")).score < 0.8
    assert compare_names(form("Zhu Ysong"), form("Zhou Yong")).score < 0.8
    assert compare_names(form("Yang Xiaoewn"), form("Yang Xiaowen")).score >= 0.85


def test_the_arabic_article_is_one_particle_however_spelled() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    assert compare_names(form("Majid Khalid El Khatib"), form("Majid Khalid Al-Khatib")).score == 1.0


def test_romanisations_one_short_vowel_apart_rank_as_one_name() -> None:
    # "Ahmed" / "Ahmad" is one name spelled two ways: the listing with every word in the order asked ranks first,
    # whatever its spelling, over the same words in another order.
    listed = _list_of(("T", "Ahmad Walid Darwich", ""), ("U", "Waleed Ahmed Darwich", ""))
    assert raised(screen(PersonQuery(names=("Ahmed Waleed Darwish",)), listed)) == ["T"]
    # "Moraes" and "Morris", "Daniel" and "Daniela" are not.
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    def how(query: str, listed: str) -> str:
        return compare_names(form(query), form(listed)).pairs[0].how

    assert [how("Ahmed", "Ahmad"), how("Fatma", "Fatima")] == ["romanisation", "romanisation"]
    assert [how("Moraes", "Morris"), how("Daniel", "Daniela")] == ["phonetic", "fuzzy"]


def test_a_dotted_title_is_set_aside_but_a_chinese_surname_he_is_kept() -> None:
    from arbiter.screening.names import normalise_name as form

    assert form("H.E. Ma Lidong").tokens == ("ma", "lidong")
    assert form("Gen. Ivan Petrov").tokens == ("ivan", "petrov")
    assert form("He Lidong").tokens == ("he", "lidong")


def test_a_long_vowel_on_one_side_keeps_names_with_one_metaphone_apart() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    assert compare_names(form("Hussein Ali"), form("Hassan Ali")).score < 0.8
    assert compare_names(form("Christopher Fowler"), form("Christopher Fuller")).score < 0.8
    assert compare_names(form("Mohammed Ali"), form("Muhammad Ali")).score >= 0.9


def test_a_surname_met_among_the_listed_given_names_is_no_match() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    # The listing's own surname is left over: another family.
    assert compare_names(form("Dawn Ryan"), form("Dawn Ryan Wood")).score < 0.8
    assert compare_names(form("Isaac Richard"), form("Richard Isaac Dufour")).score < 0.8
    # A given name the query leaves out, or a patronymic, is not a surname.
    assert compare_names(form("Anne Dufour"), form("Paulette Anne Dufour")).score >= 0.8
    assert compare_names(form("Vladimir Putin"), form("Vladimir Vladimirovich Putin")).score >= 0.85


def test_a_short_given_name_the_listing_lacks_weighs_as_much_as_an_initial() -> None:
    from arbiter.screening.compare import compare_names
    from arbiter.screening.names import normalise_name as form

    assert compare_names(form("Aly Tarek Al-Ansari"), form("Tarek Al-Ansari")).score < 0.8
    assert compare_names(form("Aly Tarek Al-Ansari"), form("Ali Tariq El Ansari")).score >= 0.85


def test_a_name_the_list_holds_is_no_typo_of_another_listed_name() -> None:
    # "Roberto" is listed as a name of its own: the query's "Roberto Rodriguez" is not a typo of the listed
    # "Robert Rodriguez"; "Robrto", which no listing holds, is.
    listed = _list_of(
        ("T", "Robert Rodriguez", ""), ("U", "Roberto Alvarez", ""), ("V", "Roberto Mendes", "")
    )
    assert raised(screen(PersonQuery(names=("Roberto Rodriguez",)), listed)) == []
    assert raised(screen(PersonQuery(names=("Robrto Rodriguez",)), listed)) == ["T"]
    # A spelling of the same name still meets it: silent h, doubled letters, an opening vowel.
    listed = _list_of(
        ("S", "Sarah Salim", ""), ("A", "Sara Haddad", ""), ("B", "Sara Khoury", ""),
        ("I", "Ibrahim Abbas", ""), ("E", "Ebrahim Nasser", ""), ("F", "Ebrahim Haddad", ""),
    )  # fmt: skip
    assert raised(screen(PersonQuery(names=("Sara Salim",)), listed)) == ["S"]
    assert raised(screen(PersonQuery(names=("Ebrahim Abas",)), listed)) == ["I"]


def test_a_wade_giles_name_ranks_its_reading_as_written_before_the_other_consonant() -> None:
    # "Cheng Chün" reads zheng jun (ch unaspirated); cheng, had its apostrophe been dropped. Both are scored,
    # the reading as written ranks first; "Chao" is zhao or chao, never cao ("Ts'ao").
    listed = _list_of(("T", "Zheng Jun", ""), ("U", "Cheng Jun", ""), ("V", "Cao Leixiao", ""))
    assert raised(screen(PersonQuery(names=("Cheng Chün",)), listed)) == ["T"]
    assert raised(screen(PersonQuery(names=("Cheng Chün",)), listed, margin=None)) == ["T", "U"]
    assert raised(screen(PersonQuery(names=("Chao Lei-hsiao",)), listed)) == []


@pytest.mark.parametrize(
    ("query", "parts", "read_as"),
    [
        ("\u202egnimoaiX gnaW\u202c", (), "invisible characters removed, display order"),
        ("W a n g X i a o m i n g", ("W a n g", "X i a o m i n g"), "letters joined"),
        ("Petr\u200bol\u00adeum Acme Trading Ltd", (), "invisible characters removed"),
    ],
)
def test_a_name_that_hides_how_it_reads_is_screened_as_a_reader_reads_it(
    watchlist: Watchlist, query: str, parts: tuple[str, ...], read_as: str
) -> None:
    organisation = "Ltd" in query
    screened = (
        OrganisationQuery(names=(query,)) if organisation else PersonQuery(names=(query,), name_parts=parts)
    )
    matches = screen(screened, watchlist)
    assert raised(matches) == (["C-ACME"] if organisation else ["P-WANG"])
    explanation = matches[0].explanation
    assert explanation.received_name == query  # exactly as received, invisible characters and all
    assert explanation.read_as == read_as
    record = explanation.to_dict()
    assert record["received_visible"] == "".join(
        f"<U+{ord(c):04X}>" if c in "\u202e\u202c\u200b\u00ad" else c for c in query
    )
    assert record["query_name"] != query  # the reading that met the listed name


def test_an_ordinary_name_is_explained_as_before(watchlist: Watchlist) -> None:
    [match] = screen(PersonQuery(names=("Wang Xiaoming",), name_parts=("Wang", "Xiaoming")), watchlist)
    record = match.explanation.to_dict()
    assert record["query_name"] == "Wang Xiaoming"
    assert not {"received_name", "received_visible", "read_as"} & set(record)


def test_the_name_as_stored_is_screened_too(watchlist: Watchlist) -> None:
    # Displayed "gnaW", stored "Wang": what was stored is screened as well as what is shown.
    matches = screen(PersonQuery(names=("\u202dWang Xiaoming\u202c",)), watchlist)
    assert raised(matches) == ["P-WANG"]
    assert matches[0].explanation.read_as == "invisible characters removed"
