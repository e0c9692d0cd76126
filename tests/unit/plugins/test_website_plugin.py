"""The website check against local HTTP(S) servers (allow-listed: 127.0.0.1 and test names)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from arbiter.egress import AllowList, EgressClient, EgressPolicy
from arbiter.plugins.builtin import WebsitePlugin, registrable_domain
from arbiter.plugins.builtin.website import WebsiteConfig
from tests.support.certificates import make_tls
from tests.support.local_http import LocalServer, Reply

Serve = Callable[..., LocalServer]
PAGE = b"<html><head><title>\n  Acme &amp; Sons \n</title></head><body>Hello</body></html>"


def html(body: bytes = PAGE, status: int = 200) -> Callable[[Any], Reply]:
    return lambda _r: Reply(status, {"Content-Type": "text/html; charset=utf-8"}, body)


def check(plugin: WebsitePlugin, website: str | None, email: str | None = None, **config: Any) -> Any:
    business = {"name": "Acme", "website": website, "email": email}
    context = {"entity": {"type": "business", "business": {k: v for k, v in business.items() if v}}}
    return plugin.run(context, WebsiteConfig(**{"allow": ["127.0.0.1"], "timeout_seconds": 2, **config}))


def codes(result: Any) -> list[str]:
    return [f.code for f in result.flags]


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.acme.co.uk", "acme.co.uk"),
        ("shop.eu.acme.com", "acme.com"),
        ("acme.github.io", "acme.github.io"),
        ("WWW.Acme.COM.", "acme.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domains(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_a_reachable_site_over_http_reports_status_title_and_no_tls(serve: Serve) -> None:
    server = serve({"/": html()})
    result = check(WebsitePlugin(EgressClient()), server.url("/"), email="ops@127.0.0.1")
    assert result.status == "ok"
    data = result.data
    assert (data["reachable"], data["status_code"], data["title"]) == (True, 200, "Acme & Sons")
    assert data["tls"] == {"https": False, "verified": None, "version": None}
    assert data["domain_matches_email"] is True
    assert codes(result) == ["website_no_tls"]


def test_redirects_and_error_statuses_are_reported(serve: Serve) -> None:
    server = serve({"/gone": html(b"<title>Not here</title>", status=404)})
    server.routes["/"] = lambda _r: Reply(301, {"Location": server.url("/gone")})
    result = check(WebsitePlugin(EgressClient()), server.url("/"))
    assert result.data["final_url"] == server.url("/gone")
    assert result.data["redirects"] == [{"url": server.url("/"), "status_code": 301}]
    assert codes(result) == ["website_error_status", "website_no_tls"]


def https_plugin(tmp_path: Path, names: list[str], trusted: bool = True) -> tuple[WebsitePlugin, Any]:
    server_tls, client_tls = make_tls(tmp_path, names)
    resolve = lambda host, _port: ["127.0.0.1"] if host.endswith("acme.example") else []  # noqa: E731
    client = EgressClient(
        EgressPolicy(allow=AllowList.parse("127.0.0.1")),
        resolve=resolve,
        ssl_context=client_tls if trusted else None,
    )
    return WebsitePlugin(client), server_tls


def test_https_with_a_verified_certificate_and_matching_email_domain(serve: Serve, tmp_path: Path) -> None:
    plugin, server_tls = https_plugin(tmp_path, ["www.acme.example"])
    server = serve({"/": html()}, ssl_context=server_tls)
    result = check(plugin, f"www.acme.example:{server.port}", email="jane@mail.acme.example")
    assert result.data["tls"]["https"] is True
    assert result.data["tls"]["verified"] is True
    assert result.data["tls"]["version"].startswith("TLS")
    assert result.data["final_url"] == f"https://www.acme.example:{server.port}"
    assert result.data["domain"] == "acme.example"
    assert result.data["domain_matches_email"] is True
    assert result.flags == []


def test_a_certificate_that_does_not_verify_is_flagged(serve: Serve, tmp_path: Path) -> None:
    plugin, server_tls = https_plugin(tmp_path, ["www.acme.example"], trusted=False)
    server = serve({"/": html()}, ssl_context=server_tls)
    result = check(plugin, f"https://www.acme.example:{server.port}/")
    assert result.data["reachable"] is False
    assert result.data["tls"] == {"https": True, "verified": False}
    assert codes(result) == ["website_tls_invalid"]


def test_email_on_another_domain_is_a_mismatch(serve: Serve) -> None:
    server = serve({"/": html()})
    result = check(WebsitePlugin(EgressClient()), server.url("/"), email="ceo@other-company.com")
    assert result.data["domain_matches_email"] is False
    assert "website_domain_mismatch" in codes(result)


def test_unreachable_sites_are_a_finding_not_a_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(WebsitePlugin(EgressClient()), f"127.0.0.1:{port}")
    assert result.status == "ok"
    assert result.data["reachable"] is False
    assert codes(result) == ["website_unreachable"]


def test_http_is_tried_when_https_cannot_connect(serve: Serve) -> None:
    server = serve({"/": html()})
    result = check(WebsitePlugin(EgressClient()), f"127.0.0.1:{server.port}")
    assert result.data["final_url"] == f"http://127.0.0.1:{server.port}"
    assert codes(result) == ["website_no_tls"]
    assert (
        check(WebsitePlugin(EgressClient()), f"127.0.0.1:{server.port}", try_http=False).data["reachable"]
        is False
    )


def test_private_addresses_are_refused_and_flagged(serve: Serve) -> None:
    server = serve({"/": html()})
    result = check(WebsitePlugin(EgressClient()), server.url("/"), allow=[])
    assert codes(result) == ["website_refused"]
    assert server.requests == []


def test_large_pages_are_read_up_to_the_limit_only(serve: Serve) -> None:
    server = serve(
        {
            "/": lambda _r: Reply(
                200, {"Content-Type": "text/html"}, chunks=[b"<title>Big</title>", b"x" * 50_000] * 20
            )
        }
    )
    result = check(WebsitePlugin(EgressClient()), server.url("/"), max_bytes=2048)
    assert result.data["title"] == "Big"


def test_missing_website_is_skipped() -> None:
    result = check(WebsitePlugin(EgressClient()), None, flag_missing=True)
    assert result.status == "skipped"
    assert codes(result) == ["website_missing"]
