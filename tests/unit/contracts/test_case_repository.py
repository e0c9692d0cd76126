"""The case store's contract (`arbiter.services.ports.CaseRepository`): the fake and DynamoDB give the same answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from arbiter.domain.case import SYSTEM, Actor, Assignee, Case, CaseState, Change, RiskAssessment
from arbiter.domain.entity import Entity
from arbiter.domain.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from arbiter.services.ports import CaseQuery, CaseRepository
from tests.builders import business, individual
from tests.unit.contracts.backends import BACKENDS, Backend, dynamodb_backend, memory_backend

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
REVIEWER = Actor(type="reviewer", id="r-1", email="r-1@example.com")


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def open_case(
    cases: CaseRepository,
    tenant_id: str,
    entity: Entity | None = None,
    *,
    minute: float = 0,
    workflow: str = "kyc",
    collecting: bool = False,
    **fields: Any,
) -> Case:
    case, change = Case.open(
        tenant_id=tenant_id,
        workflow_id=workflow,
        workflow_version=1,
        entity=entity or individual("e-1"),
        actor=SYSTEM,
        collecting=collecting,
        at=at(minute),
        **fields,
    )
    cases.add(case, change)
    return case


def change(cases: CaseRepository, case: Case, make: Any) -> Case:
    """Read the case, apply one transition (`make(case) -> Change`), save it at the version read."""
    current = cases.get(case.tenant_id, case.id)
    expected = current.version
    cases.save(current, make(current), expected_version=expected)
    return current


def ids(found: list[Case]) -> list[str]:
    return [c.id for c in found]


# ---------------------------------------------------------------------------------------------- writes


def test_a_new_case_is_stored_at_version_1_with_its_audit_and_events(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    assert case.version == 1
    stored = cases.get(backend.tenant_id, case.id)
    assert (stored.version, stored.state, stored.entity.id) == (1, CaseState.PROCESSING, "e-1")
    detail = cases.detail(backend.tenant_id, case.id)
    assert [e.action for e in detail.audit] == ["case.created"]
    assert len(backend.written(backend.tenant_id, case.id).events) == 1


def test_adding_a_case_whose_id_exists_is_a_conflict_and_keeps_the_first(
    cases: CaseRepository, backend: Backend
) -> None:
    first = open_case(cases, backend.tenant_id, individual("e-first"))
    again, created = Case.open(
        tenant_id=backend.tenant_id,
        workflow_id="kyb",
        workflow_version=1,
        entity=individual("e-second"),
        actor=SYSTEM,
        case_id=first.id,
    )
    with pytest.raises(Conflict):
        cases.add(again, created)
    assert cases.get(backend.tenant_id, first.id).entity.id == "e-first"
    assert [e.action for e in cases.detail(backend.tenant_id, first.id).audit] == ["case.created"]


def test_a_save_moves_the_version_and_writes_the_changes_audit_events_and_continuations(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    changes: list[Change] = []

    def keep(made: Change) -> Change:
        changes.append(made)
        return made

    in_review = change(cases, case, lambda c: keep(c.await_review("review-token", at=at(1))))
    assert in_review.version == 2
    decided = change(cases, case, lambda c: keep(c.decide("approved", actor=REVIEWER, reason="ok", at=at(2))))
    assert decided.version == 3
    stored = cases.get(backend.tenant_id, case.id)
    assert (stored.version, stored.state, stored.task_tokens) == (3, CaseState.APPROVED, {})
    assert [e.action for e in cases.detail(backend.tenant_id, case.id).audit] == [
        "case.created",
        "review.requested",
        "case.decided",
    ]
    written = backend.written(backend.tenant_id, case.id)
    assert set(written.events) > {e.id for c in changes for e in c.events}
    assert len(written.events) == 1 + sum(len(c.events) for c in changes)
    # the decision resumes the review step: one continuation, written with it
    assert written.continuations == [c.id for c in changes[1].continuations]
    assert len(written.continuations) == 1


def test_a_proposal_is_stored_found_by_its_filter_and_its_confirmation_resumes_the_review_step_once(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    other = open_case(cases, backend.tenant_id, individual("e-2"), minute=1)
    for each in (case, other):
        change(cases, each, lambda c: c.await_review("review-token", at=at(2)))
    second = Actor(type="reviewer", id="r-2", email="r-2@example.com")
    proposed = change(
        cases,
        case,
        lambda c: c.propose(
            "approve",
            actor=REVIEWER,
            reason="a namesake",
            requires=["critical_flags"],
            role="reviewer",
            at=at(3),
        ),
    )
    stored = cases.get(backend.tenant_id, case.id)
    assert (stored.state, stored.proposal, stored.version) == (CaseState.MANUAL_REVIEW, proposed.proposal, 3)
    assert stored.task_tokens == {"review": "review-token"}  # nothing resumed yet
    query = CaseQuery(
        tenant_id=backend.tenant_id, states=(CaseState.MANUAL_REVIEW,), pending_second_review=True
    )
    assert ids(cases.query(query).items) == [case.id]
    others = CaseQuery(
        tenant_id=backend.tenant_id, states=(CaseState.MANUAL_REVIEW,), pending_second_review=False
    )
    assert ids(cases.query(others).items) == [other.id]
    assert cases.pending_second_review(backend.tenant_id) == 1
    # Sent back and proposed again: counted once.
    change(cases, case, lambda c: c.return_proposal(second, "look again", at=at(3.5)))
    assert cases.pending_second_review(backend.tenant_id) == 0
    change(
        cases,
        case,
        lambda c: c.propose(
            "approve",
            actor=REVIEWER,
            reason="a namesake",
            requires=["critical_flags"],
            role="reviewer",
            at=at(3.7),
        ),
    )
    assert cases.pending_second_review(backend.tenant_id) == 1

    confirm = change(cases, case, lambda c: c.confirm_proposal(second, at=at(4)))
    stored = cases.get(backend.tenant_id, case.id)
    assert (stored.state, stored.proposal) == (CaseState.APPROVED, None)
    assert stored.decision is not None
    assert stored.decision.confirmed_by is not None
    assert (stored.decision.actor.id, stored.decision.confirmed_by.id) == ("r-1", "r-2")
    actions = [e.action for e in cases.detail(backend.tenant_id, case.id).audit]
    assert actions[-5:-2] == ["decision.proposed", "decision.returned", "decision.proposed"]
    assert sorted(actions[-2:]) == ["case.decided", "decision.confirmed"]  # one write, one time
    assert confirm.version == 6
    assert ids(cases.query(query).items) == []
    assert cases.pending_second_review(backend.tenant_id) == 0
    written = backend.written(backend.tenant_id, case.id)
    assert len(written.continuations) == 1  # the confirmation resumes the review step, once


def test_every_event_of_a_change_is_written_whether_or_not_it_has_an_audit_entry_to_ride_on(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    before = backend.written(backend.tenant_id, case.id).events
    current = cases.get(backend.tenant_id, case.id)
    made = current.await_review("review-token", at=at(1))
    # more events than audit entries: the same events again under new ids
    made += Change(events=[e.model_copy(update={"id": f"{e.id}-{n}"}) for n in (1, 2) for e in made.events])
    assert len(made.events) > len(made.audit) > 0
    cases.save(current, made, expected_version=1)
    written = backend.written(backend.tenant_id, case.id)
    assert sorted(written.events) == sorted([*before, *(e.id for e in made.events)])


def test_a_renamed_case_is_found_by_its_new_name_only(cases: CaseRepository, backend: Backend) -> None:
    case = open_case(cases, backend.tenant_id, individual("e-1", first_name="Ada", last_name="Lovelace"))
    current = cases.get(backend.tenant_id, case.id)
    current.entity = individual("e-1", first_name="Grace", last_name="Hopper")
    cases.save(current, Change(), expected_version=1)
    assert cases.query(CaseQuery(tenant_id=backend.tenant_id, search="lovelace")).items == []
    found = cases.query(CaseQuery(tenant_id=backend.tenant_id, search="hopper")).items
    assert [c.id for c in found] == [case.id]


def test_a_save_at_a_stale_version_is_a_concurrent_update_and_writes_nothing(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    first, second = cases.get(backend.tenant_id, case.id), cases.get(backend.tenant_id, case.id)
    cases.save(first, first.await_review("token-1", at=at(1)), expected_version=1)
    before = backend.written(backend.tenant_id, case.id)
    lost = second.fail("States.Timeout", at=at(1))
    lost += second.start_workflow()
    with pytest.raises(ConcurrentUpdate):
        cases.save(second, lost, expected_version=1)
    assert second.version == 1  # the loser's object is left at the version it read
    stored = cases.get(backend.tenant_id, case.id)
    assert (stored.version, stored.state) == (2, CaseState.MANUAL_REVIEW)
    assert [e.action for e in cases.detail(backend.tenant_id, case.id).audit] == [
        "case.created",
        "review.requested",
    ]
    assert backend.written(backend.tenant_id, case.id) == before


def test_saving_a_case_that_was_never_stored_is_a_concurrent_update(
    cases: CaseRepository, backend: Backend
) -> None:
    case, _ = Case.open(
        tenant_id=backend.tenant_id, workflow_id="kyc", workflow_version=1, entity=individual(), actor=SYSTEM
    )
    with pytest.raises(ConcurrentUpdate):
        cases.save(case, case.fail("lost", at=at(1)), expected_version=1)
    with pytest.raises(NotFound):
        cases.get(backend.tenant_id, case.id)


def test_the_audit_trail_is_append_only_an_entry_stored_twice_refuses_the_whole_change(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    current = cases.get(backend.tenant_id, case.id)
    note = current.record_note("called the applicant", REVIEWER, at=at(1))
    cases.save(current, note, expected_version=1)
    again = cases.get(backend.tenant_id, case.id)
    replayed = Change(audit=note.audit, events=again.await_review("t", at=at(2)).events)
    with pytest.raises(Conflict):
        cases.save(again, replayed, expected_version=2)
    stored = cases.get(backend.tenant_id, case.id)
    assert (stored.version, stored.state) == (2, CaseState.PROCESSING)
    audit = cases.detail(backend.tenant_id, case.id).audit
    assert [e.action for e in audit] == ["case.created", "note.added"]
    # the case's creation and the note's
    assert len(backend.written(backend.tenant_id, case.id).events) == 2


def test_a_case_of_another_tenant_is_not_found_and_not_listed(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    other = backend.other_tenant()
    with pytest.raises(NotFound):
        cases.get(other, case.id)
    with pytest.raises(NotFound):
        cases.detail(other, case.id)
    assert cases.find_by_ids(other, [case.id]) == []
    assert cases.query(CaseQuery(tenant_id=other)).items == []
    assert cases.query(CaseQuery(tenant_id=other, search=case.id)).items == []
    assert sum(cases.counts(other).values()) == 0


def test_the_detail_holds_the_audit_in_time_order_the_checks_and_the_children(
    cases: CaseRepository, backend: Backend
) -> None:
    parent = open_case(cases, backend.tenant_id, business("b-1"), workflow="kyb")
    owners = [open_case(cases, backend.tenant_id, individual(f"o-{i}"), minute=i + 1) for i in range(2)]

    def adopt(case: Case) -> Change:
        case.child_case_ids = [owners[1].id, owners[0].id]
        return case.record_note("owners opened", SYSTEM, at=at(5))

    change(cases, parent, adopt)
    change(cases, parent, lambda c: c.record_note("earlier note, later saved", REVIEWER, at=at(4)))
    cases.save_checks(backend.tenant_id, parent.id, {"registry": {"status": "ok", "data": {"n": 1}}})
    detail = cases.detail(backend.tenant_id, parent.id)
    assert detail.case.id == parent.id
    assert [(e.action, e.at) for e in detail.audit] == [
        ("case.created", at(0)),
        ("note.added", at(4)),
        ("note.added", at(5)),
    ]
    assert detail.checks == {"registry": {"status": "ok", "data": {"n": 1}}}
    assert ids(detail.children) == [owners[1].id, owners[0].id]
    with pytest.raises(NotFound):
        cases.detail(backend.tenant_id, "case_missing")


def test_saving_checks_replaces_a_checks_previous_result_and_keeps_the_others(
    cases: CaseRepository, backend: Backend
) -> None:
    case = open_case(cases, backend.tenant_id)
    cases.save_checks(
        backend.tenant_id, case.id, {"sanctions": {"status": "error"}, "registry": {"status": "ok"}}
    )
    cases.save_checks(backend.tenant_id, case.id, {"sanctions": {"status": "ok", "flags": ["pep"]}})
    assert cases.detail(backend.tenant_id, case.id).checks == {
        "sanctions": {"status": "ok", "flags": ["pep"]},
        "registry": {"status": "ok"},
    }
    many = {f"check_{i}": {"status": "ok", "data": {"i": i}} for i in range(30)}  # more than one batch
    cases.save_checks(backend.tenant_id, case.id, many)
    assert len(cases.detail(backend.tenant_id, case.id).checks) == 32


def test_a_checks_newest_result_wins_however_each_was_written_and_replace_keeps_no_earlier_one(
    cases: CaseRepository, backend: Backend
) -> None:
    """Results written together (one packed item in DynamoDB) and alone (one item each) replace each other, newest
    first; erasure's `replace` leaves only what it wrote."""
    case = open_case(cases, backend.tenant_id)
    t = backend.tenant_id
    cases.save_checks(
        t, case.id, {"sanctions": {"status": "ok", "data": {"name": "Ada"}}, "contact": {"status": "ok"}}
    )
    cases.save_checks(t, case.id, {"sanctions": {"status": "error", "error": "timeout"}})  # run again alone
    assert cases.detail(t, case.id).checks == {
        "contact": {"status": "ok"},
        "sanctions": {"status": "error", "error": "timeout"},
    }
    cases.save_checks(
        t, case.id, {"sanctions": {"status": "ok"}, "contact": {"status": "error"}}
    )  # both again
    assert cases.detail(t, case.id).checks == {"contact": {"status": "error"}, "sanctions": {"status": "ok"}}
    cases.save_checks(t, case.id, {"sanctions": {"status": "ok", "erased": True}}, replace=True)
    assert cases.detail(t, case.id).checks == {"sanctions": {"status": "ok", "erased": True}}


