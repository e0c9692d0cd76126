"""Website content: what an underwriter reads on a merchant's site, fetched through the egress guard.

From the home page the check follows the site's own links to the pages a merchant must have — terms, refund
policy, privacy, contact (their usual names in English, German and Spanish) — and reads every page fetched for
prices and their currencies, and for prohibited or restricted goods from configurable lists (whole words, any
case). It also says whether the site's domain belongs to the company: the domain's name (`acme-payments` of
`shop.acme-payments.co.uk`) against the company's name without its legal form.

Flags: a missing page (medium), restricted goods (high), prohibited goods (critical), no prices (low), a domain
unrelated to the company (medium), a site that cannot be read (high). Rules read `checks.<name>.data`:
`missing_pages`, `prohibited`, `restricted`, `currencies`, `prices_found`, `domain_matches_company`.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import Field

from arbiter.egress import EgressClient
from arbiter.plugins.builtin.website import WebsiteConfig, fetch_site, registrable_domain
from arbiter.plugins.contract import CaseContext, Flag, Plugin, PluginResult, case_entity
from arbiter.plugins.policy import RetryPolicy, RunPolicy

__all__ = ["WebsiteContentPlugin"]

PageKind = Literal["terms", "refund", "privacy", "contact"]

#: Words in a link's text or address that name each page (lower case, without accents).
PAGE_WORDS: dict[PageKind, tuple[str, ...]] = {
    "terms": ("terms", "conditions", "tos", "agb", "geschaftsbedingungen", "terminos", "condiciones"),
    "refund": ("refund", "return", "widerruf", "ruckgabe", "erstattung", "devolucion", "reembolso"),
    "privacy": ("privacy", "datenschutz", "privacidad", "gdpr", "dsgvo"),
    "contact": ("contact", "kontakt", "impressum", "imprint", "contacto", "about-us"),
}

DEFAULT_PROHIBITED = (
    "cocaine",
    "heroin",
    "methamphetamine",
    "counterfeit",
    "replica watches",
    "fake passports",
    "stolen",
    "ivory",
    "explosives",
    "child",
)
DEFAULT_RESTRICTED = (
    "firearms",
    "ammunition",
    "cbd",
    "cannabis",
    "tobacco",
    "vape",
    "e-cigarettes",
    "alcohol",
    "casino",
    "gambling",
    "betting",
    "cryptocurrency",
    "forex",
    "pharmacy",
    "prescription",
    "adult",
    "escort",
    "dating",
    "timeshare",
)

_PRICE = re.compile(
    r"(?:(?P<sym>[€$£¥])\s?\d[\d.,]*|\d[\d.,]*\s?(?P<sym2>[€$£¥])|"
    r"(?P<code>\b(?:EUR|USD|GBP|CHF|JPY|SEK|NOK|DKK|PLN|CZK|CAD|AUD)\b)\s?\d[\d.,]*|"
    r"\d[\d.,]*\s?(?P<code2>\b(?:EUR|USD|GBP|CHF|JPY|SEK|NOK|DKK|PLN|CZK|CAD|AUD)\b))"
)
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
_LEGAL_FORMS = {
    "ltd", "limited", "llc", "inc", "corp", "co", "plc", "gmbh", "ag", "ug", "kg", "ohg", "sa", "sl", "sas",
    "sarl", "bv", "nv", "ab", "as", "oy", "spa", "srl", "the", "and", "und", "y", "e", "k",
}  # fmt: skip


class WebsiteContentConfig(WebsiteConfig):
    #: Pages fetched at most, the home page included.
    max_pages: int = Field(default=6, ge=1, le=20)
    required_pages: list[PageKind] = Field(default_factory=lambda: list(PAGE_WORDS))
    prohibited: list[str] = Field(default_factory=lambda: list(DEFAULT_PROHIBITED), max_length=500)
    restricted: list[str] = Field(default_factory=lambda: list(DEFAULT_RESTRICTED), max_length=500)


class WebsiteContentPlugin(Plugin[WebsiteContentConfig]):
    """Reads a merchant's site: required pages, prices, prohibited and restricted goods, domain and company."""

    name = "website_content"
    version = "1.0.0"
    Config = WebsiteContentConfig
    description = (
        "Reads the merchant's website: terms, refund, privacy and contact pages; prices and currencies; "
        "prohibited or restricted goods; whether the domain belongs to the company."
    )

    def __init__(self, egress: EgressClient) -> None:
        self._egress = egress

    def policy(self, config: WebsiteContentConfig) -> RunPolicy:
        # Each page is bounded by the egress limits; a site that cannot be read is a finding, not retried.
        return RunPolicy(
            timeout_seconds=min(900.0, (config.max_pages + 1) * config.timeout_seconds + 5),
            retry=RetryPolicy(attempts=1),
        )

    def run(self, context: CaseContext, config: WebsiteContentConfig) -> PluginResult:
        business = case_entity(context).business
        if business is None:
            return PluginResult.skipped("the website content check applies to businesses")
        if not business.website:
            return PluginResult.skipped("the business has no website")
        given = business.website.strip()
        home_url = given if "://" in given else f"https://{given}"
        home, failure, _tls = fetch_site(self._egress, home_url, config)
        if home is None or home.status_code >= 400:
            why = failure or f"HTTP {home.status_code if home else '?'}"
            flag = _flag("website_content_unreadable", "high", f"The website could not be read: {why}"[:1000])
            return PluginResult.ok({"url": given, "readable": False, "error": why}, [flag])
        pages: dict[str, str | None] = dict.fromkeys(config.required_pages)
        texts = [(home.url, _page(home.text()))]
        linked = _required_links(texts[0][1], home.url, config.required_pages)
        for kind, link in linked.items():
            if link.startswith("mailto:") or len(texts) >= config.max_pages:
                pages[kind] = link  # linked, not read (an address, or past max_pages)
                continue
            response, _, _ = fetch_site(self._egress, link, config.model_copy(update={"try_http": False}))
            if response is not None and response.status_code < 400:
                pages[kind] = response.url
                texts.append((response.url, _page(response.text())))
        missing = [kind for kind in config.required_pages if not pages.get(kind)]
        prohibited = _found(config.prohibited, texts)
        restricted = _found(config.restricted, texts)
        currencies, prices = _prices(texts)
        domain = registrable_domain(httpx.URL(home.url).host)
        matches = _domain_matches(domain, business.name)
        data: dict[str, Any] = {
            "url": given,
            "final_url": home.url,
            "readable": True,
            "pages": pages,
            "pages_read": [url for url, _ in texts],
            "missing_pages": missing,
            "currencies": currencies,
            "prices_found": prices,
            "prohibited": prohibited,
            "prohibited_count": len(prohibited),
            "restricted": restricted,
            "restricted_count": len(restricted),
            "domain": domain,
            "domain_matches_company": matches,
        }
        return PluginResult.ok(data, _flags(data, business.name))


