"""The outbound client against real local servers: refusals, redirects, limits, TLS, allow-list."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from arbiter.egress import (
    AllowList,
    ConnectFailed,
    EgressClient,
    EgressLimits,
    EgressPolicy,
    EgressRefused,
    EgressTimeout,
    InvalidURL,
    ResponseTooLarge,
    TLSVerificationFailed,
    TooManyRedirects,
    UnreadableResponse,
)
from tests.support.certificates import make_tls
from tests.support.local_http import LocalServer, Reply, SeenRequest

Serve = Callable[..., LocalServer]

LOCAL = EgressPolicy(allow=AllowList.parse("127.0.0.1"))


def ok(body: bytes = b"hello", **headers: str) -> Callable[[SeenRequest], Reply]:
    return lambda _request: Reply(200, {"Content-Type": "text/plain", **headers}, body)


def redirect(location: str, status: int = 302) -> Callable[[SeenRequest], Reply]:
    return lambda _request: Reply(status, {"Location": location})


def mapping_resolver(names: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """Resolves the test's made-up names; anything else is an unknown name."""

    def resolve(host: str, _port: int) -> list[str]:
        if host in names:
            return names[host]
        raise socket.gaierror(f"unknown test host {host}")

    return resolve


# ------------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://0.0.0.0:9/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://[fd00:ec2::254]/",
    ],
)
def test_internal_addresses_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(EgressRefused) as excinfo:
        EgressClient().fetch(url)
    assert excinfo.value.url == url
    assert excinfo.value.to_dict()["reason"]


def test_loopback_server_is_not_reached_by_address_or_by_name(serve: Serve) -> None:
    server = serve({"/": ok()})
    client = EgressClient()
    with pytest.raises(EgressRefused, match="loopback"):
        client.fetch(server.url("/"))
    with pytest.raises(EgressRefused, match=r"localhost resolves to .*loopback"):
        client.fetch(server.url("/", host="localhost"))
    assert server.requests == []


def test_a_name_with_one_private_answer_among_public_ones_is_refused() -> None:
    client = EgressClient(resolve=mapping_resolver({"mixed.example": ["93.184.216.34", "10.0.0.7"]}))
    with pytest.raises(EgressRefused, match=r"mixed.example resolves to 10.0.0.7: private"):
        client.fetch("http://mixed.example/")


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd", "gopher://example.com/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises((EgressRefused, InvalidURL)):
        EgressClient().fetch(url)


@pytest.mark.parametrize("url", ["http://", "not a url", "//example.com/x", "http://[::1/"])
def test_malformed_urls_are_invalid_input(url: str) -> None:
    with pytest.raises(InvalidURL):
        EgressClient().fetch(url)


def test_unknown_names_fail_to_connect() -> None:
    client = EgressClient(resolve=mapping_resolver({}))
    with pytest.raises(ConnectFailed, match="could not resolve"):
        client.fetch("http://nowhere.example/")


# --------------------------------------------------------------------------------------------- allow-list


def test_allow_listed_address_is_fetched(serve: Serve) -> None:
    server = serve({"/hello": ok(b"hi there", **{"Content-Type": "text/plain; charset=utf-8"})})
    response = EgressClient(LOCAL).fetch(server.url("/hello"))
    assert response.status_code == 200
    assert response.text() == "hi there"
    assert response.url == server.url("/hello")
    assert response.redirects == ()
    assert not response.is_https
    assert server.requests[0].headers["user-agent"].startswith("Arbiter")


def test_allow_listed_host_name_is_fetched(serve: Serve) -> None:
    server = serve({"/": ok()})
    client = EgressClient(EgressPolicy(allow=AllowList.parse("localhost")))
    assert client.fetch(server.url("/", host="localhost")).content == b"hello"
    with pytest.raises(EgressRefused):
        client.fetch(server.url("/"))


def test_allow_list_given_per_fetch_adds_to_the_policy(serve: Serve) -> None:
    server = serve({"/": ok()})
    client = EgressClient()
    assert client.fetch(server.url("/"), allow=["127.0.0.0/8"]).status_code == 200
    with pytest.raises(EgressRefused):
        client.fetch(server.url("/"))


def test_ipv6_loopback_allow_listed(serve: Serve) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = serve({"/": ok(b"six")}, host="::1")
    except OSError:
        pytest.skip("cannot bind ::1 here")
    assert EgressClient(EgressPolicy(allow=AllowList.parse("::1"))).fetch(server.url("/")).content == b"six"


