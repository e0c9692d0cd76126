"""Documents attached to a case: what they are, and their pages.

A page's bytes live in the documents bucket under a key Arbiter chooses (never a path an integrator sent); the
page records where it came from (an upload, a remote URL, inline data, a file id) and whether it is available.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "EXPIRY_PROPERTIES",
    "MAX_PAGE_BYTES",
    "Document",
    "DocumentDecision",
    "DocumentVersion",
    "Page",
    "PageSource",
]

PageStatus = Literal["pending", "available", "unavailable", "rejected", "deleted"]

#: What a page may be, by its sniffed content (never by its name or declared type).
ACCEPTED_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
#: The properties a document's expiry date is read from (an ID's "date of expiry"), first found wins: Arbiter's
#: name, then the names Ballerine-style integrations and ID-reading vendors send.
EXPIRY_PROPERTIES = ("expiry_date", "expiration_date", "expiryDate", "expirationDate", "date_of_expiry")
#: The largest page Arbiter stores (uploads, remote pages, inline data, Ballerine files).
MAX_PAGE_BYTES = 10 * 1024 * 1024


class PageSource(BaseModel):
    """Where a page came from, as the integrator sent it (a remote URI, inline data, a file id, an upload)."""

    model_config = ConfigDict(extra="allow")

    provider: str = Field(default="upload", max_length=64, description="http, base64, file, upload…")
    uri: str | None = Field(default=None, max_length=8192)
    file_id: str | None = Field(default=None, max_length=128)
    has_inline_data: bool = False


class Page(BaseModel):
    """One page (an image or a PDF) of a document."""

    model_config = ConfigDict(extra="allow")

    index: int = Field(ge=0)
    status: PageStatus = "pending"
    source: PageSource = Field(default_factory=PageSource)
    object_key: str | None = Field(default=None, description="Key in the documents bucket, chosen by Arbiter")
    content_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    page_count: int | None = Field(default=None, description="For a PDF: how many pages it holds")
    thumbnail_key: str | None = None
    reason: str | None = Field(default=None, description="Why the page is unavailable or rejected")
    metadata: dict[str, Any] = Field(default_factory=dict)
    duplicate_of_case_ids: list[str] = Field(
        default_factory=list, description="Other cases of the tenant holding the same file (same SHA-256)"
    )
    ingested_at: dt.datetime | None = None


class DocumentDecision(BaseModel):
    """A reviewer's decision on one document."""

    decision: Literal["approved", "rejected", "revision"]
    reason: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = None
    decided_at: dt.datetime | None = None


class DocumentVersion(BaseModel):
    """A version of a document that a newer one replaced: its pages and the decision it got are kept."""

    version: int = Field(ge=1)
    pages: list[Page] = Field(default_factory=list)
    decision: DocumentDecision | None = None
    created_at: dt.datetime | None = None
    replaced_at: dt.datetime


class Document(BaseModel):
    """A document of a case: its type and category, who issued it, its properties, its pages."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str = Field(min_length=1, max_length=100, description="e.g. passport, certificate_of_incorporation")
    category: str | None = Field(
        default=None, max_length=100, description="e.g. identification, proof_of_address"
    )
    issuer: dict[str, Any] = Field(
        default_factory=dict, description="e.g. {country: DE, name: Handelsregister}"
    )
    properties: dict[str, Any] = Field(default_factory=dict, description="Fields read from the document")
    pages: list[Page] = Field(default_factory=list)
    version: int = Field(default=1, ge=1, description="Increases when the integrator uploads a new version")
    decision: DocumentDecision | None = None
    created_at: dt.datetime | None = None
    history: list[DocumentVersion] = Field(
        default_factory=list, description="Earlier versions, oldest first (every upload is kept)"
    )

    def replace_pages(self, pages: list[Page], at: dt.datetime) -> None:
        """A new version of the document: the current one goes to the history with its decision."""
        self.history.append(
            DocumentVersion(
                version=self.version,
                pages=self.pages,
                decision=self.decision,
                created_at=self.created_at,
                replaced_at=at,
            )
        )
        self.version += 1
        self.pages = pages
        self.decision = None
        self.created_at = at

    def expires_on(self) -> dt.date | None:
        """The day the document expires, from its properties (`expiry_date`, or a name in EXPIRY_PROPERTIES, as a
        day or a time: `2030-05-31`, `2030-05-31T00:00:00Z`); None when it has none, or none that reads as a day."""
        for name in EXPIRY_PROPERTIES:
            value = self.properties.get(name)
            if isinstance(value, str) and value.strip():
                try:
                    return dt.date.fromisoformat(value.strip()[:10])
                except ValueError:
                    return None
        return None

    def page_versions(self) -> list[tuple[int, list[Page]]]:
        """Every version's pages, the current one last."""
        return [(v.version, v.pages) for v in self.history] + [(self.version, self.pages)]

    def find_page(self, object_key: str) -> Page | None:
        """The page (of any version) stored under `object_key`."""
        for _version, pages in self.page_versions():
            for page in pages:
                if page.object_key == object_key:
                    return page
        return None