def test_find_by_ids_answers_in_the_order_asked_once_each_without_the_missing(
    cases: CaseRepository, backend: Backend
) -> None:
    a, b, c = (open_case(cases, backend.tenant_id, individual(f"e-{i}"), minute=i) for i in range(3))
    assert ids(cases.find_by_ids(backend.tenant_id, [c.id, "case_missing", a.id, c.id, b.id])) == [
        c.id,
        a.id,
        b.id,
    ]
    assert cases.find_by_ids(backend.tenant_id, []) == []
    assert cases.find_by_ids(backend.tenant_id, [a.id])[0].version == 1


def test_the_counts_follow_every_change_of_state(cases: CaseRepository, backend: Backend) -> None:
    first = open_case(cases, backend.tenant_id)
    second = open_case(cases, backend.tenant_id, collecting=True, minute=1)
    open_case(cases, backend.tenant_id, minute=2)
    change(cases, first, lambda c: c.await_review("t", at=at(3)))
    change(cases, first, lambda c: c.decide("rejected", actor=REVIEWER, reason="fraud", at=at(4)))
    change(cases, second, lambda c: c.submit(SYSTEM, at=at(5)))
    change(cases, second, lambda c: c.record_note("no change of state", REVIEWER, at=at(6)))
    counts = cases.counts(backend.tenant_id)
    assert set(counts) == {s.value for s in CaseState}
    assert {s: n for s, n in counts.items() if n} == {"processing": 2, "rejected": 1}


