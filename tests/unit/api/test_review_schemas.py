"""Parameters of the reviewers' API: a date-time is ISO 8601, never a number read as a Unix timestamp."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Query

from arbiter.api.rest import RestApi
from arbiter.api.review_schemas import IsoDateTime
from tests.unit.api.test_rest_api import event


@pytest.fixture
def app() -> RestApi[str]:
    app: RestApi[str] = RestApi(authenticate=lambda _event: "ada")

    @app.get("/v1/review/cases")
    def queue(created_from: Annotated[IsoDateTime | None, Query(alias="from")] = None) -> dict[str, Any]:
        return {"from": created_from.isoformat() if created_from else None}

    return app


def ask(app: RestApi[str], value: str) -> tuple[int, Any]:
    result = app.resolve(event("GET", "/v1/review/cases", query={"from": value}), None)
    return int(result["statusCode"]), json.loads(result["body"])


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-3", "1e9"])
def test_a_number_is_not_a_date_time(app, value):
    status, body = ask(app, value)
    assert status == 422
    assert body["errors"][0]["path"] == "from"
    assert "ISO 8601" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-01T09:00:00Z", dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)),
        ("2026-11-01T09:00:00+02:00", dt.datetime(2026, 11, 1, 7, tzinfo=dt.UTC)),
        ("2026-11-01", dt.datetime(2026, 11, 1)),
    ],
)
def test_an_iso_date_time_is_read(app, value, expected):
    status, body = ask(app, value)
    assert status == 200, body
    assert dt.datetime.fromisoformat(body["from"]) == expected
