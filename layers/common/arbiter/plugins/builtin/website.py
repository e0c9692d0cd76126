"""Website: fetch the business's site through the egress client and report what a reviewer would check.

Status, final URL and redirect chain, TLS (https, and whether the certificate verified), the page title, and
whether the site's domain matches the business's email domain. Domains are compared by their registrable
part (`shop.acme.co.uk` and `mail.acme.co.uk` are both `acme.co.uk`), using the Public Suffix List, which also
knows that `acme.github.io` and `other.github.io` belong to different owners. An unreachable site is a finding
(flagged, `status: ok`), not a failure of the check, so it is not retried.
"""

from __future__ import annotations

import functools
import ipaddress
from html.parser import HTMLParser
from typing import Any

import httpx
from publicsuffixlist import PublicSuffixList
from pydantic import Field

from arbiter.egress import (
    EgressClient,
    EgressError,
    EgressLimits,
    EgressRefused,
    EgressResponse,
    InvalidURL,
    TLSVerificationFailed,
)
from arbiter.plugins.contract import CaseContext, Flag, Plugin, PluginConfig, PluginResult, case_entity
from arbiter.plugins.policy import RetryPolicy, RunPolicy

_TITLE_MAX = 300


class WebsiteConfig(PluginConfig):
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    max_bytes: int = Field(default=512_000, ge=1_024, le=5_000_000)
    max_redirects: int = Field(default=5, ge=0, le=10)
    #: When https cannot connect, try http, to tell "no TLS" from "unreachable".
    try_http: bool = True
    #: Extra egress allow-list entries (hosts, addresses, CIDRs) for this check; the local demo needs one.
    allow: list[str] = Field(default_factory=list)
    flag_missing: bool = False


class WebsitePlugin(Plugin[WebsiteConfig]):
    """Fetches the business website and compares its domain with the email domain."""

    name = "website"
    version = "1.0.0"
    Config = WebsiteConfig
    description = "Fetches the business website: status, TLS, title, redirects, domain against email domain."

    def __init__(self, egress: EgressClient) -> None:
        self._egress = egress

    def policy(self, config: WebsiteConfig) -> RunPolicy:
        # Up to two fetches (https, then http), each bounded by the egress client; no retries, see above.
        return RunPolicy(timeout_seconds=2 * config.timeout_seconds + 5, retry=RetryPolicy(attempts=1))

    def run(self, context: CaseContext, config: WebsiteConfig) -> PluginResult:
        business = case_entity(context).business
        if business is None:
            return PluginResult.skipped("the website check applies to businesses")
        if not business.website:
            flags = (
                [
                    Flag(
                        code="website_missing",
                        severity="low",
                        subject="business.website",
                        message="The business has no website.",
                    )
                ]
                if config.flag_missing
                else []
            )
            return PluginResult.skipped("the business has no website", flags=flags)
        given = business.website.strip()
        url = given if "://" in given else f"https://{given}"
        email_domain = _email_domain(business.email)
        data: dict[str, Any] = {"url": given, "email_domain": email_domain}
        try:
            host = httpx.URL(url).host
        except (httpx.InvalidURL, UnicodeError):
            host = ""
        if not host:
            return PluginResult.ok(
                data,
                [
                    Flag(
                        code="website_invalid",
                        severity="medium",
                        subject="business.website",
                        message=f"The website {given!r} is not a URL.",
                    )
                ],
            )
        data["domain"] = registrable_domain(host)
        response, failure, tls_error = self._fetch(url, config)
        flags = _domain_flags(data["domain"], email_domain)
        data["domain_matches_email"] = None if email_domain is None else data["domain"] == email_domain
        if response is None:
            data.update(
                reachable=False,
                error=failure,
                tls={"https": url.startswith("https:"), "verified": False if tls_error else None},
            )
            flags.append(_unreachable_flag(failure or "", tls_error))
            return PluginResult.ok(data, flags)
        final_domain = registrable_domain(httpx.URL(response.url).host)
        data.update(
            reachable=True,
            final_url=response.url,
            status_code=response.status_code,
            redirects=[{"url": r.url, "status_code": r.status_code} for r in response.redirects],
            tls={
                "https": response.is_https,
                "verified": True if response.is_https else None,
                "version": response.tls_version,
            },
            title=_title(response),
            final_domain=final_domain,
            elapsed_ms=response.elapsed_ms,
        )
        flags += _response_flags(response, data["domain"], final_domain)
        return PluginResult.ok(data, flags)

    def _fetch(self, url: str, config: WebsiteConfig) -> tuple[EgressResponse | None, str | None, bool]:
        """(response, error text, whether TLS failed to verify)."""
        return fetch_site(self._egress, url, config)