# ---------------------------------------------------------------------------------------------- queries
@dataclass
class Population:
    """Eight cases of one tenant, a minute apart, in every shape the queries filter on (and one of another tenant
    that matches everything, which no query may list)."""

    backend: Backend
    cases: CaseRepository
    by_name: dict[str, Case]

    @property
    def tenant_id(self) -> str:
        return self.backend.tenant_id

    def named(self, *names: str) -> list[str]:
        return [self.by_name[n].id for n in names]

    def query(self, **filters: Any) -> CaseQuery:
        return CaseQuery(tenant_id=self.tenant_id, **filters)

    def all_pages(self, query: CaseQuery) -> Iterator[list[Case]]:
        """Every page of `query`, following the cursors (each page at most `limit`)."""
        while True:
            page = self.cases.query(query)
            assert len(page.items) <= query.limit
            yield page.items
            if page.cursor is None:
                return
            query = replace(query, cursor=page.cursor)


def _populate(backend: Backend) -> Population:
    cases = backend.ports.cases
    t = backend.tenant_id
    risk = {level: RiskAssessment(recommendation="review", level=level, evaluated_at=T0) for level in ("low", "medium", "high", "critical")}  # fmt: skip
    r1, r2 = Assignee(id="r-1"), Assignee(id="r-2")

    def review(c: Case, minute: float) -> Case:
        return change(cases, c, lambda x: x.await_review("token", at=at(minute)))

    def assign(c: Case, who: Assignee, minute: float) -> Case:
        return change(cases, c, lambda x: x.assign(who, REVIEWER, at=at(minute)))

    made = {
        "ada": open_case(cases, t, individual("e-ada", first="Ada", last="Lovelace"), minute=0, risk=risk["low"]),
        "grace": open_case(cases, t, individual("e-grace", first="Grace", last="Hopper"), minute=1, risk=risk["high"]),
        "muller": open_case(cases, t, business("e-muller", name="Müller Zahlungen GmbH"), minute=2, workflow="kyb", risk=risk["medium"]),
        "ada-again": open_case(cases, t, individual("e-ada", first="Ada", last="Lovelace"), minute=3),
        "acme": open_case(cases, t, business("e-acme", name="Acme Payments GmbH"), minute=4, workflow="kyb", collecting=True),
        "alan": open_case(cases, t, individual("e-alan", first="Alan", last="Turing"), minute=5, risk=risk["critical"]),
        "byron": open_case(cases, t, individual("e-byron", first="Ada", last="Byron"), minute=6, risk=risk["high"]),
        "globex": open_case(cases, t, business("e-globex", name="Globex Corporation"), minute=7, workflow="kyb"),
    }  # fmt: skip
    review(made["grace"], 10)
    assign(made["grace"], r1, 11)
    review(made["muller"], 12)
    assign(made["muller"], r2, 13)
    review(made["ada-again"], 14)
    assign(made["ada-again"], r1, 15)
    change(cases, made["ada-again"], lambda x: x.decide("approved", actor=REVIEWER, reason="ok", at=at(16)))
    review(made["alan"], 17)
    change(cases, made["alan"], lambda x: x.decide("rejected", actor=REVIEWER, reason="no", at=at(18)))
    review(made["byron"], 19)
    assign(made["globex"], r1, 20)
    # Another tenant's case that every query below would match.
    open_case(cases, backend.other_tenant(), individual("e-ada", first="Ada", last="Lovelace"), minute=3)
    return Population(backend, cases, {name: cases.get(t, c.id) for name, c in made.items()})


