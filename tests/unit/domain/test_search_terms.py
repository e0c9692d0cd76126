"""A case's search terms: folded words, the whole name run together and identifiers, without the terms that start
another (they would find nothing the longer one does not)."""

from __future__ import annotations

from arbiter.domain.case import SYSTEM, Case
from arbiter.domain.entity import Entity
from arbiter.domain.search import LEGAL_FORMS, fold, search_terms
from tests.builders import business, individual


def opened(entity) -> Case:  # type: ignore[no-untyped-def]
    case, _ = Case.open(tenant_id="t", workflow_id="kyb", workflow_version=1, entity=entity, actor=SYSTEM)
    return case


def test_a_name_is_found_by_its_later_words_and_by_the_whole_name_run_together() -> None:
    case = opened(individual("e-1", first_name="Ada", last_name="Lovelace"))
    assert search_terms(case) == {"adalovelace", "lovelace"}


def test_a_business_keeps_its_words_that_start_no_other_term_and_are_no_legal_form() -> None:
    case = opened(business("e-2", name="Bench Trading 0 GmbH", registration_number="HRB 100000"))
    assert search_terms(case) == {"benchtrading0gmbh", "trading", "hrb100000"}


def test_a_legal_form_that_starts_a_business_s_name_still_finds_it_and_a_person_keeps_every_word() -> None:
    bank = search_terms(opened(business("e-4", name="PT Bank Mandiri Tbk", registration_number=None)))
    assert bank == {"ptbankmandiritbk", "bank", "mandiri", "tbk"}  # "PT Bank" runs together: "ptbank"
    person = search_terms(opened(individual("e-5", first_name="Ana", last_name="Sa Co")))
    assert person == {"anasaco", "sa", "co"}  # a person's words are kept, whatever they are


def test_every_prefix_finds_the_case_exactly_as_with_every_word_a_term() -> None:
    names = [
        "Ada Lovelace",
        "Ada Ada",
        "Müller Zahlungen GmbH",
        "Al Alba Albatross",
        "X Y",
        "Jean-Luc Picard",
    ]
    for name in names:
        case = opened(business("e-3", name=name))
        folded = fold(name)
        words = folded.split()
        every = {w for i, w in enumerate(words) if len(w) >= 2 and not (i and w in LEGAL_FORMS)}
        every |= {folded.replace(" ", "")}
        kept = search_terms(case) - {"hrb123456"}  # the builder's registration number
        assert kept <= every
        for word in every:
            for end in range(1, len(word) + 1):
                prefix = word[:end]
                found_by_every = any(t.startswith(prefix) for t in every)
                assert any(t.startswith(prefix) for t in kept) == found_by_every, (name, prefix)
        assert not any(a != b and b.startswith(a) for a in kept for b in kept), name


def test_a_case_with_nothing_to_search_by_has_no_terms() -> None:
    for fields in ({}, {"first_name": "A"}):  # no name at all, or one too short to be a term
        entity = Entity.model_validate({"type": "individual", "id": None, "individual": fields})
        assert search_terms(opened(entity)) == set()