def test_environment_proxies_are_ignored(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.0.0.1:3128")
    server = serve({"/": ok()})
    assert EgressClient(LOCAL).fetch(server.url("/")).content == b"hello"


def test_the_address_checked_is_the_address_connected_to(serve: Serve) -> None:
    """DNS rebinding: a second lookup would answer a private address; there must be no second lookup."""
    server = serve({"/": ok(b"pinned")})
    answers = [["127.0.0.1"], ["10.0.0.1"]]
    calls: list[str] = []

    def rebinding(host: str, _port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls), 2) - 1]

    client = EgressClient(EgressPolicy(allow=AllowList.parse("127.0.0.1/32")), resolve=rebinding)
    response = client.fetch(f"http://rebind.example:{server.port}/")
    assert response.content == b"pinned"
    assert calls == ["rebind.example"]
    assert server.requests[0].headers["host"] == f"rebind.example:{server.port}"


# ---------------------------------------------------------------------------------------------- redirects


def test_redirects_are_followed_and_recorded(serve: Serve) -> None:
    server = serve({})
    server.routes.update({"/a": redirect(server.url("/b"), 301), "/b": redirect("/c", 307), "/c": ok(b"end")})
    response = EgressClient(LOCAL).fetch(server.url("/a"))
    assert response.content == b"end"
    assert response.url == server.url("/c")
    assert [(r.url, r.status_code, r.location) for r in response.redirects] == [
        (server.url("/a"), 301, server.url("/b")),
        (server.url("/b"), 307, server.url("/c")),
    ]


def test_redirect_to_a_private_address_is_refused(serve: Serve) -> None:
    server = serve({"/secret": ok(b"internal data")})
    server.routes["/start"] = redirect(server.url("/secret"))
    client = EgressClient(
        EgressPolicy(allow=AllowList.parse("public.example")),
        resolve=mapping_resolver({"public.example": ["127.0.0.1"]}),
    )
    with pytest.raises(EgressRefused, match="loopback") as excinfo:
        client.fetch(f"http://public.example:{server.port}/start")
    assert excinfo.value.url == server.url("/secret")
    assert [r.path for r in server.requests] == ["/start"]


def test_redirect_to_the_metadata_service_is_refused(serve: Serve) -> None:
    server = serve({"/": redirect("http://169.254.169.254/latest/meta-data/iam/")})
    with pytest.raises(EgressRefused, match="cloud metadata"):
        EgressClient(LOCAL).fetch(server.url("/"))


def test_redirect_loops_stop_at_the_hop_limit(serve: Serve) -> None:
    server = serve({})
    server.routes["/loop"] = redirect(server.url("/loop"))
    limits = EgressLimits(max_redirects=3)
    with pytest.raises(TooManyRedirects):
        EgressClient(LOCAL).fetch(server.url("/loop"), limits=limits)
    assert len(server.requests) == 4


def test_redirect_to_another_scheme_is_refused(serve: Serve) -> None:
    server = serve({"/": redirect("file:///etc/passwd")})
    with pytest.raises(EgressRefused, match="scheme"):
        EgressClient(LOCAL).fetch(server.url("/"))


def test_caller_headers_go_to_the_first_origin_only(serve: Serve) -> None:
    second = serve({"/landing": ok(b"other origin")})
    first = serve({"/same": redirect("/moved"), "/moved": redirect(second.url("/landing"))})
    response = EgressClient(LOCAL).fetch(first.url("/same"), headers={"X-Api-Key": "k-123"})
    assert response.content == b"other origin"
    assert [r.headers.get("x-api-key") for r in first.requests] == ["k-123", "k-123"]
    assert "x-api-key" not in second.requests[0].headers


# -------------------------------------------------------------------------------------------------- limits


def test_declared_size_over_the_limit_is_refused_before_reading(serve: Serve) -> None:
    server = serve({"/": ok(b"x" * 5000)})
    with pytest.raises(ResponseTooLarge, match="declares 5000"):
        EgressClient(LOCAL).fetch(server.url("/"), limits=EgressLimits(max_bytes=1000))


def test_streamed_size_over_the_limit_is_cut_while_reading(serve: Serve) -> None:
    server = serve({"/": lambda _r: Reply(200, chunks=[b"y" * 600] * 10)})
    with pytest.raises(ResponseTooLarge, match="more than the limit of 1000"):
        EgressClient(LOCAL).fetch(server.url("/"), limits=EgressLimits(max_bytes=1000))


