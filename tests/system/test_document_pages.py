"""Pages sent in run requests: remote URLs through the egress client, inline base64, Ballerine file ids.

The local stack allows 127.0.0.1 (the test servers); the refusals are checked with the settings a deployment
has by default, with no allow-list, against the same moto S3 and DynamoDB.
"""

from __future__ import annotations

import base64
import socket

import pytest

from tests.support.documents import EXECUTABLE, jpeg, pdf
from tests.support.local_http import Reply
from tests.support.tenants import make_tenant
from tests.waiting import wait_for

ENTITY = {"id": "pages-1", "type": "individual", "data": {"firstName": "Alan", "lastName": "Turing"}}


def run(api, pages, entity_id="pages-1", workflow="manual-review"):
    body = {
        "workflowId": workflow,
        "context": {
            "entity": {**ENTITY, "id": entity_id},
            "documents": [{"id": "doc-1", "type": "passport", "category": "id", "pages": pages}],
        },
    }
    response = api.post("/api/v1/external/workflows/run", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()["workflowRuntimeId"]


def settled_pages(api, case_id):
    def check():
        pages = api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"]
        return pages if all(p["status"] != "pending" for p in pages) else None

    return wait_for(check, what="pages ingested")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_remote_page_is_copied_in_and_the_case_goes_on(tenant, serve, stack):
    image = jpeg(800, 500)
    server = serve({"/passport.jpg": lambda _r: Reply(200, {"Content-Type": "image/jpeg"}, image)})
    api = tenant.api()
    before = stack.runtime.invocation_count
    case_id = run(api, [{"uri": server.url("/passport.jpg"), "provider": "http", "type": "jpg"}])
    (page,) = settled_pages(api, case_id)
    # The workflow's ingest step runs in the function sized for pages, not in the other tasks' function (an
    # invocation is logged when it returns, after its last write).
    ingest = stack.runtime.by_logical_id("IngestCaseDocumentsFunction").name
    wait_for(
        lambda: ingest in [r.function for r in stack.runtime.invocations_since(before)],
        what=f"an invocation of {ingest}",
    )
    assert page["status"] == "available"
    assert (page["width"], page["height"]) == (800, 500)
    assert page["source"]["provider"] == "http"
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="review")
    key = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["documents"][0]["pages"]
    stored = stack.client("s3").get_object(
        Bucket=stack.physical_id("DocumentsBucket"), Key=key[0]["object_key"]
    )
    assert stored["Body"].read() == image
    assert key[0]["object_key"].startswith(f"pages/{tenant.id}/{case_id}/")


def test_an_unreachable_url_is_recorded_and_the_case_still_created(tenant):
    api = tenant.api()
    url = f"http://127.0.0.1:{closed_port()}/gone.jpg"
    case_id = run(api, [{"uri": url, "provider": "http"}])
    (page,) = settled_pages(api, case_id)
    assert page["status"] == "unavailable"
    assert "ConnectFailed" in page["reason"]
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="review")


def test_a_remote_page_that_is_not_a_page_is_rejected(tenant, serve):
    server = serve({"/x.jpg": lambda _r: Reply(200, {"Content-Type": "image/jpeg"}, EXECUTABLE)})
    api = tenant.api()
    case_id = run(api, [{"uri": server.url("/x.jpg"), "provider": "http"}])
    (page,) = settled_pages(api, case_id)
    assert page["status"] == "rejected"
    assert "application/x-msdownload" in page["reason"]


def test_an_http_error_is_recorded_as_unavailable(tenant, serve):
    server = serve({})
    api = tenant.api()
    case_id = run(api, [{"uri": server.url("/missing.jpg"), "provider": "http"}])
    (page,) = settled_pages(api, case_id)
    assert page["status"] == "unavailable"
    assert "HTTP 404" in page["reason"]


def test_inline_base64_pages_are_stored_not_kept_in_the_context(tenant):
    api = tenant.api()
    data = base64.b64encode(pdf(2)).decode()
    case_id = run(
        api,
        [
            {"data": data, "provider": "base64", "type": "pdf"},
            {"uri": "data:image/jpeg;base64," + base64.b64encode(jpeg()).decode(), "provider": "base64"},
        ],
    )
    pages = settled_pages(api, case_id)
    assert [p["status"] for p in pages] == ["available", "available"]
    assert pages[0]["page_count"] == 2
    assert pages[1]["content_type"] == "image/jpeg"
    context = api.get(f"/api/v1/external/workflows/{case_id}/context").json()["context"]
    assert data not in str(context)


