"""The API Gateway stand-in picks the route API Gateway would pick."""

from __future__ import annotations

import pytest

from arbiter_local.gateway import match_route
from arbiter_local.provision import Route

ROUTES = [
    Route("ANY", "/v1/cases", "run"),
    Route("ANY", "/v1/cases/{proxy+}", "run"),
    Route("GET", "/v1/workflows", "run"),
    Route("ANY", "/v1/review/{proxy+}", "review"),
    Route("GET", "/v1/review/cases/{id}", "review-get"),
    Route("POST", "/v1/review/cases/{id}", "review-post"),
    Route("GET", "/v1/review/cases/special", "review-special"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("POST", "/v1/cases", "run", {}),
        ("GET", "/v1/cases/case_1/events", "run", {"proxy": "case_1/events"}),
        ("GET", "/v1/workflows", "run", {}),
        ("GET", "/v1/review/cases/special", "review-special", {}),  # literal beats a parameter
        ("GET", "/v1/review/cases/c%201", "review-get", {"id": "c 1"}),  # parameter beats greedy, decoded
        ("POST", "/v1/review/cases/c1", "review-post", {"id": "c1"}),  # the exact method beats ANY
        ("DELETE", "/v1/review/cases/c1", "review", {"proxy": "cases/c1"}),
        ("GET", "/v1/cases/", "run", {}),  # a trailing slash is the same resource
    ],
)
def test_route_precedence(method: str, path: str, function: str, params: dict[str, str]) -> None:
    matched = match_route(ROUTES, method, path)
    assert matched is not None
    assert (matched.route.function, matched.path_parameters) == (function, params)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/workflows"), ("GET", "/v1/review"), ("GET", "/v2/cases"), ("GET", "/")],
)
def test_no_route(method: str, path: str) -> None:
    assert match_route(ROUTES, method, path) is None