@pytest.fixture(scope="module", params=BACKENDS)
def population(request: pytest.FixtureRequest) -> Population:
    """The same eight cases in the fake and in DynamoDB (one tenant per backend, made once per module)."""
    backend = (
        memory_backend() if request.param == "memory" else dynamodb_backend(request.getfixturevalue("stack"))
    )
    return _populate(backend)


REVIEW, APPROVED, PROCESSING = CaseState.MANUAL_REVIEW, CaseState.APPROVED, CaseState.PROCESSING

# filters -> the cases listed, in the order listed (the index's: see CaseRepository.query)
FILTERS: list[tuple[dict[str, Any], list[str]]] = [
    ({}, ["ada", "grace", "muller", "ada-again", "acme", "alan", "byron", "globex"]),
    ({"newest_first": True}, ["globex", "byron", "alan", "acme", "ada-again", "muller", "grace", "ada"]),
    ({"states": (REVIEW,)}, ["grace", "muller", "byron"]),
    ({"states": (REVIEW,), "newest_first": True}, ["byron", "muller", "grace"]),
    ({"states": (REVIEW, APPROVED)}, ["grace", "muller", "ada-again", "byron"]),
    ({"workflow_id": "kyb"}, ["muller", "acme", "globex"]),  # by creation (the key has no state)
    ({"workflow_id": "kyc", "states": (REVIEW,)}, ["grace", "byron"]),
    ({"assignee": "r-1"}, ["ada-again", "grace", "globex"]),  # by state, then creation
    ({"assignee": "r-1", "newest_first": True}, ["globex", "grace", "ada-again"]),
    ({"assignee": "r-1", "states": (REVIEW,)}, ["grace"]),
    ({"assignee": "unassigned"}, ["ada", "acme", "alan", "byron"]),
    ({"entity_id": "e-ada"}, ["ada", "ada-again"]),
    ({"entity_id": "e-ada", "states": (APPROVED,)}, ["ada-again"]),
    ({"risk_levels": ("high",)}, ["grace", "byron"]),
    ({"risk_levels": ("high", "critical")}, ["grace", "alan", "byron"]),
    ({"created_from": at(2), "created_to": at(5)}, ["muller", "ada-again", "acme", "alan"]),
    ({"created_from": at(6)}, ["byron", "globex"]),
    ({"created_to": at(1)}, ["ada", "grace"]),
    ({"states": (REVIEW,), "created_from": at(2)}, ["muller", "byron"]),
    ({"workflow_id": "kyc", "risk_levels": ("high",), "assignee": "unassigned"}, ["byron"]),
    ({"states": (PROCESSING,), "workflow_id": "kyb", "assignee": "r-1"}, ["globex"]),
    ({"states": (CaseState.FAILED,)}, []),
    ({"search": "ada"}, ["ada", "ada-again", "byron"]),
    ({"search": "ada", "newest_first": True}, ["byron", "ada-again", "ada"]),
    ({"search": "  LOVE "}, ["ada", "ada-again"]),
    ({"search": "muller"}, ["muller"]),  # folded: Müller
    ({"search": "Müller Zahl"}, ["muller"]),  # words run together: a prefix of the whole name
    ({"search": "ada", "states": (REVIEW,)}, ["byron"]),
    ({"search": "ada", "limit": 2}, ["ada", "ada-again"]),
    ({"search": "e-grace"}, ["grace"]),  # an entity id, exactly
    ({"search": "zz-nobody"}, []),
]