def test_invalid_base64_is_400_naming_the_page_and_stores_no_case(tenant):
    api = tenant.api()
    body = {
        "workflowId": "manual-review",
        "context": {
            "entity": {**ENTITY, "id": "bad-b64"},
            "documents": [{"type": "passport", "pages": [{"data": "not base64 !!", "provider": "base64"}]}],
        },
    }
    response = api.post("/api/v1/external/workflows/run", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == "context.documents[0].pages[0].data"
    assert api.get("/v1/cases", params={"entity_id": "bad-b64"}).json()["items"] == []


def test_the_ballerine_storage_endpoint_keeps_a_file_for_ballerine_file_id(tenant):
    api = tenant.api()
    stored = api.post("/api/v1/external/storage", files={"file": ("scan.png", jpeg(120, 90))})
    assert stored.status_code == 201, stored.text
    assert stored.json()["mimeType"] == "image/jpeg"
    file_id = stored.json()["id"]
    case_id = run(api, [{"ballerineFileId": file_id, "provider": "file"}])
    (page,) = settled_pages(api, case_id)
    assert page["status"] == "available"
    assert (page["width"], page["height"]) == (120, 90)


def test_another_tenants_file_id_is_unavailable(tenant, stack):

    file_id = (
        make_tenant(stack)
        .api()
        .post("/api/v1/external/storage", files={"file": ("a.jpg", jpeg())})
        .json()["id"]
    )
    api = tenant.api()
    case_id = run(api, [{"ballerineFileId": file_id}])
    (page,) = settled_pages(api, case_id)
    assert page["status"] == "unavailable"
    assert "no file" in page["reason"]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"file": ("setup.jpg", EXECUTABLE)}, "application/x-msdownload"),
        ({"other": ("a.jpg", b"\xff\xd8\xff")}, "no file field"),
    ],
)
def test_the_storage_endpoint_refuses_what_is_not_a_page(tenant, files, fragment):
    response = tenant.api().post("/api/v1/external/storage", files=files)
    assert response.status_code in (400, 422), response.text
    assert fragment in response.json()["message"]
    assert response.json()["path"] == "/api/v1/external/storage"  # Ballerine's error body


def test_a_file_over_the_api_payload_limit_is_413(tenant):
    # API Gateway refuses bodies over 10 MB before the function runs; pages are limited to 10 MB too.
    big = jpeg(8, 8) + b"\0" * (10 * 1024 * 1024)
    response = tenant.api().post("/api/v1/external/storage", files={"file": ("big.jpg", big)})
    assert response.status_code == 413


# ------------------------------------------------------------------ without the local allow-list


@pytest.fixture
def strict_documents(stack):
    """The documents' ports as a deployment builds them by default: no AllowedEgressHosts."""
    from arbiter import bootstrap
    from arbiter.settings import Settings

    spec = next(
        f for f in stack.provisioned.functions.values() if f.logical_id == "IngestCaseDocumentsFunction"
    )
    environment = {**spec.environment, "ALLOWED_EGRESS_HOSTS": "", "AWS_REGION": "us-east-1"}
    return lambda allowed="": bootstrap.Dependencies(
        Settings.from_environ({**environment, "ALLOWED_EGRESS_HOSTS": allowed})
    )


