"""The local stack allows one origin, the back office's (served beside the API), as a deployed stack allows its own."""

from __future__ import annotations

import httpx


def test_a_preflight_allows_the_back_office_origin_not_any(stack) -> None:
    answer = httpx.options(
        f"{stack.api_url}/v1/review/cases",
        headers={"Origin": stack.api_url, "Access-Control-Request-Method": "GET"},
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == stack.api_url
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]


def test_every_answer_allows_that_origin_including_errors(stack, tenant) -> None:
    origin = {"Origin": stack.api_url}
    answers = {
        "an answer": tenant.api().get("/v1/workflows", headers=origin),
        "a function's refusal": httpx.get(f"{stack.api_url}/v1/cases", headers=origin),
        "the gateway's refusal": httpx.get(f"{stack.api_url}/v1/no-such-route", headers=origin),
        "a reviewer's answer": tenant.reviewer("viewer").get("/v1/review/me", headers=origin),
        "a webhook route": tenant.api().get("/v1/webhooks", headers=origin),
    }
    assert {what: a.status_code for what, a in answers.items()} == {
        "an answer": 200,
        "a function's refusal": 401,
        "the gateway's refusal": 403,
        "a reviewer's answer": 200,
        "a webhook route": 200,
    }
    for what, answer in answers.items():
        assert answer.headers.get("Access-Control-Allow-Origin") == stack.api_url, what


def test_the_documents_bucket_allows_only_the_sites_origin_to_read_and_upload(stack) -> None:
    """The back office reads pages (GET); the collection site, on the same origin, uploads through the presigned
    POSTs the documents API issues. No other origin, no other method."""
    rules = stack.client("s3").get_bucket_cors(Bucket=stack.physical_id("DocumentsBucket"))["CORSRules"]
    assert [(r["AllowedOrigins"], r["AllowedMethods"]) for r in rules] == [([stack.api_url], ["GET", "POST"])]