def fetch_site(
    egress: EgressClient, url: str, config: WebsiteConfig
) -> tuple[EgressResponse | None, str | None, bool]:
    """Fetch a page of a merchant's site within `config`'s limits (https, then http when `try_http` and https
    cannot connect): (response, error text, whether TLS failed to verify)."""
    limits = EgressLimits(
        connect_timeout_seconds=min(5.0, config.timeout_seconds),
        read_timeout_seconds=config.timeout_seconds,
        total_timeout_seconds=config.timeout_seconds,
        max_bytes=config.max_bytes,
        max_redirects=config.max_redirects,
    )
    candidates = [url]
    if config.try_http and url.startswith("https://"):
        candidates.append("http://" + url.removeprefix("https://"))
    failure = None
    for candidate in candidates:
        try:
            return (
                egress.fetch(
                    candidate,
                    allow=config.allow,
                    limits=limits,
                    truncate=True,
                    headers={"Accept": "text/html,*/*;q=0.5"},
                ),
                None,
                False,
            )
        except TLSVerificationFailed as e:
            return None, e.message, True
        except (EgressRefused, InvalidURL) as e:
            return None, e.message, False
        except EgressError as e:
            failure = failure or e.message
    return None, failure, False


@functools.lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    # Parsing the bundled list takes ~0.1 s: once per container, on first use.
    return PublicSuffixList()


def registrable_domain(host: str | None) -> str | None:
    """The registrable part of a host name (`www.acme.co.uk` → `acme.co.uk`); an address stays as it is."""
    if not host:
        return None
    host = host.strip().rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = host
    return _suffixes().privatesuffix(ascii_host) or ascii_host


def _email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return registrable_domain(email.rsplit("@", 1)[1])


def _domain_flags(domain: str | None, email_domain: str | None) -> list[Flag]:
    if email_domain is None or domain is None or domain == email_domain:
        return []
    return [
        Flag(
            code="website_domain_mismatch",
            severity="medium",
            subject="business.website",
            message=f"The website's domain {domain} differs from the email domain {email_domain}.",
        )
    ]


def _unreachable_flag(failure: str, tls_error: bool) -> Flag:
    if tls_error:
        return Flag(
            code="website_tls_invalid",
            severity="high",
            subject="business.website",
            message=f"The website's TLS certificate did not verify: {failure}"[:1000],
        )
    if "refused to fetch" in failure:
        return Flag(
            code="website_refused",
            severity="high",
            subject="business.website",
            message=f"The website points to an address that is not public: {failure}"[:1000],
        )
    return Flag(
        code="website_unreachable",
        severity="medium",
        subject="business.website",
        message=f"The website could not be reached: {failure}"[:1000],
    )


def _response_flags(response: EgressResponse, domain: str | None, final_domain: str | None) -> list[Flag]:
    flags = []
    if response.status_code >= 400:
        flags.append(
            Flag(
                code="website_error_status",
                severity="medium",
                subject="business.website",
                message=f"The website answered HTTP {response.status_code}.",
            )
        )
    if not response.is_https:
        flags.append(
            Flag(
                code="website_no_tls",
                severity="medium",
                subject="business.website",
                message="The website is not served over https.",
            )
        )
    if final_domain != domain:
        flags.append(
            Flag(
                code="website_redirects_elsewhere",
                severity="low",
                subject="business.website",
                message=f"The website redirects from {domain} to {final_domain}.",
            )
        )
    return flags


class _TitleParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._inside = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self.done:
            self._inside = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._inside:
            self._inside, self.done = False, True

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.parts.append(data)


def _title(response: EgressResponse) -> str | None:
    content_type = response.headers.get("content-type", "text/html").lower()
    if "html" not in content_type:
        return None
    parser = _TitleParser()
    parser.feed(response.text())
    title = " ".join("".join(parser.parts).split())
    return title[:_TITLE_MAX] or None