def collecting_case(api, uri, entity_id):
    body = {
        "workflow": "manual-review",
        "entity": {"type": "individual", "id": entity_id, "individual": {"full_name": "Kurt Goedel"}},
        "documents": [{"id": "remote", "type": "passport", "pages": [{"uri": uri, "provider": "http"}]}],
        "submit": False,
    }
    response = api.post("/v1/cases", json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


@pytest.mark.parametrize(
    ("host", "reason"),
    [("127.0.0.1", "loopback"), ("10.0.0.1", "private"), ("169.254.169.254", "metadata")],
)
def test_internal_addresses_are_refused_when_not_allowed(tenant, strict_documents, serve, host, reason):
    from arbiter.services import document_ingestion

    server = serve({"/p.jpg": lambda _r: Reply(200, {}, jpeg())})
    url = server.url("/p.jpg") if host == "127.0.0.1" else f"http://{host}/p.jpg"
    api = tenant.api()
    case_id = collecting_case(api, url, f"strict-{host}")
    document_ingestion.ingest_case_documents(strict_documents(), tenant.id, case_id)
    (page,) = api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"]
    assert page["status"] == "unavailable"
    assert "EgressRefused" in page["reason"]
    assert reason in page["reason"]
    assert server.requests == []


def test_a_redirect_to_a_private_address_is_refused(tenant, strict_documents, serve):
    from arbiter.services import document_ingestion

    target = serve({"/p.jpg": lambda _r: Reply(200, {}, jpeg())})
    hop = serve({"/r": lambda _r: Reply(302, {"Location": target.url("/p.jpg", host="127.0.0.1")})})
    api = tenant.api()
    case_id = collecting_case(api, hop.url("/r", host="localhost"), "strict-redirect")
    document_ingestion.ingest_case_documents(strict_documents("localhost"), tenant.id, case_id)
    (page,) = api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"]
    assert len(hop.requests) == 1  # the first hop was allowed by name…
    assert target.requests == []  # …the redirect to a loopback address was not followed
    assert page["status"] == "unavailable"
    assert "EgressRefused" in page["reason"]


def test_a_repeated_ballerine_run_adds_a_new_version_and_resubmit_resumes(tenant, serve):
    old, new = jpeg(300, 200, (1, 1, 1)), jpeg(600, 400, (2, 2, 2))
    server = serve(
        {
            "/v1.jpg": lambda _r: Reply(200, {"Content-Type": "image/jpeg"}, old),
            "/v2.jpg": lambda _r: Reply(200, {"Content-Type": "image/jpeg"}, new),
        }
    )
    tenant.set_settings(allow_integrator_decisions=True)  # the revision below is asked with the key
    api = tenant.api()
    case_id = run(api, [{"uri": server.url("/v1.jpg"), "provider": "http"}], entity_id="rerun-1")
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="review")
    event = api.post(
        f"/api/v1/external/workflows/{case_id}/event",
        json={"name": "revision", "payload": {"reason": "blurred", "documentIds": ["doc-1"]}},
    )
    assert event.status_code in (200, 201), event.text

    again = run(api, [{"uri": server.url("/v2.jpg"), "provider": "http"}], entity_id="rerun-1")
    assert again == case_id
    document = api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]
    assert document["version"] == 2
    assert document["pages"][0]["status"] == "available"
    assert document["pages"][0]["width"] == 600
    assert document["history"][0]["pages"][0]["width"] == 300
    same = run(api, [{"uri": server.url("/v2.jpg"), "provider": "http"}], entity_id="rerun-1")
    assert same == case_id
    assert api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["version"] == 2  # nothing new

    resumed = api.post(f"/api/v1/external/workflows/{case_id}/event", json={"name": "resubmit"})
    assert resumed.status_code in (200, 201), resumed.text
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="back in review"
    )


def test_an_upload_that_never_came_is_unavailable_once_its_link_expired(tenant, stack, strict_documents):
    import datetime as dt

    from arbiter.services import document_ingestion
    from tests.support.documents import post_upload

    api = tenant.api()
    entity = {"type": "individual", "id": "late-1", "individual": {"full_name": "Emmy Noether"}}
    body = {"workflow": "manual-review", "entity": entity, "submit": False}
    case_id = api.post("/v1/cases", json=body).json()["id"]
    declared = api.post(
        f"/v1/cases/{case_id}/documents",
        json={"id": "late", "type": "passport", "content_type": "image/jpeg"},
    ).json()
    deps = strict_documents()
    document_ingestion.ingest_case_documents(deps, tenant.id, case_id)
    assert api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"][0]["status"] == "pending"

    deps.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    document_ingestion.ingest_case_documents(deps, tenant.id, case_id)
    (page,) = api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"]
    assert page["status"] == "unavailable"
    assert page["reason"] == "not uploaded before the upload link expired"

    post_upload(declared["uploads"][0], jpeg())  # too late (moto does not enforce the expiry): not kept
    listing = stack.client("s3").list_objects_v2(
        Bucket=stack.physical_id("DocumentsBucket"), Prefix=f"uploads/{tenant.id}/{case_id}/"
    )
    assert listing.get("KeyCount", 0) == 0
    assert api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"][0]["status"] == "unavailable"