@pytest.mark.parametrize(("filters", "expected"), FILTERS, ids=[str(f) for f, _ in FILTERS])
def test_a_query_lists_what_its_filters_keep_in_the_indexs_order(
    population: Population, filters: dict[str, Any], expected: list[str]
) -> None:
    found = population.cases.query(population.query(**filters))
    assert ids(found.items) == population.named(*expected)
    assert all(c.tenant_id == population.tenant_id for c in found.items)


def test_a_search_for_a_case_id_finds_that_case_only(population: Population) -> None:
    alan = population.by_name["alan"]
    assert ids(population.cases.query(population.query(search=alan.id)).items) == [alan.id]
    assert population.cases.query(population.query(search=alan.id, states=(REVIEW,))).items == []


def test_a_search_without_a_letter_or_digit_is_invalid_naming_the_parameter(population: Population) -> None:
    with pytest.raises(InvalidInput) as refused:
        population.cases.query(population.query(search=" -!- "))
    assert refused.value.path == "q"


def test_an_empty_search_is_no_search(population: Population) -> None:
    assert len(population.cases.query(population.query(search="")).items) == 8


CURSORED: list[dict[str, Any]] = [
    {},
    {"newest_first": True},
    {"states": (REVIEW, APPROVED)},
    {"states": (REVIEW,)},
    {"assignee": "r-1"},
    {"assignee": "unassigned"},
    {"workflow_id": "kyb"},
    {"entity_id": "e-ada"},
    {"risk_levels": ("high", "critical")},
    {"created_from": at(2), "created_to": at(6), "newest_first": True},
]


