"""Each API function serves its OpenAPI document, without authentication, through the gateway's own routes."""

from __future__ import annotations

import json

import httpx
import pytest

from arbiter_local.openapi_documents import DOCUMENTS, PROJECT_ROOT

SERVED = [(document, path) for document in DOCUMENTS for path in document.served_at]


@pytest.mark.parametrize(("document", "path"), SERVED, ids=[path for _, path in SERVED])
def test_the_document_is_served_to_anyone_as_checked_in(stack, document, path):
    response = httpx.get(stack.api_url + path, timeout=30)  # no credentials
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    served = response.json()
    assert served["openapi"].startswith("3.1")
    checked_in = json.loads((PROJECT_ROOT / document.checked_in).read_text(encoding="utf-8"))
    assert served == checked_in, f"{document.checked_in} is stale: run `make openapi`"


def test_the_documents_cover_their_functions_routes(stack):
    paths = {
        document.function: set(httpx.get(stack.api_url + document.served_at[0], timeout=30).json()["paths"])
        for document in DOCUMENTS
    }
    assert {"/v1/cases", "/v1/cases/{case_id}", "/api/v1/external/workflows/run"} <= paths["run_workflow"]
    assert {"/v1/review/cases/{case_id}/decision", "/v1/admin/rule-sets"} <= paths["review_actions"]
    assert {"/v1/webhooks", "/v1/webhooks/{webhook_id}"} <= paths["webhooks"]
