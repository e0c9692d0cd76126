"""Working alerts on fakes: the queue (filters, newest first, cursors), the investigation read (its transactions,
the customer's recent ones, its onboarding record), and assignment, notes, escalation and a filed report, each
written with an entry of the alert's history and its event, over the revision read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arbiter.domain.alert_history import AlertFilters
from arbiter.domain.entity import Entity
from arbiter.domain.errors import ConcurrentUpdate, Conflict, InvalidInput, NotAllowed, NotFound
from arbiter.domain.events import AlertAssigned, AlertClosed, AlertEscalated, AlertNoted, AlertReportFiled
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.monitoring import changes_for
from arbiter.domain.principal import Principal
from arbiter.services import alerts
from arbiter.services.transactions import decide_transaction
from tests.unit.transaction_fakes import ALERT_TESTS_NOW, MonitoringDeps
from tests.unit.transaction_fakes import card_payment as tx

NOW = ALERT_TESTS_NOW
KEY = Principal(kind="integrator", tenant_id="acme", id="key_1")
REVIEWER = Principal(
    kind="reviewer", tenant_id="acme", id="rev-1", email="rev@acme.test", roles=("reviewer",)
)
VIEWER = Principal(kind="reviewer", tenant_id="acme", id="view-1", roles=("viewer",))
OTHER_TENANT = Principal(kind="reviewer", tenant_id="globex", id="rev-9", roles=("reviewer",))


@pytest.fixture
def deps() -> MonitoringDeps:
    return MonitoringDeps()


def open_alert(deps: MonitoringDeps, customer: str = "cust-1", count: int = 8) -> str:
    """`count` transactions within the hour (from the sixth on each hits velocity-spike): the alert's id."""
    decided = [decide_transaction(deps, KEY, tx(n, customer)) for n in range(count)]
    alert_id = decided[-1].alert_id
    assert alert_id is not None
    return alert_id


def test_the_queue_lists_newest_first_filtered_and_pages_with_its_own_cursors(deps):
    first = open_alert(deps, "cust-1")
    deps.clock += dt.timedelta(minutes=1)
    second = open_alert(deps, "cust-2")
    deps.clock += dt.timedelta(minutes=1)
    third = open_alert(deps, "cust-3")
    alerts.assign_alert(deps, REVIEWER, second, "rev-1")
    alerts.close_alert(deps, REVIEWER, third, "false_positive", "payroll")

    page = alerts.list_alerts(deps, VIEWER, AlertFilters(), None, 2)
    assert [a.id for a in page.items] == [third, second]
    assert page.cursor is not None
    rest = alerts.list_alerts(deps, VIEWER, AlertFilters(), page.cursor, 2)
    assert ([a.id for a in rest.items], rest.cursor) == ([first], None)

    def ids(**filters: Any) -> list[str]:
        return [a.id for a in alerts.list_alerts(deps, VIEWER, AlertFilters(**filters), None, 50).items]

    assert ids(status="open") == [second, first]
    assert ids(status="closed") == [third]
    assert ids(assignee="rev-1") == [second]
    assert ids(customer_id="cust-1") == [first]
    assert ids(scenario="velocity-spike", status="open") == [second, first]
    assert ids(severity="critical") == []
    assert alerts.list_alerts(deps, OTHER_TENANT, AlertFilters(), None, 50).items == []
    with pytest.raises(InvalidInput):
        alerts.list_alerts(deps, OTHER_TENANT, AlertFilters(), page.cursor, 2)


def test_the_investigation_read_has_the_alerts_transactions_the_customers_history_and_onboarding(deps):
    alert_id = open_alert(deps, count=8)
    deps.cases.monitored[("acme", "cust-1")] = MonitoredEntity.approved(
        "acme",
        "case_1",
        "kyc-individual",
        Entity.model_validate({"type": "individual", "id": "cust-1", "individual": {"first_name": "Ada"}}),
        NOW - dt.timedelta(days=40),
        risk_level="high",
    )
    detail = alerts.alert_detail(deps, VIEWER, alert_id)
    assert detail.alert.id == alert_id
    assert [d.transaction.id for d in detail.transactions] == ["cust-1-tx-5", "cust-1-tx-6", "cust-1-tx-7"]
    assert [d.transaction.id for d in detail.customer_transactions] == [
        f"cust-1-tx-{n}" for n in range(7, -1, -1)
    ]
    assert detail.onboarding is not None
    assert (detail.onboarding.case_id, detail.onboarding.risk_level) == ("case_1", "high")
    assert detail.alert.hits[0]["rule_id"] == "velocity-spike"
    assert detail.alert.hits[0]["values"]
    assert detail.alert.hits[0]["explanation"]
    with pytest.raises(NotFound):
        alerts.alert_detail(deps, OTHER_TENANT, alert_id)


