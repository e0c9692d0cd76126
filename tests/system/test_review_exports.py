"""CSV exports on the local stack: `GET /v1/review/cases/export.csv` with the queue's filters, and
`GET /v1/review/cases/{id}/audit.csv`; a name written as a spreadsheet formula is exported as text."""

from __future__ import annotations

import csv
import io

import httpx

from tests.support.cases import case_in_review
from tests.support.tenants import make_tenant
from tests.waiting import wait_for

FORMULA = '=HYPERLINK("http://x","y")'


def rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


def formula_case(tenant) -> str:
    api = tenant.api()
    entity = {"type": "individual", "id": "csv-formula", "individual": {"full_name": FORMULA}}
    case_id = api.post("/v1/cases", json={"workflow": "manual-review", "entity": entity}).json()["id"]
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")
    return str(case_id)


def test_the_queue_exports_every_matching_case_as_csv_and_a_formula_stays_text(tenant):
    formula = formula_case(tenant)
    other = case_in_review(tenant, "csv-2")
    viewer = tenant.reviewer("viewer")

    response = viewer.get(
        "/v1/review/cases/export.csv", params={"state": "manual_review", "sort": "-created"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="cases.csv"'
    assert response.headers["x-export-truncated"] == "false"
    assert response.headers["x-export-rows"] == "2"
    exported = rows(response)
    assert [r["case_id"] for r in exported] == [other, formula]  # newest first, as asked
    by_id = {r["case_id"]: r for r in exported}
    assert by_id[formula]["entity_name"] == "'" + FORMULA
    assert by_id[formula]["state"] == "manual_review"
    assert by_id[formula]["workflow"] == "manual-review"
    assert by_id[other]["entity_id"] == "csv-2"

    none = viewer.get("/v1/review/cases/export.csv", params={"state": "approved"})
    assert none.status_code == 200
    assert rows(none) == []
    assert none.text.startswith('"case_id","workflow","state"')
    searched = viewer.get("/v1/review/cases/export.csv", params={"q": "csv-2"})
    assert [r["case_id"] for r in rows(searched)] == [other]


def test_the_export_refuses_bad_filters_naming_them_and_needs_a_token(tenant, stack):
    viewer = tenant.reviewer("viewer")
    bad_sort = viewer.get("/v1/review/cases/export.csv", params={"sort": "name"})
    assert bad_sort.status_code == 422
    assert "sort" in bad_sort.text
    bad_state = viewer.get("/v1/review/cases/export.csv", params={"state": "sleeping"})
    assert bad_state.status_code == 422
    assert "state" in bad_state.text
    anonymous = httpx.get(f"{stack.api_url}/v1/review/cases/export.csv", timeout=30)
    assert anonymous.status_code == 401


def test_a_cases_audit_trail_exports_as_csv_with_its_hashes(tenant, stack):
    case_id = formula_case(tenant)
    reviewer = tenant.reviewer("reviewer")
    assert (
        reviewer.post(f"/v1/review/cases/{case_id}/notes", json={"text": "+1 looks fine"}).status_code == 200
    )
    response = reviewer.get(f"/v1/review/cases/{case_id}/audit.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="audit-{case_id}.csv"'
    exported = rows(response)
    *audit, viewed = reviewer.get(f"/v1/review/cases/{case_id}").json()["audit"]
    assert [r["entry_id"] for r in exported] == [e["id"] for e in audit]
    assert (viewed["action"], viewed["details"]["entries"]) == ("audit_trail.exported", len(audit))
    assert all(len(r["hash"]) == 64 for r in exported)
    note = next(r for r in exported if r["action"] == "note.added")
    assert note["actor_type"] == "reviewer"
    assert note["reason"] == "'+1 looks fine"  # a leading + would start a formula

    assert reviewer.get("/v1/review/cases/no-such-case/audit.csv").status_code == 404
    other = make_tenant(stack)
    assert other.reviewer("admin").get(f"/v1/review/cases/{case_id}/audit.csv").status_code == 404