class _Page:
    """A page's visible text (scripts and styles left out) and its links (address, text)."""

    def __init__(self, text: str, links: list[tuple[str, str]]) -> None:
        self.text = text
        self.links = links


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._skip = 0
        self._href: str | None = None
        self._anchor: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._anchor = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript") and self._skip:
            self._skip -= 1
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._anchor).split())))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._href is not None:
            self._anchor.append(data)


def _page(html: str) -> _Page:
    parser = _PageParser()
    parser.feed(html)
    return _Page(" ".join(" ".join(parser.parts).split()), parser.links)


def _plain(text: str) -> str:
    """Lower case without accents (`Geschäftsbedingungen` → `geschaftsbedingungen`)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _required_links(page: _Page, base: str, kinds: list[PageKind]) -> dict[PageKind, str]:
    """The first link on the same site for each page kind, by the words of its text or its address (an e-mail
    link counts as a contact page)."""
    host = urlsplit(base).hostname
    found: dict[PageKind, str] = {}
    for href, text in page.links:
        if href.startswith("mailto:"):
            if "contact" in kinds:
                found.setdefault("contact", href)
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or urlsplit(url).hostname != host:
            continue
        words = _plain(f"{text} {urlsplit(url).path}")
        for kind in kinds:
            if kind not in found and any(word in words for word in PAGE_WORDS[kind]):
                found[kind] = url
    return found


def _found(terms: list[str], texts: list[tuple[str, _Page]]) -> list[dict[str, str]]:
    """Each listed term that appears as whole words on a page read, with the first page it is on."""
    out = []
    for term in dict.fromkeys(t.strip() for t in terms if t.strip()):
        pattern = re.compile(rf"(?<![\w-]){re.escape(_plain(term))}(?![\w-])")
        page = next((url for url, page in texts if pattern.search(_plain(page.text))), None)
        if page is not None:
            out.append({"term": term, "url": page})
    return out


def _prices(texts: list[tuple[str, _Page]]) -> tuple[list[str], int]:
    """The currencies prices are shown in (ISO codes, first seen first) and how many prices were seen."""
    currencies: list[str] = []
    count = 0
    for _url, page in texts:
        for match in _PRICE.finditer(page.text):
            count += 1
            symbol = match.group("sym") or match.group("sym2")
            code = _SYMBOLS.get(symbol) if symbol else (match.group("code") or match.group("code2"))
            if code and code not in currencies:
                currencies.append(code)
    return currencies, count


def _name_words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", _plain(name)) if w and w not in _LEGAL_FORMS]


def _domain_matches(domain: str | None, company: str | None) -> bool | None:
    """Whether the domain's name is made of the company's name (legal form left out); None when either is
    unknown."""
    if not domain or not company:
        return None
    label = re.sub(r"[^a-z0-9]", "", _plain(domain.split(".")[0]))
    words = _name_words(company)
    if not label or not words:
        return None
    joined = "".join(words)
    return label in joined or joined in label or any(len(w) >= 4 and w in label for w in words)


def _flag(code: str, severity: Literal["low", "medium", "high", "critical"], message: str) -> Flag:
    return Flag(code=code, severity=severity, subject="business.website", message=message)


def _flags(data: dict[str, Any], company: str | None) -> list[Flag]:
    flags = []
    if data["missing_pages"]:
        flags.append(
            _flag(
                "website_pages_missing",
                "medium",
                f"The website has no {', '.join(data['missing_pages'])} page linked from its home page.",
            )
        )
    if data["prohibited"]:
        terms = ", ".join(f["term"] for f in data["prohibited"])
        flags.append(
            _flag("website_prohibited_goods", "critical", f"The website offers prohibited goods: {terms}.")
        )
    if data["restricted"]:
        terms = ", ".join(f["term"] for f in data["restricted"])
        flags.append(
            _flag("website_restricted_goods", "high", f"The website mentions restricted goods: {terms}.")
        )
    if not data["prices_found"]:
        flags.append(_flag("website_no_prices", "low", "The website shows no prices."))
    if data["domain_matches_company"] is False:
        flags.append(
            _flag(
                "website_domain_unrelated",
                "medium",
                f"The domain {data['domain']} does not carry the company's name ({company}).",
            )
        )
    return flags