def test_assignment_notes_escalation_are_written_on_the_alerts_history_with_their_events(deps):
    alert_id = open_alert(deps)
    assigned = alerts.assign_alert(deps, REVIEWER, alert_id, "rev-1")
    assert (assigned.assignee, assigned.revision) == ("rev-1", 1)
    note = alerts.add_note(deps, REVIEWER, alert_id, "invoice on file")
    escalated = alerts.escalate_alert(deps, REVIEWER, alert_id, "mule pattern")
    unassigned = alerts.assign_alert(deps, REVIEWER, alert_id, None)
    assert (
        unassigned.status,
        unassigned.escalation_reason,
        unassigned.escalated_by,
        unassigned.assignee,
    ) == (
        "open",
        "mule pattern",
        "rev-1",
        None,
    )
    assert deps.transactions.get_alert("acme", alert_id) == unassigned
    history = deps.transactions.alert_history("acme", alert_id)
    assert [(e.action, e.actor_id, e.text, e.assignee) for e in history] == [
        ("assigned", "rev-1", None, "rev-1"),
        ("noted", "rev-1", "invoice on file", None),
        ("escalated", "rev-1", "mule pattern", None),
        ("unassigned", "rev-1", None, None),
    ]
    assert history[1].id == note.id
    events = deps.transactions.events[-4:]
    assert [type(e) for e in events] == [AlertAssigned, AlertNoted, AlertEscalated, AlertAssigned]
    assert isinstance(events[1], AlertNoted)
    assert events[1].note_id == note.id
    assert isinstance(events[3], AlertAssigned)
    assert (events[3].assignee, events[3].previous_assignee) == (None, "rev-1")
    assert escalated.revision == 3
    with pytest.raises(Conflict):
        alerts.escalate_alert(deps, REVIEWER, alert_id, "again")


def test_a_filed_report_closes_the_alert_as_a_true_positive_and_frees_its_scenario(deps):
    alert_id = open_alert(deps, count=7)
    closed = alerts.file_report(deps, REVIEWER, alert_id, "structuring confirmed", "SAR-42")
    assert (closed.status, closed.resolution, closed.report_reference, closed.reason) == (
        "closed",
        "true_positive",
        "SAR-42",
        "structuring confirmed",
    )
    filed, closing = deps.transactions.events[-2:]
    assert isinstance(filed, AlertReportFiled)
    assert filed.reference == "SAR-42"
    assert isinstance(closing, AlertClosed)
    assert closing.resolution == "true_positive"
    [entry] = deps.transactions.alert_history("acme", alert_id)
    assert (entry.action, entry.reference, entry.resolution) == ("report_filed", "SAR-42", "true_positive")
    following = decide_transaction(deps, KEY, tx(20))
    assert following.alert_id not in (None, alert_id)
    with pytest.raises(Conflict):
        alerts.assign_alert(deps, REVIEWER, alert_id, "rev-1")
    alerts.add_note(
        deps, REVIEWER, alert_id, "closed, noted afterwards"
    )  # notes stay possible on a closed alert


def test_writes_need_the_reviewer_role_and_the_alerts_tenant(deps):
    alert_id = open_alert(deps)
    for action in (
        lambda p: alerts.assign_alert(deps, p, alert_id, "rev-1"),
        lambda p: alerts.add_note(deps, p, alert_id, "x"),
        lambda p: alerts.escalate_alert(deps, p, alert_id, "x"),
        lambda p: alerts.file_report(deps, p, alert_id, "x", "r"),
    ):
        with pytest.raises(NotAllowed):
            action(VIEWER)
        with pytest.raises(NotFound):
            action(OTHER_TENANT)
    stored = deps.transactions.get_alert("acme", alert_id)
    assert stored is not None
    assert stored.revision == 0
    assert deps.transactions.alert_history("acme", alert_id) == []


def test_a_reviewers_change_and_a_joining_transaction_never_overwrite_each_other(deps):
    alert_id = open_alert(deps, count=6)
    read = deps.transactions.get_alert("acme", alert_id)
    assert read is not None
    alerts.assign_alert(deps, REVIEWER, alert_id, "rev-1")  # revision 1 now
    joined = decide_transaction(deps, KEY, tx(6))  # read revision 1: joins, keeps the assignment
    assert joined.alert_id == alert_id
    stored = deps.transactions.get_alert("acme", alert_id)
    assert stored is not None
    assert (stored.assignee, stored.transaction_count) == ("rev-1", 2)
    stale = read.joined("cust-1-tx-99", "review", "high", 1.0, NOW)  # read before the assignment
    late = tx(99)
    changes = changes_for(
        late, deps.transactions.history("acme", late)
    )  # the profile as it is: only the alert moved
    with pytest.raises(ConcurrentUpdate):
        deps.transactions.record(joined.model_copy(update={"transaction": late}), changes, stale, [])
    with pytest.raises(ConcurrentUpdate):  # a reviewer's write over a revision that moved
        deps.transactions.update_alert(
            read.reviewed(assignee="rev-2"),
            deps.transactions.alert_history("acme", alert_id)[0],
            [],
        )


def test_the_queues_counts_are_of_open_alerts(deps):
    first = open_alert(deps, "cust-1")
    second = open_alert(deps, "cust-2")
    third = open_alert(deps, "cust-3")
    alerts.assign_alert(deps, REVIEWER, first, "rev-1")
    alerts.assign_alert(deps, REVIEWER, second, "rev-2")
    alerts.escalate_alert(deps, REVIEWER, second, "mule pattern")
    alerts.close_alert(deps, REVIEWER, third, "no_action", "known merchant")
    open_alert(deps, "cust-4")
    counts = alerts.count_open_alerts(deps, REVIEWER)
    assert (counts.open, counts.unassigned, counts.mine, counts.escalated, counts.truncated) == (
        3,
        1,
        1,
        1,
        False,
    )
    assert counts.by_severity == {"high": 3}
    assert alerts.count_open_alerts(deps, OTHER_TENANT).open == 0


def test_counts_stop_reading_and_say_so_after_their_pages(deps, monkeypatch):
    for n in range(3):
        open_alert(deps, f"cust-{n}")
    monkeypatch.setattr(alerts, "COUNTED_PAGES", 1)
    store = deps.transactions
    original = store.list_alerts
    monkeypatch.setattr(store, "list_alerts", lambda t, f, c, limit: original(t, f, c, 2))  # short pages
    counts = alerts.count_open_alerts(deps, REVIEWER)
    assert (counts.open, counts.truncated) == (2, True)