@pytest.mark.parametrize("filters", CURSORED, ids=[str(f) for f in CURSORED])
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_the_cursor_walks_every_page_once_in_the_order_of_one_page(
    population: Population, filters: dict[str, Any], limit: int
) -> None:
    whole = ids(population.cases.query(population.query(**filters, limit=50)).items)
    walked = [ids(page) for page in population.all_pages(population.query(**filters, limit=limit))]
    assert [case_id for page in walked for case_id in page] == whole
    assert all(walked[:-1])  # only the last page may be empty (a store may not know it was the last)


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "e30", "eyJpIjogIkJ5VGVuYW50In0", "bnVsbA", "W10", "%%%"],
)
def test_a_cursor_the_query_did_not_return_is_invalid_naming_the_parameter(
    population: Population, cursor: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        population.cases.query(population.query(cursor=cursor))
    assert refused.value.path == "cursor"


def test_a_cursor_of_another_list_or_another_tenant_is_refused(population: Population) -> None:
    by_assignee = population.cases.query(population.query(assignee="r-1", limit=1))
    by_tenant = population.cases.query(population.query(limit=1))
    assert by_assignee.cursor
    assert by_tenant.cursor
    for query in (
        population.query(cursor=by_assignee.cursor),
        population.query(assignee="r-2", cursor=by_assignee.cursor),
        population.query(workflow_id="kyb", cursor=by_tenant.cursor),
        CaseQuery(tenant_id=population.backend.other_tenant(), cursor=by_tenant.cursor),
    ):
        with pytest.raises(InvalidInput):
            population.cases.query(query)


NUMBERED: list[tuple[dict[str, Any], int, list[str]]] = [
    ({"limit": 3}, 1, ["ada", "grace", "muller"]),
    ({"limit": 3}, 2, ["ada-again", "acme", "alan"]),
    ({"limit": 3}, 3, ["byron", "globex"]),
    ({"limit": 3}, 4, []),
    ({"limit": 3, "newest_first": True}, 2, ["acme", "ada-again", "muller"]),
    ({"states": (REVIEW, APPROVED), "limit": 2}, 1, ["grace", "muller"]),
    ({"states": (REVIEW, APPROVED), "limit": 2}, 2, ["ada-again", "byron"]),
    ({"states": (REVIEW, APPROVED), "limit": 2, "newest_first": True}, 1, ["byron", "ada-again"]),
    ({"states": (REVIEW,), "limit": 1}, 3, ["byron"]),
]


@pytest.mark.parametrize(
    ("filters", "number", "expected"), NUMBERED, ids=[f"{f}-page{n}" for f, n, _ in NUMBERED]
)
def test_numbered_pages_are_slices_of_the_cases_in_creation_order(
    population: Population, filters: dict[str, Any], number: int, expected: list[str]
) -> None:
    assert ids(population.cases.query_page(population.query(**filters), number)) == population.named(
        *expected
    )


@pytest.mark.parametrize(
    ("filters", "number"),
    [({"workflow_id": "kyc"}, 1), ({"search": "ada"}, 1), ({"cursor": "x"}, 1), ({}, 0), ({}, -1)],
)
def test_numbered_pages_serve_queries_by_state_only_from_page_1(
    population: Population, filters: dict[str, Any], number: int
) -> None:
    with pytest.raises(ValueError, match=r"state only|from 1"):
        population.cases.query_page(population.query(**filters), number)


def test_the_counts_of_the_population(population: Population) -> None:
    counts = population.cases.counts(population.tenant_id)
    assert {s: n for s, n in counts.items() if n} == {
        "processing": 2,
        "manual_review": 3,
        "collecting": 1,
        "approved": 1,
        "rejected": 1,
    }