def test_truncate_keeps_the_first_bytes(serve: Serve) -> None:
    server = serve({"/": lambda _r: Reply(200, chunks=[b"abc" * 200] * 10)})
    response = EgressClient(LOCAL).fetch(server.url("/"), limits=EgressLimits(max_bytes=1000), truncate=True)
    assert response.content == (b"abc" * 400)[:1000]
    assert response.truncated


def test_gzip_bodies_are_inflated(serve: Serve) -> None:
    server = serve({"/": ok(gzip.compress(b'{"a": 1}'), **{"Content-Encoding": "gzip"})})
    response = EgressClient(LOCAL).fetch(server.url("/"))
    assert response.json() == {"a": 1}
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


def test_a_gzip_bomb_is_stopped_at_the_limit(serve: Serve) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(bomb) < 100_000
    server = serve({"/": ok(bomb, **{"Content-Encoding": "gzip"})})
    with pytest.raises(ResponseTooLarge):
        EgressClient(LOCAL).fetch(server.url("/"), limits=EgressLimits(max_bytes=100_000))


def test_an_encoding_we_did_not_offer_is_unreadable(serve: Serve) -> None:
    server = serve({"/": ok(b"\x00\x01", **{"Content-Encoding": "br"})})
    with pytest.raises(UnreadableResponse, match="br"):
        EgressClient(LOCAL).fetch(server.url("/"))


def test_a_server_that_never_answers_times_out(serve: Serve) -> None:
    server = serve({"/": lambda _r: Reply(200, body=b"late", stall_seconds=30)})
    limits = EgressLimits(read_timeout_seconds=0.3, total_timeout_seconds=5)
    with pytest.raises(EgressTimeout) as excinfo:
        EgressClient(LOCAL).fetch(server.url("/"), limits=limits)
    assert excinfo.value.transient


def test_the_total_limit_stops_a_server_that_trickles_within_each_read_timeout(serve: Serve) -> None:
    # Each byte arrives well within the read timeout; only the total limit can stop this (20 s otherwise).
    server = serve({"/": lambda _r: Reply(200, chunks=[b"."] * 200, pause_seconds=0.1)})
    limits = EgressLimits(read_timeout_seconds=2, total_timeout_seconds=0.5)
    with pytest.raises(EgressTimeout):
        EgressClient(LOCAL).fetch(server.url("/"), limits=limits)


def test_nothing_listening_is_a_connection_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectFailed) as excinfo:
        EgressClient(LOCAL).fetch(f"http://127.0.0.1:{port}/")
    assert excinfo.value.transient


# ----------------------------------------------------------------------------------------------------- TLS


def test_tls_keeps_the_host_name_for_sni_and_host_while_connecting_to_the_vetted_address(
    serve: Serve, tmp_path: Path
) -> None:
    server_tls, client_tls = make_tls(tmp_path, ["shop.example"])
    server = serve({"/": ok(b"secure")}, ssl_context=server_tls)
    client = EgressClient(
        EgressPolicy(allow=AllowList.parse("127.0.0.0/8")),
        resolve=mapping_resolver({"shop.example": ["127.0.0.1"]}),
        ssl_context=client_tls,
    )
    response = client.fetch(f"https://shop.example:{server.port}/")
    assert response.content == b"secure"
    assert response.is_https
    assert response.tls_version is not None
    assert response.tls_version.startswith("TLS")
    seen = server.requests[0]
    assert seen.sni == "shop.example"
    assert seen.headers["host"] == f"shop.example:{server.port}"


def test_a_certificate_that_does_not_verify_is_reported_as_such(serve: Serve, tmp_path: Path) -> None:
    server_tls, _ = make_tls(tmp_path, ["shop.example"])
    server = serve({"/": ok()}, ssl_context=server_tls)
    client = EgressClient(
        EgressPolicy(allow=AllowList.parse("127.0.0.0/8")),
        resolve=mapping_resolver({"shop.example": ["127.0.0.1"]}),
    )
    with pytest.raises(TLSVerificationFailed) as excinfo:
        client.fetch(f"https://shop.example:{server.port}/")
    assert not excinfo.value.transient


def test_a_certificate_for_another_name_does_not_verify(serve: Serve, tmp_path: Path) -> None:
    server_tls, client_tls = make_tls(tmp_path, ["other.example"])
    server = serve({"/": ok()}, ssl_context=server_tls)
    client = EgressClient(
        EgressPolicy(allow=AllowList.parse("127.0.0.0/8")),
        resolve=mapping_resolver({"shop.example": ["127.0.0.1"]}),
        ssl_context=client_tls,
    )
    with pytest.raises(TLSVerificationFailed):
        client.fetch(f"https://shop.example:{server.port}/")
