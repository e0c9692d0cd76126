"""The website content check against three merchants' sites served locally: required pages, prices, prohibited
and restricted goods, and the domain against the company's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arbiter.plugins.builtin import WebsiteContentPlugin
from arbiter.plugins.builtin.website_content import WebsiteContentConfig, _domain_matches
from tests.support.local_http import LocalServer
from tests.support.merchant_sites import merchant_egress, serve_merchants

Serve = Callable[..., LocalServer]


def check(website: str, name: str, **config: Any) -> Any:
    context = {"entity": {"type": "business", "business": {"name": name, "website": website}}}
    settings = WebsiteContentConfig(
        **{"allow": ["127.0.0.1"], "timeout_seconds": 3, "try_http": False, **config}
    )
    return WebsiteContentPlugin(merchant_egress()).run(context, settings)


@pytest.fixture
def sites(serve: Serve) -> dict[str, str]:
    return serve_merchants(serve)


def test_a_complete_saas_site_has_every_page_prices_in_euros_and_nothing_to_flag(sites) -> None:
    result = check(sites["brightdesk"], "BrightDesk GmbH")
    assert result.status == "ok"
    data = result.data
    assert data["missing_pages"] == []
    assert data["pages"]["terms"].endswith("/legal/terms")
    assert (data["currencies"], data["prices_found"]) == (["EUR"], 2)
    assert (data["prohibited"], data["restricted"]) == ([], [])
    assert data["domain_matches_company"] is True
    assert result.flags == []
    assert len(data["pages_read"]) == 5


def test_pages_named_in_spanish_and_a_mail_link_for_contact_are_found(sites) -> None:
    data = check(sites["horizonte-viajes"], "Horizonte Viajes S.L.").data
    assert data["missing_pages"] == []
    assert data["pages"]["contact"] == "mailto:info@horizonte-viajes.example"
    assert data["pages"]["refund"].endswith("/devoluciones")
    assert data["currencies"] == ["EUR"]


def test_prohibited_goods_and_a_missing_refund_policy_are_flagged_with_where_they_were_seen(sites) -> None:
    result = check(sites["luxetime"], "Luxe Time Trading Ltd")
    codes = {f.code: f.severity for f in result.flags}
    assert codes["website_prohibited_goods"] == "critical"
    assert codes["website_pages_missing"] == "medium"
    assert result.data["missing_pages"] == ["refund", "privacy"]
    assert {p["term"] for p in result.data["prohibited"]} == {"counterfeit", "replica watches"}
    assert result.data["prohibited"][0]["url"] == sites["luxetime"]
    assert result.data["currencies"] == ["USD"]


def test_the_lists_are_configurable_and_match_whole_words_only(sites) -> None:
    data = check(
        sites["brightdesk"], "BrightDesk GmbH", restricted=["bright", "support"], prohibited=["data"]
    ).data
    assert [r["term"] for r in data["restricted"]] == ["support"]  # "BrightDesk" is not the word "bright"
    assert [p["term"] for p in data["prohibited"]] == ["data"]


def test_a_site_that_cannot_be_read_is_a_finding_and_a_person_is_skipped(serve: Serve) -> None:
    result = check("http://www.nowhere.example:9/", "Nowhere Ltd", timeout_seconds=1)
    assert result.status == "ok"
    assert [f.code for f in result.flags] == ["website_content_unreadable"]
    person = {"entity": {"type": "individual", "individual": {"first_name": "A", "last_name": "B"}}}
    assert WebsiteContentPlugin(merchant_egress()).run(person, WebsiteContentConfig()).status == "skipped"


@pytest.mark.parametrize(
    ("domain", "company", "matches"),
    [
        ("acme-payments.co.uk", "ACME Payments Ltd", True),
        ("brightdesk.example", "BrightDesk GmbH", True),
        ("shop24.example", "Müller & Söhne KG", False),
        ("muellerundsoehne.de", "Müller und Söhne KG", False),
        ("mueller.de", None, None),
    ],
)
def test_the_domain_is_compared_with_the_company_name_without_its_legal_form(
    domain, company, matches
) -> None:
    assert _domain_matches(domain, company) is matches
